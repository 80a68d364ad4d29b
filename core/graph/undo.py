"""An undo stack with macros, merging, a clean state and change signals (Qt-free, QUndoStack-like)."""

from __future__ import annotations

from psygnal import Signal


class Command:
    """One undoable edit. ``redo`` applies it (also the first time), ``undo`` reverts it.

    Commands touch only the model. ``merge_key`` lets consecutive edits of one field merge (typing bursts).
    """

    text: str = "Edit"

    def redo(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def merge_key(self) -> object | None:
        return None

    def merge(self, newer: Command) -> bool:
        """Absorb ``newer`` (already applied); return whether it did."""
        return False


class Macro(Command):
    """Several commands applied and reverted as one step."""

    def __init__(self, text: str, children: list[Command] | None = None) -> None:
        self.text = text
        self.children: list[Command] = list(children or [])

    def redo(self) -> None:
        """Apply every child; if one fails, revert those already applied so nothing is half done."""
        done: list[Command] = []
        try:
            for c in self.children:
                c.redo()
                done.append(c)
        except Exception:
            for c in reversed(done):
                c.undo()
            raise

    def undo(self) -> None:
        for c in reversed(self.children):
            c.undo()


class UndoStackError(RuntimeError):
    """A push during undo/redo, or an unbalanced macro: a programming error, never a user's."""


class UndoStack:
    """Linear history of commands; pushing applies the command."""

    can_undo_changed = Signal(bool)
    can_redo_changed = Signal(bool)
    clean_changed = Signal(bool)
    index_changed = Signal(int)

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._index = 0
        self._clean_index: int | None = 0
        self._busy = False
        self._macros: list[Macro] = []
        self._merge_open = True

    # ---- state -----------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def can_undo(self) -> bool:
        return self._index > 0 and not self._macros

    def can_redo(self) -> bool:
        return self._index < len(self._commands) and not self._macros

    def is_clean(self) -> bool:
        return self._clean_index == self._index

    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo() else ""

    def set_clean(self) -> None:
        was = self.is_clean()
        self._clean_index = self._index
        self._merge_open = False
        if not was:
            self.clean_changed.emit(True)

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean_index = 0
        self._emit_all(None)

    # ---- editing ---------------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Apply ``command`` and record it (merged into the previous one when both agree)."""
        if self._busy:
            raise UndoStackError("a command was pushed while undo/redo was running")
        self._busy = True
        try:
            command.redo()
        finally:
            self._busy = False
        if self._macros:
            self._macros[-1].children.append(command)
            return
        self._record(command)

    def _record(self, command: Command) -> None:
        before = self._snapshot()
        del self._commands[self._index :]
        if self._clean_index is not None and self._clean_index > self._index:
            self._clean_index = None
        top = self._commands[-1] if self._commands else None
        key = command.merge_key()
        mergeable = self._merge_open and top is not None and self._clean_index != self._index
        if mergeable and key is not None and top is not None and top.merge_key() == key and top.merge(command):
            self._emit_all(before)
            return
        self._commands.append(command)
        self._index += 1
        self._merge_open = True
        self._emit_all(before)

    def begin_macro(self, text: str) -> None:
        self._macros.append(Macro(text))

    def end_macro(self) -> None:
        if not self._macros:
            raise UndoStackError("end_macro without begin_macro")
        macro = self._macros.pop()
        if not macro.children:
            return
        if self._macros:
            self._macros[-1].children.append(macro)
        else:
            self._record(macro)

    def undo(self) -> None:
        if not self.can_undo():
            return
        before = self._snapshot()
        self._run(self._commands[self._index - 1].undo)
        self._index -= 1
        self._merge_open = False
        self._emit_all(before)

    def redo(self) -> None:
        if not self.can_redo():
            return
        before = self._snapshot()
        self._run(self._commands[self._index].redo)
        self._index += 1
        self._merge_open = False
        self._emit_all(before)

    def _run(self, fn: object) -> None:
        self._busy = True
        try:
            fn()  # type: ignore[operator]
        finally:
            self._busy = False

    # ---- signals ---------------------------------------------------------------------------------
    def _snapshot(self) -> tuple[bool, bool, bool, int]:
        return (self.can_undo(), self.can_redo(), self.is_clean(), self._index)

    def _emit_all(self, before: tuple[bool, bool, bool, int] | None) -> None:
        now = self._snapshot()
        signals = (self.can_undo_changed, self.can_redo_changed, self.clean_changed, self.index_changed)
        for i, sig in enumerate(signals):
            if before is None or before[i] != now[i]:
                sig.emit(now[i])
