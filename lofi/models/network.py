"""The network's named heads and inputs: what training builds and the sampler reads.

Framework-free, so the numpy sampler and the Keras definition (lofi.learn.models) agree.
"""

from __future__ import annotations

from lofi.encoding.vocab import Vocabulary

# Heads whose logits also get a learned table of one context input: per input token, a bias
# on every output token. Through the LSTM alone the melody model gave chord tones 0.60 of its
# mass on strong beats where the corpus has 0.94: a direct chord × pitch table learns that at
# once. The melody reads the chord class, the bass the chord's root. The comping's voicing and
# octave read the melody's pitch above the root (the ceiling): generated without it, 32 % of
# the comping's notes sounded above the tune, where the corpus has 4 %.
# The voice-led piano's token reads the note it is measured from (lofi.encoding.piano_intervals).
CHORD_BIASED = {
    "pitch": ("chord", "root"),
    "voicing": ("ceiling",),
    "octave": ("ceiling",),
    "token": ("ref",),
}
# Heads whose chord bias is scaled per bar position by a learned factor (1 at the start): a
# chord tone matters more on a strong beat. With the table alone the melody model gave chord
# tones 0.65 of its mass on strong beats (teacher-forced, held-out pieces: 0.88); with the
# factor 0.72, and its songs' chord-tone ratio went 0.72 → 0.82. Models trained before it
# have none and play as they did (factor 1).
POSITION_SCALED = ("pitch",)
POSITION = "position"


def chord_biased(vocab: Vocabulary) -> dict[str, str]:
    """The heads of `vocab` with a chord bias, and the input each reads."""
    return {
        head: next(c for c in conds if c in vocab.inputs)
        for head, conds in CHORD_BIASED.items()
        if head in vocab.outputs and any(c in vocab.inputs for c in conds)
    }


def position_scaled(vocab: Vocabulary) -> tuple[str, ...]:
    """The chord-biased heads of `vocab` whose bias has a per-position factor."""
    return tuple(
        h for h in chord_biased(vocab) if h in POSITION_SCALED and POSITION in vocab.inputs
    )
