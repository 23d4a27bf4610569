"""Chords from per-beat pitch-class weights: an HMM decoded by Viterbi over the whole piece.

The method of note-seq's chord inference (Magenta), fitted to the lofi vocabulary: each beat's
chroma (note durations weighted by velocity, from the analysis) is an observation; each chord
symbol of the vocabulary (and N) a hidden state. A chord emits its own pitch classes far more
often than others, and its root most often as the bass; a chord holds from beat to beat unless
it changes, which it does mostly on the bar line, less on beat 3 and rarely elsewhere; a
change lands on a chord in proportion to a prior that favours chords of the key and few notes.
Neighbouring beats therefore vote: a passing tone does not change the chord, and a ninth
sounding through the bar does.

Hand-written because no library does this for our vocabulary: note-seq's inference has a fixed
set of eight chord kinds (no ninths, sus or altered chords) and music21 names one chord at a
time, slowly and without looking at its neighbours.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lofi.core.constants import BEATS_PER_BAR
from lofi.core.types import ChordSpan
from lofi.encoding.chords import NO_CHORD, SYMBOL_NAMES, VOCABULARY

# Relative major after normalisation; minor pieces also take the raised seventh (G#).
_SCALE = frozenset({0, 2, 4, 5, 7, 9, 11})
_LEADING_TONE = 8


@dataclass(frozen=True)
class HarmonyModel:
    """The HMM's parameters.

    Attributes:
        chord_tone: share of a chord's sounding weight on its own pitch classes.
        concentration: how many observations one full beat counts as (sharpness).
        fullness: beat weight at which a beat counts half (faint beats vote less).
        bass_root: chance that the lowest note is the root; bass_tone: another chord tone.
        bass_weight: how much the bass observation counts beside the chroma.
        change: chance of a chord change on each beat of the bar.
        out_of_key: prior factor per chord note outside the key.
        extension: prior factor per chord note beyond four.
        silence: log-penalty per silent beat for holding a chord rather than N.
    """

    chord_tone: float = 0.94
    concentration: float = 12.0
    fullness: float = 0.6
    bass_root: float = 0.65
    bass_tone: float = 0.27
    bass_weight: float = 1.5
    change: tuple[float, ...] = (0.45, 0.03, 0.25, 0.03)
    out_of_key: float = 0.35
    extension: float = 0.5
    silence: float = 1.5


MODEL = HarmonyModel()


@functools.lru_cache(maxsize=4)
def _tables(model: HarmonyModel, minor: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log P(pc | chord), log P(bass pc | chord), log prior) over N + the vocabulary."""
    n_states = len(VOCABULARY) + 1
    member = np.zeros((n_states, 12), bool)
    root = np.zeros((n_states, 12), bool)
    for i, sym in enumerate(VOCABULARY, start=1):
        member[i, list(sym.pitch_classes)] = True
        root[i, sym.root] = True
    size = member.sum(axis=1, keepdims=True)
    emit = np.where(
        member,
        model.chord_tone / np.maximum(size, 1),
        (1.0 - model.chord_tone) / np.maximum(12 - size, 1),
    )
    emit[0] = 1.0 / 12.0  # N: any pitch class alike
    bass = np.where(
        root,
        model.bass_root,
        np.where(
            member,
            model.bass_tone / np.maximum(size - 1, 1),
            (1 - model.bass_root - model.bass_tone) / np.maximum(12 - size, 1),
        ),
    )
    bass[0] = 1.0 / 12.0
    scale = _SCALE | {_LEADING_TONE} if minor else _SCALE
    outside = np.array([len(s.pitch_classes - scale) for s in VOCABULARY])
    extra = np.array([max(len(s.intervals) - 4, 0) for s in VOCABULARY])
    prior = np.concatenate(
        [[0.02], model.out_of_key**outside * model.extension**extra]
    )  # N is rare inside music
    prior /= prior.sum()
    return np.log(emit), np.log(bass), np.log(prior)


def pitch_class_emissions(minor: bool, model: HarmonyModel = MODEL) -> np.ndarray:
    """Log P(pitch class | chord): one row per state, N first, then the vocabulary."""
    return _tables(model, minor)[0]


