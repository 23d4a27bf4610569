// The radio's player: a Web Audio queue. Every track's pieces are decoded and scheduled on
// the AudioContext's clock, each track starting one crossfade before the previous one ends,
// so playback needs no timer. The page sends the queue (new tracks appear as they are made);
// the player reports the track playing and asks for the queue when it knows too few tracks.
// Its own clock is the audio clock too: a silent source node that ends every BEAT_S of
// audio time wakes it ("ended" events are not throttled like timers in a hidden tab, which
// a browser may run once a second or once a minute), so in a background tab it still moves
// to the next track, reports it and fetches the ones after it.
const BEAT_S = 0.25;
const AHEAD = 2; // tracks wanted beyond the one playing
const ASK_EVERY_S = 2; // audio seconds between two requests for the queue
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const p = playerState("__lofiRadio", component, () => {
    const fresh = {
      ctx: null, tracks: new Map(), order: [], playing: -1, reported: -1, log: [],
      crossfade: data.crossfade, silence: { run: 0, longest: 0, last: 0 }, paused: false,
      wantPlay: false, station: data.player, beats: 0, asked: -Infinity, asks: 0,
    };
    document.addEventListener("visibilitychange", () => {
      fresh.log.push({ visibility: document.visibilityState,
                       at: fresh.ctx ? fresh.ctx.currentTime : null, beats: fresh.beats });
      tick(fresh); // back in front: catch up at once (drawing resumes with the next frame)
    });
    return fresh;
  });
  if (p.station !== data.player) { // a new station: its tracks replace the old ones
    for (const t of p.tracks.values()) {
      t.sources.forEach((s) => s && s.stop());
      if (t.gain) t.gain.disconnect();
    }
    Object.assign(p, { tracks: new Map(), order: [], playing: -1, reported: -1,
                       station: data.player });
  }
  p.crossfade = data.crossfade;

  const root = playerRoot(parentElement, "lofi-radio", `
      <div class="bar">
        <button class="play" title="Play / pause (media keys work too)">▶ Play</button>
        <button class="skip" title="Next track">⏭ Skip</button>
        <button class="like" title="Keep this track's recipe">♡ Like</button>
        <span class="now">Press ▶ Start radio (or ▶ Play): the sound starts within a second.</span>
      </div>
      <div class="chords"></div>
      <canvas class="roll" width="900" height="160"></canvas>`, (root) => {
    root.querySelector(".play").onclick = () => toggle(p);
    root.querySelector(".skip").onclick = () => skip(p);
    root.querySelector(".like").onclick = () => {
      if (p.playing >= 0) p.setTriggerValue("like", p.playing);
    };
    if ("mediaSession" in navigator) {
      navigator.mediaSession.setActionHandler("play", () => toggle(p, true));
      navigator.mediaSession.setActionHandler("pause", () => toggle(p, false));
      navigator.mediaSession.setActionHandler("nexttrack", () => skip(p));
    }
  });
  p.root = root;
  if (p.log.length > 2000) p.log.splice(0, 500); // an hour's log stays small
  if (p.debug) { // window.__lofiRadio.debug = true: every update and decode is logged too
    p.log.push({ render: (data.tracks || []).map((t) => t.index),
                 at: p.ctx ? p.ctx.currentTime : null, hidden: document.hidden });
  }
  for (const t of data.tracks || []) addTrack(p, t);
  // "Start radio" made this station: play it now, once (a pause afterwards stays a pause).
  if (data.autoplay && p.autoplayed !== data.autoplay) {
    p.autoplayed = data.autoplay;
    toggle(p, true);
  }
  if (p.wantPlay && p.reported < 0 && p.tracks.size) { p.reported = 0; setStateValue("playing", 0); }
  if (!p.drawing) {
    p.drawing = true;
    const draw = () => { paint(p); requestAnimationFrame(draw); }; // paused while hidden
    requestAnimationFrame(draw);
  }
  if (p.ctx) beat(p);
}

function beat(p) {
  // One silent source at a time, ending BEAT_S later on the audio clock; its "ended"
  // runs tick and starts the next. A suspended context (pause) holds it until resumed.
  if (p.beating || !p.ctx) return;
  p.beating = true;
  const node = p.ctx.createConstantSource();
  node.offset.value = 0;
  node.connect(p.master);
  node.onended = () => {
    node.disconnect();
    p.beating = false;
    p.beats += 1;
    tick(p);
    beat(p);
  };
  const now = p.ctx.currentTime;
  node.start(now);
  node.stop(now + BEAT_S);
}

