"""The data set panel with people's files: a missing file is named and can be located; notes
(how the file was read, hints) are shown; the preview shows the user's units."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from neurocanvas.widgets.dataset_panel import DatasetPanel


@pytest.fixture
def panel(qtbot):
    p = DatasetPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def _csv(path, rows: int = 30, scale: float = 1.0):
    path.write_text(
        "a;b;y\n" + "\n".join(f"{i},5;{i * 2};{int(scale * i)}" for i in range(rows)) + "\n"
    )
    return path


def test_a_missing_file_is_named_and_the_panel_offers_to_locate_it(
    panel, qtbot, tmp_path, monkeypatch
):
    gone = tmp_path / "moved" / "data.csv"
    assert not panel.set_dataset("csv", {"path": str(gone)})
    assert panel.error() == f"CSV file not found: {gone}"
    assert panel.locate_button.isVisible()

    real = _csv(tmp_path / "data.csv")
    asked = []

    def fake_dialog(parent, title, start, filters):
        asked.append((title, start))
        return str(real), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_dialog)
    with qtbot.waitSignal(panel.dataset_changed) as blocker:
        qtbot.mouseClick(panel.locate_button, Qt.MouseButton.LeftButton)
    assert asked == [("Locate data.csv", str(gone.parent))]
    assert blocker.args[1]["path"] == str(real)
    assert panel.error() == "" and not panel.locate_button.isVisible()


def test_cancelling_the_locate_dialog_changes_nothing(panel, qtbot, tmp_path, monkeypatch):
    gone = tmp_path / "nowhere.csv"
    panel.set_dataset("csv", {"path": str(gone)})
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a: ("", ""))
    with qtbot.assertNotEmitted(panel.dataset_changed, wait=100):
        qtbot.mouseClick(panel.locate_button, Qt.MouseButton.LeftButton)
    assert panel.error() == f"CSV file not found: {gone}" and panel.locate_button.isVisible()


def test_other_errors_do_not_offer_to_locate(panel, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,x\n")
    assert not panel.set_dataset("csv", {"path": str(bad)})
    assert "non-numeric value 'x'" in panel.error() and not panel.locate_button.isVisible()


def test_notes_say_how_the_file_was_read_and_hint_at_the_target_scale(panel, tmp_path):
    assert panel.set_dataset("csv", {"path": str(_csv(tmp_path / "d.csv", scale=5000.0))})
    text = panel.notes_label.text()
    assert panel.notes_label.isVisible()
    assert "semicolon-separated, decimal comma, header row" in text
    assert "Standardise target" in text


def test_the_preview_shows_the_users_units(panel, tmp_path):
    path = tmp_path / "line.csv"
    path.write_text("x,y\n" + "\n".join(f"{100 + i},{3 * i}" for i in range(20)) + "\n")
    assert panel.set_dataset("csv", {"path": str(path), "standardize": True})
    (scatter,) = [i for i in panel.preview.getPlotItem().items if hasattr(i, "getData")]
    xs, ys = scatter.getData()
    assert xs.min() >= 100 - 1e-3 and xs.max() <= 119 + 1e-3  # not standardised
    np.testing.assert_allclose(ys, 3 * (xs - 100), atol=1e-3)