def emissions(
    chroma: np.ndarray, bass: Sequence[int | None], model: HarmonyModel, minor: bool
) -> np.ndarray:
    """Log-likelihood of each beat (rows) under each state (N first, then the vocabulary)."""
    log_emit, log_bass, _ = _tables(model, minor)
    total = chroma.sum(axis=1, keepdims=True)
    share = chroma / np.where(total > 0, total, 1.0)
    strength = model.concentration * total / (total + model.fullness)
    ll: np.ndarray = strength * (share @ log_emit.T)
    has_bass = np.array([b is not None for b in bass])
    lowest = np.array([b or 0 for b in bass])
    ll[has_bass] += (model.bass_weight / model.concentration) * (
        strength[has_bass] * log_bass[:, lowest[has_bass]].T
    )
    silent = total[:, 0] <= 0
    ll[silent, 1:] -= model.silence
    return ll


def viterbi(ll: np.ndarray, log_prior: np.ndarray, change: np.ndarray) -> np.ndarray:
    """The most likely state path under stay-or-change transitions.

    Hand-written: a change lands on state j with probability ∝ prior_j whatever the state
    left, so each step needs only the best (and second best) predecessor — O(states) per beat,
    with a change chance that varies with the beat of the bar; library decoders (librosa's,
    hmmlearn's) take a fixed dense transition matrix and cost O(states²).

    Args:
        ll: (beats, states) emission log-likelihoods.
        log_prior: (states,) log prior, also the start distribution.
        change: (beats,) chance of a change into each beat (the first is ignored).
    """
    n_beats, n_states = ll.shape
    leave = np.log1p(-np.exp(log_prior))  # a change never lands on the chord it left
    log_stay, log_change = np.log1p(-change), np.log(change)
    back = np.zeros((n_beats, n_states), np.int32)
    score = log_prior + ll[0]
    states = np.arange(n_states)
    for t in range(1, n_beats):
        source = score - leave
        best = int(np.argmax(source))
        top = source[best]
        source[best] = -np.inf
        second = int(np.argmax(source))
        origin_score = np.full(n_states, top)
        origin_score[best] = source[second]
        moved = origin_score + (log_change[t] + log_prior)
        stay = score + log_stay[t]
        keep = stay >= moved
        back[t] = np.where(keep, states, best)
        back[t, best] = best if keep[best] else second
        score = np.where(keep, stay, moved) + ll[t]
    path = np.zeros(n_beats, np.int32)
    path[-1] = int(np.argmax(score))
    for t in range(n_beats - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def infer_chords(
    beats: Sequence[ChordSpan], shift: int, minor: bool = False, model: HarmonyModel = MODEL
) -> list[str]:
    """The vocabulary chord of every beat, in normalised key.

    Args:
        beats: per-beat pitch-class weights and lowest pitch class (the analysis' spans).
        shift: semitones that move the piece's relative major to C.
        minor: the piece is in minor (its raised seventh counts as in key).
        model: the HMM's parameters.
    """
    if not beats:
        return []
    chroma = np.roll(np.array([b.weights for b in beats], dtype=float), shift, axis=1)
    bass = [None if b.bass is None else (b.bass + shift) % 12 for b in beats]
    ll = emissions(chroma, bass, model, minor)
    _, _, log_prior = _tables(model, minor)
    position = np.array([round(b.onset) % BEATS_PER_BAR for b in beats])
    change = np.asarray(model.change)[position]
    return [SYMBOL_NAMES[i] for i in viterbi(ll, log_prior, change)]


def name_chord(
    weights: Sequence[float] | np.ndarray,
    bass: int | None,
    minor: bool = False,
    model: HarmonyModel = MODEL,
) -> str:
    """The single most likely chord of one beat's pitch-class weights (normalised key)."""
    ll = emissions(np.asarray([weights], dtype=float), [bass], model, minor)[0]
    if not np.any(np.asarray(weights) > 0):
        return NO_CHORD
    _, _, log_prior = _tables(model, minor)
    return SYMBOL_NAMES[int(np.argmax(ll + log_prior))]
