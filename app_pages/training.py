"""Training: start a run in the background, watch its loss curves, stop it, use it."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from app_pages.common import corpus_choices, corpus_path, runs_root
from lofi.core.errors import LofiError
from lofi.core.paths import user_data_dir
from lofi.core.settings import TRAINING
from lofi.service.figures import loss_curves
from lofi.service.runs import (
    STYLE_KIND,
    RunInfo,
    failure_reason,
    list_runs,
    part_progress,
    reset_studio_models,
    resume_run,
    run_info,
    run_progress,
    start_run,
    stop_run,
    usable_style,
    use_in_studio,
)
from lofi.service.styles import style_choices

SCRATCH = "nothing (from scratch)"

st.title("📈 Training")

with st.form("new_run"):
    st.markdown("**A new run**")
    c1, c2, c3 = st.columns(3)
    kind = c1.radio(
        "Model",
        ["melody", "chords", STYLE_KIND],
        horizontal=True,
        help="style: every part (melody, chords, drums) from the corpus' training part; "
        "from a pack of piano loops, the piano and the bass under it, as the shipped style",
    )
    choices = corpus_choices()
    current = st.session_state.get("corpus", TRAINING.corpus)
    corpus = c2.selectbox(
        "Corpus", choices, index=choices.index(current) if current in choices else 0
    )
    d = TRAINING
    epochs = c3.number_input(
        "Epochs (most)",
        d.epochs_range.low,
        d.epochs_range.high,
        d.epochs,
        help="How many times the model studies the whole corpus at most; it stops by itself "
        "once it no longer gets better at the pieces it has not seen",
    )
    with st.expander("Advanced (model size and learning speed)"):
        st.caption(
            "Left as they are, a run that learns the piano takes the settings the shipped "
            "style was trained with."
        )
        c4, c5, c6, c7 = st.columns(4)
        seq_len = c4.number_input(
            "Sequence length",
            d.seq_len_range.low,
            d.seq_len_range.high,
            d.seq_len,
            help="Notes the model looks back on at once",
        )
        units = c5.number_input(
            "LSTM units",
            d.units_range.low,
            d.units_range.high,
            d.units,
            step=d.units_step,
            help="Size of the model's memory: bigger learns more and trains slower",
        )
        layers = c6.number_input("LSTM layers", d.layers_range.low, d.layers_range.high, d.layers)
        rate = c7.number_input(
            "Learning rate",
            d.learning_rate_range.low,
            d.learning_rate_range.high,
            d.learning_rate,
            format="%.4f",
            help="How big each learning step is",
        )
    bases = style_choices(runs_root())
    start_from = st.selectbox(
        "Start from (style)",
        [SCRATCH, *bases],
        help="Fine-tune: every part starts from this style's weights, size and dropout "
        "(leave LSTM units and layers as they are), learning at "
        f"{d.finetune_learning_rate:g} unless you set a rate",
    )
    if st.form_submit_button("Start training", type="primary"):
        values = {
            "epochs": (int(epochs), d.epochs),
            "seq_len": (int(seq_len), d.seq_len),
            "units": (int(units), d.units),
            "layers": (int(layers), d.layers),
            "learning_rate": (float(rate), d.learning_rate),
        }
        # Only what was changed: the command's own defaults hold for the rest (the shipped
        # style's settings for the piano, the fine-tuning learning rate).
        options: dict[str, object] = {k: v for k, (v, shown) in values.items() if v != shown}
        if kind == STYLE_KIND and start_from != SCRATCH:
            options["from"] = str(bases[start_from])
        try:
            folder = start_run(runs_root(), kind, corpus_path(corpus), options)
        except LofiError as exc:
            st.error(str(exc))
        else:
            st.session_state.run = folder.name
            st.toast(f"Started {folder.name}")


def status_badge(info: RunInfo) -> str:
    return {
        "running": "🟢 running",
        "done": "✅ done",
        "stopped": "⏹️ stopped",
        "failed": "❌ failed",
    }[info.status]


runs = list_runs(runs_root())
if not runs:
    st.info("No runs yet. Start one above; it keeps going if you close the page.")
    st.stop()

names = [r.name for r in runs]
chosen = st.session_state.get("run")
selected = st.selectbox("Run", names, index=names.index(chosen) if chosen in names else 0)
st.session_state.run = selected
folder = runs_root() / selected


@st.fragment(run_every=2)
def live() -> None:
    """Redraws the runs table and the chosen run from disk every two seconds."""
    runs = list_runs(runs_root())
    st.dataframe(
        [
            {
                "run": r.name,
                "model": r.kind,
                "corpus": r.corpus,
                "status": status_badge(r),
                # A style's parts train one after another, each its own epochs.
                "epochs": f"{r.part + ' ' if r.part else ''}{r.epochs_done}/{r.epochs}",
                # The validation loss, in words: lower predicts unseen music better.
                "surprise on unseen music (lower is better)": (
                    None if r.best_val_loss is None else round(r.best_val_loss, 3)
                ),
            }
            for r in runs
        ],
        width="stretch",
        hide_index=True,
    )
    try:
        info = run_info(folder)
    except LofiError as exc:
        st.error(str(exc))
        return
    if info.kind == STYLE_KIND:
        style_curves(info)
    else:
        model_curves(info)
    if info.status == "failed":
        st.error(f"This run failed: {failure_reason(folder)}")
    buttons(info)


def style_curves(info: RunInfo) -> None:
    """One progress bar and loss curve per part of a style run."""
    parts = part_progress(info.folder)
    if not parts and info.status == "running":
        st.progress(0.0, text="🟢 reading the corpus and preparing batches…")
    for part, records in parts.items():
        st.markdown(f"**{part}**")
        progress_and_curve(records, info, key=part)


def model_curves(info: RunInfo) -> None:
    records = run_progress(info.folder)
    if not progress_and_curve(records, info) and info.status == "running":
        st.progress(0.0, text="🟢 reading the corpus and preparing batches…")


def progress_and_curve(records: list[dict[str, Any]], info: RunInfo, key: str = "") -> bool:
    """The bar and loss curve of one model's progress; False when it has no step yet."""
    start = next((r for r in records if r.get("event") == "start"), None)
    steps = [r for r in records if r.get("event") in ("step", "epoch")]
    if start and steps:
        total = max(int(start["epochs"]) * int(start["steps_per_epoch"]), 1)
        last = steps[-1]
        # Where it got to: a stopped run shows the step it stopped at, not 100 %.
        ended = any(r.get("event") == "done" for r in records)
        fraction = 1.0 if info.status == "done" or ended else min(last["step"] / total, 1.0)
        running = info.status == "running" and not ended
        eta = f" · about {last['eta']:.0f} s left" if running else ""
        badge = "✅ done" if ended else status_badge(info)
        st.progress(
            fraction,
            text=f"{badge} · epoch {last['epoch']} · step {last['step']} of {total}{eta}",
        )
        st.plotly_chart(loss_curves(records), width="stretch", key=f"curve_{key}")
        return True
    return False


