"""Takes: one part made again note-exactly, a session under its disk cap, stems on demand,
recipes that travel between folders. Real models (tiny), real FluidSynth."""

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from lofi.compose.midi import song_to_midi
from lofi.compose.song import compose
from lofi.core.types import GenerationConfig, Key, part_seeds_for, reseed_part, with_part_seeds
from lofi.service.recipe import TrackRequest, from_recipe, to_recipe
from lofi.service.storage import is_downloaded
from lofi.service.takes import (
    list_takes,
    new_request,
    regenerate_request,
    save_take,
    session_bytes,
    set_pinned,
    take_file,
    take_stems,
)
from lofi.service.track import Track, make_track, write_track
from tests.factories import gm_instruments


def _notes(song) -> dict[str, tuple]:
    return {p.name: p.notes for p in song.parts}


def test_configs_without_part_seeds_draw_as_before_part_seeds() -> None:
    """Recipes without part seeds reproduce their tracks: the song's seed still drives every
    part through the generators it always did (chords, melody, then one shared by the
    humanising, comping, bass and drum rules; the learned drums their own)."""
    import numpy as np

    from lofi.compose.song import _generators

    config = GenerationConfig(7, Key.parse("A-minor"), 78.0, 16)
    rngs = _generators(config)
    chords, melody, groove = np.random.default_rng(7).integers(0, 2**63, 3)
    for name, seed in (("chords", chords), ("melody", melody), ("drums", groove)):
        assert rngs[name].random(4).tolist() == np.random.default_rng(seed).random(4).tolist()
    assert len({id(rngs[n]) for n in ("humanize", "comping", "bass", "drums")}) == 1
    learned = np.random.default_rng((7, 0xD2)).random(4).tolist()
    assert rngs["learned_drums"].random(4).tolist() == learned
    seeded = _generators(with_part_seeds(config))
    assert len({id(g) for g in seeded.values()}) == len(seeded)  # every part its own


@pytest.mark.parametrize(
    ("part", "changes", "may_change"),
    [
        ("drums", {"drums"}, set()),
        ("melody", {"melody"}, set()),
        ("bass", {"bass"}, set()),
        # The bass plays the new chords' roots; the melody is drawn again over them.
        ("chords", {"chords", "bass"}, {"melody"}),
    ],
)
def test_one_part_made_again_leaves_the_rest_note_for_note(
    models, part, changes, may_change
) -> None:
    config = GenerationConfig(5, Key.parse("D-minor"), 80.0, 24, part_seeds=part_seeds_for(5))
    before = compose(config, models)
    again = compose(reseed_part(config, part, 12345), models)
    old, new = _notes(before), _notes(again)
    changed = {name for name in old if old[name] != new[name]}
    assert changes <= changed <= changes | may_change
    if part == "chords":
        assert before.chords != again.chords
    # The new take is reproducible from its config (its recipe).
    assert song_to_midi(compose(reseed_part(config, part, 12345), models)) == song_to_midi(again)


def _request(checkpoints, soundfont: Path, bars: int = 8, seed: int = 3) -> TrackRequest:
    melody, chords = checkpoints
    config = GenerationConfig(seed, Key.parse("A-minor"), 100.0, bars)
    return new_request(TrackRequest(config, melody, chords, gm_instruments(soundfont)))


@pytest.fixture
def made(tiny_checkpoints, gm_soundfont) -> tuple[TrackRequest, Track]:
    """The test's track request and the track it makes."""
    request = _request(tiny_checkpoints, gm_soundfont)
    return request, make_track(request)


def test_a_regenerated_take_reloads_from_its_recipe(tiny_checkpoints, gm_soundfont) -> None:
    request = regenerate_request(_request(tiny_checkpoints, gm_soundfont), "drums", 99)
    recipe = json.loads(json.dumps(to_recipe(request)))
    assert recipe["format_version"] == 4 and recipe["part_seeds"]["drums"] == 99
    again = from_recipe(recipe)
    assert again.config == request.config
    legacy = {k: v for k, v in recipe.items() if k != "part_seeds"}
    assert from_recipe({**legacy, "format_version": 2}).config.part_seeds is None


