// Reading the deployment files for test/server/deploy.test.ts: Dockerfile instructions and
// stages, ENV pairs, the server's Env keys, docker/.env.example and .dockerignore patterns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

export interface Instr {
  line: number;
  op: string;
  args: string;
}
export interface Stage {
  name: string;
  from: string;
  instrs: Instr[];
}

/** Instructions of a Dockerfile (comments dropped, continuation lines joined). */
export function instructions(text: string): Instr[] {
  const out: Instr[] = [];
  let cur: Instr | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!cur && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (cur && line.trim().startsWith('#')) return; // comment inside a continuation
    const body = line.endsWith('\\') ? line.slice(0, -1) : line;
    if (cur) cur.args += ` ${body.trim()}`;
    else {
      const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(body)!;
      cur = { line: i + 1, op: m[1].toUpperCase(), args: m[2] };
    }
    if (!line.endsWith('\\')) {
      cur.args = cur.args.trim();
      out.push(cur);
      cur = null;
    }
  });
  return out;
}

export function stages(text: string): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      out.push({ from: m[1], name: m[2] ?? '', instrs: [] });
    } else out.at(-1)?.instrs.push(ins);
  }
  return out;
}

/** `KEY=value` pairs of an ENV instruction (the forms used here: KEY=value, quoted or not). */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) out[m[1]] = m[2].replace(/^"|"$/g, '');
  return out;
}

/** The keys of server/src/config.ts's Env schema. */
export function configKeys(): Set<string> {
  const src = read('server/src/config.ts');
  const block = /const Env = z\.object\(\{([\s\S]*?)\n\}\);/.exec(src);
  if (!block) throw new Error('Env schema not found in server/src/config.ts');
  return new Set([...block[1].matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]));
}

/** docker/.env.example: every documented variable, with its value ("# KEY=value" lines too). */
export function envExample(): { key: string; value: string; active: boolean }[] {
  return read('docker/.env.example')
    .split('\n')
    .flatMap((l) => {
      const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(l.trim());
      return m ? [{ key: m[2], value: m[3].trim(), active: !m[1] }] : [];
    });
}

/** Whether .dockerignore keeps `path` (relative to the context) out of the build context: the pattern forms it uses (paths, `*`, `!`). */
export function ignored(path: string): boolean {
  let out = false;
  for (const raw of read('.dockerignore').split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    const neg = l.startsWith('!');
    const pat = l.replace(/^!/, '').replace(/\/$/, '');
    const re = new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    if (re.test(path)) out = !neg;
  }
  return out;
}
