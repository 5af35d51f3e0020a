"""The second start looks like the first: a layout saved at quit comes back whole."""

from __future__ import annotations

from PySide6.QtCore import QSize

from tests.app.test_right_column import laid_out, wholly_in_view

LAPTOP = QSize(1366, 768)


def training_controls_out_of_view(w) -> list[str]:
    panel = w.training_panel
    wanted = {
        "Train": panel.train_button,
        "learning rate": panel.lr,
        "progress": panel.progress,
        "message": panel.status,
        "Details…": panel.status.details_button.parentWidget(),
    }
    return [name for name, widget in wanted.items() if not wholly_in_view(widget, w.training_dock)]


def test_a_second_start_restores_the_first_starts_layout(window_factory, qtbot):
    first = laid_out(window_factory, qtbot, "general-fit", LAPTOP)
    assert training_controls_out_of_view(first) == []
    first_pos, first_dock = first.pos(), first.training_dock.height()
    assert first.close()  # Ctrl+Q: the layout is saved

    second = window_factory("general-fit", show=False)
    assert second.restored_layout
    second.resize(LAPTOP)
    second.show()
    qtbot.waitExposed(second)
    qtbot.wait(200)
    assert training_controls_out_of_view(second) == []
    assert second.training_dock.height() == first_dock
    assert second.pos() == first_pos