def use_stopped_style(info: RunInfo) -> None:
    """The parts a stopped style run finished, and its best so far, as the studio's style."""
    try:
        usable = usable_style(info.folder)
    except LofiError as exc:
        st.error(str(exc))
        return
    if usable is None:
        st.warning("No part has a checkpoint yet: resume the run first.")
        return
    st.session_state.style = f"runs/{info.name} (stopped)"
    st.toast("The studio's Style box now picks its parts so far (the rest: the shipped style).")


def buttons(info: RunInfo) -> None:
    c1, c2, c3 = st.columns(3)
    if info.status == "running" and c1.button("⏹️ Stop", key=f"stop_{info.name}"):
        stop_run(info.folder)
        st.toast("Stopping after this batch; the best checkpoint is kept.")
        time.sleep(0.5)
    if info.resumable and c1.button("▶️ Resume", key=f"resume_{info.name}"):
        try:
            resume_run(info.folder)
            st.toast("Resuming: finished parts are kept, the stopped one goes on.")
        except LofiError as exc:
            st.error(str(exc))
    if info.kind == STYLE_KIND:
        if info.has_checkpoint and c2.button("🎛️ Use in studio", key=f"use_{info.name}"):
            st.session_state.style = f"runs/{info.name}"
            st.toast("The studio's Style box now picks this style.")
        elif info.resumable and c2.button("🎛️ Use in studio", key=f"use_{info.name}"):
            use_stopped_style(info)
        return
    if info.has_checkpoint and c2.button("🎛️ Use in studio", key=f"use_{info.name}"):
        try:
            kind = use_in_studio(user_data_dir(), info.folder)
            st.toast(f"The studio now uses this {kind} model.")
            st.rerun(scope="app")  # the sidebar names the new model at once
        except LofiError as exc:
            st.error(str(exc))
    if c3.button("↩️ Shipped models in studio", key="reset_models"):
        reset_studio_models(user_data_dir())
        st.toast("The studio uses the shipped models again.")
        st.rerun(scope="app")


live()