function ensureContext(p) {
  if (p.ctx) return;
  p.ctx = new AudioContext({ sampleRate: 44100, latencyHint: "playback" });
  p.master = p.ctx.createGain();
  p.analyser = p.ctx.createAnalyser();
  p.analyser.fftSize = 2048;
  p.master.connect(p.analyser);
  p.analyser.connect(p.ctx.destination);
  p.buffer = new Float32Array(p.analyser.fftSize);
  beat(p);
}

function toggle(p, wanted) {
  ensureContext(p);
  const play = wanted === undefined ? p.paused || p.playing < 0 : wanted;
  if (play) {
    p.ctx.resume().catch(() => {});
    // A browser that holds the sound back (no click on this page yet) says so, and the
    // button offers Play again instead of a Pause over silence.
    setTimeout(() => {
      if (p.paused || p.ctx.state === "running") return;
      p.paused = true;
      p.root.querySelector(".play").textContent = "▶ Play";
      p.root.querySelector(".now").textContent = "The browser held the sound back: press ▶ Play.";
    }, 1500);
    p.paused = false;
    p.wantPlay = true;
    if (p.reported < 0) { p.reported = 0; p.setStateValue("playing", 0); }
    for (const t of p.order.map((i) => p.tracks.get(i))) schedule(p, t);
  } else {
    p.ctx.suspend();
    p.paused = true;
  }
  p.root.querySelector(".play").textContent = play ? "⏸ Pause" : "▶ Play";
  const t = p.tracks.get(p.playing);
  // Nothing said to be playing before it is heard: the title comes when its sound starts.
  p.root.querySelector(".now").textContent = !play ? `⏸ Paused${t ? ` · ${t.title}` : ""}`
    : t ? `▶ ${t.title}` : "Starting: the first bars are on their way…";
  if ("mediaSession" in navigator) navigator.mediaSession.playbackState = play ? "playing" : "paused";
}

function addTrack(p, info) {
  let t = p.tracks.get(info.index);
  if (!t) {
    t = { ...info, buffers: [], loading: new Set(), start: null, gain: null, sources: [] };
    p.tracks.set(info.index, t);
    p.order.push(info.index);
    p.order.sort((a, b) => a - b);
  }
  t.segments = info.segments;
  t.done = info.done;
  info.segments.forEach((seg, i) => {
    if (t.buffers[i] || t.loading.has(i)) return;
    t.loading.add(i);
    fetch(seg.url)
      .then((r) => { if (!r.ok) throw new Error(r.status); return r.arrayBuffer(); })
      .then((bytes) => { ensureContext(p); return p.ctx.decodeAudioData(bytes); })
      .then((buffer) => {
        t.buffers[i] = buffer;
        if (p.debug) p.log.push({ decoded: t.index, piece: i, at: p.ctx.currentTime });
        schedule(p, t);
      })
      .catch((e) => { t.loading.delete(i); p.log.push({ error: String(e), index: t.index }); });
  });
  if (p.ctx) schedule(p, t);
}

function previous(p, t) {
  const i = p.order.indexOf(t.index);
  return i > 0 ? p.tracks.get(p.order[i - 1]) : null;
}

function schedule(p, t) {
  if (!p.ctx || !p.wantPlay || !t.buffers[0]) return;
  const ctx = p.ctx;
  const fade = p.crossfade;
  if (t.start === null) {
    const prev = previous(p, t);
    if (prev && prev.start === null) return; // wait for the one before
    const wanted = prev ? prev.start + prev.frames / 44100 - fade : ctx.currentTime + 0.05;
    t.start = Math.max(wanted, ctx.currentTime + 0.02);
    t.late = t.start - wanted;
    t.gain = ctx.createGain();
    t.gain.connect(p.master);
    const end = t.start + t.frames / 44100;
    if (prev) {
      t.gain.gain.setValueAtTime(0, t.start);
      t.gain.gain.linearRampToValueAtTime(1, t.start + fade);
    }
    t.gain.gain.setValueAtTime(1, Math.max(end - fade, t.start + fade));
    t.gain.gain.linearRampToValueAtTime(0, end);
    t.end = end;
    p.log.push({ index: t.index, start: t.start, end, late: t.late,
                 prevEnd: prev ? prev.end : null, scheduledAt: ctx.currentTime,
                 hidden: document.hidden, madeS: t.made_s });
  }
  let offset = 0;
  t.segments.forEach((seg, i) => {
    const buffer = t.buffers[i];
    if (buffer && !t.sources[i]) {
      const src = ctx.createBufferSource();
      src.buffer = buffer;
      src.connect(t.gain);
      const at = t.start + offset / 44100;
      if (at >= ctx.currentTime) src.start(at);
      else src.start(ctx.currentTime, ctx.currentTime - at); // late: join where it should be
      t.sources[i] = src;
    }
    offset += seg.frames;
  });
  const next = p.tracks.get(p.order[p.order.indexOf(t.index) + 1]);
  if (next && next.start === null) schedule(p, next);
}

