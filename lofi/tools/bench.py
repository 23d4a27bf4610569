"""`python -m lofi.tools.bench`: the engine against its baselines, side by side, in one run.

Every figure that has a baseline is a ratio against it measured in the same run; each case
runs several times after a warm-up and reports the median. `--smoke` runs tiny sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall-clock seconds of `repeats` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict[str, Any]:
    """The CPU model, core count and Python version the figures were measured on."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


# --- sampler -------------------------------------------------------------------------------
def _melody_tokens(vocab: Any, rng: np.random.Generator) -> dict[str, int]:
    return {name: int(rng.integers(1, vocab.size(name))) for name in vocab.inputs}


def bench_sampler(melody_dir: Path, tokens: int, baseline_tokens: int) -> dict[str, float]:
    """The numpy step sampler against `model.predict` on the growing window, per token."""
    from lofi.learn.checkpoint import load_keras_model, read_checkpoint
    from lofi.learn.models import output_name
    from lofi.learn.sampler import StepModel, choose

    ckpt = read_checkpoint(melody_dir, "melody")
    step_model = StepModel.load(melody_dir, ckpt.vocab)
    vocab = ckpt.vocab
    window = int(ckpt.meta.get("settings", {}).get("seq_len", 32))

    def ours() -> None:
        rng = np.random.default_rng(1)
        state = step_model.initial_state()
        tokens_in = _melody_tokens(vocab, rng)
        for _ in range(tokens):
            probs = step_model.step(tokens_in, state)
            for name in vocab.outputs:
                tokens_in[name] = choose(probs[name], rng, 0.9)

    model = load_keras_model(ckpt)

    def baseline() -> None:
        rng = np.random.default_rng(1)
        history = {name: [v] for name, v in _melody_tokens(vocab, rng).items()}
        for _ in range(baseline_tokens):
            batch = {k: np.array([v[-window:]], dtype="int32") for k, v in history.items()}
            out = model.predict(batch, verbose=0)
            for name in vocab.inputs:
                if name in vocab.outputs:
                    probs = out[output_name(name)][0, -1]
                    history[name].append(choose(probs, rng, 0.9))
                else:
                    history[name].append(history[name][-1])

    ours_s = median_time(ours, 3)
    base_s = median_time(baseline, 1)
    ours_rate, base_rate = tokens / ours_s, baseline_tokens / base_s
    return {
        "sampler_tokens_per_s": ours_rate,
        "sampler_baseline_tokens_per_s": base_rate,
        "sampler_speedup": ours_rate / base_rate,
    }


# --- render and end to end -----------------------------------------------------------------
def _request(melody: Path, chords: Path, bars: int, bpm: float) -> Any:
    from lofi.audio.soundfonts import default_instruments
    from lofi.core.settings import MIX
    from lofi.core.types import GenerationConfig, Key
    from lofi.service.recipe import TrackRequest
    from lofi.service.track import resolve_effects

    config = GenerationConfig(seed=3, key=Key.parse("A-minor"), bpm=bpm, bars=bars)
    return TrackRequest(
        config,
        melody,
        chords,
        default_instruments(),
        MIX.effect_levels(),
        resolve_effects(MIX.effect_levels()),
    )


def bench_render(request: Any, repeats: int) -> dict[str, float]:
    """Our render of the song's stems against the fluidsynth command line on the same MIDI."""
    from lofi.audio.render import render_stems
    from lofi.compose.midi import song_to_midi
    from lofi.compose.song import compose
    from lofi.service.track import load_models

    midi = song_to_midi(
        compose(request.config, load_models(request.melody_model, request.chord_model))
    )
    font = request.instruments["chords"].soundfont
    with tempfile.TemporaryDirectory() as tmp:
        mid_path = Path(tmp) / "song.mid"
        mid_path.write_bytes(midi)
        ours = median_time(lambda: render_stems(midi, request.instruments), repeats)
        cmd = [
            "fluidsynth",
            "-ni",
            "-q",
            "-r",
            "44100",
            "-F",
            str(Path(tmp) / "cli.wav"),
            str(font),
            str(mid_path),
        ]
        cli = median_time(lambda: subprocess.run(cmd, check=True, capture_output=True), repeats)
    return {"render_seconds": ours, "render_cli_seconds": cli, "render_ratio": ours / cli}


def bench_e2e(request: Any, repeats: int) -> dict[str, Any]:
    """Median seconds of one whole track (make and write), with each stage's median."""
    from lofi.service.track import make_track, write_track

    runs: list[dict[str, float]] = []
    for i in range(repeats + 1):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            track = make_track(request)
            from lofi.audio.export import write_wav

            t = time.perf_counter()
            write_wav(track.mix, Path(tmp) / "mix.wav")
            track.timings["write_wav"] = time.perf_counter() - t
            total = time.perf_counter() - start
            t = time.perf_counter()
            write_track(track, request, Path(tmp) / "all", mp3=True)
            with_files = total + time.perf_counter() - t
        if i:  # the first run is the warm-up
            runs.append({**track.timings, "total": total, "total_with_mp3_and_stems": with_files})
    stages = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {"e2e_seconds": stages["total"], "e2e_stage_seconds": stages}


