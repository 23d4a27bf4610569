"""A pack of piano loops is known by its files, and `train style` learns from it what the
shipped default style learned, with its settings, unless told otherwise."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from lofi.cli import _parser
from lofi.cli.train import recorded_command, resolve_options, train_config
from lofi.core.parts import style_parts
from lofi.core.settings import TRAINING
from lofi.data.corpus import Corpus, load_corpus
from lofi.data.instruments import is_piano_pack, is_piano_piece, played_programs
from lofi.learn.presets import PIANO_PRESET
from lofi.learn.train import check_config
from lofi.models.style import read_style
from tests.factories import groove_folder, make_piece, write_corpus

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "lofi"


def _two_hands(path: Path, program: int) -> None:
    """A piano piece with each hand on its own track (and channel)."""
    import pretty_midi

    piece = make_piece(bars=4)
    midi = pretty_midi.PrettyMIDI(initial_tempo=90.0)
    for name, keep in (("right", lambda p: p >= 60), ("left", lambda p: p < 60)):
        hand = pretty_midi.Instrument(program=program, name=name)
        for n in piece.notes:
            if keep(n.pitch):
                hand.notes.append(pretty_midi.Note(n.velocity, n.pitch, n.onset, n.end))
        midi.instruments.append(hand)
    midi.write(str(path))


def _band(path: Path) -> None:
    """Piano with a bass guitar under it: two instruments, no drums."""
    import pretty_midi

    piece = make_piece(bars=4)
    midi = pretty_midi.PrettyMIDI(initial_tempo=90.0)
    keys, bass = pretty_midi.Instrument(program=0), pretty_midi.Instrument(program=33)
    for n in piece.notes:
        keys.notes.append(pretty_midi.Note(n.velocity, n.pitch, n.onset, n.end))
        if n.onset % 4 == 0 and n.pitch < 60:
            bass.notes.append(pretty_midi.Note(n.velocity, n.pitch - 12, n.onset, n.end))
    midi.instruments += [keys, bass]
    midi.write(str(path))


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    root = tmp_path_factory.mktemp("packs")
    piano = write_corpus(root / "keys", "block", 2, seed=3)  # one track, no program change
    _two_hands(piano / "hands.mid", program=4)  # an electric piano, hands apart
    band = root / "band"
    band.mkdir()
    _band(band / "band.mid")
    _band(band / "band2.mid")
    return {
        "piano": load_corpus(piano),
        "band": load_corpus(band),
        "drums": load_corpus(groove_folder(root / "grooves", 2)),  # piano over drums
    }


def test_a_piano_pack_is_told_from_a_band_and_a_drum_corpus(corpora) -> None:
    piano, band, drums = corpora["piano"], corpora["band"], corpora["drums"]
    assert len(piano.pieces) == 3 and all(is_piano_piece(s) for s in piano.sources)
    assert played_programs(band.sources[0]) == (frozenset({0, 33}), False)
    assert played_programs(drums.sources[0]) == (frozenset({4}), True)
    assert is_piano_pack(piano)
    assert not is_piano_pack(band) and not is_piano_pack(drums)
    # Nearly every piece: one stray file in ten leaves a pack a pack, two do not.
    keys, other = piano.sources[0], drums.sources[0]
    for strays, pack in ((1, True), (2, False)):
        sources = (keys,) * (10 - strays) + (other,) * strays
        mixed = replace(piano, pieces=(piano.pieces[0],) * 10, sources=sources)
        assert is_piano_pack(mixed) is pack
    assert not is_piano_pack(replace(piano, sources=()))  # files unknown: not known to be one


def _resolved(corpus: Corpus, *flags: str) -> tuple[argparse.Namespace, list[str]]:
    args = _parser().parse_args(["train", "style", "--corpus", "x", "--out", "o", *flags])
    args.argv = ["train", "style", "--corpus", "x", "--out", "o", *flags]
    return args, resolve_options(args, corpus)


def test_a_piano_pack_trains_piano_and_bass_as_the_shipped_style(corpora, capsys) -> None:
    args, chosen = _resolved(corpora["piano"])
    assert args.parts == "piano,bass"
    assert "a pack of piano loops: training piano,bass" in capsys.readouterr().out
    for name, value in PIANO_PRESET.settings().items():
        assert getattr(args, name) == value, name
    check_config(train_config(args))  # the preset is within the allowed ranges
    # The recorded command names what was chosen: run again, it leaves nothing to choose and
    # resolves to the same run.
    command = recorded_command(args, chosen)
    again = shlex.split(command)[3:]
    assert again[:2] == ["train", "style"] and "--parts" in again
    args2 = _parser().parse_args(again)
    assert resolve_options(args2, corpora["piano"]) == []
    assert train_config(args2) == train_config(args)
    # The same flags the shipped default style was trained with, but for its corpus and out.
    shipped = _flags(shlex.split(read_style(SHIPPED).command)[3:])
    assert shipped.pop("--corpus") == "lofi" and shipped.pop("--out") == "checkpoints/lofi"
    assert shipped == {k: v for k, v in _flags(again).items() if k not in ("--corpus", "--out")}


def _flags(argv: list[str]) -> dict[str, str]:
    """`train style`'s flags and their values."""
    assert argv[:2] == ["train", "style"]
    return dict(zip(argv[2::2], argv[3::2], strict=True))


