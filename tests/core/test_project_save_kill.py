"""A save killed with SIGKILL at any moment leaves the previous project loadable (and a whole .bak)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.project import Project

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

KILLS = 50

SAVER = textwrap.dedent(
    """
    # A zygote: builds the project once, then forks one saving child per "fork" line (forking is fast,
    # so 50 kills take seconds). Each child saves in a loop until it is killed.
    import os
    import sys
    import numpy as np
    from core.project import Project
    from core.graph.model import Edge

    project = Project(name="v0")
    g = project.main
    prev = g.add_node(g.make_node("Input", {"shape": [64]}))
    for _ in range(150):
        node = g.add_node(g.make_node("Dense", {"units": 64}))
        g.add_edge(Edge(prev.id, node.id))
        prev = node
    run = project.add_run("r1")
    rng = np.random.default_rng(0)
    project.set_weights(run.id, {"w": [rng.normal(size=(1024, 1024)).astype("float32")]})
    path = sys.argv[1]
    project.save(path)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "fork":
            break
        pid = os.fork()
        if pid == 0:
            try:
                i = 0
                while True:
                    i += 1
                    project.name = f"v{os.getpid()}-{i}"
                    project.save(path)
            finally:
                os._exit(1)
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
    """
)


def _zygote(path: Path) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=root)


def _check_loadable(path: Path) -> str:
    project = Project.load(path)
    assert project.weights("r1")["w"][0].shape == (1024, 1024)  # the 4 MB member is whole (CRC checked)
    assert len(project.main) == 151
    return project.name


@pytest.mark.slow
def test_sigkill_during_save_never_loses_the_project(tmp_path: Path) -> None:
    path = tmp_path / "big.layerbench"
    zygote = _zygote(path)
    assert zygote.stdin is not None
    assert zygote.stdout is not None
    try:
        assert zygote.stdout.readline().strip() == "ready"
        rng = random.Random(1234)
        names, mid_write = set(), 0
        for _ in range(KILLS):
            zygote.stdin.write("fork\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            time.sleep(rng.uniform(0.01, 0.25))
            os.kill(pid, signal.SIGKILL)
            assert zygote.stdout.readline().strip() == "reaped"
            names.add(_check_loadable(path))
            bak = tmp_path / "big.layerbench.bak"
            if bak.exists():
                _check_loadable(bak)
            leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            mid_write += bool(leftovers)
            for p in leftovers:
                p.unlink()
    finally:
        zygote.kill()
        zygote.wait(timeout=30)
    assert mid_write >= KILLS // 5  # many kills really landed inside a write (about half on an idle machine)
    assert len(names) > 1  # and saves did complete between kills
