"""The README stays a short user guide whose commands exist and whose links lead somewhere."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from lofi.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def shell_commands(text: str) -> list[str]:
    """Every `python -m lofi …` line of the sh blocks, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    joined = "\n".join(b.replace("\\\n", " ") for b in blocks)
    commands = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if ".venv/bin/python -m lofi " in line:
            commands.append(line.split(".venv/bin/python -m lofi ", 1)[1])
    return commands


def test_the_readme_is_a_guide_not_a_notebook() -> None:
    assert len(README.splitlines()) < 350
    # Figures live in docs/, written by the commands that measure them.
    assert README.count("\n|") < 40


@pytest.mark.parametrize("command", shell_commands(README))
def test_every_documented_command_parses(command: str) -> None:
    args = shlex.split(command)
    if args[:2] == ["corpus", "build"] and "--runner" in args:
        args = args[: args.index("--project")]  # the rest are Beam's own pipeline options
    try:
        _parser().parse_args(args)
    except SystemExit as exc:
        pytest.fail(f"`python -m lofi {command}` is not a valid command ({exc})")


def test_the_readme_documents_the_commands_and_the_pages() -> None:
    assert len(shell_commands(README)) >= 15
    for name in ("generate", "train", "evaluate", "playlist", "corpus", "where"):
        assert any(c.startswith(name) for c in shell_commands(README)), name
    for page in ("Studio", "Radio", "Dataset", "Training", "Evaluate"):
        assert re.search(rf"^- \*\*\S* {page}\*\*", README, flags=re.M), page


@pytest.mark.parametrize(
    "doc",
    [
        "README.md",
        "ARCHITECTURE.md",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
    ],
)
def test_local_links_lead_to_files(doc: str) -> None:
    path = ROOT / doc
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text()):
        assert (path.parent / target).exists(), f"{doc} links to {target}, which is missing"
