"""`corpus build` on Beam's DirectRunner: shards of a small folder with one broken file."""

import json
from pathlib import Path

import numpy as np
import pytest

from lofi.cli import main
from lofi.core.errors import CorpusError
from lofi.data.corpus import load_corpus
from lofi.data.readers import parse_file
from lofi.encoding.tokens import encode, windows
from lofi.encoding.vocab import MODEL_KINDS, vocabulary
from lofi.learn.shards import SPLITS, read_shards, read_windows, split_of

DATA = Path(__file__).parent / "data" / "midi"
SEQ_LEN = 8  # as the tiny_shards fixture builds them
VALIDATION = 0.4


def _rows(columns: dict[str, np.ndarray]) -> list[tuple[int, ...]]:
    keys = sorted(columns)
    n = len(columns[keys[0]]) if keys else 0
    return sorted(tuple(int(x) for k in keys for x in columns[k][i]) for i in range(n))


def _expected(files: list[Path], kind: str, split: str) -> list[tuple[int, ...]]:
    vocab = vocabulary(kind)
    stride = max(1, SEQ_LEN // 4) if split == "train" else SEQ_LEN
    columns: dict[str, list[np.ndarray]] = {}
    for path in files:
        piece = parse_file(path)
        if split_of(piece.content_hash, VALIDATION) != split:
            continue
        cut = windows([encode(piece, vocab)], SEQ_LEN, stride)
        for k, v in cut.inputs.items():
            columns.setdefault(f"in/{k}", []).append(v)
        for k, v in cut.targets.items():
            columns.setdefault(f"out/{k}", []).append(v)
    return _rows({k: np.concatenate(v) for k, v in columns.items()})


@pytest.fixture
def built(tiny_shards: tuple[Path, list[Path]]) -> tuple[Path, list[Path]]:
    return tiny_shards


def test_the_broken_file_is_listed_and_the_others_encoded(built) -> None:
    out, good = built
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(Path(b["file"]).name, b["reason"]) for b in manifest["bad_files"]] == [
        ("truncated.mid", "unreadable or damaged (EOFError)")
    ]
    assert manifest["files"] == len(good) + 1 and manifest["pieces"] == len(good)
    assert manifest["runner"] == "DirectRunner" and manifest["seq_len"] == SEQ_LEN
    assert manifest["corpus_hash"] == load_corpus(good[0].parent, workers=1).content_hash
    lines = (out / "index" / "pieces.jsonl").read_text().splitlines()
    pieces = [json.loads(line) for line in lines]
    assert sorted(p["file"] for p in pieces) == [p.name for p in good]
    for kind in MODEL_KINDS:
        info = manifest["kinds"][kind]
        assert len(info["shards"]["train"]) == 2 and len(info["shards"]["val"]) == 1
        assert all((out / name).is_file() for names in info["shards"].values() for name in names)
        assert json.loads((out / kind / "vocab.json").read_text()) == vocabulary(kind).to_json()
        assert info["windows"]["train"] > 0


def test_the_shards_hold_the_in_memory_encoding(built) -> None:
    out, good = built
    shards = read_shards(str(out))
    for kind in MODEL_KINDS:
        for split in SPLITS:
            expected = _expected(good, kind, split)
            if not expected:
                continue
            assert _rows(read_windows(shards, kind, split)) == expected, (kind, split)
            assert shards.windows(kind, split) == len(expected)


def test_building_over_shards_and_reading_a_plain_folder_are_refused(built, tmp_path) -> None:
    out, good = built
    folder = good[0].parent
    assert main(["corpus", "build", str(folder), "--out", str(out)]) == 2
    with pytest.raises(CorpusError, match="not a shard folder"):
        read_shards(str(tmp_path))


def test_hostile_files_are_reported_failures_and_the_worker_goes_on(tmp_path) -> None:
    """Files that refuse, flood or outrun their parse child, beside good ones, on one Beam
    worker: each bad file is a line in the manifest, every good one is encoded."""
    from tests.fuzz.scores import LYING_MIDI_HEX, long_musicxml

    folder = tmp_path / "corpus"
    folder.mkdir()
    good = ["a.mid", "b.mid"]
    for i, name in enumerate(good):  # different bytes, same music: two pieces
        (folder / name).write_bytes((DATA / "tiny_c_major.mid").read_bytes() + b"\0" * i)
    (folder / "lying.mid").write_bytes(bytes.fromhex(LYING_MIDI_HEX))
    # Within the size and measure caps, but music21 needs far more than a CPU second.
    for name in ("long1.xml", "long2.xml"):
        (folder / name).write_bytes(long_musicxml(7_999))
    out = tmp_path / "shards"
    args = ["corpus", "build", str(folder), "--out", str(out), "--seq-len", "4"]
    args += ["--parse-cpu-s", "1", "--parse-wall-s", "120", "--direct_running_mode=in_memory"]
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    reasons = {Path(b["file"]).name: b["reason"] for b in manifest["bad_files"]}
    assert reasons["lying.mid"].startswith("a note lasts until beat 268435455")
    for name in ("long1.xml", "long2.xml"):
        assert "more than 1 s of CPU time" in reasons[name], reasons
    assert sorted(reasons) == ["long1.xml", "long2.xml", "lying.mid"]
    assert manifest["pieces"] == len(good) and manifest["files"] == len(good) + 3
    assert manifest["settings"]["parse_limits"]["cpu_s"] == 1
