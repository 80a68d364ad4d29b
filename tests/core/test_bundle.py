"""The PyInstaller bundle's entry point and, when a build exists (``make bundle``), the bundle itself:
it starts offscreen, trains headless, and trains from the GUI through a spawned worker process."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_launcher_calls_freeze_support_before_anything_else() -> None:
    """In a frozen app a spawned training worker re-runs this file: ``freeze_support`` must divert it first."""
    source = (ROOT / "packaging" / "launcher.py").read_text(encoding="utf-8")
    main_block = source[source.index('if __name__ == "__main__":'):].splitlines()
    assert main_block[1].strip() == "multiprocessing.freeze_support()"


@pytest.mark.filterwarnings("ignore:'core.cli' found in sys.modules:RuntimeWarning")  # imported by this test run
def test_launcher_runs_dash_m_modules_like_python(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The desktop app starts helper jobs as ``sys.executable -m core.cli …``; in the bundle that is us."""
    launcher = _load(ROOT / "packaging" / "launcher.py", "layerbench_launcher")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert launcher.run_module(["-m", "core.cli", "templates"]) == 0
    assert "lenet" in capsys.readouterr().out.lower()
    assert launcher.run_module(["-m", "core.cli", "no-such-command"]) == 2


BUNDLE = ROOT / "dist" / "layerbench" / ("layerbench.exe" if sys.platform == "win32" else "layerbench")


@pytest.mark.slow
@pytest.mark.tf
@pytest.mark.skipif(not BUNDLE.is_file(), reason="no bundle built (make bundle)")
def test_built_bundle_starts_and_trains_headless_and_from_the_gui() -> None:
    bundle = _load(ROOT / "scripts" / "bundle.py", "layerbench_bundle_script")
    bundle.check()
    bundle.check_cli_training()
    _, line = bundle.check_gui_training()
    assert line.startswith("trained finished epochs=1")
