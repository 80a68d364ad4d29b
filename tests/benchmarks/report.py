"""The written record of a ``make bench`` run: the machine it ran on and the table, as Markdown.

``machine()`` describes the computer without importing TensorFlow (versions come from package metadata);
``markdown()`` renders the rows; ``replace_block()`` swaps the table between two marker comments in the
README so that the README carries the latest full run.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata

from tests.benchmarks.common import Row

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return "unknown memory"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _gpus() -> str:
    """GPUs as the NVIDIA driver lists them, without loading TensorFlow; "no GPU" when there is no driver."""
    if shutil.which("nvidia-smi") is None:
        return "no GPU"
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "no GPU"
    return ", ".join(out.splitlines()) or "no GPU"


def load_average() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def machine() -> dict[str, str]:
    return {
        "CPU": f"{_cpu_model()}, {os.cpu_count()} logical cores",
        "memory": _memory_gib(),
        "GPU": _gpus(),
        "system": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "TensorFlow / Keras": f"{_version('tensorflow')} / {_version('keras')}",
        "PySide6 / pyqtgraph": f"{_version('PySide6_Essentials')} / {_version('pyqtgraph')}",
    }


def markdown(rows: Sequence[tuple[str, Row]], facts: dict[str, str], cells: Callable[[Row], tuple[str, ...]]) -> str:
    """The run as Markdown: a line on the machine and the run, then one table row per figure. ``cells`` is
    the runner's formatter, shared so that the file and the terminal agree."""
    lines = ["Measured by `make bench` on " + time.strftime("%Y-%m-%d", time.gmtime()) + ": "
             + "; ".join(f"{k} {v}" for k, v in facts.items()) + ".", "",
             "| module | figure | target | median | baseline | ratio | result |",
             "|---|---|---|---|---|---|---|"]
    for module, row in rows:
        values = [v.replace("|", "/") for v in cells(row)]
        lines.append("| " + " | ".join([module.removeprefix("bench_"), *values]) + " |")
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str) -> str:
    """``text`` with everything between the bench markers replaced by ``block`` (markers kept)."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"the README has no {BEGIN} ... {END} block to replace")
    return pattern.sub(lambda _m: f"{BEGIN}\n{block.rstrip()}\n{END}", text, count=1)


def write(path: str, content: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
    os.replace(tmp, path)
    print(f"wrote {path}", file=sys.stderr)
