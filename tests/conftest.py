import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# --- engine: tiny trained checkpoints -------------------------------------------------------
@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A melody and a chord model trained a few steps on synthetic pieces."""
    from tests.factories import train_tiny

    root = tmp_path_factory.mktemp("checkpoints")
    train_tiny("melody", root / "melody")
    train_tiny("chords", root / "chords")
    return root / "melody", root / "chords"
