"""Dataset: a bundled corpus or your own files, their statistics, and any piece played."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import corpora_root, corpus_choices, corpus_path, plural
from lofi.core.errors import LofiError
from lofi.service.corpora import (
    Corpus,
    CorpusStats,
    chord_counts,
    corpus_stats,
    piece_preview,
    piece_source,
    read_corpus,
)
from lofi.service.figures import (
    bars,
    chord_frequencies,
    corpus_roll,
    duration_histogram,
    pitch_histogram,
    velocity_histogram,
)
from lofi.service.uploads import save_corpus_files

PREVIEW_S = 60  # seconds of a corpus piece "Play it" renders


@st.cache_data(show_spinner=False, max_entries=8)
def summary(path: str, content_key: str) -> tuple[Corpus, CorpusStats, dict[str, int]]:
    """The parsed corpus (disk-cached per file) with its statistics, cached per content."""
    corpus = read_corpus(path)
    return corpus, corpus_stats(corpus), chord_counts(corpus)


def open_corpus(path: str) -> tuple[Corpus, CorpusStats, dict[str, int]]:
    bar = st.progress(0.0, text="Reading the corpus (the first time parses every file)…")
    corpus = read_corpus(
        path,
        progress=lambda d, t: bar.progress(
            d / max(t, 1), text=f"Parsed {d} of {plural(t, 'file')}"
        ),
    )
    bar.empty()
    return summary(path, corpus.content_hash + str(len(corpus.bad)))


def upload_key() -> str:
    return f"corpus_upload_{st.session_state.get('corpus_uploads', 0)}"


def keep_corpus() -> None:
    """Button callback: saves the files, selects the new corpus and empties the uploader."""
    files = st.session_state.get(upload_key()) or []
    notes: list[tuple[str, str]] = []
    try:
        saved = save_corpus_files(
            [(f.name, f.getvalue()) for f in files], st.session_state.corpus_name, corpora_root()
        )
        st.session_state.corpus = st.session_state.corpus_choice = saved.folder.name
        notes.append(
            ("ok", f"Saved {plural(len(saved.kept), 'file')} as corpus {saved.folder.name}")
        )
        notes += [("warn", f"Left out {reason}") for reason in saved.skipped]
        # A new uploader: the next corpus starts from no files.
        st.session_state.corpus_uploads = st.session_state.get("corpus_uploads", 0) + 1
    except LofiError as exc:
        notes.append(("error", str(exc)))
    st.session_state.corpus_notes = notes


@st.cache_data(show_spinner="Rendering the first minute…", max_entries=16)
def preview(path: str, mtime: float) -> bytes:
    """The first PREVIEW_S seconds of a MIDI file as MP3, kept in memory (nothing on disk)."""
    return piece_preview(Path(path), PREVIEW_S)


st.title("🎼 Dataset")
with st.expander("Add your own MIDI or MusicXML files"):
    st.text_input("Name of the new corpus", value="my-corpus", key="corpus_name")
    # No `type=`: Streamlit's check of it fails every rerun on a forged name (a NUL byte);
    # save_corpus_files refuses other kinds with a message instead.
    files = st.file_uploader(
        "Drop .mid, .midi, .mxl, .xml files or a .zip of them",
        accept_multiple_files=True,
        key=upload_key(),
        max_upload_size=int(st.get_option("server.maxUploadSize")),
    )
    st.button("Keep these files as a corpus", disabled=not files, on_click=keep_corpus)
    # Shown once: the next rerun clears them.
    for level, text in st.session_state.pop("corpus_notes", []):
        {"ok": st.success, "warn": st.warning}.get(level, st.error)(text)

choices = corpus_choices()
current = st.session_state.get("corpus")
choice = st.selectbox(
    "Corpus",
    choices,
    index=choices.index(current) if current in choices else None,
    placeholder="Choose a corpus (the first look at a large one parses it: minutes)",
    key="corpus_choice",
    # Set before the rerun draws the sidebar, so it names the corpus at once.
    on_change=lambda: st.session_state.update(corpus=st.session_state.corpus_choice),
)
if choice is None:
    st.info(
        "Bundled: simutrans (53 game tunes), openmsx (31), blupi (10, jazzy), bach "
        "(music21's chorales), default (the three game sets). Or add your own above."
    )
    st.stop()
st.session_state.corpus = choice
try:
    corpus, stats, chords = open_corpus(corpus_path(choice))
except LofiError as exc:
    st.error(f"{exc}")
    st.stop()

c = st.columns(5)
c[0].metric("Files", stats.files)
c[1].metric("Bad files", stats.bad_files)
c[2].metric("Minutes", f"{stats.total_minutes:.0f}")
c[3].metric("Notes", f"{stats.total_notes:,}")
c[4].metric("Keys", len(stats.keys))
if corpus.bad:
    with st.expander(f"{plural(len(corpus.bad), 'file')} could not be used"):
        st.dataframe(
            [{"file": b.path.name, "reason": b.reason} for b in corpus.bad],
            width="stretch",
            hide_index=True,
        )
if not corpus.pieces:
    st.warning("No usable pieces in this corpus.")
    st.stop()

left, right = st.columns(2)
left.plotly_chart(bars(list(stats.keys), list(stats.keys.values()), "Keys", "key"), width="stretch")
right.plotly_chart(
    bars(
        [f"{t:g}" for t in sorted(set(stats.tempos))],
        [stats.tempos.count(t) for t in sorted(set(stats.tempos))],
        "Tempos",
        "BPM",
    ),
    width="stretch",
)
left.plotly_chart(pitch_histogram(stats.pitch_histogram), width="stretch")
right.plotly_chart(duration_histogram(stats.duration_histogram), width="stretch")
left.plotly_chart(velocity_histogram(stats.velocity_histogram), width="stretch")
right.plotly_chart(chord_frequencies(chords), width="stretch")

st.subheader("A piece")
names = [p.name for p in corpus.pieces]
piece = corpus.pieces[names.index(st.selectbox("Piece", names))]
st.caption(f"{piece.key.name} · {piece.tempo_bpm:g} BPM · {plural(len(piece.notes), 'note')}")
st.plotly_chart(
    corpus_roll(
        piece.notes,
        piece.melody,
        piece.tempo_bpm,
        "Piano roll (the top line, orange, is what the melody model learns)",
    ),
    width="stretch",
)
if st.button("▶️ Play it", help=f"The first {PREVIEW_S} s, with the General MIDI SoundFont"):
    st.session_state.playing_piece = piece.name
if st.session_state.get("playing_piece") == piece.name:  # stays while the page reruns
    try:
        source = piece_source(corpus, piece.name)
        st.audio(preview(str(source), source.stat().st_mtime), format="audio/mpeg")
        st.caption(f"The first {PREVIEW_S} s, rendered in memory: nothing is written to disk.")
    except LofiError as exc:
        st.error(f"Cannot play this piece: {exc}")
