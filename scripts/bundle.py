"""``make bundle``: build the one-folder app with PyInstaller, then check it starts offscreen on an example.

    python scripts/bundle.py            # build into dist/layerbench and smoke-test it
    python scripts/bundle.py --check    # only smoke-test an existing build
    python scripts/bundle.py --clean    # rebuild from scratch (about 15 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
APP = DIST / "layerbench" / ("layerbench.exe" if sys.platform == "win32" else "layerbench")


def build(clean: bool = False) -> None:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", *(["--clean"] if clean else []), "--distpath", str(DIST),
           "--workpath", str(ROOT / "build" / "pyinstaller"), str(ROOT / "packaging" / "layerbench.spec")]
    subprocess.run(cmd, check=True, cwd=ROOT)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def example() -> Path:
    bundled = sorted(APP.parent.rglob("cnn_digits.layerbench"))
    if not bundled:
        raise SystemExit("the bundle holds no resources/examples/cnn_digits.layerbench")
    return bundled[0]


def check(timeout: float = 120.0) -> float:
    """Start the app offscreen on the digits example; it prints ``painted`` once the window is drawn."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBENCH_STARTUP_PROBE": "1",
           "LAYERBENCH_SETTINGS": str(ROOT / "build" / "bundle-check.ini")}
    start = time.perf_counter()
    out = subprocess.run([str(APP), str(example())], env=env, capture_output=True, text=True, timeout=timeout,
                         check=False)
    seconds = time.perf_counter() - start
    if out.returncode != 0 or "painted" not in out.stdout:
        raise SystemExit(f"the bundled app did not start (exit {out.returncode}):\n{out.stdout}\n{out.stderr[-3000:]}")
    if "tf=True" in out.stdout:
        raise SystemExit("the bundled app imported TensorFlow before its first paint")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only smoke-test an existing build")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first (slower)")
    args = parser.parse_args()
    if not args.check:
        build(args.clean)
    seconds = check()
    size = folder_size(APP.parent)
    print(f"bundle {APP.parent}: {size / 1e6:.0f} MB; started offscreen on {example().name} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
