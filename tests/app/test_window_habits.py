"""The window stays put: fixed toolbar, focus where it was, New from defaults, help inside."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolButton

from neurocanvas.app.actions import ACTIONS, MENUS
from neurocanvas.core.training import TrainingConfig


def toolbar_button(window, action) -> QToolButton:
    button = window.toolbar.widgetForAction(action)
    assert isinstance(button, QToolButton)
    return button


def test_undo_button_keeps_its_width_and_the_tooltip_names_the_edit(window_factory):
    w = window_factory("general-fit")
    undo, train = toolbar_button(w, w.undo_action), toolbar_button(w, w.train_action)
    width, train_x = undo.width(), train.x()
    linear = w.document.graph.node_by_name("linear2")
    w.canvas.select_nodes([linear.id])
    w.document.editor.set_param(linear.id, "out_features", 2)
    QApplication.processEvents()
    assert undo.text() == "Undo" and undo.width() == width and train.x() == train_x
    # the inspector's label, not the internal parameter name
    assert w.undo_action.toolTip() == "Undo Change Outputs of linear2 to 2"
    assert w.undo_action.text() == "&Undo Change Outputs of linear2 to 2"  # the menu's text


def test_clicking_train_leaves_the_focus_where_it_was(window_factory, qtbot):
    w = window_factory("linear-regression", epochs=1)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.canvas.setFocus()
    qtbot.waitUntil(lambda: w.canvas.hasFocus() or QApplication.focusWidget() is w.canvas)
    panel = w.training_panel
    QTest.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.controller.state in ("finished", "stopped"), timeout=30000)
    assert QApplication.focusWidget() is not panel.batch_spin
    assert QApplication.focusWidget() is w.canvas


def test_new_starts_from_default_training_settings(window_factory, qtbot, dialogs):
    w = window_factory("general-fit")
    panel = w.training_panel
    panel.epochs_spin.setValue(7)
    w.new_action.trigger()
    qtbot.waitUntil(lambda: w.document.path is None and w.document.name == "Untitled")
    defaults = TrainingConfig()
    assert panel.settings()["epochs"] == defaults.epochs
    assert panel.settings()["batch_size"] == defaults.batch_size


def test_save_as_names_the_project_after_the_file(window_factory, tmp_path, qtbot):
    w = window_factory("general-fit")
    assert w.save_to(tmp_path / "moons.ncproj")
    assert w.document.name == "moons"
    assert "moons" in w.windowTitle()
    w.refresh_code()
    assert "untitled" not in w.code_view.code().lower()
    assert "moons" in w.code_view.code().lower()


def test_double_click_on_a_node_puts_the_cursor_in_its_name(window_factory, qtbot):
    w = window_factory("general-fit")
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    node = w.document.graph.node_by_name("linear2")
    item = w.canvas.node_items[node.id]
    point = w.canvas.mapFromScene(item.sceneBoundingRect().center())
    QTest.mouseDClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0), point)
    qtbot.waitUntil(lambda: w.inspector.node_id == node.id)
    name = w.inspector.name_edit
    assert name.hasFocus() or QApplication.focusWidget() is name
    assert name.selectedText() == "linear2"
    QTest.keyClicks(name, "encoder")
    QTest.keyClick(name, Qt.Key.Key_Return)
    assert node.name == "encoder"


def test_help_menu_has_the_guide_whats_this_and_about(window_factory):
    w = window_factory("general-fit", show=False)
    (help_entries,) = [entries for title, entries in MENUS if title == "&Help"]
    assert {"guide", "whats_this", "about"} <= set(help_entries)
    help_menu = w.menuBar().actions()[-1].menu()
    assert w.guide_action in help_menu.actions()
    guide = w.show_guide()
    text = guide.browser.toPlainText()
    for topic in ("Loss", "Comparing learning rates", "Keyboard shortcuts", "Export", "recover"):
        assert topic.lower() in text.lower(), topic
    assert str(w.autosaver.folder) in text  # says where the autosaves go
    guide.close()


def test_every_plot_explains_itself_in_a_tooltip(window_factory):
    w = window_factory("general-fit", show=False)
    for plot, word in ((w.loss_plot, "Loss"), (w.accuracy_plot, "Accuracy"), (w.fit_plot, "Fit")):
        assert plot.toolTip().startswith(word) and len(plot.toolTip()) > 60
        assert plot.whatsThis() == plot.toolTip()


def test_every_action_in_the_table_is_in_a_menu_with_a_tip(window_factory):
    w = window_factory("general-fit", show=False)
    in_menus = {e for _, entries in MENUS for e in entries}
    for spec in ACTIONS:
        assert spec.key in in_menus, spec.key
        assert w.action_map[spec.key].text() == spec.text
    assert w.action_map["train"].shortcut().toString() == "F5"


def test_toolbar_fits_a_1366_wide_window(window_factory):
    w = window_factory("general-fit")
    w.resize(1366, 740)
    QApplication.processEvents()
    last = max(
        (w.toolbar.widgetForAction(a) for a in w.toolbar.actions() if not a.isSeparator()),
        key=lambda b: b.geometry().right(),
    )
    assert last.isVisible()
    right = last.mapTo(w, QPoint(last.width(), 0)).x()
    assert right <= w.width()
