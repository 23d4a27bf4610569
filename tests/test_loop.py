"""A user's loop: read from real pack files, refused with one line, composed around."""

import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import mido
import numpy as np
import pytest

from lofi.compose.around_loop import LoopPart, tiled
from lofi.compose.arrangement import ARRANGEMENT
from lofi.compose.song import compose
from lofi.core.constants import BEATS_PER_BAR
from lofi.core.errors import ConfigError
from lofi.core.settings import GENERATION
from lofi.core.types import GenerationConfig, Key, Note
from lofi.encoding.loop import CUT, FROM_FILE, FROM_STYLE, FROM_USER, PADDED, WHOLE, read_loop
from lofi.service.loops import open_loop

DATA = Path(__file__).parent / "data"
RULES_FORM = replace(ARRANGEMENT, form="rules")  # loop A, B on every fourth block
PACK = DATA / "lofi_pack"
MIDI = DATA / "midi"
LOOPS = DATA / "loops"  # apart from data/midi, which tests read as a corpus


def _bars(notes, bars: int) -> list[Counter]:
    """Per bar: the multiset of (pitch, onset in the bar) of the notes starting in it."""
    out: list[Counter] = [Counter() for _ in range(bars)]
    for n in notes:
        bar = int(n.onset // BEATS_PER_BAR)
        if bar < bars:
            out[bar][(n.pitch, round(n.onset - bar * BEATS_PER_BAR, 3))] += 1
    return out


def test_a_pack_loop_is_read_with_its_tempo_key_and_chords() -> None:
    loop = read_loop(PACK / "chill_1_e_minor.mid")
    raw = mido.MidiFile(PACK / "chill_1_e_minor.mid")
    ons = sorted(m.note for t in raw.tracks for m in t if m.type == "note_on" and m.velocity)
    assert sorted(n.pitch for n in loop.notes) == ons  # note for note
    assert (loop.bars, loop.fit, loop.fit_beats) == (4, WHOLE, 0.0)
    assert (loop.bpm, loop.tempo_source, loop.meter) == (100.0, FROM_FILE, (4, 4))
    assert loop.key.relative_major == Key.parse("E-minor").relative_major  # E minor or G major
    assert loop.key_source == FROM_FILE
    assert len(loop.chords) == 16 and len(set(loop.chords)) >= 2
    assert len(loop.content_hash) == 64
    # The top line is one note at a time and always the highest sounding at its onset.
    line = loop.top_line
    assert all(a.end <= b.onset + 1e-6 for a, b in itertools.pairwise(line))
    for n in loop.top_line:
        assert n.pitch == max(m.pitch for m in loop.notes if m.onset == n.onset)


def test_a_loop_without_tempo_takes_the_style_tempo_and_is_cut_to_the_bar() -> None:
    loop = read_loop(PACK / "piano_5.mid", style_bpm=84.0)
    assert (loop.bpm, loop.tempo_source) == (84.0, FROM_STYLE)
    assert (loop.bars, loop.fit) == (3, CUT) and loop.fit_beats == pytest.approx(0.25)
    assert max(n.end for n in loop.notes) <= loop.beats + 1e-6


def test_an_odd_tempo_is_replaced_and_a_short_loop_padded() -> None:
    loop = read_loop(LOOPS / "loop_three_bars_short.mid")
    assert (loop.bpm, loop.tempo_source) == (GENERATION.bpm, FROM_STYLE)  # 200 BPM is odd
    assert (loop.bars, loop.fit, loop.fit_beats) == (3, PADDED, 0.5)
    assert sorted({n.pitch % 12 for n in loop.notes}) == [0, 2, 4, 5, 7, 9, 11]


def test_the_file_meter_sets_the_bar_and_the_user_overrides_key_and_tempo() -> None:
    loop = read_loop(PACK / "lofi_piano_sample_7.mid", Key.parse("B-minor"), 66.0)
    assert loop.meter == (6, 8)
    assert loop.bars * BEATS_PER_BAR == 72  # 24 bars of 6/8: 18 bars of 4/4
    assert (loop.key, loop.key_source) == (Key.parse("B-minor"), FROM_USER)
    assert (loop.bpm, loop.tempo_source) == (66.0, FROM_USER)


def test_a_musicxml_loop_is_read_with_its_tempo_and_meter() -> None:
    loop = read_loop(MIDI / "tiny.xml")  # four bars in A minor at 72 BPM, drums left out
    assert (loop.bars, loop.fit, loop.bpm, loop.tempo_source) == (4, WHOLE, 72.0, FROM_FILE)
    assert loop.meter == (4, 4) and loop.key == Key.parse("A-minor")
    assert len(loop.chords) == 16


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.mid", "empty file"),
        ("loop_drums_only.mid", "no pitched notes"),
        ("loop_zero_length.mid", "no pitched notes"),
        ("loop_2000_bars.mid", "2000 bars; a loop may last 64"),
        ("random_bytes.mid", "not a MIDI file"),
        ("truncated.mid", "damaged"),
    ],
)
def test_bad_loops_are_refused_with_one_line(name: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        open_loop((LOOPS if name.startswith("loop_") else MIDI) / name)
    text = str(caught.value)
    assert text.startswith(f"cannot use {name} as a loop: ") and reason in text
    assert "\n" not in text


def test_a_loop_with_too_many_notes_is_refused(tmp_path) -> None:
    from lofi.core.settings import LIMITS

    midi = mido.MidiFile(ticks_per_beat=96)
    track = mido.MidiTrack()
    pitches = range(40, 100)  # clusters of 60 notes, a sixteenth each
    for _cluster in range(0, LIMITS.loop_notes + 60, 60):
        track += [mido.Message("note_on", note=p, velocity=70, time=0) for p in pitches]
        track += [
            mido.Message("note_off", note=p, velocity=0, time=24 if p == 40 else 0) for p in pitches
        ]
    midi.tracks.append(track)
    midi.save(tmp_path / "dense.mid")
    with pytest.raises(ConfigError, match=f"notes; a loop may hold {LIMITS.loop_notes}"):
        open_loop(tmp_path / "dense.mid")


def test_the_chords_part_is_the_loop_bar_for_bar_and_the_melody_hears_it(models) -> None:
    loop = read_loop(PACK / "chill_1_e_minor.mid")
    config = GenerationConfig(seed=5, key=loop.key, bpm=loop.bpm, bars=16)
    song = compose(config, models, loop=LoopPart(loop, "chords"))
    assert {p.name for p in song.parts} == {"chords", "melody", "bass", "drums"}
    assert all(p.notes for p in song.parts)
    chords = _bars(song.part("chords").notes, 16)
    own = _bars(loop.notes, loop.bars)
    assert chords == [own[bar % loop.bars] for bar in range(16)]
    # The harmony the melody and bass were sampled over is the loop's, beat by beat.
    beats = {b: name for t, d, name in song.chords for b in range(int(t), int(t + d))}
    assert [beats[b] for b in range(64)] == [loop.chords[b % 16] for b in range(64)]
    assert compose(config, models, loop=LoopPart(loop, "chords")) == song


def test_a_melody_loop_is_the_melody_and_the_chords_are_drawn_under_it(models) -> None:
    loop = read_loop(PACK / "piano_5.mid")
    config = GenerationConfig(seed=2, key=loop.key, bpm=loop.bpm, bars=12)
    song = compose(config, models, loop=LoopPart(loop, "melody"))
    assert _bars(song.part("melody").notes, 12) == _bars(tiled(loop.notes, loop.beats, 48), 12)
    # The chord loop lasts as long as the melody's and repeats with it.
    events = [(t % loop.beats, d, n) for t, d, n in song.chords if t < 36]
    assert events[: len(events) // 3] * 3 == events
    assert song.part("bass").notes and song.part("drums").notes


def test_tiled_cuts_at_the_end() -> None:
    notes = (Note(60, 0.0, 3.0, 80), Note(64, 2.0, 4.0, 80))
    out = tiled(notes, 4.0, 6.0)
    assert [(n.pitch, n.onset, n.duration) for n in out] == [
        (60, 0.0, 3.0),
        (64, 2.0, 4.0),
        (60, 4.0, 2.0),
    ]


@pytest.fixture
def cli_env(tmp_path, tiny_checkpoints, gm_soundfont):
    from lofi.audio.effects import make_default_effects

    effects = tmp_path / "effects"
    make_default_effects(effects)
    env = {
        **os.environ,
        "LOFI_EFFECTS_DIR": str(effects),
        "LOFI_USER_DATA_DIR": str(tmp_path / "user"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    melody, chords = tiny_checkpoints
    args = ["--melody-model", str(melody), "--chord-model", str(chords), "--no-mp3"]
    for part in ("chords", "melody", "bass", "drums"):
        args += ["--soundfont", f"{part}={gm_soundfont}:{'128:0' if part == 'drums' else '0:0'}"]
    return env, args


def _lofi(env, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "lofi", "generate", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_generate_loop_keeps_the_file_and_its_recipe_makes_the_same_bytes(cli_env, tmp_path):
    env, args = cli_env
    source = tmp_path / "mine.mid"
    source.write_bytes((PACK / "piano_5.mid").read_bytes())
    first = tmp_path / "a"
    res = _lofi(env, "--out", str(first), "--loop", str(source), "--bars", "8", *args)
    assert res.returncode == 0, res.stderr
    recipe = json.loads((first / "recipe.json").read_text())
    loop = recipe["loop"]
    assert (loop["part"], loop["scope"], loop["fit"], loop["bars"]) == ("chords", "whole", "cut", 3)
    assert recipe["bpm"] == GENERATION.bpm  # the file sets no tempo
    source.unlink()  # the data folder keeps its own copy, by hash
    second = tmp_path / "b"
    res = _lofi(env, "--out", str(second), "--recipe", str(first / "recipe.json"), "--no-mp3")
    assert res.returncode == 0, res.stderr
    assert (first / "song.mid").read_bytes() == (second / "song.mid").read_bytes()
    midi = mido.MidiFile(first / "song.mid")
    names = {t.name for t in midi.tracks}
    assert {"chords", "melody", "bass", "drums"} <= names


def test_generate_with_a_bad_loop_writes_nothing(cli_env, tmp_path) -> None:
    env, args = cli_env
    out = tmp_path / "out"
    res = _lofi(env, "--out", str(out), "--loop", str(LOOPS / "loop_drums_only.mid"), *args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert lines == ["error: cannot use loop_drums_only.mid as a loop: no pitched notes"]
    assert not out.exists()
    assert not (tmp_path / "user" / "loops").exists()


def test_a_loop_in_the_a_sections_leaves_the_other_chord_loops_to_the_model(models) -> None:
    loop = read_loop(PACK / "chill_1_e_minor.mid")
    config = GenerationConfig(seed=4, key=loop.key, bpm=loop.bpm, bars=48)
    song = compose(config, models, arrangement=RULES_FORM, loop=LoopPart(loop, "chords", "A"))
    beats = {b: name for t, d, name in song.chords for b in range(int(t), int(t + d))}
    own = _bars(loop.notes, loop.bars)
    chords = _bars(song.part("chords").notes, 48)
    a_blocks = b_blocks = 0
    for block in range(12):
        names = [beats[b] for b in range(block * 16, block * 16 + 16)]
        if names == list(loop.chords):  # the loop's chords: its notes, note for note
            a_blocks += 1
            assert chords[block * 4 : block * 4 + 4] == own
        else:  # another chord loop, drawn by the chord model after hearing the loop
            b_blocks += 1
            played = chords[block * 4 : block * 4 + 4]
            assert played != own and any(played)
    assert a_blocks >= 2 and b_blocks >= 1
    assert song.sections[0].bars and beats[0] == loop.chords[0]  # the intro plays the loop


@pytest.mark.parametrize(
    ("name", "part", "reason"),
    [
        ("chill_1_e_minor.mid", "melody", "only a chords loop can play the A sections"),
        ("piano_5.mid", "chords", "a 3-bar loop cannot fill the form's 4-bar blocks"),
    ],
)
def test_a_loop_that_cannot_play_the_a_sections_is_refused(name, part, reason) -> None:
    with pytest.raises(ConfigError, match=reason):
        open_loop(PACK / name, part, scope="A")


def test_the_recipe_names_the_scope_and_finds_the_loop_again(tmp_path, monkeypatch) -> None:
    from lofi.service.loops import keep_loop, loop_entry, loop_from_entry
    from lofi.service.recipe_schema import recipe_schema

    monkeypatch.setenv("LOFI_USER_DATA_DIR", str(tmp_path))
    loop = open_loop(PACK / "chill_1_e_minor.mid", scope="A")
    keep_loop(PACK / "chill_1_e_minor.mid", loop.loop.content_hash)
    entry = loop_entry(loop)
    assert (
        entry["scope"] == "A"
        and "A" in recipe_schema()["properties"]["loop"]["properties"]["scope"]["enum"]
    )
    config = GenerationConfig(key=loop.loop.key, bpm=loop.loop.bpm)
    assert loop_from_entry(entry, config) == loop


def test_the_default_piano_hears_a_chord_loop_and_its_bass_follows_it() -> None:
    """The shipped piano style: its top line is weighed by the loop's chords, not drawn blind."""
    from lofi.compose.around_loop import chord_tone_weights, loop_harmony
    from lofi.compose.form import form_plan
    from lofi.compose.piano_song import piano_part, split_texture
    from lofi.models.loading import load_song_models
    from lofi.models.style import default_style_dir
    from lofi.tools.metrics import chord_tone_counts

    models = load_song_models(default_style_dir())
    loop = read_loop(PACK / "chill_1_e_minor.mid")
    config = GenerationConfig(seed=2, key=loop.key, bpm=loop.bpm, bars=32)
    song = compose(config, models, loop=LoopPart(loop, "chords"))
    beats = {b: name for t, d, name in song.chords for b in range(int(t), int(t + d))}
    assert [beats[b] for b in range(128)] == [loop.chords[b % 16] for b in range(128)]
    assert song.part("bass").notes and song.part("melody").notes
    # The same piano with and without hearing the loop's chords.
    plan = form_plan(32, None, 2, True)
    harmony = loop_harmony(loop, 128.0)
    ratios = []
    for tones in (None, chord_tone_weights(loop)):
        notes = piano_part(
            config, models.needed("piano"), plan, np.random.default_rng(7), True, tones
        )
        tune, _ = split_texture(notes)
        hits, judged = chord_tone_counts(tune, harmony, loop.key)
        ratios.append(hits / max(judged, 1))
    assert ratios[1] > ratios[0] + 0.1
