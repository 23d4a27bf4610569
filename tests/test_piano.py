"""The piano stream: real lofi-pack files round-trip through it, and a tiny model samples it."""

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lofi.compose.pianist import IntervalPianoSampler, PianoSampler, piano_sampler
from lofi.compose.piano_loops import block_spans, piano_blocks, split_bars
from lofi.core.types import Key, Note, SamplingConfig
from lofi.data.corpus import load_corpus
from lofi.encoding.piano import (
    BAR,
    PIANO_DURATIONS,
    PIANO_VELOCITIES,
    TICKS_PER_BEAT,
    contexts,
    decode_tokens,
    encode_piano,
    looped,
    note_tokens,
    piano_vocabulary,
    piece_tokens,
)
from lofi.encoding.piano_intervals import (
    LEGATO_SLACK,
    TEXTURES,
    decode_interval_tokens,
    encode_interval_piano,
    interval_note_tokens,
    interval_piece_tokens,
    interval_vocabulary,
)
from lofi.encoding.tokens import key_shift
from lofi.encoding.vocab import Vocabulary

PACK = Path(__file__).resolve().parents[1] / "corpora" / "lofi"


@pytest.fixture(scope="module")
def pack_pieces():
    corpus = load_corpus(PACK)
    assert len(corpus.pieces) >= 90
    return corpus.pieces[::9]  # eleven real files, short loops and long pieces


def _quantised(piece):
    """What the stream keeps of a piece: grid onsets, nearest length and loudness bins."""
    start = min(n.onset for n in piece.notes)
    origin = start - start % 4
    out: dict[tuple[int, float], tuple[float, int]] = {}
    for n in piece.notes:
        onset = round((n.onset - origin) * TICKS_PER_BEAT) / TICKS_PER_BEAT
        d = PIANO_DURATIONS[int(np.argmin([abs(n.duration - b) for b in PIANO_DURATIONS]))]
        v = PIANO_VELOCITIES[int(np.argmin([abs(n.velocity - b) for b in PIANO_VELOCITIES]))]
        key = (n.pitch, round(onset, 4))
        if key not in out or d > out[key][0]:
            out[key] = (d, v)
    return out


def test_real_pack_files_round_trip(pack_pieces):
    for piece in pack_pieces:
        tokens = piece_tokens(piece)
        notes = decode_tokens(tokens, piece.key)
        got = {(n.pitch, round(n.onset, 4)): (n.duration, n.velocity) for n in notes}
        want = _quantised(piece)
        # Pitches outside C1–G7 are folded by octaves: every other note comes back exactly.
        inside = {k: v for k, v in want.items() if 24 <= k[0] + key_shift(piece.key) <= 103}
        assert len(inside) >= 0.95 * len(want)
        for k, v in inside.items():
            assert got.get(k) == v, (piece.name, k)
        assert len(got) == len(want), piece.name
        # The stream closes on the piece's last bar: it knows how long the loop is.
        assert tokens[-1] == BAR
        assert 4 * tokens.count(BAR) >= max(n.end for n in notes) - 1e-6


def test_stream_is_key_relative_and_grammatical(pack_pieces):
    piece = pack_pieces[0]
    moved = tuple(Note(n.pitch + 3, n.onset, n.duration, n.velocity) for n in piece.notes)
    up = replace(piece, notes=moved, key=Key((piece.key.tonic + 3) % 12, piece.key.mode))
    octave = key_shift(up.key) + 3 - key_shift(piece.key)  # 0, or ±12 across the tritone
    assert octave in (0, 12, -12)
    same = [f"n{int(t[1:]) + octave}" if t[0] == "n" else t for t in piece_tokens(piece)]
    assert piece_tokens(up) == same
    vocab = piano_vocabulary()
    for piece in pack_pieces:
        tokens = piece_tokens(piece)
        for a, b in itertools.pairwise(tokens):
            kind = {"p": "n", "n": "d", "d": "v"}.get(a[0])
            if kind:
                assert b[0] == kind, (a, b)
        seq = encode_piano(piece, vocab)
        assert len(seq) == len(looped(tokens))
        assert seq.inputs["token"][0] == 0  # BOS
        np.testing.assert_array_equal(seq.inputs["token"][1:], seq.targets["token"][:-1])