function skip(p) {
  if (!p.ctx || p.playing < 0) return;
  const now = p.ctx.currentTime;
  const t = p.tracks.get(p.playing);
  const next = p.tracks.get(p.order[p.order.indexOf(p.playing) + 1]);
  if (!next || !next.buffers[0]) return;
  t.gain.gain.cancelScheduledValues(now);
  t.gain.gain.setValueAtTime(t.gain.gain.value, now);
  t.gain.gain.linearRampToValueAtTime(0, now + 0.4);
  t.sources.forEach((s) => s && s.stop(now + 0.45));
  t.end = now + 0.4;
  t.frames = Math.round((now + 0.4 + p.crossfade - t.start) * 44100); // next starts now
  for (const i of p.order.slice(p.order.indexOf(p.playing) + 1)) {
    const u = p.tracks.get(i);
    u.sources.forEach((s) => s && s.stop());
    if (u.gain) u.gain.disconnect();
    Object.assign(u, { start: null, sources: [], gain: null });
  }
  schedule(p, next);
}

function tick(p) {
  if (!p.ctx || !p.wantPlay) return;
  const now = p.ctx.currentTime;
  let current = -1;
  for (const i of p.order) {
    const t = p.tracks.get(i);
    if (t.start !== null && t.start <= now) current = i;
  }
  // The longest run of silence while playing: the measured gap between tracks.
  if (!p.paused && p.ctx.state === "running" && current >= 0) {
    p.analyser.getFloatTimeDomainData(p.buffer);
    let peak = 0;
    for (const v of p.buffer) peak = Math.max(peak, Math.abs(v));
    const dt = p.silence.last ? now - p.silence.last : 0;
    p.silence.run = peak < 1e-4 ? p.silence.run + dt : 0;
    p.silence.longest = Math.max(p.silence.longest, p.silence.run);
    p.silence.last = now;
  }
  if (current >= 0 && current !== p.playing) {
    p.playing = current;
    const t = p.tracks.get(current);
    p.root.querySelector(".now").textContent = `▶ ${t.title}`;
    if ("mediaSession" in navigator && window.MediaMetadata) {
      navigator.mediaSession.metadata = new MediaMetadata({ title: t.title, artist: "LoFi radio" });
    }
    if (current !== p.reported) { p.reported = current; p.setStateValue("playing", current); }
    p.log.push({ playing: current, at: now, hidden: document.hidden });
    for (const i of p.order) if (i < current - 2) p.tracks.delete(i);
    p.order = p.order.filter((i) => i >= current - 2);
  }
  // Fewer than AHEAD tracks ready after the one playing: ask the page for the queue (its
  // own refresh runs on a timer, which a hidden tab may slow down).
  const ready = p.order.filter((i) => i > Math.max(current, 0) && p.tracks.get(i).buffers[0]);
  if (ready.length < AHEAD && now - p.asked >= ASK_EVERY_S) {
    p.asked = now;
    p.asks += 1;
    p.setTriggerValue("refresh", p.asks);
    if (p.debug) p.log.push({ ask: p.asks, at: now });
  }
}

function paint(p) {
  const canvas = p.root && p.root.querySelector(".roll");
  const t = p.tracks.get(p.playing);
  if (!canvas || !t || !p.ctx) return;
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, span = 8; // seconds across
  const pos = p.ctx.currentTime - t.start;
  g.fillStyle = "#1b1b24"; g.fillRect(0, 0, w, h);
  const colours = ["#7aa2f7", "#f4a261", "#9ece6a", "#bb9af7"];
  for (const [on, dur, pitch, part] of t.notes) {
    if (on + dur < pos - 2 || on > pos + span) continue;
    const x = ((on - pos + 2) / span) * w;
    const y = h - ((pitch - 28) / 72) * h;
    g.fillStyle = colours[part % 4];
    g.fillRect(x, y, Math.max(2, (dur / span) * w), 3);
  }
  g.fillStyle = "#fff"; g.fillRect((2 / span) * w, 0, 1, h);
  let chord = "";
  for (const [at, name] of t.chords) if (at <= pos) chord = name;
  const label = p.root.querySelector(".chords");
  const text = `${t.key} · ${t.bpm} BPM · chord ${chord} · ${Math.max(0, pos).toFixed(0)} / ${(t.frames / 44100).toFixed(0)} s`;
  if (label.textContent !== text) label.textContent = text;
}
