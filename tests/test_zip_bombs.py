"""bzip2 and LZMA zip bombs: refused with a clear line, the server's memory barely moves."""

import json
import os
import subprocess
import sys
import zipfile

from tests.fuzz import archives

GROWTH_MB = 64  # the whole upload path, streamed: far below any bomb's unpacked size


def test_bzip2_and_lzma_bombs_are_refused_in_little_memory(tmp_path) -> None:
    gigabyte = archives.bzip2_zeros(25)  # 1000 MiB of zeros in under a kilobyte
    assert len(gigabyte) < 1024
    huge_dict = bytearray(archives.lzma_zeros(1 << 22))
    huge_dict[5:9] = (3 << 30).to_bytes(4, "little")  # the properties' dictionary size
    bombs = {
        "bz2-declares-1000.zip": archives.method_bomb(zipfile.ZIP_BZIP2, gigabyte, 1000),
        "bz2-declares-1g.zip": archives.method_bomb(zipfile.ZIP_BZIP2, gigabyte, 1 << 30),
        "lzma.zip": archives.method_bomb(zipfile.ZIP_LZMA, archives.lzma_zeros(128 << 20), 1000),
        "lzma-dict.zip": archives.method_bomb(zipfile.ZIP_LZMA, bytes(huge_dict), 1000),
    }
    for name, blob in bombs.items():
        (tmp_path / name).write_bytes(blob)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.peak", *(str(tmp_path / n) for n in bombs)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    report = json.loads(done.stdout)
    outcomes = report["outcomes"]
    assert all(o.startswith("refused: a.zip ") for o in outcomes.values()), outcomes
    assert not any("\n" in o for o in outcomes.values())
    assert "LZMA dictionary of 3072 MB" in outcomes["lzma-dict.zip"]
    assert report["grown_mb"] < GROWTH_MB, report  # unbounded, the first took 2 GB