def test_a_session_stays_under_its_cap_keeping_pinned_and_downloaded_takes(made, tmp_path) -> None:
    request, track = made
    session = tmp_path / "session"
    first = save_take(track, request, session)
    one = session_bytes(session)
    assert not (first / "stems").exists() and not (first / "mix.mp3").exists()
    cap = int(2.5 * one)  # room for two takes
    pinned = first
    set_pinned(pinned, True)
    downloaded = save_take(track, request, session, "new drums", parent=1, max_bytes=cap)
    assert take_file(downloaded, "midi") == track.midi
    assert is_downloaded(downloaded)
    made = [save_take(track, request, session, max_bytes=cap) for _ in range(4)]
    takes = list_takes(session)
    folders = {t.folder for t in takes}
    assert {pinned, downloaded, made[-1]} <= folders
    assert not folders & set(made[:-1])  # the older unkept takes made room
    assert [t.number for t in takes] == [6, 2, 1]
    assert takes[1].title == "Take 2 · new drums of take 1" and takes[2].pinned
    # Everything kept is pinned, downloaded or the newest take; the unkept fit the cap.
    assert session_bytes(session) <= cap + one
    set_pinned(pinned, False)
    save_take(track, request, session, max_bytes=cap)
    assert pinned not in {t.folder for t in list_takes(session)}


def test_stems_are_rendered_on_demand_as_the_same_bytes(made, tmp_path) -> None:
    request, track = made
    eager = tmp_path / "eager"
    write_track(track, request, eager, mp3=False, stems=True)
    take = save_take(track, request, tmp_path / "session")
    stems = take_stems(take)
    assert sorted(stems) == ["bass", "chords", "drums", "melody"]
    for part, path in stems.items():
        assert path.read_bytes() == (eager / "stems" / f"{part}.wav").read_bytes()
    assert take_file(take, "stems")[:2] == b"PK"


def _ffprobe_tags(path: Path) -> dict[str, str]:
    import subprocess

    cmd = ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout
    return {k.lower(): v for k, v in json.loads(out)["format"].get("tags", {}).items()}


def test_downloads_are_lossless_compressed_stems_and_tagged_mixes(made, tmp_path) -> None:
    import io
    import zipfile

    import numpy as np
    import soundfile as sf

    from lofi.service.takes import download_name

    request, track = made
    take = save_take(track, request, tmp_path / "session")
    c = request.config
    key_code = {"A-minor": "Am", "D-minor": "Dm"}.get(c.key.name, c.key.name)
    base = f"lofi_{c.bpm:g}bpm_{key_code}_seed{c.seed}"
    assert download_name(take, "stems") == f"{base}_stems.zip"
    assert download_name(take, "wav") == f"{base}.wav"
    # Stems: FLAC in a deflated zip, named with tempo and key, the WAVs' samples exactly,
    # one channel where the stem's two are the same.
    data = take_file(take, "stems")
    wavs = take_stems(take)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert sorted(i.filename for i in infos) == sorted(f"{base}_{p}.flac" for p in wavs)
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        for part, wav in wavs.items():
            pcm, _ = sf.read(str(wav), dtype="int16", always_2d=True)
            flac = archive.read(f"{base}_{part}.flac")
            with sf.SoundFile(io.BytesIO(flac)) as f:
                assert f.format == "FLAC" and f"({part})" in f.title and "BPM" in f.comment
            back, rate = sf.read(io.BytesIO(flac), dtype="int16", always_2d=True)
            mono = np.array_equal(pcm[:, 0], pcm[:, 1])
            assert back.shape[1] == (1 if mono else 2) and rate == 44100
            assert np.array_equal(back, pcm[:, :1] if mono else pcm), part
    assert any(np.array_equal(*sf.read(str(w), always_2d=True)[0].T) for w in wavs.values())
    assert len(data) < 0.7 * sum(w.stat().st_size for w in wavs.values())
    assert take_file(take, "stems") == data  # the same take, the same zip
    # The mixes say their title, tempo and key.
    (tmp_path / "mix.mp3").write_bytes(take_file(take, "mp3"))
    (tmp_path / "mix.wav").write_bytes(take_file(take, "wav"))
    mp3 = _ffprobe_tags(tmp_path / "mix.mp3")
    assert mp3["tbpm"] == f"{round(c.bpm)}" and mp3["tkey"] == key_code
    assert mp3["title"] == f"Lofi in {c.key.name.replace('-', ' ')}, seed {c.seed}"
    wav_tags = _ffprobe_tags(tmp_path / "mix.wav")
    assert wav_tags["title"] == mp3["title"] and f"{c.bpm:g} BPM" in wav_tags["comment"]
    assert c.key.name.replace("-", " ") in wav_tags["comment"]
    with sf.SoundFile(str(tmp_path / "mix.mp3")) as decoded:  # still a whole, playable MP3
        assert abs(decoded.frames - len(track.mix)) < 3000