def test_short_loops_are_played_again_to_eight_bars():
    two_bars = [*note_tokens([Note(60, 0.0, 8.0, 70)], 0), BAR, BAR]
    assert two_bars.count(BAR) == 2
    eight = looped(two_bars)
    assert eight.count(BAR) == 8 and eight[: len(two_bars)] == two_bars
    # A longer piece keeps its first eight bars: every piece weighs the same in training.
    twelve = [*note_tokens([Note(60 + b, 4.0 * b, 4.0, 70) for b in range(12)], 0), BAR]
    assert twelve.count(BAR) == 12
    first = looped(twelve)
    assert first.count(BAR) == 8 and first == twelve[: len(first)] and first[-1] == BAR
    context = contexts(eight)
    assert context["bar"][: len(two_bars) + 1] == [0, 0, 0, 0, 0, 1, 2]
    assert context["position"][0] == 0


def test_held_chords_and_rests_are_first_class():
    chord = [Note(p, 0.0, 4.0, 64) for p in (57, 60, 64, 67)]  # Am7 held a bar
    tune = [Note(76, 4.5, 0.5, 80), Note(74, 6.0, 2.0, 70)]  # a rest, then two notes
    tokens = note_tokens(chord + tune, 0)
    assert tokens[:4] == ["p0", "n57", "d4", "v62"]  # the lowest voice first
    assert tokens.count("p0") == 1 and tokens.count(BAR) == 1  # one onset, then the next bar
    assert "p6" in tokens and "p24" in tokens  # half a beat in, then beat 3
    # Each token hears the position the stream has reached.
    positions = contexts(tokens)["position"]
    assert positions[tokens.index("p6") + 1] == 6 and positions[tokens.index("p24") + 1] == 24
    back = decode_tokens(tokens)
    assert [(n.pitch, n.onset, n.duration) for n in back[-2:]] == [(76, 4.5, 0.5), (74, 6.0, 2.0)]


def test_vocabulary_saves_and_loads(tmp_path):
    for vocab in (piano_vocabulary(), interval_vocabulary()):
        vocab.save(tmp_path / "vocab.json")
        assert Vocabulary.load(tmp_path / "vocab.json", "piano") == vocab


def test_real_pack_files_round_trip_voice_led(pack_pieces):
    """The voice-led stream keeps what the first one keeps, but octave folds and legato.

    A note that ends within LEGATO_SLACK of the next onset rings exactly until it.
    """
    vocab = interval_vocabulary()
    for piece in pack_pieces:
        want = sorted(decode_tokens(piece_tokens(piece)), key=lambda n: (n.onset, n.pitch))
        tokens = interval_piece_tokens(piece)
        assert all(t in vocab.inputs["token"] for t in tokens)
        got = sorted(decode_interval_tokens(tokens), key=lambda n: (n.onset, n.pitch))
        assert len(got) == len(want)
        assert [(n.onset, n.velocity) for n in got] == [(n.onset, n.velocity) for n in want]
        assert all(a.pitch % 12 == b.pitch % 12 for a, b in zip(got, want, strict=True))
        slack = LEGATO_SLACK / TICKS_PER_BEAT + 1e-6
        assert all(abs(a.duration - b.duration) <= slack for a, b in zip(got, want, strict=True))


