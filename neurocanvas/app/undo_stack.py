"""An undo stack that is never left broken by a command that fails.

Qt's ``QUndoStack`` assumes ``redo()`` cannot fail. In Python it can (a value over a limit, a
damaged paste), and then Qt has already added the command: undoing it later would undo what
never happened, and inside a macro the macro stays open, so Undo stays disabled and every
later edit disappears into it. :class:`SafeUndoStack` rolls such a command back instead.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

__all__ = ["SafeUndoStack"]

_State = tuple[int, bool, bool, bool, str, str]


class SafeUndoStack(QUndoStack):
    """A ``QUndoStack`` whose ``push`` is all-or-nothing.

    A command whose ``redo`` raises is undone as far as it got and removed, and the exception
    goes on to the caller with its own message. Inside a macro, everything the macro did so
    far is undone too and the macro is closed and dropped (:meth:`abort_macros`). Qt deletes
    an obsolete command on ``undo()`` without undoing it, which is how the failed one leaves.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._macro_levels: list[list[QUndoCommand]] = []  # commands done, per open macro

    def beginMacro(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().beginMacro(text)
        self._macro_levels.append([])

    def endMacro(self) -> None:  # noqa: N802 - Qt's name
        if not self._macro_levels:
            return  # already closed by a failed push's rollback
        super().endMacro()
        done = self._macro_levels.pop()
        if self._macro_levels:
            self._macro_levels[-1].extend(done)

    @property
    def in_macro(self) -> bool:
        return bool(self._macro_levels)

    def push(self, command: QUndoCommand) -> None:
        # Signals stay blocked during Qt's push: a Python slot run while redo's exception is
        # pending would receive that exception instead of this caller. They are sent
        # afterwards, for whatever changed.
        before = self._state()
        blocked = self.blockSignals(True)
        try:
            super().push(command)
        except Exception as exc:
            self._drop_failed(command)
            if exc.args and isinstance(exc.args[0], str):  # the message without PySide's frame
                exc.args = (exc.args[0].split("redo(): ", 1)[-1], *exc.args[1:])
            raise
        finally:
            self.blockSignals(blocked)
            if not blocked and not self._macro_levels:  # Qt announces a macro at its end
                self._announce(before)
        if self._macro_levels:
            self._macro_levels[-1].append(command)

    def abort_macros(self) -> None:
        """Undo what the open macros did, close them and drop them (no-op without one)."""
        if not self._macro_levels:
            return
        before = self._state()
        blocked = self.blockSignals(True)
        try:
            while self._macro_levels:
                for command in reversed(self._macro_levels.pop()):
                    command.undo()
                super().endMacro()
            self._drop_top()
        finally:
            self.blockSignals(blocked)
            if not blocked:
                self._announce(before)

    def _drop_failed(self, failed: QUndoCommand) -> None:
        try:
            failed.undo()  # whatever part of it was done (a paste may add nodes, then fail)
        except Exception:  # noqa: BLE001 - it failed before changing anything
            pass
        if self._macro_levels:
            while self._macro_levels:
                for command in reversed(self._macro_levels.pop()):
                    command.undo()
                super().endMacro()
        self._drop_top()

    def _drop_top(self) -> None:
        top = self.command(self.index() - 1)
        if top is not None:
            top.setObsolete(True)
            super().undo()

    def _state(self) -> _State:
        return (
            self.index(),
            self.isClean(),
            self.canUndo(),
            self.canRedo(),
            self.undoText(),
            self.redoText(),
        )

    def _announce(self, before: _State) -> None:
        after = self._state()
        signals = (
            self.indexChanged,
            self.cleanChanged,
            self.canUndoChanged,
            self.canRedoChanged,
            self.undoTextChanged,
            self.redoTextChanged,
        )
        for signal, old, new in zip(signals, before, after):
            if old != new:
                signal.emit(new)
