"""The piano stream version 3: its texture and register inputs, learned and kept by a song."""

from lofi.core.types import Key, Note, Piece
from lofi.encoding.piano import BAR, PIANO_PITCH_MIN, contexts, looped
from lofi.encoding.piano_intervals import (
    REFERENCE,
    STREAM_BARS,
    TEXTURES,
    UNKNOWN_TEXTURE,
    IntervalCursor,
    encode_interval_piano,
    interval_note_tokens,
    interval_piece_tokens,
    interval_vocabulary,
    texture_of,
)
from lofi.encoding.vocab import Vocabulary, older_streams


def _bars(notes: list[Note], bars: int = 4) -> list[str]:
    tokens = interval_note_tokens(notes, 0)
    return tokens + [BAR] * (bars - tokens.count(BAR))


def _chords(length: float) -> list[Note]:
    """A chord on every bar of four, each `length` beats long."""
    return [Note(p, bar * 4.0, length, 70) for bar in range(4) for p in (57, 60, 64, 67)]


def test_texture_is_the_share_of_the_stream_with_nothing_sounding() -> None:
    assert texture_of(_bars(_chords(4.0))) == "x0"  # held a whole bar: never silent
    assert texture_of(_bars(_chords(3.0))) == "x1"  # a beat's rest a bar: 25 % silent
    assert texture_of(_bars(_chords(1.0))) == "x2"  # a stab a bar: 75 % silent
    # A chord held into the next onset (legato) counts as sounding until it.
    legato = [Note(p, bar * 4.0, 3.95, 70) for bar in range(4) for p in (60, 64)]
    assert texture_of(_bars(legato)) == "x0"


def _piece(notes: list[Note]) -> Piece:
    return Piece("loop", "0" * 64, Key(0, "major"), 80.0, tuple(notes), (), (), 16.0)


def test_the_stream_names_its_texture_first_and_the_model_hears_it_after() -> None:
    vocab = interval_vocabulary()
    for length, texture in ((4.0, "x0"), (1.0, "x2")):
        piece = _piece(_chords(length))
        sequence = encode_interval_piano(piece, vocab)
        tokens = vocab.inputs["token"]
        assert tokens[sequence.targets["token"][0]] == texture  # learned as the first token
        named = [vocab.inputs["texture"][i] for i in sequence.inputs["texture"]]
        assert named[0] == UNKNOWN_TEXTURE and set(named[1:]) == {texture}
        # The rest is the version-2 stream, unchanged.
        rest = [tokens[i] for i in sequence.targets["token"][1:]]
        assert rest == looped(interval_piece_tokens(piece), STREAM_BARS)


def test_version_two_models_keep_their_vocabulary(tmp_path) -> None:
    old = interval_vocabulary(textures=False)
    assert "texture" not in old.inputs and not set(TEXTURES) & set(old.inputs["token"])
    assert old in older_streams("piano")
    old.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json", "piano") == old
    sequence = encode_interval_piano(_piece(_chords(4.0)), old)
    assert set(sequence.inputs) == set(old.inputs)  # no texture, no register inputs
    first = old.inputs["token"][int(sequence.targets["token"][0])]
    assert first == "p0"  # the piece's first onset: no texture named


def test_the_model_hears_the_highest_and_lowest_notes_the_stream_has_struck() -> None:
    """Version 3's register inputs: what a loop has spanned so far, so it can stay there."""
    notes = [Note(p, 0.0, 4.0, 70) for p in (48, 64, 67)] + [Note(72, 4.0, 4.0, 70)]
    tokens = interval_note_tokens(notes, 0)
    seen = contexts(tokens, IntervalCursor())
    high = [h + PIANO_PITCH_MIN for h in seen["high"]]
    low = [lo + PIANO_PITCH_MIN for lo in seen["low"]]
    assert high[0] == low[0] == REFERENCE  # nothing struck yet
    # After the first chord (67 over 64 over 48) and then 72: each step's span so far.
    after_chord = next(i for i, t in enumerate(tokens) if t[0] == "d") + 1
    assert (high[after_chord], low[after_chord]) == (67, 48)
    assert (high[-1], low[-1]) == (72, 48)
    vocab = interval_vocabulary()
    sequence = encode_interval_piano(_piece(notes), vocab)
    assert {"high", "low", "texture"} <= set(sequence.inputs) <= set(vocab.inputs)
