"""Start-up time: from process start to the first painted main window, beside ``import tensorflow``.

Each GUI start is a fresh ``python -m desktop`` process (offscreen, settings and data in a temporary
folder) started with ``LAYERBENCH_STARTUP_PROBE=1``: the app prints the wall-clock time right after the
canvas has painted for the first time and quits. The time of ``python -c "import tensorflow"`` is
measured in the same run, as the reference the editor must stay well below.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import Row, median

ROOT = Path(__file__).resolve().parents[2]
STARTS = 5
TF_IMPORTS = 2
LIMIT = 1.5


def _env(tmp: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBENCH_STARTUP_PROBE": "1",
            "LAYERBENCH_DATA_DIR": tmp, "XDG_CONFIG_HOME": tmp, "PYTHONPATH": str(ROOT),
            "LAYERBENCH_SETTINGS": str(Path(tmp) / "settings.ini")}


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def startup_once() -> tuple[float, float, bool]:
    """Wall seconds from process start to the first painted window, the child's CPU seconds (less
    sensitive to a busy machine), and whether TensorFlow was loaded."""
    with tempfile.TemporaryDirectory(prefix="layerbench-bench-") as tmp:
        cpu = _child_cpu()
        start = time.time()
        out = subprocess.run([sys.executable, "-m", "desktop"], cwd=ROOT, env=_env(tmp), capture_output=True,
                             text=True, timeout=120, check=True)
        cpu = _child_cpu() - cpu
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("painted "))
    stamp, tf = line.split()[1:3]
    return float(stamp) - start, cpu, tf == "tf=True"


def tf_import_once() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], cwd=ROOT, capture_output=True, timeout=300,
                   check=True)
    return time.perf_counter() - start


def run() -> list[Row]:
    startup_once()  # warm the file cache once, as a second start by a user would be
    results = [startup_once() for _ in range(STARTS)]
    if any(tf for _, _, tf in results):
        raise AssertionError("the GUI process imported TensorFlow at start-up")
    gui = median([t for t, _, _ in results])
    cpu = median([c for _, c, _ in results])
    tf = median([tf_import_once() for _ in range(TF_IMPORTS)])
    return [
        Row("GUI: process start to first painted window", f"< {LIMIT} s", gui, limit=LIMIT, repeats=STARTS),
        Row("GUI: CPU time of that start (whole process)", f"< {LIMIT} s", cpu, limit=LIMIT, repeats=STARTS),
        Row("python -c 'import tensorflow' (same run)", "reference", tf, repeats=TF_IMPORTS),
        Row("GUI start-up / TensorFlow import", "ratio < 0.5", gui, baseline=tf, max_ratio=0.5, repeats=STARTS),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
