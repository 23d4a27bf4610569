"""Evaluate's loop case: songs built on the corpus pieces' own chords, beside the pieces."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app_pages.common import (
    cached_style_models,
    corpus_path,
    current_models,
    models_for,
    plural,
    style_in_use,
)
from lofi.core.errors import LofiError
from lofi.service.corpora import read_corpus
from lofi.service.models import SongModels
from lofi.service.styles import style_version
from lofi.tools.loop_case import GENERATED, PIECES, WHICH, LoopCaseReport, corpus_loop_case

WHICH_LABELS = {"held-out": "Held-out pieces", "all": "Every piece"}


def _models() -> tuple[str, Callable[[], SongModels]]:
    """What the Studio makes its tracks with: its style in use, else the Training page's
    models; in words, and how to load them."""
    chosen = style_in_use()
    if chosen is not None:
        name, folder = chosen
        return f"style {name}", lambda: cached_style_models(str(folder), style_version(folder))
    melody, chords = current_models()
    return f"models {melody.name}, {chords.name}", lambda: models_for(melody, chords)


def _run(
    choice: str, models: Callable[[], SongModels], which: str, held_out: float, seed: int, bars: int
) -> bool:
    """Runs the loop case with a progress bar; keeps its report, or says why it cannot run."""
    bar = st.progress(0.0, text="Reading the corpus…")
    reading = 0.2  # the bar's share for parsing the corpus (cached after its first look)

    def parsed(done: int, total: int) -> None:
        bar.progress(reading * done / max(total, 1), text=f"Reading the corpus… {done}/{total}")

    def progress(stage: str, fraction: float) -> None:
        share = reading + (1.0 - reading) * min(max(fraction, 0.0), 1.0)
        bar.progress(share, text="Building a song on each piece's chords…")

    try:
        corpus = read_corpus(corpus_path(choice), parsed)
        report = corpus_loop_case(corpus, models(), which, held_out, seed, bars, progress)
    except LofiError as exc:
        bar.empty()
        st.error(f"Cannot run the loop case: {exc}")
        return False
    bar.empty()
    st.session_state.loop_case_report = report
    return True


def _show(report: LoopCaseReport) -> None:
    """The report: what was built, the table, its reading and the JSON to download."""
    which = WHICH_LABELS[report.which].lower()
    skipped = f"; {plural(report.skipped, 'piece')} could not be a loop" if report.skipped else ""
    st.caption(
        f"Corpus {report.corpus}, {which}: {plural(report.pieces, 'song')} of {report.bars} "
        f"bars, first seed {report.seed}{skipped}."
    )
    st.dataframe(
        report.table(),
        hide_index=True,
        column_config={
            "figure": "Figure",
            GENERATED: "Generated songs",
            PIECES: "The pieces",
        },
    )
    st.write(report.reading())
    st.download_button(
        "⬇️ Figures (JSON)",
        report.json_text(),
        file_name=f"loop-case-{report.corpus}.json",
        mime="application/json",
        key="loop_case_json",
    )


def loop_case_tab(choice: str) -> None:
    """The loop case's settings, its Run button and its last report."""
    made_with, models = _models()
    st.caption(
        "As a user's own chord loop: each piece's chords become a loop and a song is built "
        "around it. The songs' melody is measured beside the piece's own top line over the "
        "same chords: how often it plays a chord tone on beats 1 and 3, and how much of the "
        "time it rests. The nearer the two columns, the more the melody writes over a loop "
        "as the corpus' own tunes do."
    )
    st.caption(f"Songs made as the Studio makes them: {made_with}.")
    cols = st.columns(4)
    which = cols[0].radio(
        "Pieces",
        WHICH,
        format_func=WHICH_LABELS.__getitem__,
        key="loop_case_which",
        help="held-out: the pieces no model trained on (a style must have been trained with "
        "the same share); every piece: more loops, some of them heard in training",
    )
    bars = cols[1].number_input(
        "Song length (bars)", min_value=8, max_value=64, value=16, step=4, key="loop_case_bars"
    )
    held_out = cols[2].slider(
        "Held-out share",
        min_value=0.1,
        max_value=0.6,
        value=0.2,
        step=0.05,
        key="loop_case_held_out",
        disabled=which == "all",
        help="the share of the corpus' pieces no model trained on",
    )
    seed = cols[3].number_input("First seed", min_value=0, value=1, key="loop_case_seed")
    if st.button("Run the loop case", type="primary", key="loop_case_run") and not _run(
        choice, models, which, round(float(held_out), 2), int(seed), int(bars)
    ):
        return
    report = st.session_state.get("loop_case_report")
    if report is None:
        st.info("Choose the pieces and press Run the loop case.")
        return
    _show(report)
