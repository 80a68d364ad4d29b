"""Edits of a project's settings dicts (the data recipe, the training settings) as undoable commands on the
document's stack, the route the gradient-health fixes already take (``SetTraining``). Consecutive edits of the
same fields merge, so typing a learning rate is one step."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from core.graph.undo import Command


def leaf_paths(old: Any, new: Any, prefix: str = "") -> set[str]:
    """The dotted paths where ``old`` and ``new`` differ (dicts recurse; anything else is a leaf)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: set[str] = set()
        for key in set(old) | set(new):
            if key not in old or key not in new:
                out.add(f"{prefix}{key}")
            else:
                out |= leaf_paths(old[key], new[key], f"{prefix}{key}.")
        return out
    return set() if old == new and type(old) is type(new) else {prefix.rstrip(".")}


class ReplaceSettings(Command):
    """Give ``store`` (a project dict) the values ``new`` for its ``keys`` (None: every key); the other keys,
    such as another panel's entry in the training settings, stay. ``notify`` (show the project in the form)
    runs on undo and redo, not on the first apply: the form that made the edit already shows it."""

    def __init__(self, store: dict[str, Any], new: dict[str, Any], what: str,
                 keys: Iterable[str] | None = None, notify: Callable[[], None] | None = None) -> None:
        self.store, self.what, self.notify = store, what, notify
        self.keys = set(keys) if keys is not None else None
        self.old = copy.deepcopy({k: v for k, v in store.items() if self._owned(k)})
        self.new = copy.deepcopy({k: v for k, v in new.items() if self._owned(k)})
        self.fields = frozenset(leaf_paths(self.old, self.new))
        self._applied = False
        self.text = f"Edit {what}" + (f" ({', '.join(sorted(self.fields)[:3])})" if self.fields else "")

    def _owned(self, key: str) -> bool:
        return self.keys is None or key in self.keys

    def _apply(self, values: dict[str, Any]) -> None:
        for key in [k for k in self.store if self._owned(k)]:
            del self.store[key]
        self.store.update(copy.deepcopy(values))
        if self.notify is not None and self._applied:
            self.notify()
        self._applied = True

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def merge_key(self) -> object:
        return ("settings", id(self.store), self.what, self.fields)

    def merge(self, newer: Command) -> bool:
        if not isinstance(newer, ReplaceSettings) or newer.store is not self.store:
            return False
        self.new = newer.new
        return True
