// Draws a packed stream (colour in the left half, the speaker mask as luma in the right
// half) onto a WebGL canvas: the colour, with the mask as alpha when the page is transparent
// (OBS ?bg=transparent) or opaque otherwise. One draw per decoded video frame.
const VS = `attribute vec2 p; varying vec2 uv;
void main() { uv = vec2((p.x + 1.0) * 0.5, (1.0 - p.y) * 0.5); gl_Position = vec4(p, 0.0, 1.0); }`;
const FS = `precision mediump float; varying vec2 uv; uniform sampler2D tex; uniform float useAlpha;
void main() {
  vec3 c = texture2D(tex, vec2(uv.x * 0.5, uv.y)).rgb;
  float m = texture2D(tex, vec2(0.5 + uv.x * 0.5, uv.y)).g;
  float a = mix(1.0, smoothstep(0.1, 0.9, m), useAlpha);
  gl_FragColor = vec4(c * a, a);
}`;

export class AlphaCanvas {
  private readonly gl: WebGLRenderingContext;
  private running = false;
  frames = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly video: HTMLVideoElement,
    transparent: boolean,
  ) {
    const gl = canvas.getContext('webgl', { premultipliedAlpha: true, alpha: true });
    if (!gl) throw new Error('WebGL is not available');
    this.gl = gl;
    const prog = gl.createProgram()!;
    for (const [type, src] of [
      [gl.VERTEX_SHADER, VS],
      [gl.FRAGMENT_SHADER, FS],
    ] as const) {
      const sh = gl.createShader(type)!;
      gl.shaderSource(sh, src);
      gl.compileShader(sh);
      gl.attachShader(prog, sh);
    }
    gl.linkProgram(prog);
    gl.useProgram(prog);
    gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const loc = gl.getAttribLocation(prog, 'p');
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
    gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
    for (const [k, v] of [
      [gl.TEXTURE_MIN_FILTER, gl.LINEAR],
      [gl.TEXTURE_MAG_FILTER, gl.LINEAR],
      [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE],
      [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE],
    ])
      gl.texParameteri(gl.TEXTURE_2D, k, v);
    gl.uniform1f(gl.getUniformLocation(prog, 'useAlpha'), transparent ? 1 : 0);
    gl.clearColor(0, 0, 0, 0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const draw = () => {
      if (!this.running) return;
      const { videoWidth: w, videoHeight: h } = this.video;
      if (w && h) {
        const gl = this.gl;
        if (this.canvas.width !== w >> 1 || this.canvas.height !== h) {
          this.canvas.width = w >> 1;
          this.canvas.height = h;
          gl.viewport(0, 0, w >> 1, h);
        }
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGB, gl.RGB, gl.UNSIGNED_BYTE, this.video);
        gl.clear(gl.COLOR_BUFFER_BIT);
        gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
        this.frames++;
      }
      this.video.requestVideoFrameCallback(draw);
    };
    this.video.requestVideoFrameCallback(draw);
  }

  stop(): void {
    this.running = false;
  }
}
