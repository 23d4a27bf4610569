"""Evaluate: how real do a style's songs sound against a corpus' held-out pieces?"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import corpus_choices, corpus_path, current_models
from lofi.core.errors import LofiError
from lofi.service.corpora import read_corpus
from lofi.service.figures import feature_distributions, overlap_bars
from lofi.service.models import model_summary
from lofi.service.track import load_models
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
) -> EvaluationReport:
    """One evaluation, cached per corpus content, model versions and settings."""
    melody, chords = Path(models[0]), Path(models[1])
    return evaluate(
        read_corpus(corpus),
        load_models(melody, chords),
        songs=songs,
        seed=seed,
        bars=bars,
        checkpoints={"melody": melody, "chords": chords},
    )


st.title("🔬 Evaluate")
st.caption(
    "The corpus is split by content hash into training and held-out pieces. Classifiers try "
    "to tell the generated songs' 4-bar windows from held-out ones (ROC AUC: 0.5 = cannot "
    "tell); two halves of the held-out pieces against each other are the human baseline."
)
choices = corpus_choices()
current = st.session_state.get("corpus")
left, middle, right, last = st.columns(4)
choice = left.selectbox(
    "Corpus", choices, index=choices.index(current) if current in choices else 0
)
songs = middle.number_input("Songs", min_value=2, max_value=50, value=10)
bars = right.number_input("Bars per song", min_value=8, max_value=96, value=32, step=8)
seed = last.number_input("First seed", min_value=0, value=1)
melody, chords = current_models()
st.caption(f"Models: the studio's current ones ({melody.name}, {chords.name}).")

if st.button("Evaluate", type="primary"):
    st.session_state.evaluate_request = (choice, int(songs), int(bars), int(seed))
request = st.session_state.get("evaluate_request")
if request is None:
    st.info("Choose a corpus and press Evaluate (the first look at a large corpus parses it).")
    st.stop()
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
    st.stop()

c = st.columns(4)
c[0].metric("Realism gap", f"{report.realism_gap:+.3f}", help="generated AUC − human AUC; 0 best")
c[1].metric("Overlap ratio", f"{report.overlap_ratio:.3f}", help="generated ÷ human; 1 best")
c[2].metric("Held-out pieces", report.pieces["held_out"])
c[3].metric("Generated windows", report.windows["generated"])
st.subheader("Two-sample tests (ROC AUC)")
st.dataframe(
    [
        {
            "classifier": name,
            "generated vs held-out": report.auc[GENERATED][name],
            "human half vs half": report.auc[HUMAN][name],
        }
        for name in report.auc[GENERATED]
    ]
    + [
        {
            "classifier": "mean overlapped area",
            "generated vs held-out": report.mean_overlap[GENERATED],
            "human half vs half": report.mean_overlap[HUMAN],
        }
    ],
    hide_index=True,
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
sets = {"generated": report.features["generated"], "held-out": report.features["held_out"]}
st.plotly_chart(feature_distributions(sets, FEATURE_NAMES, feature), width="stretch")
st.plotly_chart(
    overlap_bars(
        {"generated vs held-out": report.overlap[GENERATED], "human halves": report.overlap[HUMAN]}
    ),
    width="stretch",
)
