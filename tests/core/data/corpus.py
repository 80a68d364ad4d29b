"""Broken project files for the loading tests, generated small and on the fly (nothing binary is stored)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.project.io import PROJECT_JSON
from core.project.schema import FORMAT_VERSION


def good_json() -> dict[str, Any]:
    """A valid project.json: Input -> Dense."""
    return {
        "format_version": FORMAT_VERSION,
        "app_version": "test",
        "kind": "supervised",
        "name": "t",
        "graphs": {"main": {
            "nodes": [
                {"id": "a1", "type": "Input", "name": "input_1", "params": {"shape": [4]}, "ui": {"x": 0, "y": 0}},
                {"id": "b2", "type": "Dense", "name": "dense_1", "params": {"units": 2}, "ui": {"x": 200, "y": 0}},
            ],
            "edges": [{"id": "e1", "src": "a1", "dst": "b2", "src_port": "out", "dst_port": "in"}],
        }},
        "data": {}, "training": {}, "runs": [],
    }


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def with_json(data: Any) -> bytes:
    return zip_bytes({PROJECT_JSON: json.dumps(data).encode()})


def _mutated(change: Callable[[dict[str, Any]], None]) -> bytes:
    data = good_json()
    change(data)
    return with_json(data)


def _symlink_member() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(PROJECT_JSON, json.dumps(good_json()))
        info = zipfile.ZipInfo("runs/link")
        info.create_system = 3
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _declared_size(size: int) -> bytes:
    """A zip whose central directory claims project.json unpacks to ``size`` bytes."""
    data = bytearray(with_json(good_json()))
    at = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, at + 24, size)
    return bytes(data)


def _nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = data["graphs"]["main"]["nodes"]
    return nodes


BROKEN: dict[str, tuple[Callable[[], bytes], str]] = {
    # name: (file bytes, a fragment the error message must contain)
    "not_a_zip": (lambda: b"hello, this is text", "not a zip archive"),
    "truncated_zip": (lambda: with_json(good_json())[:60], "not a zip archive"),
    "empty_file": (lambda: b"", "not a zip archive"),
    "no_project_json": (lambda: zip_bytes({"other.txt": b"x"}), "has no project.json"),
    "bad_json": (lambda: zip_bytes({PROJECT_JSON: b'{"format_version": 2, '}), "not valid JSON"),
    "json_not_object": (lambda: with_json([1, 2]), "JSON object"),
    "nan_in_json": (lambda: zip_bytes({PROJECT_JSON: b'{"format_version": NaN}'}), "not valid JSON"),
    "wrong_type": (lambda: _mutated(lambda d: _nodes(d)[0].update(params=[1])), "graphs.main.nodes[0].params"),
    "wrong_type_ui": (lambda: _mutated(lambda d: _nodes(d)[1].update(ui={"x": "left"})), "nodes[1].ui.x"),
    "missing_field": (lambda: _mutated(lambda d: d.pop("graphs")), "graphs: this field is missing"),
    "missing_node_type": (lambda: _mutated(lambda d: _nodes(d)[1].pop("type")), "nodes[1].type"),
    "unknown_field": (lambda: _mutated(lambda d: d.update(colour="red")), "colour: unknown field"),
    "unknown_kind": (lambda: _mutated(lambda d: d.update(kind="magic")), "kind"),
    "gan_without_discriminator": (lambda: _mutated(lambda d: d.update(kind="gan")), "'generator'"),
    "unknown_layer_type": (lambda: _mutated(lambda d: _nodes(d)[1].update(type="Teleport")),
                           "nodes[1] (dense_1): unknown layer type 'Teleport'"),
    "bad_param": (lambda: _mutated(lambda d: _nodes(d)[1]["params"].update(units=-3)), "dense_1"),
    "dangling_edge": (lambda: _mutated(lambda d: d["graphs"]["main"]["edges"][0].update(dst="gone")),
                      "edges[0].dst: no node has the id gone"),
    "duplicate_id": (lambda: _mutated(lambda d: _nodes(d)[1].update(id="a1")), "used twice"),
    "newer_version": (lambda: _mutated(lambda d: d.update(format_version=FORMAT_VERSION + 5)),
                      f"format_version {FORMAT_VERSION + 5}"),
    "deeply_nested_json": (lambda: zip_bytes({PROJECT_JSON: b'{"format_version": 2, "graphs": ' + b'{"a":' * 50_000
                                               + b"1" + b"}" * 50_001}), "not valid JSON"),
    "no_version": (lambda: _mutated(lambda d: d.pop("format_version")), "format_version is missing"),
    "version_not_int": (lambda: _mutated(lambda d: d.update(format_version="2")), "whole number"),
    "dotdot_member": (lambda: zip_bytes({PROJECT_JSON: json.dumps(good_json()).encode(), "../evil.txt": b"x"}),
                      "outside the archive"),
    "absolute_member": (lambda: zip_bytes({PROJECT_JSON: json.dumps(good_json()).encode(), "/etc/evil": b"x"}),
                        "absolute path"),
    "symlink_member": (_symlink_member, "symbolic link"),
    "oversized_member": (lambda: _declared_size(2**31), "over the limit"),
    "missing_run_member": (lambda: _mutated(lambda d: d["runs"].append(
        {"id": "r1", "weights": {"main": "runs/r1/weights-main.npz"}})), "runs[0] (r1)"),
    "unsafe_run_id": (lambda: _mutated(lambda d: d["runs"].append({"id": "../x"})), "runs[0].id"),
}


def write(folder: Path, name: str) -> Path:
    path = folder / f"{name}.layerbench"
    path.write_bytes(BROKEN[name][0]())
    return path
