import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The checkout is the data directory, as under `make run` (its soundfonts/ and effects/).
os.environ.setdefault("LOFI_HOME", str(Path(__file__).resolve().parents[1]))


def missing_corpora(names: tuple[str, ...]) -> list[str]:
    """The Debian corpora among `names` that are not installed, as `name (apt install pkg)`."""
    from lofi.data.corpus import GAME_CORPORA

    wanted = list(GAME_CORPORA) if "default" in names else list(names)
    return [
        f"{name} (apt install {GAME_CORPORA[name][1]})"
        for name in wanted
        if not any(GAME_CORPORA[name][0].glob("*.mid"))
    ]


def require_corpora(*names: str) -> None:
    """Skips the calling test or fixture, naming the packages, when a corpus is missing."""
    missing = missing_corpora(names)
    if missing:
        pytest.skip(f"needs the Debian MIDI corpora: {', '.join(missing)}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("corpus"):
        require_corpora(*marker.args)


# --- parallel runs (`make test`: pytest-xdist, `-n auto --dist loadgroup`) -------------------
# Each module runs whole on one worker (its module fixtures are made once), and the browser
# modules share one worker: each starts a server and a chromium, and their timing figures
# mean something only when they do not compete with each other.
BROWSER = ("test_browser.py", "test_browser_player.py", "test_browser_studio.py")
# The slowest modules first (measured with --durations), so that no long one is left to run
# alone at the end while the other worker idles; the rest keep their order.
SLOW_FIRST = (
    "browser",
    "test_matrix.py",
    "test_bench.py",
    "test_bench_pack.py",
    "test_finetune.py",
    "test_app_pages_training.py",
    "test_evaluate.py",
    "test_distribute.py",
    "test_parts.py",
    "test_app_pages_studio.py",
    "test_app_pages.py",
    "test_style.py",
    "fuzz/test_fuzz_uploads.py",
)


def _group(item: pytest.Item) -> str:
    name = item.path.name
    return "browser" if name in BROWSER else str(item.path.relative_to(Path(__file__).parent))


# First: pytest-xdist reads the groups in its own hook, registered in each worker after this
# one and so called before it; it found no group, and one module's tests (and their trained
# fixtures) went to several workers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        group = _group(item)
        for i, slow in enumerate(SLOW_FIRST):
            if group == slow:
                return i
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable: a module's tests keep their order
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))


def made_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A folder that `make` fills once per test run, then read by every test that asks.

    Under pytest-xdist the workers share it (the first one to ask makes it while the others
    wait on a lock); alone, it is this process's. Trained models are the same whoever trains
    them (fixed seeds), so this only saves the second worker the training.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder = base / f"shared-{name}"
    with (base / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-large",
        action="store_true",
        help="feed 1,000 malformed uploads to the upload checks (300 by default)",
    )


# --- engine: tiny trained checkpoints -------------------------------------------------------
@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A melody and a chord model trained a few steps on synthetic pieces."""
    from tests.factories import train_tiny

    def make(root: Path) -> None:
        train_tiny("melody", root / "melody")
        train_tiny("chords", root / "chords")

    root = made_once(tmp_path_factory, "checkpoints", make)
    return root / "melody", root / "chords"


# --- scale: TFRecord shards of a small folder with one broken file, built on Beam ----------
@pytest.fixture(scope="module")
def models(tiny_checkpoints):
    """The tiny checkpoints loaded as the song's models (fresh for every test module)."""
    from lofi.models.loading import load_checkpoints

    return load_checkpoints(*tiny_checkpoints)


@pytest.fixture(scope="session")
def tiny_shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """`corpus build` output (seq-len 8, 40 % validation) and the good files it came from."""
    from lofi.cli import main

    require_corpora("simutrans")

    def make(root: Path) -> None:
        folder = root / "corpus"
        folder.mkdir()
        data = Path(__file__).parent / "data" / "midi"
        for name in ("tiny_c_major.mid", "tiny_type0.mid", "tiny.xml", "truncated.mid"):
            shutil.copy(data / name, folder)
        simutrans = Path("/usr/share/games/simutrans/music")
        for path in sorted(simutrans.glob("*.mid"), key=lambda p: p.stat().st_size)[:2]:
            shutil.copy(path, folder)
        args = ["corpus", "build", str(folder), "--out", str(root / "shards"), "--seq-len", "8"]
        args += ["--validation-split", "0.4", "--train-shards", "2", "--val-shards", "1"]
        assert main(args) == 0

    root = made_once(tmp_path_factory, "beam", make)
    folder = root / "corpus"
    return root / "shards", sorted(p for p in folder.iterdir() if p.name != "truncated.mid")


