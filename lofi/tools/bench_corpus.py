"""The corpus' figures for `python -m lofi.tools.bench`: the cache and the cold parse.

A cold parse (empty cache, process pool) against a reload from the cache, and the fast MIDI
reader against music21 on the same files.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lofi.tools.bench_measure import median_time


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
