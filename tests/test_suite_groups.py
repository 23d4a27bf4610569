"""The suite's own command runs each module on one worker (tests/conftest.py groups them).

A module's trained fixtures are then made once, and the browser tests share one worker.
Two things had undone it: the groups were marked after pytest-xdist had read them, and
pytest 9.2 drops the group pytest-xdist 3.8 writes into the test's id (pytest-xdist issue
1386), so requirements.txt pins pytest 9.1.1. Every module was spread over the workers and
the matrix styles were trained twice: about 100 s of the suite.
"""

import pytest


def test_a_module_runs_on_one_worker(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("run without --dist loadgroup: no groups to keep")
    assert request.node.nodeid.endswith("@test_suite_groups.py"), request.node.nodeid
