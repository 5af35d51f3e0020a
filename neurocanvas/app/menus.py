"""The main window's actions, menus and toolbar, built from the tables in ``app.actions``.

Besides the table's actions the window has actions made elsewhere: Undo and Redo come from
the undo stack, copy, paste and the other canvas commands from the canvas, one export action
per format, and the example and recent-file submenus are filled from what is installed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar, QWidget

from neurocanvas.app.actions import MENUS, TOOLBAR, fill_menu, fill_toolbar
from neurocanvas.app.actions import build_actions as table_actions
from neurocanvas.app.actions import themed_icon as icon
from neurocanvas.app.heap import preload
from neurocanvas.core.io.examples import list_examples
from neurocanvas.core.io.export import EXPORT_FORMATS


def build_actions(window: Any) -> None:
    """Actions from the table (each also ``window.<key>_action``), the canvas and the stack."""
    window.action_map = table_actions(window)
    sp = QStyle.StandardPixmap
    c = window.canvas
    stack = window.document.undo_stack
    undo = stack.createUndoAction(window, "&Undo")
    undo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
    redo = stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for action, name, fallback, word in (
        (undo, "edit-undo", sp.SP_ArrowBack, "Undo"),
        (redo, "edit-redo", sp.SP_ArrowForward, "Redo"),
    ):
        action.setIcon(icon(window, name, fallback))
        # The toolbar shows the icon text: one word, so the button never grows with the
        # command's name; the menu and the tooltip give the whole "Undo Rename ...".
        action.setIconText(word)
    window.action_map.update({"undo": undo, "redo": redo})
    # After the stack's own connection has renamed the actions (connected first).
    stack.undoTextChanged.connect(window._update_undo_tips)
    stack.redoTextChanged.connect(window._update_undo_tips)
    for key, name, fallback in (
        ("copy", "edit-copy", sp.SP_FileDialogContentsView),
        ("paste", "edit-paste", sp.SP_DialogApplyButton),
        ("delete", "edit-delete", sp.SP_TrashIcon),
        ("fit", "zoom-fit-best", sp.SP_TitleBarMaxButton),
    ):
        c.actions_by_key[key].setIcon(icon(window, name, fallback))
    window.action_map.update(c.actions_by_key)
    cut = window.action_map["cut"]
    cut.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    c.addAction(cut)
    for key, action in window.action_map.items():
        setattr(window, f"{key}_action", action)
    window.export_actions: dict[str, QAction] = {}
    for key, fmt in EXPORT_FORMATS.items():
        act = QAction(f"{fmt.description}…", window)
        act.setStatusTip(f"Export as {fmt.description} ({fmt.suffix})")
        act.setToolTip(act.statusTip())
        act.triggered.connect(lambda *_, k=key: window.export_dialog(k))
        window.export_actions[key] = act


def build_menus(window: Any) -> None:
    """The menu bar from :data:`MENUS` and the toolbar from :data:`TOOLBAR`."""
    window.examples_menu = _submenu(window, "Open &Example", "examplesMenu")
    window.example_actions: dict[str, QAction] = {}
    try:
        examples = list_examples()
    except (OSError, ValueError, KeyError) as exc:  # a broken install: say so, keep going
        examples = []
        window.examples_menu.addAction(f"Examples unavailable: {exc}").setEnabled(False)
    for info in examples:
        act = window.examples_menu.addAction(info.title)
        act.setToolTip(info.description)
        act.setStatusTip(info.description)
        act.triggered.connect(lambda *_, n=info.name: window.open_example(n))
        window.example_actions[info.name] = act
    window.examples_menu.setToolTipsVisible(True)
    window.recent_menu = _submenu(window, "Open &Recent", "recentMenu")
    window.recent_menu.aboutToShow.connect(window._fill_recent_menu)
    window._fill_recent_menu()
    window.export_menu = _submenu(window, "&Export", "exportMenu")
    window.export_menu.setIcon(icon(window, "document-export", QStyle.StandardPixmap.SP_ArrowUp))
    window.export_menu.addActions(list(window.export_actions.values()))
    # onnx takes 0.1-0.2 s to import: done while the person picks a format and a file
    window.export_menu.aboutToShow.connect(lambda: preload("onnx"))
    window.panels_menu = _submenu(window, "&Panels", "panelsMenu")
    for dock in (
        window.palette_dock,
        window.problems_dock,
        window.inspector_dock,
        window.dataset_dock,
        window.training_dock,
        window.plots_dock,
    ):
        window.panels_menu.addAction(dock.toggleViewAction())
    submenus = {
        "examples": window.examples_menu,
        "recent": window.recent_menu,
        "export": window.export_menu,
        "panels": window.panels_menu,
        "insight": list(window.insight.actions),
    }
    for title, entries in MENUS:
        fill_menu(window.menuBar().addMenu(title), entries, window.action_map, submenus)
    tools = QToolBar("Main", window)
    tools.setObjectName("mainToolBar")
    tools.setIconSize(QSize(18, 18))
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    window.addToolBar(tools)
    fill_toolbar(tools, TOOLBAR, window.action_map)
    window.toolbar = tools


def _submenu(window: QWidget, title: str, name: str) -> QMenu:
    menu = QMenu(title, window)
    menu.setObjectName(name)
    return menu