def test_voice_led_tokens_read_the_top_line_and_the_voicing_under_it():
    chord = [Note(p, 0.0, 4.0, 64) for p in (57, 60, 64, 67)]  # Am7 held a bar
    tune = [Note(76, 1.5, 0.5, 80), Note(74, 3.0, 1.0, 70), Note(72, 16.0, 1.0, 70)]
    tokens = interval_note_tokens(chord + tune, 0)
    # The top note first, the voicing hung under it, one length and loudness for the run.
    assert tokens[:7] == ["p0", "n67", "i3", "i4", "i3", "d4", "v62"]
    # Later runs step from the stream's touch (v62): 78 is two steps up, 70 one.
    assert tokens[7:15] == ["p18", "t+9", "d0.5", "v+2", "p36", "t-2", "d1", "v+1"]
    assert tokens[15:] == [BAR, BAR, BAR, BAR, "p0", "n72", "d1", "v+1"]  # a bar names its top
    back = decode_interval_tokens(tokens)
    assert [(n.onset, n.pitch) for n in back] == sorted((n.onset, n.pitch) for n in chord + tune)
    assert [n.velocity for n in back if n.onset > 0] == [78, 70, 70]
    # A chord held into the next one says so (`d~`) and rings exactly until it.
    legato = [Note(60, 0.0, 1.9, 64), Note(64, 0.0, 1.9, 64), Note(62, 2.0, 1.0, 64)]
    tokens = interval_note_tokens(legato, 0)
    assert tokens[:5] == ["p0", "n64", "i4", "d~", "v62"]
    held = decode_interval_tokens(tokens)
    assert [(n.pitch, n.duration) for n in held] == [(60, 2.0), (64, 2.0), (62, 1.0)]


@pytest.fixture(scope="module")
def tiny_piano(pack_pieces):
    from lofi.data.corpus import Corpus
    from lofi.learn.export import to_step_model
    from lofi.learn.models import ModelSize, build_model
    from lofi.learn.train import TrainConfig, make_dataset, prepare

    corpus = Corpus("pack", tuple(pack_pieces), (), "x")
    config = TrainConfig(kind="piano", seq_len=16, batch_size=8, size=ModelSize(16, 1, 8, 0.0))
    vocab, train, _ = prepare(corpus, config)
    model = build_model(vocab, config.size, seed=0)
    from lofi.learn.models import compile_model

    compile_model(model, vocab, 1e-2)
    model.fit(
        make_dataset(train, 8, True, 0), epochs=1, steps_per_epoch=3, verbose=0, shuffle=False
    )
    return model, vocab, to_step_model(model, vocab)


def test_step_model_matches_keras(tiny_piano, pack_pieces):
    model, vocab, step = tiny_piano
    seq = encode_interval_piano(pack_pieces[1], vocab)
    n = 12
    batch = {k: v[None, :n] for k, v in seq.inputs.items()}
    want = model(batch)["token_out"].numpy()[0]
    state = step.initial_state()
    for i in range(n):
        got = step.step({k: int(v[i]) for k, v in seq.inputs.items()}, state)["token"]
        np.testing.assert_allclose(got, want[i], atol=1e-4)


def test_sampler_draws_whole_bars_of_notes(tiny_piano):
    _, vocab, step = tiny_piano
    assert vocab == interval_vocabulary()
    sampler = piano_sampler(step, "minor", np.random.default_rng(3), SamplingConfig())
    assert isinstance(sampler, IntervalPianoSampler)
    tokens = sampler.bars(2)
    assert tokens.count(BAR) == 2 and tokens[-1] == BAR
    fresh = True
    for a, b in itertools.pairwise(["bar", *tokens]):
        if a == BAR:
            fresh = True
        if a[0] == "p":  # a bar's first onset names its top note, later ones move from it
            assert b[0] == ("n" if fresh else "t")
            fresh = False
        elif a[0] in "nti":
            assert b[0] in "id"
        elif a[0] == "d":
            assert b[0] == "v"
    notes = sampler.decode(tokens)
    assert notes and all(0 <= n.onset < 8 and 24 <= n.pitch <= 103 for n in notes)
    onsets = [(n.onset, n.pitch) for n in notes]
    assert onsets == sorted(onsets) and len(set(onsets)) == len(onsets)


