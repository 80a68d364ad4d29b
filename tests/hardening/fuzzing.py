"""Shared pieces of the file fuzzers: byte mutations, JSON path edits and an outcome tally."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


class Tally:
    """Counts fuzz cases by outcome (``loaded``, ``refused``, …) per test; printed with ``-s``."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}

    def add(self, test: str, outcome: str) -> None:
        self.counts.setdefault(test, Counter())[outcome] += 1

    def lines(self) -> list[str]:
        return [f"{test}: {sum(c.values())} cases, " + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
                for test, c in self.counts.items()]


# ---- bytes ---------------------------------------------------------------------------------------
def byte_ops() -> st.SearchStrategy[list[tuple[str, float, bytes]]]:
    """1-4 operations: flip a byte, truncate, insert bytes or zero a run, each at a relative position."""
    op = st.tuples(st.sampled_from(["flip", "truncate", "insert", "zero"]), st.floats(0.0, 1.0),
                   st.binary(min_size=1, max_size=64))
    return st.lists(op, min_size=1, max_size=4)


def mutate_bytes(data: bytes, ops: list[tuple[str, float, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, payload in ops:
        pos = min(int(where * len(out)), max(len(out) - 1, 0))
        if not out:
            break
        if kind == "flip":
            out[pos] ^= payload[0] or 0xFF
        elif kind == "truncate":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = payload
        else:
            out[pos:pos + len(payload)] = bytes(min(len(payload), len(out) - pos))
    return bytes(out)


# ---- zips ----------------------------------------------------------------------------------------
def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return buffer.getvalue()


# ---- JSON ----------------------------------------------------------------------------------------
def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON document (the root excluded), at most 12 levels deep."""
    if len(prefix) >= 12:
        return
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from json_paths(child, (*prefix, key))


def set_path(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def delete_path(doc: Any, path: tuple[Any, ...]) -> None:
    for key in path[:-1]:
        doc = doc[key]
    del doc[path[-1]]


HUGE = st.sampled_from([2**63, -(2**63) - 1, 2**200, 10**4000, 1e308, -1e308, 5e-324, 0, -1, 2**31])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), HUGE, st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=30), st.sampled_from(["", "../../etc/passwd", "/abs", "\x00", "Dense",
                                                           "KerasLayer", "Input", "main", "x" * 5000]))
HOSTILE = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=12)
