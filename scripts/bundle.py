"""``make bundle``: build the one-folder app with PyInstaller, then check it inside the built bundle:

1. it starts offscreen on an example and paints without importing TensorFlow;
2. ``layerbench train <copy of the example> --epochs 1`` trains headless (TensorFlow and Keras in the bundle);
3. the GUI, started with ``LAYERBENCH_TRAIN_PROBE=1``, presses Start on the Training panel: the run goes to a
   spawned worker process, which only works in a frozen app because ``packaging/launcher.py`` calls
   ``multiprocessing.freeze_support()`` first (PyInstaller's runtime hook makes it divert the child).

    python scripts/bundle.py            # build into dist/layerbench and check it
    python scripts/bundle.py --check    # only check an existing build
    python scripts/bundle.py --no-train # skip the two training checks
    python scripts/bundle.py --clean    # rebuild from scratch (about 15 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
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


def _env(folder: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LAYERBENCH_SETTINGS": str(folder / "settings.ini"),
            "TF_CPP_MIN_LOG_LEVEL": "2", **extra}


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return out, time.perf_counter() - start


def check_cli_training(timeout: float = 600.0) -> float:
    """``layerbench train <copy> --epochs 1 --no-save`` with the bundled executable (TensorFlow in the bundle)."""
    with tempfile.TemporaryDirectory(prefix="layerbench-bundle-") as tmp:
        project = Path(shutil.copy(example(), tmp))
        out, seconds = _run([str(APP), "train", str(project), "--epochs", "1", "--no-save"], _env(Path(tmp)), timeout)
    if out.returncode != 0:
        raise SystemExit(f"`layerbench train` failed in the bundle (exit {out.returncode}):\n"
                         f"{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return seconds


def check_gui_training(timeout: float = 600.0) -> tuple[float, str]:
    """The GUI starts a one-epoch run from its Training panel (a spawned worker process) and quits at the end."""
    with tempfile.TemporaryDirectory(prefix="layerbench-bundle-") as tmp:
        project = Path(shutil.copy(example(), tmp))
        env = _env(Path(tmp), LAYERBENCH_TRAIN_PROBE="1")
        out, seconds = _run([str(APP), str(project)], env, timeout)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("trained ")), "")
    if out.returncode != 0 or not line.startswith("trained finished"):
        raise SystemExit(f"GUI-started training failed in the bundle (exit {out.returncode}): {line or 'no result'}"
                         f"\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return seconds, line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only smoke-test an existing build")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first (slower)")
    parser.add_argument("--no-train", action="store_true", help="skip the headless and GUI training checks")
    args = parser.parse_args()
    if not args.check:
        build(args.clean)
    seconds = check()
    size = folder_size(APP.parent)
    print(f"bundle {APP.parent}: {size / 1e6:.0f} MB; started offscreen on {example().name} in {seconds:.1f} s",
          flush=True)
    if not args.no_train:
        print(f"headless `layerbench train --epochs 1` in the bundle: ok in {check_cli_training():.1f} s", flush=True)
        seconds, line = check_gui_training()
        print(f"GUI-started training in the bundle (spawned worker): {line} in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
