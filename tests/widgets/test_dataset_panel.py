"""The data set panel: editors from the registry, inline errors, emits only valid changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout

from neurocanvas.core.datasets import DATASETS
from neurocanvas.widgets.dataset_panel import DatasetPanel
from neurocanvas.widgets.param_editors import (
    BoolEditor,
    ChoiceEditor,
    FileEditor,
    FloatEditor,
    IntEditor,
    ParamEditor,
    TextEditor,
)


@pytest.fixture
def panel(qtbot):
    p = DatasetPanel()
    qtbot.addWidget(p)
    return p


def choose(panel: DatasetPanel, key: str) -> None:
    panel.combo.setCurrentIndex(panel.combo.findData(key))


def test_panel_lists_every_registered_dataset(panel):
    keys = [panel.combo.itemData(i) for i in range(panel.combo.count())]
    assert keys == list(DATASETS)
    assert panel.objectName() == "datasetPanel"
    assert panel.dataset() is not None and panel.error() == ""


def test_switching_dataset_rebuilds_editors_and_emits(panel, qtbot):
    with qtbot.waitSignal(panel.dataset_changed) as blocker:
        choose(panel, "spirals")
    key, params = blocker.args
    assert key == "spirals"
    assert set(params) == {p.name for p in DATASETS["spirals"].params}
    assert isinstance(panel.editors["classes"], IntEditor)
    assert isinstance(panel.editors["noise"], FloatEditor)
    assert panel.dataset().kind == "classification"
    assert "train" in panel.summary_label.text()


def test_editor_kinds_follow_the_schema(panel):
    choose(panel, "csv")
    assert isinstance(panel.editors["path"], FileEditor)
    assert isinstance(panel.editors["task"], ChoiceEditor)
    assert isinstance(panel.editors["standardize"], BoolEditor)
    assert isinstance(panel.editors["target_column"], TextEditor)
    # No file chosen yet: the error is shown and names the file field.
    assert panel.error() != ""


def test_bad_formula_shows_error_and_emits_nothing(panel, qtbot):
    choose(panel, "formula")
    good = panel.dataset()
    editor = panel.editors["formula"]
    editor.edit.setText("3*x^2 - sin(")
    with qtbot.assertNotEmitted(panel.dataset_changed, wait=250):
        editor.edit.editingFinished.emit()
    assert panel.error() != ""
    assert "formula" in panel.error().lower() or "sin" in panel.error()
    assert "d55e00" in editor.edit.styleSheet()
    assert panel.dataset() is good  # the last good data set stays in use


def test_fixing_the_formula_clears_the_error_and_emits(panel, qtbot):
    choose(panel, "formula")
    editor = panel.editors["formula"]
    editor.edit.setText("log(x -")
    editor.edit.editingFinished.emit()
    assert panel.error()
    editor.edit.setText("3*x^2 - sin(pi*x)")
    with qtbot.waitSignal(panel.dataset_changed) as blocker:
        editor.edit.editingFinished.emit()
    assert blocker.args[1]["formula"] == "3*x^2 - sin(pi*x)"
    assert panel.error() == "" and editor.edit.styleSheet() == ""
    ds = panel.dataset()
    assert ds.true_fn is not None


def test_numeric_change_emits_once_after_a_burst(panel, qtbot):
    choose(panel, "sine")
    spin = panel.editors["n_samples"].spin
    got = []
    panel.dataset_changed.connect(lambda k, p: got.append(p["n_samples"]))
    for n in (110, 120, 130):
        spin.setValue(n)
    qtbot.waitUntil(lambda: got == [130], timeout=30_000)
    assert len(panel.dataset().x_train) + len(panel.dataset().x_val) == 130


def test_seed_change_emits_and_changes_samples(panel, qtbot):
    choose(panel, "moons")
    before = panel.dataset().x_train.copy()
    with qtbot.waitSignal(panel.dataset_changed, timeout=2000):
        panel.seed_spin.setValue(7)
    assert panel.seed() == 7
    assert not (panel.dataset().x_train == before).all()


def test_set_dataset_from_project_does_not_emit(panel, qtbot):
    with qtbot.assertNotEmitted(panel.dataset_changed):
        ok = panel.set_dataset("blobs", {"classes": 4}, seed=3)
    assert ok and panel.key() == "blobs" and panel.params()["classes"] == 4
    assert panel.dataset().n_outputs == 4
    with pytest.raises(KeyError, match="unknown data set 'nope'"):
        panel.set_dataset("nope")


def test_missing_csv_file_error_is_inline(panel, qtbot, tmp_path):
    choose(panel, "csv")
    editor = panel.editors["path"]
    editor.edit.setText(str(tmp_path / "missing.csv"))
    with qtbot.assertNotEmitted(panel.dataset_changed, wait=100):
        editor.edit.editingFinished.emit()
    assert "missing.csv" in panel.error()
    assert "d55e00" in editor.edit.styleSheet()


def test_file_picker_uses_the_dialog(panel, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    csv = tmp_path / "data.csv"
    csv.write_text("a,b,y\n1,2,3\n2,3,5\n3,4,7\n4,5,9\n5,6,11\n6,7,13\n7,8,15\n8,9,17\n9,1,10\n")
    choose(panel, "csv")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(csv), ""))
    with qtbot.waitSignal(panel.dataset_changed) as blocker:
        panel.editors["path"].browse.click()
    assert blocker.args[1]["path"] == str(csv)
    assert panel.dataset().input_shape == (2,)


def visible_editors(panel: DatasetPanel) -> list[ParamEditor]:
    """The parameter editors still alive under the panel (rebuilds must not leave orphans)."""
    return [e for e in panel.findChildren(ParamEditor) if not e.isHidden()]


def seed_rows(panel: DatasetPanel) -> int:
    return sum(
        panel.form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget() is panel.seed_spin
        for row in range(panel.form.rowCount())
    )


def test_switching_data_sets_many_times_keeps_one_seed_row(panel, qtbot):
    panel.show()
    panel.seed_spin.setValue(5)
    got = []
    panel.dataset_changed.connect(lambda key, params: got.append(key))
    for key in ("moons", "spirals", "sine", "blobs", "moons", "formula", "sine"):
        qtbot.keyClicks(panel.combo, "")  # focus, as a person would
        panel.combo.setCurrentIndex(panel.combo.findData(key))
        qtbot.wait(1)  # let deleteLater run
        assert panel.key() == key and panel.error() == ""
        assert set(panel.editors) == {p.name for p in DATASETS[key].params}
        assert seed_rows(panel) == 1 and panel.seed() == 5
        assert panel.form.rowCount() == len(DATASETS[key].params) + 1
        assert len(visible_editors(panel)) == len(panel.editors)
    assert got == ["moons", "spirals", "sine", "blobs", "moons", "formula", "sine"]


def test_params_edited_by_typing_between_switches(panel, qtbot):
    panel.show()
    choose(panel, "spirals")
    spin = panel.editors["classes"].spin
    spin.selectAll()
    with qtbot.waitSignal(panel.dataset_changed, timeout=2000) as blocker:
        qtbot.keyClicks(spin, "4")
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert blocker.args[1]["classes"] == 4 and panel.dataset().n_outputs == 4
    choose(panel, "sine")
    choose(panel, "spirals")  # a fresh editor with the default again
    assert (
        panel.params()["classes"]
        == DATASETS["spirals"]
        .params[[p.name for p in DATASETS["spirals"].params].index("classes")]
        .default
    )
    with qtbot.waitSignal(panel.dataset_changed, timeout=2000):
        panel.seed_spin.stepUp()
    assert panel.error() == ""


class _TakesSeedFirst(DatasetPanel):
    """The main window's former work-around (takes the seed row before each rebuild)."""

    def _build_editors(self, key: str) -> None:
        if self.form.rowCount() and self.form.indexOf(self.seed_spin) >= 0:
            taken = self.form.takeRow(self.seed_spin)
            label = taken.labelItem.widget() if taken.labelItem is not None else None
            if label is not None:
                label.deleteLater()
        super()._build_editors(key)


