"""The main window's actions, menus and toolbar as data.

Each action is one :class:`ActionSpec` row (text, the window method it calls, shortcuts, icon,
tip); the menus and the toolbar are lists of action keys. Adding a command to the app is one
row and one key in a menu, not another block of ``QAction`` code in the window (the shape of
napari's ``_app_model/actions``, without its framework).

Menu entries: an action key, ``"-"`` for a separator, ``"@name"`` for a submenu or a group of
actions the window makes itself (examples, recent files, export formats, panels, insight).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar, QWidget

SP = QStyle.StandardPixmap
STD = QKeySequence.StandardKey
Shortcut = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """One command of the main window.

    ``slot`` is a path of attributes from the window ("save", "controller.train") looked up
    when the action fires, so the spec never holds a bound method of a window that may go.
    """

    key: str
    text: str
    slot: str
    shortcuts: tuple[Shortcut, ...] = ()
    icon: str = ""  # a freedesktop icon name, with ``fallback`` from the Qt style
    fallback: QStyle.StandardPixmap | None = None
    tip: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec(
        "new", "&New", "new_project", (STD.New,), "document-new", SP.SP_FileIcon,
        "Start an empty network with the default settings",
    ),
    ActionSpec(
        "open", "&Open…", "open_dialog", (STD.Open,), "document-open", SP.SP_DialogOpenButton,
        "Open a project file",
    ),
    ActionSpec(
        "save", "&Save", "save", (STD.Save,), "document-save", SP.SP_DialogSaveButton,
        "Save the project and its weights",
    ),
    ActionSpec(
        "save_as", "Save &As…", "save_as", ("Ctrl+Shift+S",), "document-save-as",
        SP.SP_DialogSaveButton, "Save the project under a new name",
    ),
    ActionSpec(
        "import", "&Import Weights…", "import_weights_dialog", (), "document-import",
        SP.SP_ArrowDown, "Load weights (safetensors or npz) into the network",
    ),
    ActionSpec(
        "quit", "&Quit", "close", (STD.Quit, "Ctrl+Q"), "application-exit", SP.SP_DialogCloseButton,
        "Close NeuroCanvas (asks about unsaved changes)",
    ),
    # Edit
    ActionSpec(
        "cut", "Cu&t", "cut", (STD.Cut,), "edit-cut", SP.SP_TrashIcon,
        "Copy the selected nodes and delete them",
    ),
    # View
    ActionSpec(
        "zoom_in", "Zoom &In", "canvas.zoom_in", (STD.ZoomIn,), "zoom-in", SP.SP_ArrowUp,
        "Magnify the canvas",
    ),
    ActionSpec(
        "zoom_out", "Zoom &Out", "canvas.zoom_out", (STD.ZoomOut,), "zoom-out", SP.SP_ArrowDown,
        "Shrink the canvas",
    ),
    ActionSpec("zoom_reset", "&Actual Size", "reset_zoom", ("Ctrl+0",), tip="Zoom to 100 %"),
    ActionSpec(
        "clear_runs", "Clear Earlier Runs", "loss_plot.clear_history",
        tip="Remove the faded curves of earlier runs from the loss plot",
    ),
    # Train
    ActionSpec(
        "train", "&Train", "controller.train", ("F5",), "media-playback-start", SP.SP_MediaPlay,
        "Train the network on the data set (F5)",
    ),
    ActionSpec(
        "pause", "&Pause", "toggle_pause", ("F6",), "media-playback-pause",
        SP.SP_MediaPause, "Pause or resume the running training (F6)",
    ),
    ActionSpec(
        "step", "S&tep", "controller.step", ("F10",), "media-skip-forward",
        SP.SP_MediaSeekForward, "Train one batch and stop (F10)",
    ),
    ActionSpec(
        "stop", "&Stop", "controller.stop", ("Shift+F5",), "media-playback-stop",
        SP.SP_MediaStop, "Stop training; the weights are kept (Shift+F5)",
    ),
    ActionSpec(
        "compare", "&Compare Rates…", "controller.ask_compare", (), "", None,
        "Train the same initial weights at several learning rates and overlay the runs",
    ),
    ActionSpec(
        "reset", "&Reset Weights", "controller.reset_weights", (), "view-refresh",
        SP.SP_BrowserReload, "Start again from new random weights",
    ),
    # Help
    ActionSpec(
        "guide", "NeuroCanvas &Guide", "show_guide", (STD.HelpContents,), "help-contents",
        SP.SP_DialogHelpButton, "Plots, learning rates, shortcuts, export (F1)",
    ),
    ActionSpec(
        "whats_this", "What's &This?", "enter_whats_this", (STD.WhatsThis,), "help-whatsthis",
        SP.SP_TitleBarContextHelpButton, "Then click a layer, a plot or a control for help",
    ),
    ActionSpec(
        "about", "&About NeuroCanvas", "about", (), "help-about", SP.SP_MessageBoxInformation,
    ),
)  # fmt: skip

# Canvas actions (copy, paste, delete, ...) belong to the canvas and are listed under the same
# keys; "undo" and "redo" come from the undo stack.
MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "&File",
        (
            "new", "open", "@examples", "@recent", "-", "save", "save_as", "-", "import",
            "@export", "-", "quit",
        ),
    ),
    (
        "&Edit",
        ("undo", "redo", "-", "cut", "copy", "paste", "duplicate", "delete", "-", "select_all"),
    ),
    (
        "&View",
        (
            "fit", "tidy", "-", "zoom_in", "zoom_out", "zoom_reset", "-", "@panels",
            "clear_runs",
        ),
    ),
    ("&Train", ("train", "pause", "step", "stop", "-", "compare", "reset", "-", "@insight")),
    ("&Help", ("guide", "whats_this", "-", "about")),
)  # fmt: skip

TOOLBAR: tuple[str, ...] = (
    "new", "open", "save", "-", "undo", "redo", "-", "train", "pause", "stop", "-", "fit",
)  # fmt: skip


def resolve(root: object, path: str) -> Callable[[], Any]:
    """The callable at attribute ``path`` ("controller.train") of ``root``."""
    target: Any = root
    for name in path.split("."):
        target = getattr(target, name)
    return target


def themed_icon(widget: QWidget, name: str, fallback: QStyle.StandardPixmap | None) -> QIcon:
    """The desktop theme's icon ``name``, or the Qt style's ``fallback`` (themes vary)."""
    if fallback is None:
        return QIcon.fromTheme(name)
    return QIcon.fromTheme(name, widget.style().standardIcon(fallback))


def make_action(window: QWidget, spec: ActionSpec) -> QAction:
    """A QAction for ``spec`` whose trigger calls ``spec.slot`` on ``window``."""
    action = QAction(spec.text, window)
    action.setObjectName(f"{spec.key}Action")
    if spec.shortcuts:
        keys: list[QKeySequence] = []
        for shortcut in spec.shortcuts:
            if isinstance(shortcut, QKeySequence.StandardKey):
                keys.extend(QKeySequence.keyBindings(shortcut))
            else:
                keys.append(QKeySequence(shortcut))
        # A platform without a standard binding (Quit is empty on plain X11 and offscreen)
        # still gets the written one; a platform that has it gets it once.
        action.setShortcuts(list(dict.fromkeys(keys, None)))
    if spec.icon:
        action.setIcon(themed_icon(window, spec.icon, spec.fallback))
    if spec.tip:
        action.setStatusTip(spec.tip)
        action.setToolTip(spec.tip)
    action.triggered.connect(lambda *_: resolve(window, spec.slot)())
    return action


def build_actions(window: QWidget, specs: Iterable[ActionSpec] = ACTIONS) -> dict[str, QAction]:
    return {spec.key: make_action(window, spec) for spec in specs}


def fill_menu(
    menu: QMenu,
    entries: Iterable[str],
    actions: dict[str, QAction],
    submenus: dict[str, QMenu | list[QAction]],
) -> None:
    """Add ``entries`` (keys, "-", "@submenu" or "@group of actions") to ``menu``."""
    for entry in entries:
        if entry == "-":
            menu.addSeparator()
        elif entry.startswith("@"):
            found = submenus[entry[1:]]
            if isinstance(found, QMenu):
                menu.addMenu(found)
            else:
                menu.addActions(found)
        else:
            menu.addAction(actions[entry])


def fill_toolbar(bar: QToolBar, entries: Iterable[str], actions: dict[str, QAction]) -> None:
    for entry in entries:
        if entry == "-":
            bar.addSeparator()
        else:
            bar.addAction(actions[entry])
