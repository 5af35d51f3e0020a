"""The window with field cases: the extra-activation warning and its one-click fix (undoable),
example names on the command line, a case whose data is semicolon-separated with decimal
commas, a project whose data file has moved."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from neurocanvas.app.main import open_argument

CASES = Path(__file__).resolve().parents[1] / "cases"  # the field cases (../shared/cases)
LEFT = Qt.MouseButton.LeftButton


def _types_into_output(w) -> str:
    graph = w.document.graph
    (out,) = [n for n in graph.nodes.values() if n.type == "Output"]
    return graph.nodes[graph.edges_into(out.id)[0].src].type


def test_softmax_before_cross_entropy_warns_and_one_click_removes_it(window_factory, qtbot):
    w = window_factory(example=None)
    assert w.open_file(CASES / "softmax-ce" / "project.ncproj", ask=False)
    report = w.validate()
    assert [p.severity for p in report.problems] == ["warning"]
    texts = [w.problems.item(i).text() for i in range(w.problems.count())]
    assert any("feeds cross_entropy" in t for t in texts)
    assert w.problem_fix.isVisible() and w.problem_fix.text() == "Remove Softmax 'softmax1'"
    softmax = w.document.graph.node_by_name("softmax1")
    item = w.canvas.node_items[softmax.id]
    assert item.invalid and item.warning_only  # drawn amber: it trains, but badly

    qtbot.mouseClick(w.problem_fix, LEFT)
    assert _types_into_output(w) == "Linear"  # linear3 now feeds the Output directly
    assert w.validate().problems == [] and not w.problem_fix.isVisible()

    w.document.undo_stack.undo()  # one step brings the Softmax and its wires back
    assert _types_into_output(w) == "Softmax"
    assert w.validate().warnings


def test_sigmoid_before_bce_offers_the_same_fix(window_factory, qtbot):
    w = window_factory(example=None)
    assert w.open_file(CASES / "sigmoid-bce" / "project.ncproj", ask=False)
    w.validate()
    assert w.problem_fix.text() == "Remove Sigmoid 'sigmoid1'"
    qtbot.mouseClick(w.problem_fix, LEFT)
    assert _types_into_output(w) == "Linear"


def test_the_app_opens_an_example_by_name_as_the_cli_does(window_factory):
    w = window_factory(example=None)
    assert open_argument(w, "digits-cnn")
    assert w.document.dataset_key == "digits"
    assert not open_argument(w, "no-such-thing.ncproj")  # the default example instead


def test_a_semicolon_decimal_comma_case_opens_and_trains(window_factory, qtbot):
    w = window_factory(example=None)
    assert w.open_file(CASES / "semicolon" / "decimal-comma.ncproj", ask=False)
    ds = w.document.dataset
    assert ds is not None and ds.feature_names == ["id", "measure", "value"]
    assert w.validate().ok  # the Input takes the data set's 3 columns on open
    qtbot.mouseClick(w.training_panel.train_button, LEFT)
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=30_000)


def test_a_moved_data_file_is_named_and_located_from_the_panel(
    window_factory, qtbot, tmp_path, monkeypatch
):
    shutil.copy(CASES / "semicolon" / "project.ncproj", tmp_path / "p.ncproj")
    w = window_factory(example=None)
    w.open_file(tmp_path / "p.ncproj", ask=False)
    panel = w.dataset_panel
    assert panel.error() == f"CSV file not found: {tmp_path / 'data.csv'}"
    assert panel.locate_button.isVisible()  # the Data set tab came to the front
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        lambda *a: (str(CASES / "semicolon" / "data.csv"), ""),
    )
    qtbot.mouseClick(panel.locate_button, LEFT)
    assert panel.error() == "" and w.document.dataset is not None


def test_importing_weights_trained_on_other_scaling_says_so(window_factory, tmp_path, dialogs):
    from neurocanvas.core.datasets import Preprocessing
    from neurocanvas.core.io.export import export_model

    w = window_factory(example=None)
    assert w.open_file(CASES / "export-scaling" / "project.ncproj", ask=False)
    model = w.controller.model_copy() or w.controller.compile(fresh=True, quiet=True)
    same = w.document.dataset.preprocessing
    export_model(model, tmp_path / "same.safetensors", "safetensors", preprocessing=same)
    assert w.import_weights_file(tmp_path / "same.safetensors")
    assert not [d for d in dialogs if d[1] == "Different preprocessing"]
    other = Preprocessing(input_shift=[0.0, 0.0], input_scale=[1.0, 1.0])
    export_model(model, tmp_path / "other.safetensors", "safetensors", preprocessing=other)
    assert w.import_weights_file(tmp_path / "other.safetensors")
    (shown,) = [d for d in dialogs if d[1] == "Different preprocessing"]
    assert "other.safetensors was trained on inputs scaled differently" in shown[2]


def _trained_csv_project(tmp_path: Path, save: bool) -> tuple[Path, Path]:
    """A CSV regression project made and trained by the CLI (weights saved with ``save``)."""
    from neurocanvas.core.cli import main

    data = tmp_path / "shop.csv"
    rows = [f"{i % 10},{i % 7},{2 * (i % 10) + (i % 7)}" for i in range(100)]
    data.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    project = tmp_path / "shop.ncproj"
    assert main(["new", str(data), "-o", str(project), "--epochs", "2"]) == 0
    argv = ["train", str(project), "--quiet"] + (["--save"] if save else [])
    assert main(argv) == 0
    return data, project


def _grow(data: Path) -> None:
    """The file gains rows far from the old ones, as a data file does between sessions."""
    more = [f"{100 + i},{50 + i},{250 + 3 * i}" for i in range(100)]
    data.write_text(data.read_text() + "\n".join(more) + "\n")


def test_a_project_with_saved_weights_opens_with_its_stored_preprocessing(window_factory, tmp_path):
    from neurocanvas.core.datasets import Preprocessing
    from neurocanvas.core.io.project import load_project

    data, path = _trained_csv_project(tmp_path, save=True)
    project, weights = load_project(path)
    assert weights is not None and project.preprocessing
    stored = Preprocessing.from_dict(project.preprocessing)
    _grow(data)
    w = window_factory(example=None)
    assert w.open_file(path, ask=False)
    ds = w.document.dataset
    assert ds is not None and len(ds.x_train) + len(ds.x_val) == 200
    assert ds.preprocessing.same_as(stored)  # what the saved weights were trained with
    raw = ds.preprocessing.inputs_to_user(ds.x_train)
    assert np.allclose(ds.x_train, stored.inputs_to_model(raw), atol=1e-5)
    assert ds.x_train[:, 0].mean() > 1.0  # the new rows sit far out in the old units


def test_a_project_without_saved_weights_maps_the_data_by_its_own_statistics(
    window_factory, tmp_path
):
    from neurocanvas.core.datasets import Preprocessing
    from neurocanvas.core.io.project import load_project, save_project

    data, path = _trained_csv_project(tmp_path, save=True)
    project, _ = load_project(path)
    save_project(project, path)  # the record stays, the weights go
    project, weights = load_project(path)
    assert weights is None and project.preprocessing
    _grow(data)
    w = window_factory(example=None)
    assert w.open_file(path, ask=False)
    ds = w.document.dataset
    assert not ds.preprocessing.same_as(Preprocessing.from_dict(project.preprocessing))
    assert abs(float(ds.x_train[:, 0].mean())) < 0.5  # standardised on the file as it is now
