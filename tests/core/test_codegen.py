"""Generated scripts: readable, Keras-only, and they build the very model ``build_model`` builds."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.catalog.specs import KerasObj
from core.graph.errors import TranslationError
from core.graph.model import Graph
from core.translate.codegen import generate, literal
from tests.conftest import add, link
from tests.core import sample_graphs


def awkward_names() -> Graph:
    """Node names that are not Python identifiers or clash with the script's own names."""
    g = sample_graphs.dense_chain(3)
    for node, name in zip(g.nodes, ["model", "class", "my-layer.v2", "2nd"]):
        g.rename_node(node.id, name)
    return g


GRAPHS: dict[str, Callable[[], Graph]] = {
    "residual": sample_graphs.residual,
    "inception": sample_graphs.inception,
    "two_in_two_out": sample_graphs.two_in_two_out,
    "recurrent": sample_graphs.recurrent,
    "awkward_names": awkward_names,
}


# ---- pure Python --------------------------------------------------------------------------------


def test_literals_are_python_source() -> None:
    reg = KerasObj("regularizers.L1L2", {"l1": 0.01, "l2": 0.0})
    inner = KerasObj("layers.LSTM", {"units": 3, "kernel_regularizer": reg, "bias_regularizer": None})
    assert literal(KerasObj("layers.Bidirectional", {"layer": inner, "merge_mode": "concat"})) == (
        'keras.layers.Bidirectional(layer=keras.layers.LSTM(units=3, '
        'kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.0)), merge_mode="concat")'
    )
    assert literal((3,)) == "(3,)"
    assert literal(((1, 1), (2, 2))) == "((1, 1), (2, 2))"
    assert literal([None, True, 'a"b']) == '[None, True, "a\\"b"]'
    assert literal({"l1": 1e-05}) == '{"l1": 1e-05}'
    assert literal(KerasObj("layerbench.MirrorPadding2D", {"mode": "reflect"})) == 'MirrorPadding2D(mode="reflect")'
    with pytest.raises(TypeError):
        literal(object())


@pytest.mark.parametrize("case", GRAPHS)
def test_script_compiles_with_one_line_per_layer_and_shape_comments(case: str) -> None:
    graph = GRAPHS[case]()
    source = generate(graph)
    compile(source, f"{case}.py", "exec")
    for node in graph.nodes:
        (line,) = [ln for ln in source.splitlines() if f'name="{node.name}")' in ln]
        assert "  # (None, " in line
    assert "def build_model():" in source
    assert "\nmodel = build_model()\n" in source
    assert 'if __name__ == "__main__":' in source
    assert "import tensorflow" not in source
    assert "core." not in source


def test_mirror_padding_source_is_shipped_only_when_used() -> None:
    assert "class MirrorPadding2D" in generate(sample_graphs.two_in_two_out())
    assert "class MirrorPadding2D" not in generate(sample_graphs.residual())


def test_main_block_is_optional() -> None:
    assert "__main__" not in generate(sample_graphs.residual(), main=False)


def test_invalid_graph_raises_translation_error_with_the_node_id() -> None:
    g = Graph()
    x, dense = add(g, "Input", shape=[4, 4, 1]), add(g, "Dense")
    link(g, x, dense)
    with pytest.raises(TranslationError) as info:
        generate(g)
    assert info.value.node_id == dense.id


# ---- the scripts run and build the same model -----------------------------------------------------

DRIVER = """
import contextlib, io, json, runpy, sys

results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        scope = runpy.run_path(path, run_name="__main__")
    model = scope["model"]
    results[path] = {
        "config": json.loads(json.dumps(model.get_config(), default=list)),
        "params": model.count_params(),
        "printed": out.getvalue(),
    }
print(json.dumps(results))
"""


def _normalize(obj: Any, nested: bool = False) -> Any:
    """Drop what legitimately differs between processes: auto-names of nested layers and module paths."""
    if isinstance(obj, dict):
        out = {k: _normalize(v, nested or k.endswith("layer")) for k, v in obj.items() if k != "module"}
        if nested and "name" in out and "class_name" not in out:
            del out["name"]
        return out
    if isinstance(obj, list):
        return [_normalize(v, nested) for v in obj]
    return obj


@pytest.fixture(scope="module")
def script_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("scripts")
    paths = {}
    for case, make in GRAPHS.items():
        paths[case] = folder / f"{case}.py"
        paths[case].write_text(generate(make(), name=f"{case}_model"))
    proc = subprocess.run([sys.executable, "-c", DRIVER, *map(str, paths.values())], capture_output=True,
                          text=True, timeout=300, check=False, cwd=folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    return {case: raw[str(path)] for case, path in paths.items()}


@pytest.mark.tf
@pytest.mark.parametrize("case", GRAPHS)
def test_script_builds_the_same_model_as_build_model(case: str, script_results: dict[str, Any]) -> None:
    from core.translate.to_keras import build_model

    model = build_model(GRAPHS[case](), name=f"{case}_model")
    ours = json.loads(json.dumps(model.get_config(), default=list))
    theirs = script_results[case]
    assert theirs["params"] == model.count_params()
    assert _normalize(theirs["config"]) == _normalize(ours)
    assert "Total params" in theirs["printed"]


@pytest.mark.tf
def test_script_runs_standalone_without_layerbench(tmp_path: Path) -> None:
    script = tmp_path / "exported.py"
    script.write_text(generate(sample_graphs.two_in_two_out()))
    proc = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, timeout=300,
                          check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MirrorPadding2D" in proc.stdout
    assert "Total params: 696" in proc.stdout
