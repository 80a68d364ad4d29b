"""The layerbench command line: exit statuses, messages, templates, info, import and export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from core import cli
from core.project import Project
from tests.conftest import add, link

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _project_file(tmp_path: Path, valid: bool = True) -> Path:
    project = Project(name="p")
    g = project.main
    inp = add(g, "Input", shape=(8, 8, 1))
    conv = add(g, "Conv2D", filters=2, kernel_size=(3, 3))
    link(g, inp, conv, add(g, "Flatten"), add(g, "Dense", units=3))
    if not valid:
        add(g, "Dense", units=2)  # nothing feeds it
    return project.save(tmp_path / ("ok.layerbench" if valid else "bad.layerbench"))


def test_templates_and_new(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = _run(capsys, "templates")
    assert status == 0
    name = out.split()[0]
    target = tmp_path / "t.layerbench"
    assert _run(capsys, "new", "--template", name, str(target))[0] == 0
    assert len(Project.load(target).main) > 0
    status, _, err = _run(capsys, "new", "--template", name, str(target))
    assert status == 1
    assert "already exists" in err
    assert _run(capsys, "new", "--force", str(target))[0] == 0
    assert len(Project.load(target).main) == 0


def test_new_gan_template_gets_both_graphs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from core.catalog.templates import list_templates

    gan = [t.name for t in list_templates() if t.kind == "gan_generator"]
    if not gan:
        pytest.skip("no GAN template bundled")
    target = tmp_path / "g.layerbench"
    assert _run(capsys, "new", "--template", gan[0], str(target))[0] == 0
    project = Project.load(target)
    assert project.kind == "gan"
    assert len(project.graphs["generator"]) > 0


def test_user_errors_are_one_line_with_status_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = _run(capsys, "info", str(tmp_path / "missing.layerbench"))
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1
    assert "missing.layerbench: no such file" in err
    assert "Traceback" not in err
    status, _, err = _run(capsys, "new", "--template", "no_such_template", str(tmp_path / "x.layerbench"))
    assert status == 1
    assert "no_such_template" in err


def test_bad_usage_is_status_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _run(capsys, "bogus")[0] == 2
    assert _run(capsys, "export", "x.layerbench")[0] == 2  # --format and --out are required
    assert _run(capsys, "new", str(tmp_path / "x.zip"))[0] == 2
    assert _run(capsys, "--help")[0] == 0


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no such file"):
        cli.main(["info", "--debug", str(tmp_path / "missing.layerbench")])


def test_info_table_json_and_status(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = _project_file(tmp_path)
    status, out, _ = _run(capsys, "info", str(good))
    assert status == 0
    assert "conv2d_1" in out
    assert "(6, 6, 2)" in out
    assert "no errors" in out
    status, out, _ = _run(capsys, "info", "--json", str(good))
    report = json.loads(out)["graphs"]["main"]
    assert status == 0
    conv = next(layer for layer in report["layers"] if layer["type"] == "Conv2D")
    assert conv["output_shapes"] == [[6, 6, 2]]
    assert conv["params"] == 3 * 3 * 2 + 2
    assert conv["flops"] > 0
    assert conv["receptive_field"] == 3
    assert report["totals"]["params"] == 20 + 72 * 3 + 3
    status, out, _ = _run(capsys, "info", str(_project_file(tmp_path, valid=False)))
    assert status == 1
    assert "error:" in out


def test_commands_without_tensorflow(tmp_path: Path) -> None:
    """templates, new and info never import TensorFlow or Keras (they must stay fast on servers)."""
    code = (
        "import sys\n"
        "from core.cli import main\n"
        "assert main(['templates']) == 0\n"
        f"assert main(['new', {str(tmp_path / 'n.layerbench')!r}]) == 0\n"
        f"main(['info', {str(tmp_path / 'n.layerbench')!r}])\n"
        "heavy = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


def test_open_calls_the_desktop_main(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    fake = types.ModuleType("desktop.app")
    fake.main = lambda argv=None: calls.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "desktop.app", fake)
    good = _project_file(tmp_path)
    assert _run(capsys, "open", str(good))[0] == 0
    assert _run(capsys, str(good))[0] == 0  # as a file manager calls it
    assert _run(capsys)[0] == 0
    assert calls == [[str(good)], [str(good)], []]


def test_open_without_desktop(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    real = cli.importlib.import_module

    def missing(name: str, package: str | None = None) -> Any:
        if name == "desktop.app":
            raise ModuleNotFoundError("No module named 'desktop.app'", name="desktop.app")
        return real(name, package)

    monkeypatch.setattr("core.cli_commands.importlib.import_module", missing)
    for argv in (["open"], []):
        status, _, err = _run(capsys, *argv)
        assert status == 1
        assert "desktop app is not installed" in err


def test_registered_commands(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMANDS", list(cli.COMMANDS))
    cli.register_command("hello", "say hello", lambda p: p.add_argument("who"),
                         lambda a: print(f"hello {a.who}") or 0)
    status, out, _ = _run(capsys, "hello", "world")
    assert status == 0
    assert out == "hello world\n"


@pytest.mark.tf
def test_import_then_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import keras
    import numpy as np

    inp = keras.Input((5,), name="x")
    model = keras.Model(inp, keras.layers.Dense(2, name="d")(keras.layers.Dense(4, name="h")(inp)))
    model.save(tmp_path / "m.keras")
    project = tmp_path / "m.layerbench"
    status, out, err = _run(capsys, "import", str(tmp_path / "m.keras"), str(project))
    assert status == 0, err
    assert "imported 3 layers" in out
    status, out, err = _run(capsys, "export", str(project), "--format", "keras", "--output", str(tmp_path / "o"))
    assert status == 0, err
    assert "using the weights of run imported" in out
    again = keras.saving.load_model(tmp_path / "o.keras", safe_mode=True)
    x = np.ones((2, 5), "float32")
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), atol=1e-6)
    status, _, err = _run(capsys, "import", str(tmp_path / "missing.keras"), str(tmp_path / "n.layerbench"))
    assert status == 1
    assert "no such file" in err


def test_python_dash_m_lists_every_command() -> None:
    """``python -m core.cli`` (the GUI's worker uses it) sees the commands other modules register."""
    result = subprocess.run([sys.executable, "-m", "core.cli", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    for name in ("open", "new", "templates", "info", "import", "export"):
        assert f"    {name}" in result.stdout


@pytest.mark.tf
def test_failed_import_prints_one_line_and_no_tensorflow_logs(tmp_path: Path) -> None:
    import keras

    inp = keras.Input((3,))
    keras.Model(inp, keras.layers.Lambda(lambda t: t * 2)(inp)).save(tmp_path / "lam.keras")
    result = subprocess.run([sys.executable, "-m", "core.cli", "import", str(tmp_path / "lam.keras"),
                             str(tmp_path / "out.layerbench")], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Lambda" in result.stderr
    assert not (tmp_path / "out.layerbench").exists()
