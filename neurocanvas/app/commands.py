"""Undo commands for graph edits, as the application uses them.

The classes live in ``neurocanvas.widgets.canvas.commands`` because the canvas and inspector
push them and widgets may not import ``app`` (dependencies point app -> widgets -> core).
"""

from neurocanvas.widgets.canvas.commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveNodesCommand,
    RenameNodeCommand,
    SetParamCommand,
)

__all__ = [
    "AddNodeCommand",
    "ConnectCommand",
    "DisconnectCommand",
    "MoveNodesCommand",
    "PasteCommand",
    "RemoveNodesCommand",
    "RenameNodeCommand",
    "SetParamCommand",
]
