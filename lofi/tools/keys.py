"""`python -m lofi.tools.keys`: which Debian electric piano plays the default chords, measured.

Each candidate (the electric pianos of FluidR3 GM, MuseScore General HQ and Lite) plays the
chords of the Studio's default track; the rest of the track is as shipped. The table gives
the chords stem's figures and the whole track's sound report, and the pick: the candidate
whose track misses the fewest sound targets (lofi.tools.bench_sound), ties broken by the
chords stem's centroid nearest the middle of the target band (866 Hz, the geometric mean of
500 and 1,500), then by the order listed. docs/keys.md keeps the last run's table.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import math
from pathlib import Path

FLUID = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")  # fluid-soundfont-gm, MIT
MUSESCORE_HQ = Path("/usr/share/sounds/sf3/MuseScore_General_Full.sf3")  # MIT
MUSESCORE_LITE = Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")  # MIT
CANDIDATES: tuple[tuple[Path, int, int], ...] = (
    (FLUID, 0, 4),
    (FLUID, 0, 5),
    (MUSESCORE_LITE, 0, 4),
    (MUSESCORE_LITE, 0, 5),
    (MUSESCORE_HQ, 0, 4),
    (MUSESCORE_HQ, 0, 5),
)  # a tie goes to the first listed: the Lite file is the smaller, and shipped already
MIDDLE_HZ = math.sqrt(500.0 * 1500.0)


def measure_candidates() -> list[dict[str, object]]:
    """Each available candidate's chords-stem and whole-track figures."""
    from lofi.audio.meter import band_shares, crest_db, measure, misses
    from lofi.audio.soundfonts import Instrument, list_presets
    from lofi.service.track import make_track
    from lofi.tools.bench_sound import default_request

    base = default_request()
    rows: list[dict[str, object]] = []
    for font, bank, program in CANDIDATES:
        if not font.is_file():
            continue
        name = next(p.name for p in list_presets(font) if (p.bank, p.program) == (bank, program))
        chords = dataclasses.replace(base.instruments["chords"], soundfont=font)
        chords = Instrument(font, bank, program, chords.gain_db)
        request = dataclasses.replace(base, instruments={**base.instruments, "chords": chords})
        track = make_track(request)
        centroid, low, air = band_shares(track.stems["chords"])
        report = measure(track.mix, track.stems.get("drums")).as_dict()
        rows.append({
            "candidate": f"{font.name} {bank}:{program} {name}",
            "chords_centroid_hz": centroid,
            "chords_low_share": low,
            "chords_air_share": air,
            "chords_crest_db": crest_db(track.stems["chords"]),
            "track": report,
            "misses": misses(report),
        })  # fmt: skip
    return rows


def pick(rows: list[dict[str, object]]) -> dict[str, object]:
    """The fewest target misses, then the chords centroid nearest MIDDLE_HZ (log distance)."""

    def key(row: dict[str, object]) -> tuple[int, float]:
        centroid = float(row["chords_centroid_hz"])  # type: ignore[arg-type]
        return len(row["misses"]), abs(math.log(centroid / MIDDLE_HZ))  # type: ignore[arg-type]

    return min(rows, key=key)


def print_rows(rows: list[dict[str, object]]) -> None:
    """One line per candidate, then the pick."""
    print(
        f"{'candidate':44s} {'centroid':>9s} {'<200 %':>7s} {'>5k %':>7s} {'crest':>6s}"
        f"  | track: {'centroid':>8s} {'>5k %':>6s} {'corr':>5s}  misses"
    )
    for row in rows:
        t: dict[str, float] = row["track"]  # type: ignore[assignment]
        print(
            f"{row['candidate']!s:44s} {row['chords_centroid_hz']:9.0f} "
            f"{100 * row['chords_low_share']:7.1f} {100 * row['chords_air_share']:7.3f} "  # type: ignore[operator]
            f"{row['chords_crest_db']:6.1f}  |        {t['centroid_hz']:8.0f} "
            f"{100 * t['air_share']:6.2f} {t['correlation']:5.2f}  {' '.join(row['misses'])}"  # type: ignore[arg-type]
        )
    print(f"pick: {pick(rows)['candidate']}")


def main(argv: list[str] | None = None) -> int:
    """Measures the candidates, prints the table and writes it to --doc."""
    parser = argparse.ArgumentParser(prog="python -m lofi.tools.keys", description=__doc__)
    parser.add_argument("--doc", type=Path, default=Path("docs/keys.md"))
    args = parser.parse_args(argv)
    rows = measure_candidates()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        print_rows(rows)
    print(buffer.getvalue(), end="")
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(
        "# The default keys, measured\n\nWritten by `python -m lofi.tools.keys` (the rule is "
        "in its docstring).\n\n```\n" + buffer.getvalue() + "```\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
