"""Hundreds of malformed uploads through the functions the pages and the CLI use."""

import json
import os
import subprocess
import sys

import pytest


def test_malformed_uploads_are_refused_clearly_or_work(request: pytest.FixtureRequest) -> None:
    cases = 1000 if request.config.getoption("--fuzz-large") else 300
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", "--cases", str(cases), "--seed", "12"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]  # the serving process never dies
    report = json.loads(done.stdout)
    assert report["problems"] == []
    assert report.get("unhandled", 0) == 0
    assert report["escapes"] == [] and report["overwrites"] == []
    assert report["hidden_leftovers"] == []
    assert report["accepted"] + report["rejected"] == cases
    assert report["rejected"] >= cases // 2 and report["accepted"] >= 10
    assert sum(report["files_by_kind"].values()) >= cases
    assert report["peak_rss_mb"] < 1024  # streamed and capped: no upload read whole
