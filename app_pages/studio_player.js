// The studio's player: the take's stems and effect beds on the Web Audio clock, each
// through its own gain (the mixer: mute, solo, volume act at once), summed into a master
// that sounds as the server's (player_master.js: the mix version's filters, saturation,
// dusty grain and the beds' ducking), then the track's fades, the take's gain and a peak
// limiter. The first bars play as soon as they are fetched; each stem's second piece is
// scheduled to start on the frame where the first ends. State lives on window, so a rerun
// of the page (any widget) never stops or rewinds the sound.
const SR = 44100;
const FADE_IN = 2.0, FADE_OUT = 4.0; // as the server's mix

export default function (component) {
  const { data, parentElement } = component;
  const p = playerState("__lofiStudio", component, () => ({
    ctx: null, take: null, strips: new Map(), playing: false, pos: 0, zero: 0,
    sources: [], log: [], firstSoundAt: null, startedAt: null, view: 0,
  }));
  const root = playerRoot(parentElement, "lofi-studio", `
      <div class="bar">
        <button class="play" title="Play / pause">▶ Play</button>
        <button class="rewind" title="Back to the start">⏮</button>
        <span class="time">0:00 / 0:00</span>
        <span class="info"></span>
        <span class="status"></span>
      </div>
      <canvas class="overview" width="1200" height="34"></canvas>
      <canvas class="roll" width="1200" height="220"></canvas>
      <div class="mixer"></div>`, (root) => {
    root.querySelector(".play").onclick = () => (p.playing ? pause(p) : play(p, p.pos));
    root.querySelector(".rewind").onclick = () => seek(p, 0);
    for (const sel of [".overview", ".roll"]) {
      root.querySelector(sel).onclick = (e) => clickSeek(p, e, sel === ".overview");
    }
    p.mixerFor = null; // the mixer is drawn again for this element
  });
  p.root = root;
  if (data && data.take && (!p.take || p.take.id !== data.take)) newTake(p, data);
  if (p.take && data && data.take === p.take.id) update(p, data);
  if (p.take && p.mixerFor !== p.take.id) drawMixer(p);
  // While the rest of the take is being made, ask the page for news twice a second.
  p.waiting = !!(data && data.take && !data.files_done && !data.error);
  if (!p.poll) {
    p.poll = setInterval(() => { if (p.waiting) p.setTriggerValue("poll", Date.now()); }, 500);
  }
  if (!p.loop) {
    p.loop = true;
    const frame = () => { try { paint(p); meter(p); } catch (e) { p.log.push({ error: String(e) }); }
                          requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
    setInterval(() => meter(p), 50); // also when the tab is hidden
  }
}

function ensureContext(p) {
  if (p.ctx) return;
  const ctx = (p.ctx = new AudioContext({ sampleRate: SR, latencyHint: "interactive" }));
  p.bus = ctx.createGain();
  p.fade = ctx.createGain();
  p.master = masterChain(p, ctx, p.fade);
  p.level = ctx.createGain();
  const limiter = ctx.createDynamicsCompressor();
  limiter.threshold.value = -1; limiter.knee.value = 0; limiter.ratio.value = 20;
  limiter.attack.value = 0.003; limiter.release.value = 0.08;
  p.analyser = ctx.createAnalyser(); p.analyser.fftSize = 256;
  p.fade.connect(p.level);
  p.level.connect(limiter); limiter.connect(p.analyser); p.analyser.connect(ctx.destination);
  p.buf = new Float32Array(256);
}

function newTake(p, data) {
  stopSources(p);
  for (const s of p.strips.values()) s.gain.disconnect();
  p.strips = new Map();
  p.take = { id: data.take, frames: data.frames, duration: data.frames / SR, data,
             buffers: new Map(), loading: new Set(), autoplay: !!data.autoplay };
  p.pos = 0; p.playing = false; p.firstSoundAt = null; p.startedAt = null; p.view = 0;
  p.log.push({ event: "take", take: data.take, at: performance.now() });
  p.mix = { take: data.take, strips: {} };
  for (const s of data.strips || []) {
    p.mix.strips[s.name] = { level_db: s.level_db, mute: false, solo: false };
  }
  setPlayLabel(p);
}

function update(p, data) {
  const t = p.take;
  t.data = data;
  if (data.error) status(p, `⚠ ${data.error}`);
  else if (!data.stems.length) status(p, "composing and rendering the first bars…");
  else if (!data.stems_done) status(p, "first bars ready; rendering the rest…");
  else if (!data.files_done) status(p, "mastering the files…");
  else status(p, "");
  if (!data.stems.length) return;
  ensureContext(p);
  for (const s of data.stems) {
    strip(p, s.name, "part");
    fetchBuffer(p, `${s.name}#0`, s.segments[0].url);
  }
  for (const s of data.stems) {
    s.segments.forEach((seg, i) => fetchBuffer(p, `${s.name}#${i}`, seg.url));
  }
  for (const b of data.beds) {
    strip(p, b.name, "bed");
    fetchBuffer(p, `${b.name}#bed`, b.url);
  }
  applyGains(p, true);
  maybeAutoplay(p);
}

function strip(p, name, kind) {
  if (p.strips.has(name)) return p.strips.get(name);
  const gain = p.ctx.createGain();
  const analyser = p.ctx.createAnalyser();
  analyser.fftSize = 256;
  gain.connect(analyser); analyser.connect(kind === "bed" ? p.master.beds : p.bus);
  const s = { name, kind, gain, analyser, peak: 0, value: 1 };
  p.strips.set(name, s);
  return s;
}

function fetchBuffer(p, id, url) {
  const t = p.take;
  if (t.buffers.has(id) || t.loading.has(id)) return;
  t.loading.add(id);
  fetch(url)
    .then((r) => { if (!r.ok) throw new Error(`${r.status} ${url}`); return r.arrayBuffer(); })
    .then((bytes) => p.ctx.decodeAudioData(bytes))
    .then((buffer) => {
      if (p.take !== t) return;
      t.buffers.set(id, buffer);
      t.loading.delete(id);
      if (p.playing) schedule(p, id);
      maybeAutoplay(p);
    })
    .catch((e) => { t.loading.delete(id); p.log.push({ error: String(e), id }); });
}

function firstReady(p) {
  const d = p.take.data;
  // The beds (long noise loops) join when decoded: the first sound waits for the stems only.
  return d.stems.length > 0 && d.stems.every((s) => p.take.buffers.has(`${s.name}#0`));
}

function maybeAutoplay(p) {
  const t = p.take;
  if (!t.autoplay || p.playing || !firstReady(p)) return;
  t.autoplay = false;
  play(p, 0);
}

// --- transport ---------------------------------------------------------------------------
function play(p, from) {
  if (!p.take || !firstReady(p)) return;
  ensureContext(p);
  p.ctx.resume();
  stopSources(p);
  const pos = Math.min(Math.max(0, from), p.take.duration - 0.01);
  const t0 = p.ctx.currentTime + 0.03;
  p.zero = t0 - pos; // the context time of the track's frame 0
  p.playing = true;
  p.pos = pos;
  fades(p, pos, t0);
  for (const id of p.take.buffers.keys()) schedule(p, id);
  if (p.startedAt === null) {
    p.startedAt = performance.now();
    p.log.push({ event: "started", at: p.startedAt, take: p.take.id });
  }
  setPlayLabel(p);
}

function pause(p) {
  if (!p.playing) return;
  p.pos = position(p);
  p.playing = false;
  stopSources(p);
  setPlayLabel(p);
}

function seek(p, pos) {
  if (p.playing) play(p, pos);
  else p.pos = Math.max(0, Math.min(pos, p.take ? p.take.duration : 0));
}

function position(p) {
  if (!p.playing || !p.ctx) return p.pos;
  return Math.max(0, p.ctx.currentTime - p.zero);
}

function stopSources(p) {
  for (const src of p.sources) { try { src.stop(); } catch (e) { /* not started */ } }
  p.sources = [];
}

function schedule(p, id) {
  const t = p.take;
  const buffer = t.buffers.get(id);
  const [name, which] = id.split("#");
  const s = p.strips.get(name);
  if (!buffer || !s) return;
  const ctx = p.ctx;
  const now = ctx.currentTime;
  const end = p.zero + t.duration;
  const src = ctx.createBufferSource();
  src.buffer = buffer;
  src.connect(s.gain);
  if (which === "bed") {
    const bed = t.data.beds.find((b) => b.name === name);
    const loopStart = bed.loop_start / SR;
    src.loop = true; src.loopStart = loopStart; src.loopEnd = buffer.duration;
    let offset = Math.max(0, now - p.zero);
    if (offset >= buffer.duration) {
      offset = loopStart + ((offset - loopStart) % (buffer.duration - loopStart));
    }
    src.start(Math.max(now, p.zero), offset);
    src.stop(end);
  } else {
    const stem = t.data.stems.find((x) => x.name === name);
    const index = Number(which);
    let begin = 0;
    for (let i = 0; i < index; i++) begin += stem.segments[i].frames / SR;
    const at = p.zero + begin;
    if (at + buffer.duration <= now) return; // already past
    if (at >= now) src.start(at);
    else { src.start(now, now - at); p.log.push({ event: "late", id, by: now - at }); }
  }
  p.sources.push(src);
}

function fades(p, pos, t0) {
  // The track's fade-in and fade-out (squared ramps, as the server's mix) from `pos` on.
  const g = p.fade.gain, dur = p.take.duration;
  const env = (x) => {
    let v = 1;
    if (x < FADE_IN) v *= (x / FADE_IN) ** 2;
    if (x > dur - FADE_OUT) v *= (Math.max(0, dur - x) / FADE_OUT) ** 2;
    return v;
  };
  const curve = (a, b) => {
    const n = Math.max(2, Math.ceil((b - a) * 100));
    return Float32Array.from({ length: n }, (_, i) => env(a + ((b - a) * i) / (n - 1)));
  };
  g.cancelScheduledValues(0);
  g.setValueAtTime(env(pos), t0);
  if (pos < FADE_IN) g.setValueCurveAtTime(curve(pos, FADE_IN), t0, FADE_IN - pos);
  const outFrom = Math.max(pos, FADE_IN, dur - FADE_OUT);
  if (outFrom < dur - 0.01) g.setValueCurveAtTime(curve(outFrom, dur), p.zero + outFrom, dur - outFrom);
  p.level.gain.value = 10 ** ((p.take.data.gain_db || 0) / 20);
  masterSettings(p, p.take.data);
  scheduleDuck(p, pos, t0);
}

// --- the mixer ----------------------------------------------------------------------------
function audible(p, name) {
  const strips = p.mix.strips;
  const anySolo = Object.values(strips).some((s) => s.solo);
  const s = strips[name];
  return s && !s.mute && (!anySolo || s.solo) && s.level_db !== null;
}

function applyGains(p, immediate) {
  if (!p.ctx) return;
  const now = p.ctx.currentTime;
  const data = p.take.data;
  for (const [name, s] of p.strips) {
    const m = p.mix.strips[name];
    if (!m) continue;
    let value = 0;
    if (audible(p, name)) {
      const stem = data.stems.find((x) => x.name === name);
      value = 10 ** ((m.level_db - (stem ? stem.gain_db : 0)) / 20);
    }
    s.value = value;
    s.gain.gain.cancelScheduledValues(now);
    if (immediate) s.gain.gain.setValueAtTime(value, now);
    else {
      s.gain.gain.setValueAtTime(s.gain.gain.value, now);
      s.gain.gain.linearRampToValueAtTime(value, now + 0.008); // no click, no wait
    }
  }
}

function report(p) {
  p.setStateValue("mix", JSON.parse(JSON.stringify(p.mix)));
}

function drawMixer(p) {
  const box = p.root.querySelector(".mixer");
  const data = p.take.data;
  box.innerHTML = "";
  if (!data.strips || !data.strips.length) return;
  p.mixerFor = p.take.id;
  for (const info of data.strips) {
    const row = document.createElement("div");
    row.className = `strip ${info.kind}`;
    row.dataset.name = info.name;
    const m = p.mix.strips[info.name];
    const [lo, hi] = info.range;
    row.innerHTML = `<span class="name" title="${info.label}">${info.label}</span>
      <button class="mute" title="Mute">M</button><button class="solo" title="Solo">S</button>
      <input type="range" min="${lo}" max="${hi}" step="0.5"><span class="db"></span>
      <span class="vu"><i></i></span>`;
    const fader = row.querySelector("input");
    const db = row.querySelector(".db");
    const show = () => {
      row.querySelector(".mute").classList.toggle("on", m.mute);
      row.querySelector(".solo").classList.toggle("on", m.solo);
      db.textContent = m.level_db === null ? "off" : `${m.level_db.toFixed(1)} dB`;
    };
    fader.value = m.level_db === null ? lo : m.level_db;
    fader.oninput = () => {
      const v = Number(fader.value);
      m.level_db = info.kind === "bed" && v <= lo ? null : v;
      show(); applyGains(p, false);
    };
    fader.onchange = () => report(p);
    row.querySelector(".mute").onclick = () => { m.mute = !m.mute; show(); applyGains(p, false); report(p); };
    row.querySelector(".solo").onclick = () => { m.solo = !m.solo; show(); applyGains(p, false); report(p); };
    show();
    box.appendChild(row);
  }
}

function meter(p) {
  if (!p.ctx || !p.take) return;
  for (const s of p.strips.values()) {
    s.analyser.getFloatTimeDomainData(p.buf);
    let peak = 0;
    for (const v of p.buf) peak = Math.max(peak, Math.abs(v));
    s.peak = peak;
  }
  p.analyser.getFloatTimeDomainData(p.buf);
  let peak = 0;
  for (const v of p.buf) peak = Math.max(peak, Math.abs(v));
  p.peak = peak;
  if (p.playing && peak > 1e-4 && p.firstSoundAt === null) {
    p.firstSoundAt = performance.now();
    p.log.push({ event: "first-sound", at: p.firstSoundAt, take: p.take.id });
  }
  if (p.playing && position(p) >= p.take.duration) {
    p.playing = false; p.pos = 0; stopSources(p); setPlayLabel(p);
  }
}

// --- drawing -----------------------------------------------------------------------------
function setPlayLabel(p) {
  if (p.root) p.root.querySelector(".play").textContent = p.playing ? "⏸ Pause" : "▶ Play";
}

function status(p, text) {
  const el = p.root.querySelector(".status");
  if (el.textContent !== text) el.textContent = text;
}

function clock(s) {
  const m = Math.floor(s / 60), r = Math.floor(s % 60);
  return `${m}:${String(r).padStart(2, "0")}`;
}

function viewBars(d) {
  return d.bars <= 16 ? d.bars : 8; // long pieces: eight bars at a time, following the sound
}

function clickSeek(p, e, overview) {
  if (!p.take) return;
  const canvas = e.currentTarget;
  const x = (e.offsetX / canvas.clientWidth);
  const d = p.take.data, bar = (60 / d.bpm) * d.beats_per_bar;
  if (overview) return seek(p, x * p.take.duration);
  const span = viewBars(d) * bar;
  seek(p, p.view * span + x * span);
}

const COLOURS = ["#7aa2f7", "#f4a261", "#9ece6a", "#bb9af7"];
const OWN_COLOUR = "#ffffff"; // the notes of the user's loop
const SECTION_COLOURS = { intro: "#2a2f45", outro: "#2a2f45" };

function paint(p) {
  if (!p.root || !p.take) return;
  const d = p.take.data;
  const pos = position(p);
  const chord = (d.chords.find(([at, dur]) => at <= pos && pos < at + dur) || [0, 0, ""])[2];
  const bar = (60 / d.bpm) * d.beats_per_bar;
  const section = (d.sections.find(([s, n]) => s * bar <= pos && pos < (s + n) * bar) || [0, 0, ""])[2];
  const timeEl = p.root.querySelector(".time");
  const text = `${clock(pos)} / ${clock(p.take.duration)}`;
  if (timeEl.textContent !== text) timeEl.textContent = text;
  const info = `${d.key} · ${d.bpm} BPM · bar ${Math.min(d.bars, Math.floor(pos / bar) + 1)}/${d.bars} · ${section} · ${chord}`;
  const infoEl = p.root.querySelector(".info");
  if (infoEl.textContent !== info) infoEl.textContent = info;
  overview(p, d, pos, bar);
  roll(p, d, pos, bar);
}

function fit(canvas) {
  const w = Math.max(300, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
  if (canvas.width !== w) canvas.width = w;
  return canvas.getContext("2d");
}

function overview(p, d, pos, bar) {
  const canvas = p.root.querySelector(".overview");
  const g = fit(canvas), w = canvas.width, h = canvas.height, dur = p.take.duration;
  g.fillStyle = "#16161e"; g.fillRect(0, 0, w, h);
  for (const [start, bars, name] of d.sections) {
    if (!bars) continue; // a form without an intro or outro: no empty label over the next one
    const x0 = (start * bar / dur) * w, x1 = ((start + bars) * bar / dur) * w;
    g.fillStyle = SECTION_COLOURS[name] || "#22283a"; g.fillRect(x0, 0, x1 - x0, h);
    g.fillStyle = "#c0caf5"; g.font = "11px sans-serif"; g.fillText(name, x0 + 3, 11);
    g.fillStyle = "#565f89"; g.fillRect(x0, 0, 1, h);
  }
  for (const [on, dur2, pitch, part] of d.notes) {
    g.fillStyle = COLOURS[part % 4];
    g.fillRect((on / dur) * w, h - 3 - ((pitch - d.low) / (d.high - d.low + 1)) * (h - 16), Math.max(1, (dur2 / dur) * w), 1);
  }
  if (p.take.data.stems_done === false) { // what is already rendered
    g.fillStyle = "rgba(255,255,255,.08)";
    g.fillRect((d.first_frames / d.frames) * w, 0, w, h);
  }
  g.fillStyle = "#fff"; g.fillRect((pos / dur) * w, 0, 2, h);
}

function roll(p, d, pos, bar) {
  const canvas = p.root.querySelector(".roll");
  const g = fit(canvas), w = canvas.width, h = canvas.height;
  const bars = viewBars(d), span = bars * bar;
  const page = Math.min(Math.floor(pos / span), Math.floor((d.bars - 1) / bars)); // tail: last page
  p.view = page;
  const a = page * span, b = a + span;
  const X = (t) => ((t - a) / span) * w;
  const top = 34, drumH = 14, noteH = h - top - drumH - 4;
  g.fillStyle = "#1b1b24"; g.fillRect(0, 0, w, h);
  for (let i = 0; i <= bars; i++) { // bar lines and numbers
    const x = X(a + i * bar);
    g.fillStyle = "#2c2f40"; g.fillRect(x, top - 4, 1, h);
    g.fillStyle = "#565f89"; g.font = "10px sans-serif";
    if (i < bars) g.fillText(String(page * bars + i + 1), x + 3, top - 6);
  }
  for (const [start, n, name] of d.sections) { // section markers
    const t = start * bar;
    if (!n || t < a || t >= b) continue;
    g.fillStyle = "#e0af68"; g.fillRect(X(t), 0, 2, h);
    g.font = "bold 12px sans-serif"; g.fillText(name, X(t) + 4, 12);
  }
  g.font = "12px sans-serif"; // chord names over the bars they sound in
  for (const [at, dur2, name] of d.chords) {
    if (at + dur2 <= a || at >= b) continue;
    const x = Math.max(0, X(at));
    g.fillStyle = at <= pos && pos < at + dur2 ? "#f4a261" : "#a9b1d6";
    g.fillText(name, x + 3, 25, Math.max(20, X(at + dur2) - x - 4));
  }
  const range = d.high - d.low + 1;
  const noteStep = Math.max(2, Math.min(8, noteH / range));
  for (const [on, dur2, pitch, part, own] of d.notes) {
    if (on + dur2 < a || on > b) continue;
    const y = top + noteH - ((pitch - d.low + 1) / range) * noteH;
    const lit = on <= pos && pos < on + dur2;
    const wide = Math.max(2, X(on + dur2) - X(on) - 1);
    g.globalAlpha = lit ? 1 : 0.75;
    if (own) { // the user's loop: hollow notes in white, apart from the generated ones
      g.strokeStyle = OWN_COLOUR; g.lineWidth = 1.5;
      g.strokeRect(X(on) + 0.75, y + 0.75, Math.max(1, wide - 1.5), Math.max(1, noteStep - 2.5));
    } else {
      g.fillStyle = COLOURS[part % 4];
      g.fillRect(X(on), y, wide, noteStep - 1);
    }
  }
  g.globalAlpha = 1;
  if (d.loop_part) { // the legend of the hollow notes
    g.fillStyle = OWN_COLOUR; g.font = "11px sans-serif"; g.textAlign = "right";
    g.fillText("\u25AF your loop (" + d.loop_part + ")", w - 6, 12); g.textAlign = "left";
  }
  g.fillStyle = COLOURS[3];
  for (const on of d.drums) if (on >= a && on < b) g.fillRect(X(on), h - drumH, 2, drumH - 2);
  g.fillStyle = "#ffffff"; g.fillRect(X(pos), 0, 2, h); // the playhead
}