def test_other_corpora_train_every_part_with_the_defaults(corpora, capsys) -> None:
    for name in ("band", "drums"):
        args, chosen = _resolved(corpora[name])
        assert tuple(args.parts.split(",")) == style_parts(())
        assert chosen == ["--parts", args.parts]  # the defaults are the settings' own
        assert args.units == TRAINING.units and args.epochs == TRAINING.epochs
        assert args.learning_rate == TRAINING.learning_rate
        said = capsys.readouterr().out
        assert f"not a pack of piano loops: training {args.parts}" in said


def test_flags_the_user_gives_win(corpora, capsys) -> None:
    args, chosen = _resolved(corpora["piano"], "--units", "16", "--epochs", "2")
    assert (args.units, args.epochs) == (16, 2)  # the rest from the preset
    assert (args.seq_len, args.learning_rate) == (PIANO_PRESET.seq_len, 0.002)
    assert "--units" not in chosen and "--seq-len" in chosen
    # Parts named: no piano, no preset; the settings' defaults.
    args, chosen = _resolved(corpora["piano"], "--parts", "melody,chords")
    assert args.parts == "melody,chords" and chosen == []
    assert (args.units, args.seq_len) == (TRAINING.units, TRAINING.seq_len)
    # Fine-tuning takes the base's size and its own learning rate: no preset either.
    args, chosen = _resolved(corpora["piano"], "--from", "default")
    assert args.parts == "piano,bass" and chosen == ["--parts", "piano,bass"]
    assert args.learning_rate == TRAINING.finetune_learning_rate
    # A piano pack's piano named alone takes the preset too.
    args = _parser().parse_args(["train", "piano", "--out", "o", "--dropout", "0.2"])
    resolve_options(args, corpora["piano"])
    assert (args.units, args.dropout) == (PIANO_PRESET.units, 0.2)
    capsys.readouterr()


def test_the_bundled_pack_is_one_and_is_heard_as_one() -> None:
    from lofi.learn.presets import default_parts
    from lofi.tools.evaluate import compared_parts

    pack = load_corpus(SHIPPED.parents[1] / "corpora" / "lofi")  # 99 single-track piano loops
    assert pack.name == "lofi" and is_piano_pack(pack)
    assert default_parts(pack) == (("piano", "bass"), "a pack of piano loops")
    assert compared_parts(pack, None) == (
        ("chords", "melody"),
        "the parts lofi has: no drums, no separate bass",
    )
    assert compared_parts(pack, SHIPPED)[0] == ("chords", "melody")  # its bass left out
