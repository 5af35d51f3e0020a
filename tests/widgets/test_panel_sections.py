"""The side panels' folding section and their messages with details."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from neurocanvas.widgets.panel_sections import CollapsibleSection, split_headline


def test_the_headline_is_the_first_sentence_and_never_ends_inside_brackets_or_numbers():
    text = "Stopped at lr 0.1 (see e.g. the plot. Really). Lower it. Then train."
    assert split_headline(text) == (
        "Stopped at lr 0.1 (see e.g. the plot. Really).",
        "Lower it. Then train.",
    )
    assert split_headline("One sentence only.") == ("One sentence only.", "")
    assert split_headline("") == ("", "")


def test_clicking_the_header_folds_the_body_and_shows_the_summary(qtbot):
    body = QLabel("settings")
    section = CollapsibleSection("Run settings", body)
    qtbot.addWidget(section)
    section.resize(400, 200)
    section.show()
    qtbot.waitExposed(section)
    section.set_summary("100 epochs · Adam")
    with qtbot.waitSignal(section.toggled) as folded:
        qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert folded.args == [False] and not body.isVisible()
    assert section.header.text() == "Run settings: 100 epochs · Adam"
    with qtbot.waitSignal(section.toggled):
        qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    assert body.isVisible() and section.header.text() == "Run settings"