def test_a_song_keeps_one_texture_held_chords_unless_asked(tiny_piano):
    """Version 3 plays held chords by default, else draws a texture once and keeps it."""
    _, vocab, step = tiny_piano
    sampler = piano_sampler(step, "major", np.random.default_rng(2), SamplingConfig())
    assert isinstance(sampler, IntervalPianoSampler)
    assert sampler.texture == "x0" and sampler.texture_input == vocab.index("texture", "x0")
    drawn = set()
    for seed in range(12):
        free = SamplingConfig(held_chords=False)
        sampler = piano_sampler(step, "minor", np.random.default_rng(seed), free)
        assert isinstance(sampler, IntervalPianoSampler)
        texture = sampler.texture
        assert texture in TEXTURES
        drawn.add(texture)
        blocks = [("A", 0.0, 16.0), ("B", 16.0, 32.0), ("A=", 32.0, 48.0)]
        piano_blocks(sampler, blocks, 4)
        assert sampler.texture == texture  # every loop of the song played it again
        assert sampler.texture_input == vocab.index("texture", texture)
    assert len(drawn) > 1  # drawn at the model's odds, not always the same


def test_the_first_piano_stream_still_plays():
    """Styles trained before the voice-led stream keep their sampler and their notes."""
    from lofi.models.loading import load_part

    folder = Path(__file__).resolve().parents[1] / "checkpoints" / "lofi_v1" / "piano"
    step = load_part(folder, "piano").model
    assert step.vocab == piano_vocabulary()
    sampler = piano_sampler(step, "major", np.random.default_rng(1), SamplingConfig())
    assert type(sampler) is PianoSampler
    tokens = sampler.bars(1)
    assert tokens[-1] == BAR and sampler.decode(tokens) == decode_tokens(tokens)


def test_the_voice_led_stream_without_texture_still_plays():
    """The default's second release (stream version 2) draws no texture and plays on."""
    from lofi.models.loading import load_part

    folder = Path(__file__).resolve().parents[1] / "checkpoints" / "lofi_v2" / "piano"
    step = load_part(folder, "piano").model
    assert step.vocab == interval_vocabulary(textures=False)
    sampler = piano_sampler(step, "major", np.random.default_rng(1), SamplingConfig())
    assert isinstance(sampler, IntervalPianoSampler) and sampler.texture is None
    tokens = sampler.bars(1)
    assert tokens[0][0] == "p" and tokens[-1] == BAR and sampler.decode(tokens)


@pytest.mark.parametrize("stream", ["tiny", "lofi", "lofi_v2", "lofi_v1"])
def test_the_grammar_kept_per_state_is_the_grammar_made_afresh(tiny_piano, stream):
    """A sampler keeps each mask it made; every token's is the one the grammar makes then."""
    from lofi.models.loading import load_part

    folder = Path(__file__).resolve().parents[1] / "checkpoints" / stream / "piano"
    step = tiny_piano[2] if stream == "tiny" else load_part(folder, "piano").model
    sampler = piano_sampler(step, "minor", np.random.default_rng(4), SamplingConfig())
    kept, checked = sampler._mask, []

    def mask() -> np.ndarray:
        got = kept()
        assert np.array_equal(got, sampler._grammar())
        checked.append(got)
        return got

    sampler._mask = mask  # type: ignore[method-assign]
    sampler.bars(4)
    sampler.restart()
    sampler.bars(2)
    assert len(checked) > 40 and len(sampler._masks) < len(checked)


