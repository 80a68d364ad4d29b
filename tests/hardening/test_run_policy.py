"""The test run itself fails instead of hanging: a crashed xdist worker ends the run as failed (pytest-xdist 3.8
would restart it and, under ``--dist loadgroup``, wait forever), and every test carries a time limit
(tests/run_policy.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run_policy import DEFAULT_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 240
"""Seconds before the throwaway run counts as hung (it takes a few seconds)."""


def test_a_crashed_worker_fails_the_run_instead_of_hanging(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.run_policy"]\n', encoding="utf-8")
    (tmp_path / "test_a.py").write_text("def test_one():\n    pass\n\n\ndef test_two():\n    pass\n",
                                        encoding="utf-8")
    (tmp_path / "test_b.py").write_text("import os\nimport signal\n\n\ndef test_crash():\n"
                                        "    os.kill(os.getpid(), signal.SIGSEGV)\n\n\ndef test_after():\n    pass\n",
                                        encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2",
                               "--dist", "loadgroup", "--rootdir", str(tmp_path), str(tmp_path)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the run hung after the worker crashed: {exc.stdout!r}")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "worker 'gw" in out and "crashed while running 'test_b.py::test_crash'" in out, out
    assert "restarting disabled" in out, out


def test_an_unmarked_test_has_the_default_time_limit(request: pytest.FixtureRequest) -> None:
    pytest.importorskip("pytest_timeout")
    mark = request.node.get_closest_marker("timeout")
    assert mark is not None and mark.args == (DEFAULT_TIMEOUT,) and mark.kwargs == {"method": "thread"}


@pytest.mark.timeout(1234)
def test_a_tests_own_time_limit_is_kept(request: pytest.FixtureRequest) -> None:
    pytest.importorskip("pytest_timeout")
    assert request.node.get_closest_marker("timeout").args == (1234,)
