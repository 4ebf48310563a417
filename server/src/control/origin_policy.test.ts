import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origin_policy.js';

describe('origin policy', () => {
  it("serves the server's own pages and clients without an Origin", () => {
    const p = new OriginPolicy([]);
    expect(p.check(undefined, 'restyle.example:8080')).toBeNull();
    expect(p.check('http://restyle.example:8080', 'restyle.example:8080')).toBeNull();
    expect(p.check('http://RESTYLE.example:8080/', 'restyle.example:8080')).toBeNull();
  });

  it('refuses other sites, look-alikes and malformed origins', () => {
    const p = new OriginPolicy(['https://obs.example.com']);
    expect(p.check('https://evil.example', 'restyle.example:8080')).toMatch(/not allowed/);
    expect(p.check('http://restyle.example:8081', 'restyle.example:8080')).toMatch(/not allowed/);
    expect(p.check('https://obs.example.com.evil.example', 'restyle.example:8080')).toMatch(/not allowed/);
    expect(p.check('null', 'restyle.example:8080')).toMatch(/malformed|not allowed/);
    expect(p.check('https://obs.example.com', 'restyle.example:8080')).toBeNull();
    expect(p.crossAllowed('https://obs.example.com')).toBe(true);
    expect(p.crossAllowed('https://evil.example')).toBe(false);
  });

  it('"*" allows any origin', () => {
    expect(new OriginPolicy(['*']).check('https://anything.example', 'h:1')).toBeNull();
  });
});