# --- corpus cache --------------------------------------------------------------------------
def bench_corpus(corpus: str) -> dict[str, float]:
    """A cold parse (empty cache, process pool) against a reload from the cache."""
    from lofi.data.corpus import load_corpus

    with tempfile.TemporaryDirectory() as tmp:
        previous = os.environ.get("LOFI_CACHE_DIR")
        os.environ["LOFI_CACHE_DIR"] = tmp
        try:
            start = time.perf_counter()
            cold = load_corpus(corpus)
            cold_s = time.perf_counter() - start
            cached_s = median_time(lambda: load_corpus(corpus), 3, warmup=0)
        finally:
            if previous is None:
                del os.environ["LOFI_CACHE_DIR"]
            else:
                os.environ["LOFI_CACHE_DIR"] = previous
    return {
        "corpus_files": len(cold.pieces) + len(cold.bad),
        "corpus_cold_seconds": cold_s,
        "corpus_cached_seconds": cached_s,
        "corpus_cache_speedup": cold_s / cached_s,
    }


# --- cold parse: the fast MIDI reader against music21 --------------------------------------
def _parse_all(files: list[Path], parse: Callable[[Path], object], workers: int) -> float:
    """Seconds to parse every file in a pool of fresh processes, bad files included."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for result in pool.map(_parse_quietly, [(parse, f) for f in files], chunksize=1):
            del result
    return time.perf_counter() - start


def _parse_quietly(job: tuple[Callable[[Path], object], Path]) -> bool:
    from lofi.core.errors import CorpusError

    parse, path = job
    try:
        parse(path)
    except CorpusError:
        return False
    return True


def bench_parse(corpus: str, music21_files: int) -> dict[str, float]:
    """Cold parse of a corpus (no cache) on every core: fast reader against music21.

    music21 parses every `len // music21_files`-th file only (0: all of them); both readers
    are timed on that subset too, and music21's full time is extrapolated from it by bytes.
    """
    from lofi.data.corpus import corpus_files
    from lofi.data.readers import parse_file, parse_file_music21

    files = [f for f in corpus_files(corpus) if f.suffix.lower() in (".mid", ".midi")]
    workers = max(1, min(os.cpu_count() or 1, len(files)))
    step = max(1, len(files) // music21_files) if music21_files else 1
    subset = files[::step]
    fast_all = _parse_all(files, parse_file, workers)
    fast_subset = _parse_all(subset, parse_file, workers)
    music21_subset = _parse_all(subset, parse_file_music21, workers)
    share = sum(f.stat().st_size for f in subset) / sum(f.stat().st_size for f in files)
    return {
        "parse_files": len(files),
        "parse_music21_files": len(subset),
        "parse_fast_cold_seconds": fast_all,
        "parse_fast_subset_seconds": fast_subset,
        "parse_music21_subset_seconds": music21_subset,
        "parse_music21_cold_seconds_estimated": music21_subset / share,
        "parse_speedup": music21_subset / fast_subset,
        "parse_fast_ms_per_file": 1000 * fast_all * workers / len(files),
    }


# --- training input pipeline ---------------------------------------------------------------
def bench_train_pipeline(corpus: str, melody_dir: Path, steps: int) -> dict[str, float]:
    """The default melody model fed by our tf.data pipeline against in-memory arrays."""
    import keras

    from lofi.data.corpus import load_corpus
    from lofi.learn.checkpoint import read_checkpoint
    from lofi.learn.models import ModelSize, build_model, compile_model, output_name
    from lofi.learn.train import TrainConfig, make_dataset, prepare

    meta = read_checkpoint(melody_dir, "melody").meta["settings"]
    size = ModelSize(**meta["size"])
    config = TrainConfig(kind="melody", corpus=corpus, seq_len=int(meta["seq_len"]), size=size)
    vocab, train, _ = prepare(load_corpus(corpus), config)
    batch = config.batch_size

    def timed_fit(data: Any, **kwargs: Any) -> float:
        model = build_model(vocab, size, seed=0)
        compile_model(model, vocab, config.learning_rate)
        model.fit(data, epochs=1, steps_per_epoch=max(steps // 4, 1), verbose=0, **kwargs)
        start = time.perf_counter()
        model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, **kwargs)
        return time.perf_counter() - start

    n = len(next(iter(train.targets.values())))
    reps = max(1, (steps * batch) // n + 2)
    x = {k: np.tile(v, (reps, 1)) for k, v in train.inputs.items()}
    y = {output_name(k): np.tile(v, (reps, 1)) for k, v in train.targets.items()}
    keras.utils.set_random_seed(0)
    pipeline_runs, array_runs = [], []
    for _ in range(3):  # interleaved, so a busy moment of the machine hits both alike
        pipeline_runs.append(timed_fit(make_dataset(train, batch, True, 0).repeat(), shuffle=False))
        array_runs.append(timed_fit(x, y=y, batch_size=batch, shuffle=True))
    pipeline_s, arrays_s = statistics.median(pipeline_runs), statistics.median(array_runs)
    sequences = steps * batch
    return {
        "train_pipeline_sequences_per_s": sequences / pipeline_s,
        "train_arrays_sequences_per_s": sequences / arrays_s,
        "train_pipeline_ratio": arrays_s / pipeline_s,
    }


# --- memory --------------------------------------------------------------------------------
def bench_memory(melody: Path, chords: Path, bars: int) -> dict[str, float]:
    """Peak RSS of a fresh process that loads both models and makes a whole track."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lofi.audio import render\n"
        "from lofi.tools.bench import _request, peak_kb\n"
        "from lofi.service.track import make_track, write_track\n"
        f"r = _request(Path({str(melody)!r}), Path({str(chords)!r}), {bars}, 80.0)\n"
        "t = make_track(r)\n"
        "write_track(t, r, Path(sys.argv[1]))\n"
        "workers = [peak_kb(w.process.pid) for w in render._workers if w.alive()]\n"
        "print(peak_kb('self'), max(workers, default=0))\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", code, str(Path(tmp) / "t")],
            check=True,
            capture_output=True,
            text=True,
        )
    main_kb, worker_kb = (int(v) for v in out.stdout.split()[-2:])
    return {"peak_rss_mb": main_kb / 1024, "render_worker_peak_rss_mb": worker_kb / 1024}