# --- audio: the public-domain SoundFont the setup copies into soundfonts/ --------------------
@pytest.fixture(scope="session")
def gm_soundfont() -> Path:
    from lofi.audio.soundfonts import fallback_soundfont

    path = fallback_soundfont()
    if not path.is_file():
        import shutil

        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy("/usr/share/sounds/sf2/sf_GMbank.sf2", path)
    return path


@pytest.fixture(scope="session")
def four_part_midi() -> bytes:
    """Two bars at 120 BPM: chords, melody, bass and drums (channel 10) as named tracks."""
    from lofi.compose.form import sections_for
    from lofi.compose.midi import song_to_midi
    from lofi.core.types import Key, Note, Part, Song

    parts = (
        Part("chords", tuple(Note(p, 0.0, 7.5, 70) for p in (48, 55, 64, 71))),
        Part("melody", tuple(Note(72 + i, float(i), 0.9, 90) for i in range(8))),
        Part("bass", (Note(36, 0.0, 3.5, 100), Note(43, 4.0, 3.5, 100))),
        Part(
            "drums",
            tuple(Note(36 if i % 2 == 0 else 38, float(i), 0.25, 110) for i in range(8)),
            is_drum=True,
        ),
    )
    return song_to_midi(Song(Key(0, "major"), 120.0, 2, parts, sections_for(8), ()))


# --- app: every folder the pages touch, in a temporary place ---------------------------------
@pytest.fixture(scope="session")
def app_dirs(tmp_path_factory, tiny_checkpoints, gm_soundfont) -> dict[str, Path]:
    """Checkpoints (the tiny models as the 'shipped' ones), SoundFonts, effects, user data."""
    import shutil

    from lofi.audio.effects import make_default_effects

    root = tmp_path_factory.mktemp("app")
    dirs = {name: root / name for name in ("checkpoints", "soundfonts", "effects", "user")}
    for folder in dirs.values():
        folder.mkdir()
    for src in tiny_checkpoints:
        shutil.copytree(src, dirs["checkpoints"] / src.name)
    from lofi.models.style import FALLBACK_RULES, Style, write_style

    parts = {"melody": "melody", "chords": "chords"}
    fallbacks = {"drums": FALLBACK_RULES}
    write_style(
        Style(dirs["checkpoints"], "default", "synthetic", "0" * 64, "tests", parts, fallbacks)
    )
    shutil.copy(gm_soundfont, dirs["soundfonts"] / gm_soundfont.name)
    make_default_effects(dirs["effects"])
    corpus = dirs["user"] / "corpora" / "tiny"
    corpus.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "data" / "midi" / "tiny_c_major.mid", corpus)
    shutil.copy(Path(__file__).parent / "data" / "midi" / "truncated.mid", corpus)
    return dirs


@pytest.fixture
def app_env(app_dirs, monkeypatch, tmp_path) -> dict[str, Path]:
    """Points the app at app_dirs, with a fresh user-data folder holding the tiny corpus."""
    import shutil

    user = tmp_path / "user"
    # Only the corpora: whatever else a server or test wrote under the shared folder
    # (session tracks, runs) stays out of this test's view.
    shutil.copytree(app_dirs["user"] / "corpora", user / "corpora")
    env = {**app_dirs, "user": user}
    for name, var in (
        ("checkpoints", "LOFI_CHECKPOINTS_DIR"),
        ("soundfonts", "LOFI_SOUNDFONTS_DIR"),
        ("effects", "LOFI_EFFECTS_DIR"),
        ("user", "LOFI_USER_DATA_DIR"),
    ):
        monkeypatch.setenv(var, str(env[name]))
    monkeypatch.setenv("LOFI_CACHE_DIR", str(tmp_path / "cache"))
    return env
