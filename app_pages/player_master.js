// The studio player's master, as the server's master of the take's mix version sounds
// (lofi.audio.tape, lofi.audio.placement): the 30 Hz high-pass, the version's low shelf,
// the brightness (mix 1: a low-pass; 2 on: a gentle high shelf and a low-pass an octave
// above), the tape saturation (a WaveShaper: tanh, as pedalboard's Distortion), the dusty
// grain (an AudioWorklet holding each sample for the sampler's rate and rounding it to its
// bits, as pedalboard's zero-order-hold Resample and Bitcrush), and the beds dipping under
// every kick (a gain curve drawn from the kicks, as placement.duck_gain). The glue
// compressor stays on the server: a browser's compressor adds its own make-up gain.
// The take's `master` (PlayerTake.for_player) carries the settings.

const SATURATION_SPAN = 4; // the shaper's input is scaled by 1/4: the curve reaches ±4
const DUCK_RATE = 200; // points a second of the ducking curve (the attack is 5 ms)

// Hand-written: a sample-and-hold and a rounding, which Web Audio has no node for.
const DUSTY_WORKLET = `registerProcessor("lofi-dusty", class extends AudioWorkletProcessor {
  constructor() {
    super(); this.on = false; this.rate = 26040; this.bits = 12; this.phase = 1; this.held = [0, 0];
    this.port.onmessage = (e) => Object.assign(this, e.data);
  }
  process(inputs, outputs) {
    const input = inputs[0], output = outputs[0];
    if (!input.length) return true;
    if (!this.on) { output.forEach((ch, c) => ch.set(input[Math.min(c, input.length - 1)])); return true; }
    const step = this.rate / sampleRate, q = 2 ** this.bits;
    for (let i = 0; i < output[0].length; i++) {
      this.phase += step;
      if (this.phase >= 1) {
        this.phase -= 1;
        for (let c = 0; c < output.length; c++) {
          this.held[c] = Math.round(input[Math.min(c, input.length - 1)][i] * q) / q;
        }
      }
      for (let c = 0; c < output.length; c++) output[c][i] = this.held[c];
    }
    return true;
  }
});`;

// The master's nodes from `bus` to `out` (the track's fades); the beds' own gain (ducking).
function masterChain(p, ctx, out) {
  const node = (type, freq) => {
    const f = ctx.createBiquadFilter(); f.type = type; f.frequency.value = freq; return f;
  };
  const m = {
    hp: node("highpass", 30), lowShelf: node("lowshelf", 120), bright: node("lowpass", 9500),
    top: node("lowpass", ctx.sampleRate / 2), drive: ctx.createGain(),
    shaper: ctx.createWaveShaper(), dusty: null, out, beds: ctx.createGain(),
  };
  m.lowShelf.gain.value = 0;
  p.bus.connect(m.hp); m.hp.connect(m.lowShelf); m.lowShelf.connect(m.bright);
  m.bright.connect(m.top); m.top.connect(m.drive); m.drive.connect(m.shaper); m.shaper.connect(out);
  m.beds.connect(p.bus);
  const url = URL.createObjectURL(new Blob([DUSTY_WORKLET], { type: "application/javascript" }));
  ctx.audioWorklet.addModule(url).then(() => {
    m.dusty = new AudioWorkletNode(ctx, "lofi-dusty", { outputChannelCount: [2] });
    m.shaper.disconnect(); m.shaper.connect(m.dusty); m.dusty.connect(out);
    if (p.take) masterSettings(p, p.take.data);
  }).catch((e) => p.log.push({ error: `dusty: ${e}` }));
  return m;
}

// The take's master settings on the nodes (a new take may have another mix version).
function masterSettings(p, data) {
  const m = p.master, s = data.master || {};
  const stereo = !!s.stereo;
  m.bright.type = stereo ? "highshelf" : "lowpass";
  m.bright.frequency.value = data.lowpass_hz || 9500;
  m.bright.gain.value = stereo ? s.shelf_db : 0;
  m.lowShelf.frequency.value = stereo ? s.low_shelf_hz : 120;
  m.lowShelf.gain.value = stereo ? s.low_shelf_db : 0;
  m.top.frequency.value = stereo ? s.top_hz : p.ctx.sampleRate / 2;
  const drive = stereo ? s.saturation_db || 0 : 0;
  m.shaper.curve = drive > 0 ? saturationCurve(drive) : null;
  m.drive.gain.value = drive > 0 ? 1 / SATURATION_SPAN : 1;
  if (m.dusty) m.dusty.port.postMessage(s.dusty ? { on: true, ...s.dusty } : { on: false });
  m.settings = { stereo, drive, dusty: !!(s.dusty && m.dusty), ducking: !!s.duck };
}

// tanh(g x) / g over x in ±SATURATION_SPAN: pedalboard's Distortion, then its Gain(-drive).
function saturationCurve(db) {
  const g = 10 ** (db / 20), n = 4097;
  return Float32Array.from({ length: n }, (_, i) =>
    Math.tanh(g * SATURATION_SPAN * ((2 * i) / (n - 1) - 1)) / g);
}

// The beds' gain over the whole take: a dip at every kick, scaled by its velocity.
function duckCurve(d, duration) {
  const n = Math.ceil(duration * DUCK_RATE) + 1, depth = new Float32Array(n);
  const reach = d.attack_s + 6 * d.release_s;
  for (const [at, velocity] of d.kicks) {
    const last = Math.min(n - 1, Math.ceil((at + reach) * DUCK_RATE));
    for (let i = Math.max(0, Math.ceil(at * DUCK_RATE)); i <= last; i++) {
      const t = i / DUCK_RATE - at;
      const shape = Math.min(t / d.attack_s, 1) * Math.exp(-Math.max(t - d.attack_s, 0) / d.release_s);
      depth[i] = Math.max(depth[i], shape * velocity);
    }
  }
  return depth.map((x) => 10 ** ((-d.depth_db * x) / 20));
}

// From `pos` (track seconds) on, played from context time t0: the beds' ducking.
function scheduleDuck(p, pos, t0) {
  const g = p.master.beds.gain, t = p.take, d = t.data.master && t.data.master.duck;
  g.cancelScheduledValues(0);
  if (d && d.kicks.length && !t.duck) t.duck = duckCurve(d, t.duration);
  const rest = d && d.kicks.length ? t.duck.subarray(Math.floor(pos * DUCK_RATE)) : [];
  if (rest.length > 1) g.setValueCurveAtTime(rest, t0, (rest.length - 1) / DUCK_RATE);
  else g.setValueAtTime(1, t0);
}
