"""core works with Qt absent (DESIGN.md §2.1) and imports no heavy framework at module level (§2.2).

Each check runs in a fresh interpreter in which a meta-path finder makes PySide6, shiboken6 and pyqtgraph
unimportable, as on a headless machine without them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

BLOCKER = """
import importlib.abc, sys

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")


class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None


sys.meta_path.insert(0, BlockQt())
"""

FOUNDATION = """
import json
import core.graph, core.catalog, core.translate.shapes
from core.catalog.registry import all_specs
from core.graph.model import Graph
from core.translate.shapes import infer_graph

graph = Graph()
a = graph.add_node(graph.make_node("Input", {"shape": [4]}))
b = graph.add_node(graph.make_node("Dense", {"units": 3}))
from core.graph.model import Edge
graph.add_edge(Edge(a.id, b.id))
info = infer_graph(graph)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "PySide6", "shiboken6"))
print(json.dumps({"specs": len(all_specs()), "shape": list(info.nodes[b.id].outputs[0]), "heavy": heavy}))
"""

EVERY_MODULE = """
import json, pkgutil, importlib
import core

culprits = {}
failed = {}
for info in pkgutil.walk_packages(core.__path__, "core."):
    before = {m.split(".")[0] for m in sys.modules}
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = f"{type(exc).__name__}: {exc}"
        continue
    new = {m.split(".")[0] for m in sys.modules} - before
    heavy = sorted(new & {"tensorflow", "keras", "gymnasium", "PySide6", "shiboken6", "pyqtgraph"})
    if heavy:
        culprits[info.name] = heavy
print(json.dumps({"failed": failed, "culprits": culprits, "count": len(sys.modules)}))
"""

CORE_TESTS = """
import json, pkgutil, importlib
import tests.core

failed = {}
names = [i.name for i in pkgutil.iter_modules(tests.core.__path__, "tests.core.")]
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
print(json.dumps({"failed": failed, "qt": qt, "count": len(names)}))
"""


def _run(body: str) -> dict[str, Any]:
    code = BLOCKER + textwrap.dedent(body)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_blocker_really_blocks_qt() -> None:
    out = _run("""
        try:
            import PySide6.QtCore
        except ImportError:
            print('{"blocked": true}')
        else:
            print('{"blocked": false}')
    """)
    assert out == {"blocked": True}


def test_graph_catalog_and_shapes_work_without_qt_and_import_nothing_heavy() -> None:
    out = _run(FOUNDATION)
    assert out["heavy"] == []
    assert out["shape"] == [3]
    assert out["specs"] > 5


def test_every_core_module_imports_without_qt_or_eager_frameworks() -> None:
    out = _run(EVERY_MODULE)
    assert out["failed"] == {}
    assert out["culprits"] == {}


def test_core_test_modules_import_without_qt() -> None:
    out = _run(CORE_TESTS)
    assert out["failed"] == {}
    assert out["qt"] == []
    assert out["count"] >= 8
