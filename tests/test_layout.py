"""The package layout holds: import-linter's contracts in pyproject.toml are kept."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the pages may import of lofi; the Evaluate page also shows the measurements in lofi.tools.
PAGE_ALLOWED = ("lofi.service", "lofi.core")
PAGE_EXCEPTIONS = {
    "evaluate.py": ("lofi.tools.evaluate", "lofi.tools.features"),
    "evaluate_loop.py": ("lofi.tools.loop_case",),
}


def test_import_contracts_are_kept() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
    for name in (
        "Stages import upstream only",
        "Distributed training builds on training, not the reverse",
        "Generating needs no TensorFlow: lofi.models and lofi.compose import no Keras",
        "lofi never imports streamlit",
        "Pages reach the engine through lofi.service only",
    ):
        assert f"{name} KEPT" in out.stdout


def engine_imports(source: str, allowed: tuple[str, ...] = PAGE_ALLOWED) -> list[str]:
    """The lofi modules `source` imports (at any depth of the file) outside `allowed`."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return [
        name
        for name in names
        if name.split(".")[0] == "lofi"
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    ]


def test_pages_and_the_app_import_only_the_service_and_core() -> None:
    files = [ROOT / "streamlit_app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    assert len(files) > 2
    broken = {
        path.name: found
        for path in files
        if (
            found := engine_imports(
                path.read_text(), PAGE_ALLOWED + PAGE_EXCEPTIONS.get(path.name, ())
            )
        )
    }
    assert broken == {}


def test_the_page_import_check_sees_engine_imports() -> None:
    source = "def f():\n    import lofi.audio.render\n    from lofi.data.corpus import BUNDLED\n"
    assert engine_imports(source) == ["lofi.audio.render", "lofi.data.corpus"]
    assert engine_imports("from lofi.service.track import make_track\nimport lofi.core") == []


# The programs lofi runs as child processes (the playlist's MP3 with chapters, the bench's
# FluidSynth baseline) and the Debian package that installs each.
PROGRAM_PACKAGES = {"ffmpeg": "ffmpeg", "fluidsynth": "fluidsynth"}


def programs_run(source: str) -> set[str]:
    """Programs named as the first word of a literal command list in `source`."""
    return {
        node.elts[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.List)
        and node.elts
        and isinstance(node.elts[0], ast.Constant)
        and node.elts[0].value in PROGRAM_PACKAGES.keys() | {"ffprobe", "sox", "lame", "timidity"}
    }


def test_every_program_lofi_runs_is_installed_by_setup() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    match = re.search(r"APT_PACKAGES=\(([^)]*)\)", setup)
    assert match
    apt = set(match.group(1).split())
    programs = set().union(*(programs_run(p.read_text()) for p in (ROOT / "lofi").rglob("*.py")))
    assert {"ffmpeg", "fluidsynth"} <= programs  # playlist MP3 chapters; the bench baseline
    assert all(p in PROGRAM_PACKAGES and PROGRAM_PACKAGES[p] in apt for p in programs), programs


def test_a_fresh_clone_has_the_folder_the_server_serves(tmp_path: Path) -> None:
    import io
    import tarfile

    from streamlit import file_util

    tree = subprocess.run(
        ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as archive:
        archive.extractall(tmp_path, filter="data")
    # What Streamlit checks on start (it warns when the folder is missing).
    assert Path(file_util.get_app_static_dir(str(tmp_path / "streamlit_app.py"))).is_dir()


def test_setup_installs_the_project_without_setuptools_information_boxes() -> None:
    # pip forwards the build backend's warnings at its warning level; -qq keeps them out.
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    (editable,) = [line for line in setup.splitlines() if " -e ." in line]
    assert " -qq " in editable and "--no-deps" in editable


def test_every_package_of_lofi_is_listed_for_installing() -> None:
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "lofi").rglob("__init__.py")
    }
    assert found <= listed, f"not installed by pip install: {sorted(found - listed)}"