def test_loops_repeat_note_for_note_or_with_a_new_second_half(tiny_piano):
    _, _, step = tiny_piano
    sampler = piano_sampler(step, "major", np.random.default_rng(5), SamplingConfig())
    spans = block_spans(12, 4)
    assert spans == [(0.0, 16.0), (16.0, 32.0), (32.0, 48.0)]
    blocks = [("A", *spans[0]), ("A=", *spans[1]), ("A~", *spans[2])]
    notes = piano_blocks(sampler, blocks, 4)

    def block(start: float) -> list[tuple[int, float, float]]:
        return [
            (n.pitch, round(n.onset - start, 4), round(n.duration, 4))
            for n in notes
            if start <= n.onset < start + 16
        ]

    first, again, varied = block(0.0), block(16.0), block(32.0)
    assert again == first
    # The kept half's notes strike again (a chord held into the new half rings until it).
    assert [x[:2] for x in varied if x[1] < 8] == [x[:2] for x in first if x[1] < 8]
    assert all(n.onset + n.duration <= 48 + 1e-6 for n in notes)
    assert len(split_bars(["p0", "n60", "d1", "v62", BAR, BAR])) == 2


def test_a_piano_song_loops_along_the_form_with_a_bass_under_it(tiny_piano):
    from lofi.compose.arrangement import ARRANGEMENT
    from lofi.compose.piano_song import block_tokens, compose_piano, piano_song
    from lofi.core.types import GenerationConfig

    _, _, step = tiny_piano
    config = GenerationConfig(seed=4, key=Key.parse("F-minor"), bars=16)
    rngs = {k: np.random.default_rng(i) for i, k in enumerate(("piano", "bass", "learned_bass"))}
    tune, chords, bass, harmony, plan = compose_piano(config, step, None, None, ARRANGEMENT, rngs)
    tokens = block_tokens(plan, 16)
    assert len(tokens) == 4 and tokens[0] == plan.letters[0]
    assert all(t[0] in plan.letters for t in tokens)
    song = piano_song(config, tune, chords, bass, [], harmony, plan)
    assert [p.name for p in song.parts] == ["chords", "melody", "bass", "drums"]
    notes = tune + chords
    assert notes and all(n.onset >= 0 and n.end <= 64 + 1e-6 for n in notes)
    # The tune is the top line: nothing in the chords starts above it at its onset.
    top = {n.onset: n.pitch for n in tune}
    assert all(n.pitch < top[n.onset] for n in chords if n.onset in top)
    # The bass plays under the chords it hears in the piano, after the intro.
    intro = plan.sections[0].bars * 4
    assert bass and all(n.onset >= intro * ARRANGEMENT.bass_entry for n in bass)
    assert len(harmony) == 64
    # Repeats of a loop (`=`) are note for note in the song's key.
    for i, token in enumerate(tokens):
        if token.endswith("="):
            first = tokens.index(token[0])
            here = sorted(
                (n.pitch, round(n.onset - 16 * i, 4)) for n in notes if n.onset // 16 == i
            )
            there = sorted(
                (n.pitch, round(n.onset - 16 * first, 4)) for n in notes if n.onset // 16 == first
            )
            assert here == there


def test_one_part_trains_on_the_training_part_when_told(tmp_path):
    """`train piano --held-out` keeps evaluate's held-out pieces unseen, as a style does."""
    from lofi.cli import main
    from lofi.data.split import split_pieces
    from lofi.models.checkpoint import read_checkpoint

    corpus = load_corpus(PACK)
    args = ["train", "piano", "--corpus", str(PACK), "--epochs", "1", "--max-steps", "2"]
    args += ["--seq-len", "16", "--batch-size", "8", "--units", "8", "--embedding", "4"]
    assert main([*args, "--held-out", "0.2", "--out", str(tmp_path / "seen")]) == 0
    assert main([*args, "--out", str(tmp_path / "all")]) == 0
    seen = read_checkpoint(tmp_path / "seen", "piano").meta["pieces"]
    assert seen == len(split_pieces(corpus, 0.2)[0]) < len(corpus.pieces)
    assert read_checkpoint(tmp_path / "all", "piano").meta["pieces"] == len(corpus.pieces)