def peak_kb(pid: int | str) -> int:
    """The high-water mark of a process's resident memory (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def print_table(results: dict[str, Any]) -> None:
    """Prints each figure beside its target."""
    from lofi.tools.bench_style import STYLE_TARGETS

    targets = {
        "sampler_speedup": "≥ 300",
        "render_ratio": "≤ 1.2",
        "e2e_seconds": "≤ 4",
        "corpus_cache_speedup": "≥ 20",
        "parse_speedup": "≥ 10",
        "train_pipeline_ratio": "≥ 0.9",
        "peak_rss_mb": "≤ 1536",
        "time_to_first_audio_s": "≤ 1",
        "radio_lookahead_margin_s": "> 0",
        "studio_time_to_first_audio_s": "≤ 1",
        **STYLE_TARGETS,
    }
    print(f"{'figure':34s} {'value':>12s}  target")
    for key, value in results.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            print(f"{key:34s} {value:12.3f}  {targets.get(key, '')}")
    for stage, seconds in results.get("e2e_stage_seconds", {}).items():
        print(f"  e2e {stage:29s} {seconds:12.3f}")
    m = results["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}")


def main(argv: list[str] | None = None) -> int:
    """Runs every case, writes the results as JSON to --out and prints the table; returns 0."""
    from lofi.service.track import default_chord_model, default_melody_model
    from lofi.tools.bench_radio import bench_radio
    from lofi.tools.bench_studio import bench_studio
    from lofi.tools.bench_style import style_cases
    from lofi.tools.bench_takes import bench_takes

    parser = argparse.ArgumentParser(prog="python -m lofi.tools.bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--melody-model", type=Path, default=None)
    parser.add_argument("--chord-model", type=Path, default=None)
    parser.add_argument("--corpus", default=None, help="corpus for the cache and train cases")
    parser.add_argument(
        "--music21-files",
        type=int,
        default=16,
        help="files music21 parses in the cold-parse case (0: the whole corpus)",
    )
    args = parser.parse_args(argv)
    melody = args.melody_model or default_melody_model()
    chords = args.chord_model or default_chord_model()
    smoke = args.smoke
    corpus = args.corpus or ("simutrans" if smoke else "default")
    bars, bpm = (8, 100.0) if smoke else (40, 80.0)  # 40 bars at 80 BPM: two minutes
    repeats = 1 if smoke else 3
    request = _request(melody, chords, bars, bpm)
    results: dict[str, Any] = {"machine": machine(), "smoke": smoke}
    cases: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("sampler", lambda: bench_sampler(melody, 200 if smoke else 3000, 5 if smoke else 60)),
        ("render", lambda: bench_render(request, repeats)),
        ("e2e", lambda: bench_e2e(request, repeats)),
        ("takes", lambda: bench_takes(request)),
        ("corpus", lambda: bench_corpus(corpus)),
        ("parse", lambda: bench_parse(corpus, 2 if smoke else args.music21_files)),
        ("train", lambda: bench_train_pipeline(corpus, melody, 4 if smoke else 120)),
        ("memory", lambda: bench_memory(melody, chords, bars)),
        (
            "radio",
            lambda: bench_radio(_request(melody, chords, 8, bpm), 8 if smoke else 32, repeats),
        ),
        ("studio", lambda: bench_studio(request, repeats)),
        *style_cases(melody, chords, corpus, smoke),
    ]
    for name, case in cases:
        start = time.perf_counter()
        print(f"[bench] {name}…", file=sys.stderr, flush=True)
        results.update(case())
        print(f"[bench] {name} took {time.perf_counter() - start:.1f} s", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
