"""Evaluate: how real do a style's songs sound against a corpus' held-out pieces?"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import corpus_choices, corpus_path, current_models
from app_pages.evaluate_loop import loop_case_tab
from lofi.core.errors import LofiError
from lofi.service.corpora import read_corpus
from lofi.service.figures import feature_distributions, overlap_bars
from lofi.service.models import load_checkpoints, model_summary
from lofi.tools.evaluate import GENERATED, HUMAN, EvaluationReport, evaluate
from lofi.tools.features import FEATURE_NAMES


@st.cache_data(show_spinner=False, max_entries=8)
def run_evaluation(
    corpus: str,
    corpus_hash: str,
    models: tuple[str, str],
    model_shas: tuple[str, str],
    songs: int,
    bars: int,
    seed: int,
    held_out: float,
    window: int,
) -> EvaluationReport:
    """One evaluation, cached per corpus content, model versions and settings."""
    melody, chords = Path(models[0]), Path(models[1])
    return evaluate(
        read_corpus(corpus),
        load_checkpoints(melody, chords),
        songs=songs,
        seed=seed,
        bars=bars,
        held_out=held_out,
        checkpoints={"melody": melody, "chords": chords},
        windows=(window,),
    )


st.title("🔬 Evaluate")
choices = corpus_choices()
current = st.session_state.get("corpus")
choice = st.selectbox("Corpus", choices, index=choices.index(current) if current in choices else 0)
melody, chords = current_models()
realism_tab, loop_tab = st.tabs(["Realism", "🔁 Your loop"])


def realism(choice: str, melody: Path, chords: Path) -> None:
    """Songs from nothing against the corpus' held-out pieces: settings, run and report."""
    st.caption(
        "The corpus is split by content hash into training and held-out pieces. Classifiers "
        "try to tell the songs' windows from held-out ones (ROC AUC: 0.5 = cannot tell). The "
        "human baseline measures training pieces against the same held-out pieces, with as "
        "many pieces and windows as the songs have, over random draws; every figure carries "
        "a 95 % interval over pieces."
    )
    st.caption(f"Models: the studio's current ones ({melody.name}, {chords.name}).")
    top = st.columns(2)
    songs = top[0].number_input("Songs", min_value=2, max_value=50, value=20)
    bars = top[1].number_input("Bars per song", min_value=8, max_value=96, value=32, step=8)
    low = st.columns(3)
    held_out = low[0].slider(
        "Held-out share",
        min_value=0.1,
        max_value=0.6,
        value=0.2,
        step=0.05,
        help="the share of the corpus' pieces no model trained on; a larger share gives the "
        "comparison more pieces (a style must have been trained with the same share)",
    )
    window = low[1].radio(
        "Window (bars)",
        (1, 2, 4),
        index=1,
        horizontal=True,
        help="a loop pack's pieces last 2–4 bars: shorter windows give more of them",
    )
    seed = low[2].number_input("First seed", min_value=0, value=1)
    if st.button("Evaluate", type="primary"):
        st.session_state.evaluate_request = (
            choice,
            int(songs),
            int(bars),
            int(seed),
            round(float(held_out), 2),
            int(window),
        )
    request = st.session_state.get("evaluate_request")
    if request is None:
        st.info("Choose a corpus and press Evaluate (the first look at a large corpus parses it).")
        return
    try:
        with st.spinner("Generating songs and comparing them with the corpus…"):
            path = corpus_path(request[0])
            corpus = read_corpus(path)
            shas = tuple(model_summary(f).sha256 for f in (melody, chords))
            report = run_evaluation(
                path,
                corpus.content_hash,
                (str(melody), str(chords)),
                (shas[0], shas[1]),
                *request[1:],
            )
    except LofiError as exc:
        st.error(f"Cannot evaluate: {exc}")
        return

    c = report.headline
    st.caption(
        f"{c.bars}-bar windows: songs {c.windows['generated']:.0f} ({c.groups['songs']:.0f} "
        f"songs), held-out {c.windows['held_out']:.0f} ({c.groups['held_out']:.0f} pieces), "
        f"training {c.windows['training']:.0f} per draw. Compared: {report.compared}."
    )
    m = st.columns(4)
    m[0].metric(
        "Realism gap",
        f"{c.gap.value:+.2f}" if c.decided else "too few windows",
        help="the songs' forest AUC − the human one; 0 is as real as the pieces",
    )
    m[1].metric("Overlap ratio", f"{c.overlap_ratio.value:.2f}", help="songs ÷ human; 1 best")
    m[2].metric("Held-out pieces", report.pieces["held_out"])
    m[3].metric("Song windows", f"{c.windows['generated']:.0f}")
    if c.decided:
        st.write(f"Realism gap with its interval: {c.gap.text(signed=True)}.")
    else:
        st.warning(f"The gap {c.gap.text(signed=True)}: {c.verdict}.")
    st.subheader("Two-sample tests (ROC AUC, 95 % interval)")
    st.dataframe(
        [
            {
                "classifier": name,
                "songs vs held-out": c.auc[GENERATED][name].text(),
                "human baseline": c.auc[HUMAN][name].text(),
            }
            for name in c.auc[GENERATED]
        ]
        + [
            {
                "classifier": "mean overlapped area",
                "songs vs held-out": c.mean_overlap[GENERATED].text(),
                "human baseline": c.mean_overlap[HUMAN].text(),
            }
        ],
        hide_index=True,
    )
    st.subheader("What tells the songs from the pieces")
    st.markdown(
        "\n".join(f"- {s.words()}" for s in c.separating)
        or "No readable feature differs more than between the pieces themselves."
    )
    st.subheader("Music")
    st.dataframe(
        [{"metric": k, **v} for k, v in report.music.items()]
        + [
            {"metric": f"validation loss ({part})", "generated": loss}
            for part, loss in report.validation_loss.items()
        ],
        hide_index=True,
    )
    st.subheader("Generated beside the corpus")
    feature = st.selectbox("Feature", FEATURE_NAMES, index=FEATURE_NAMES.index("polyphony"))
    sets = {"generated": c.features["generated"], "held-out": c.features["held_out"]}
    st.plotly_chart(feature_distributions(sets, FEATURE_NAMES, feature), width="stretch")
    st.plotly_chart(
        overlap_bars(
            {"songs vs held-out": c.overlap[GENERATED], "human baseline": c.overlap[HUMAN]}
        ),
        width="stretch",
    )


with realism_tab:
    realism(choice, melody, chords)
with loop_tab:
    loop_case_tab(choice)