def test_the_main_window_work_around_is_harmless(qtbot):
    panel = _TakesSeedFirst()
    qtbot.addWidget(panel)
    panel.show()
    for key in ("moons", "sine", "spirals", "sine"):
        choose(panel, key)
        qtbot.wait(1)
        assert seed_rows(panel) == 1
        assert len(visible_editors(panel)) == len(panel.editors) == len(DATASETS[key].params)


def test_the_preview_takes_the_spare_height_in_a_scroll_area(qtbot):
    from PySide6.QtWidgets import QScrollArea

    from neurocanvas.widgets.dataset_preview import PREVIEW_MAX_HEIGHT, PREVIEW_MIN_HEIGHT

    panel = DatasetPanel()
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    # A narrow side column: word-wrapped help makes the panel height-for-width, which once
    # let pyqtgraph's 480 px size hint force a scroll bar on a tall screen.
    scroll.resize(320, panel.minimumSizeHint().height() + 150)
    scroll.show()
    qtbot.waitExposed(scroll)
    qtbot.wait(20)
    assert scroll.verticalScrollBar().maximum() == 0
    assert PREVIEW_MIN_HEIGHT + 100 <= panel.preview.height() <= PREVIEW_MAX_HEIGHT
    # Short of room, the preview keeps its minimum and the panel scrolls instead.
    scroll.resize(320, 300)
    qtbot.wait(20)
    assert panel.preview.height() == PREVIEW_MIN_HEIGHT
    assert scroll.verticalScrollBar().maximum() > 0


def test_unparsable_text_outlines_its_field_and_builds_nothing(qtbot):
    """A kind the built-in data sets lack (shape) still goes through the shared editors."""
    from types import SimpleNamespace

    from neurocanvas.core.datasets import make_dataset
    from neurocanvas.core.network.catalogue import ParamSpec

    shape = ParamSpec("size", "shape", (2, 2), "Size", "Sizes.", 1, None)
    registry = {"grid": SimpleNamespace(display_name="Grid", help="", params=(shape,))}
    built = []

    def factory(key, params, seed):
        built.append(params)
        return make_dataset("sine", {}, seed=seed)

    panel = DatasetPanel(registry, factory)
    qtbot.addWidget(panel)
    assert built == [{"size": (2, 2)}]
    editor = panel.editors["size"]
    editor.edit.setText("2, two")
    with qtbot.assertNotEmitted(panel.dataset_changed, wait=50):
        editor.edit.editingFinished.emit()
    assert "size must be whole numbers" in panel.error()
    assert "d55e00" in editor.edit.styleSheet() and len(built) == 1


def test_a_tables_preview_text_is_whole_in_a_narrow_preview(qtbot):
    from neurocanvas.core.datasets import make_dataset
    from neurocanvas.widgets.dataset_preview import DatasetPreview

    preview = DatasetPreview()
    qtbot.addWidget(preview)
    preview.resize(340, 160)  # the Data set tab at 1366x768
    preview.show()
    qtbot.waitExposed(preview)
    preview.show_dataset(make_dataset("breast_cancer", seed=0))
    preview.grab()  # lay out and paint, as the window does
    text = preview.table_text
    assert "samples × 30 features" in text.toPlainText()
    shown = text.mapRectToScene(text.boundingRect())
    view = preview.getPlotItem().getViewBox().sceneBoundingRect()
    assert view.contains(shown), (shown, view)
