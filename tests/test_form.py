"""The form model: learned from real MIDI, sampled into songs, recorded in recipes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lofi.compose.arrangement import (
    ARRANGEMENT,
    ARRANGEMENT_V1,
    ARRANGEMENT_V3,
    arrangement_from_json,
)
from lofi.compose.form import form_plan, rules_form
from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.errors import RecipeError
from lofi.core.types import GenerationConfig, Key
from lofi.data.corpus import load_corpus
from lofi.models import Loaded
from lofi.models.form import FALLBACK_FORM, fit_form, piece_phrases, read_form, write_form
from lofi.models.loading import load_checkpoints
from tests.factories import write_midi

# Two 4-bar chord loops (one chord per bar, as pitch classes) and a tune for each.
LOOPS = {
    "A": ((0, 4, 7), (5, 9, 0), (7, 11, 2), (0, 4, 7)),
    "B": ((9, 0, 4), (2, 5, 9), (4, 8, 11), (9, 0, 4)),
    "C": ((5, 9, 0), (7, 11, 2), (2, 5, 9), (7, 11, 2)),
}
TUNES = {
    "A": (72, 74, 76, 79, 76, 74, 72, 71),
    "B": (81, 79, 77, 76, 77, 79, 81, 84),
    "C": (77, 76, 74, 72, 74, 76, 77, 79),
}


def form_piece(form: str, tonic: int, repeats: int = 2) -> list[tuple[int, float, float, int]]:
    """`form` (letters of 4-bar blocks) played `repeats` times: block chords, a tune above."""
    notes = []
    for b, letter in enumerate(form * repeats):
        for bar, chord in enumerate(LOOPS[letter]):
            t = (b * 4 + bar) * 4.0
            notes += [(48 + tonic + pc, t, 4.0, 70) for pc in chord]
            notes += [(TUNES[letter][(bar * 2 + i) % 8] + tonic, t + i, 1.0, 90) for i in range(4)]
    return notes


def form_corpus(folder: Path, form: str, n: int = 6) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        write_midi(folder / f"{form.lower()}{i}.mid", form_piece(form, tonic=(3 * i) % 12))
    return folder


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("forms")
    return {form: load_corpus(form_corpus(root / form, form)) for form in ("AABA", "ABAC")}


def _plans(model: object, n: int = 300) -> Counter[str]:
    rng = np.random.default_rng(0)
    return Counter(" ".join(model.sample_phrase(rng, opening=True)) for _ in range(n))  # type: ignore[attr-defined]


def test_the_form_of_real_midi_pieces_is_read_as_a_form_string(corpora) -> None:
    for piece in corpora["AABA"].pieces:
        assert piece_phrases(piece) == (0, 0, ["A A= B A=", "A= A= B= A="])
    for piece in corpora["ABAC"].pieces:
        assert piece_phrases(piece)[2][0] == "A B A= C"


def test_an_aaba_corpus_yields_aaba_plans_far_more_often(corpora, tmp_path: Path) -> None:
    aaba = fit_form(corpora["AABA"].pieces, "AABA", "h1")
    abac = fit_form(corpora["ABAC"].pieces, "ABAC", "h2")
    from_aaba, from_abac = _plans(aaba), _plans(abac)
    assert from_aaba["A A= B A="] > 200 and from_abac["A A= B A="] < 30
    assert from_abac["A B A= C"] > 200 and from_aaba["A B A= C"] < 30
    write_form(aaba, tmp_path / "form.json")
    assert read_form(tmp_path / "form.json") == aaba


def test_songs_follow_the_learned_form(corpora) -> None:
    model = fit_form(corpora["AABA"].pieces, "AABA", "h1")
    plans = [form_plan(48, model, seed, rules=False) for seed in range(20)]
    openings = Counter(" ".join(p.blocks[:4]) for p in plans)
    assert openings["A A= B A="] >= 15
    assert all(sum(s.bars for s in p.sections) == 48 for p in plans)
    assert form_plan(48, model, 3, rules=True) == rules_form(48)
    assert rules_form(48).source == FALLBACK_FORM
    assert rules_form(48).blocks[:6] == ("A", "A~", "B", "A~", "A=", "A~")


def test_a_repeated_block_plays_the_same_melody(tiny_checkpoints, corpora) -> None:
    from dataclasses import replace

    models = replace(
        load_checkpoints(*tiny_checkpoints), form=Loaded(fit_form(corpora["AABA"].pieces))
    )
    config = GenerationConfig(seed=4, key=Key.parse("C-major"), bars=40)
    song = compose(config, models)
    main = song.sections[1]
    plan = form_plan(40, models.form_model, 4, rules=False)
    assert song.sections == plan.sections
    first: dict[str, list[tuple[int, int]]] = {}
    for i, token in enumerate(plan.blocks):
        start = (main.start_bar + 4 * i) * 4.0
        if start + 16 > (main.start_bar + main.bars) * 4:
            break
        tune = [  # onsets are humanised by about 0.01 beat
            (n.pitch, round((n.onset - start) * 4))
            for n in song.part("melody").notes
            if start - 0.125 <= n.onset < start + 16 - 0.125
        ]
        if token.endswith("=") and token[0] in first:
            assert tune == first[token[0]]
        elif token[1:] in ("", "+"):  # a new tune for the loop
            first[token[0]] = tune


def test_the_arrangement_of_an_old_recipe_is_still_known() -> None:
    old = {k: v for k, v in ARRANGEMENT_V1.to_json().items() if k in ("name", "version")}
    old.update(intro_lead_in=0.5, outro_energy=0.6, cymbal_floor=0.6)
    assert arrangement_from_json(old) == ARRANGEMENT_V1
    assert arrangement_from_json(ARRANGEMENT.to_json()) == ARRANGEMENT
    with pytest.raises(RecipeError, match="different track"):
        arrangement_from_json({**ARRANGEMENT.to_json(), "legato": 0.5})
    with pytest.raises(RecipeError, match="different track"):
        arrangement_from_json({k: v for k, v in ARRANGEMENT.to_json().items() if k != "legato"})
    # bass_entry was named in version 4: a version-3 recipe did not write it, a version-4 must.
    v3 = {k: v for k, v in ARRANGEMENT_V3.to_json().items() if k != "bass_entry"}
    assert arrangement_from_json(v3) == ARRANGEMENT_V3
    with pytest.raises(RecipeError, match="different track"):
        arrangement_from_json({k: v for k, v in ARRANGEMENT.to_json().items() if k != "bass_entry"})


def test_the_bass_comes_in_after_the_named_share_of_the_intro(tiny_checkpoints) -> None:
    from dataclasses import replace

    models = load_checkpoints(*tiny_checkpoints)
    config = GenerationConfig(seed=3, key=Key.parse("C-major"), bars=32)
    song = compose(config, models)
    intro_beats = song.sections[0].bars * 4
    assert intro_beats > 0
    first = {
        e: min(
            n.onset
            for n in compose(config, models, replace(ARRANGEMENT, bass_entry=e)).part("bass").notes
        )
        for e in (0.0, 0.5, 1.0)
    }
    assert first[0.5] == min(n.onset for n in song.part("bass").notes)
    assert first[0.0] < intro_beats * 0.5 - 0.25 <= first[0.5] and first[1.0] >= intro_beats - 0.25


def test_learned_density_keeps_songs_reproducible(tiny_checkpoints) -> None:
    models = load_checkpoints(*tiny_checkpoints)
    config = GenerationConfig(seed=9, key=Key.parse("D-minor"), bars=24)
    first = song_to_midi(compose(config, models))
    assert song_to_midi(compose(config, models)) == first
    assert song_to_midi(compose(config, models, ARRANGEMENT_V1)) != first


def test_train_form_writes_the_form_and_names_the_fallback_of_a_short_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lofi.cli import main
    from tests.factories import write_corpus

    folder = form_corpus(tmp_path / "aaba", "AABA")
    out = tmp_path / "style"
    argv = ["train", "form", "--corpus", str(folder), "--out", str(out), "--held-out", "0"]
    assert main(argv) == 0
    model = read_form(out / "form.json")
    assert model.pieces == 6 and model.opening == {"A A= B A=": 6}
    assert main(argv) == 2  # nothing is overwritten
    assert "already exists" in capsys.readouterr().err
    short = write_corpus(tmp_path / "short", "block", 5)  # 8-bar pieces: no whole phrase
    argv = [
        "train",
        "form",
        "--corpus",
        str(short),
        "--out",
        str(tmp_path / "s"),
        "--held-out",
        "0",
    ]
    assert main(argv) == 1
    assert "no form learned" in capsys.readouterr().out
    assert not (tmp_path / "s" / "form.json").exists()