def test_a_recipe_made_in_one_folder_makes_the_same_bytes_in_another(
    tiny_checkpoints, gm_soundfont, tmp_path, monkeypatch
) -> None:
    from lofi.audio.effects import make_default_effects
    from lofi.core.paths import soundfonts_dir
    from lofi.service.track import resolve_effects

    for var in ("LOFI_SOUNDFONTS_DIR", "LOFI_EFFECTS_DIR", "LOFI_USER_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)

    def checkout(root: Path, font_name: str) -> None:
        (root / "soundfonts").mkdir(parents=True)
        shutil.copy(gm_soundfont, root / "soundfonts" / font_name)
        shutil.copytree(tiny_checkpoints[0].parent, root / "checkpoints")
        monkeypatch.setenv("LOFI_HOME", str(root))
        monkeypatch.setenv("LOFI_CHECKPOINTS_DIR", str(root / "checkpoints"))

    one = tmp_path / "one"
    checkout(one, "gm.sf2")
    make_default_effects(one / "effects")
    request = _request(
        (one / "checkpoints" / "melody", one / "checkpoints" / "chords"),
        soundfonts_dir() / "gm.sf2",
    )
    levels = {"rain": -20.0, "vinyl": -26.0}
    request = replace(request, effects=levels, effect_paths=resolve_effects(levels))
    write_track(make_track(request), request, one / "out", mp3=False, stems=False)
    recipe_text = (one / "out" / "recipe.json").read_text()
    assert str(one) not in recipe_text  # names and hashes only, no folder of this checkout
    recipe = json.loads(recipe_text)
    assert recipe["instruments"]["chords"]["soundfont"] == "soundfonts/gm.sf2"

    made = {n: (one / "out" / n).read_bytes() for n in ("mix.wav", "song.mid", "recipe.json")}
    two = tmp_path / "two"  # another folder; the SoundFont under another name
    checkout(two, "General MIDI.sf2")
    shutil.copytree(one / "effects", two / "effects")
    shutil.rmtree(one)
    again = from_recipe(recipe)
    assert again.instruments["chords"].soundfont == two / "soundfonts" / "General MIDI.sf2"
    write_track(make_track(again), again, two / "out", mp3=False, stems=False)
    assert (two / "out" / "song.mid").read_bytes() == made["song.mid"]
    assert (two / "out" / "mix.wav").read_bytes() == made["mix.wav"]


def test_feel_defaults_master_as_before_and_the_feel_travels_in_the_recipe(
    models, tiny_checkpoints, gm_soundfont
) -> None:
    import numpy as np

    from lofi.audio.mix import master
    from lofi.audio.tape import Tape

    noise = (np.random.default_rng(1).standard_normal((44100 * 3, 2)) * 0.1).astype(np.float32)
    made_before_feel = "051a7bc6ca0cb8ae2b1cd1c9882da0fd83e237771fd0bdf22cfdbc29c306cbe2"
    assert hashlib.sha256(master(noise).tobytes()).hexdigest() == made_before_feel
    dark = master(noise, Tape(wow=2.0, lowpass_hz=2000.0))
    spectrum = np.abs(np.fft.rfft(dark[:, 0])) ** 2
    bright = np.abs(np.fft.rfft(master(noise)[:, 0])) ** 2
    high = slice(len(spectrum) * 8000 // 22050, None)
    assert spectrum[high].sum() / spectrum.sum() < bright[high].sum() / bright.sum() / 4

    config = GenerationConfig(5, Key.parse("D-minor"), 80.0, 16, part_seeds=part_seeds_for(5))
    plain = _notes(compose(config, models))
    for felt_config in (replace(config, swing=0.5), replace(config, energy=1.5)):
        felt = _notes(compose(felt_config, models))
        assert {n for n in plain if plain[n] != felt[n]} == {"drums"}
    for swing in (0.5, 0.7):  # the off-beat hats sit where the swing puts them
        notes = compose(replace(config, swing=swing), models).part("drums").notes
        offbeats = [n.onset % 1 for n in notes if n.pitch == 42 and 0.3 < n.onset % 1 < 0.9]
        assert np.mean(offbeats) == pytest.approx(swing, abs=0.01)
    busy = compose(replace(config, energy=1.5), models).part("drums").notes
    assert len(busy) > len(compose(config, models).part("drums").notes)

    request = replace(
        _request(tiny_checkpoints, gm_soundfont),
        config=replace(config, swing=0.66, energy=0.7),
        tape=Tape(0.5, 4000.0),
    )
    recipe = json.loads(json.dumps(to_recipe(request)))
    assert recipe["feel"] == {"swing": 0.66, "energy": 0.7, "tape_wow": 0.5, "lowpass_hz": 4000.0}
    again = from_recipe(recipe)
    assert (again.config, again.tape) == (request.config, request.tape)
    from lofi.core.errors import RecipeError

    with pytest.raises(RecipeError, match="swing"):
        from_recipe({**recipe, "feel": {**recipe["feel"], "swing": 0.95}})
