"""Files through the window: save/open, corrupt files, export, import, recent files, prompts."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from neurocanvas.app.commands import SetParamCommand
from neurocanvas.app.main_window import MainWindow
from neurocanvas.core.io.export import EXPORT_FORMATS, load_weights


@pytest.fixture
def make(window_factory):
    return lambda example="linear-regression": window_factory(example, show=False)


def save_dialog_returns(monkeypatch, path) -> list[str]:
    asked: list[str] = []

    def fake(parent, caption, start, filters, *args, **kwargs):
        asked.append(filters)
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return asked


def open_dialog_returns(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def train_a_little(w: MainWindow, qtbot, steps: int = 30) -> None:
    w.training_panel.epochs_spin.setValue(1000)
    w.controller.train()
    qtbot.waitUntil(
        lambda: w.controller.last_snapshot is not None and w.controller.last_snapshot.step > steps,
        timeout=10_000,
    )
    w.controller.stop()
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=30_000)


def test_save_and_open_round_trip_with_weights_and_title_marker(make, qtbot, tmp_path, monkeypatch):
    w = make()
    train_a_little(w, qtbot)
    doc = w.document
    doc.undo_stack.push(
        SetParamCommand(doc.graph, doc.graph.node_by_name("linear").id, "bias", True)
    )
    node = doc.graph.node_by_name("output").id
    doc.undo_stack.push(SetParamCommand(doc.graph, node, "loss", "l1"))
    assert w.isWindowModified()
    path = tmp_path / "mine"  # the suffix is added
    save_dialog_returns(monkeypatch, path)
    w.save_action.trigger()
    saved = tmp_path / "mine.ncproj"
    assert saved.exists() and len(list(tmp_path.glob("mine.weights-*.safetensors"))) == 1
    assert not w.isWindowModified()
    assert w.windowTitle().startswith("mine.ncproj")
    weights = w.controller.weights()

    other = make(None)
    assert other.open_file(saved)
    assert other.document.graph.to_dict() == doc.graph.to_dict()
    assert other.document.graph.nodes[node].params["loss"] == "l1"
    assert not other.isWindowModified() and other.windowTitle().startswith("mine.ncproj")
    model = other.controller.compile()
    for key, value in weights.items():
        np.testing.assert_array_equal(model.state_dict()[key], value)
    assert str(saved.resolve()) in other.settings.recent_files()
    assert any(a.text() == "mine.ncproj" for a in other.recent_menu.actions())


def test_a_corrupt_file_is_refused_with_a_message_and_left_untouched(make, dialogs, tmp_path):
    w = make()
    bad = tmp_path / "broken.ncproj"
    content = b'{"format": "neurocanvas-project", "version": 1, "graph": {"nodes": [{"id": '
    bad.write_bytes(content)
    before = w.document.graph.to_dict()
    assert not w.open_file(bad)
    kind, title, text = dialogs[-1]
    assert kind == "critical" and "broken.ncproj" in text and "truncated" in text
    assert "Traceback" not in text
    assert bad.read_bytes() == content
    assert w.document.graph.to_dict() == before and w.document.path is None


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_export_through_the_menu_and_read_the_file_back(make, qtbot, tmp_path, monkeypatch, fmt):
    w = make()
    train_a_little(w, qtbot, steps=10)
    spec = EXPORT_FORMATS[fmt]
    target = tmp_path / f"model{spec.suffix}"
    asked = save_dialog_returns(monkeypatch, target)
    w.export_actions[fmt].trigger()
    assert asked and spec.suffix in asked[0]
    assert target.exists()
    weights = w.controller.weights()
    if fmt == "safetensors":
        from safetensors.numpy import load_file

        back = load_file(str(target))
        for key, value in weights.items():
            np.testing.assert_array_equal(back[key], value)
    elif fmt == "npz":
        with np.load(target) as back:
            for key, value in weights.items():
                np.testing.assert_array_equal(back[key], value)
    elif fmt == "onnx":
        ort = pytest.importorskip("onnxruntime")
        session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
        x = np.array([[0.5], [-1.0]], dtype=np.float32)
        (y,) = session.run(None, {session.get_inputs()[0].name: x})
        w_, b_ = weights["linear.weight"], weights["linear.bias"]
        np.testing.assert_allclose(y, x @ w_.T + b_, rtol=1e-5, atol=1e-6)
    elif fmt == "torch-train":  # a folder: the network, the script with the run's settings
        assert "nn.Linear(1, 1)" in (target / "model.py").read_text()
        script = (target / "train.py").read_text()
        assert "'dataset'" not in script and "'epochs': 1000" in script
        back = load_weights(target / "weights.safetensors")
        for key, value in weights.items():
            np.testing.assert_array_equal(back[key], value)
    else:
        text = target.read_text()
        assert "class Net(nn.Module)" in text and "nn.Linear(1, 1)" in text
        assert target.with_suffix(".safetensors").exists()


def test_import_weights_loads_a_fitting_file_and_refuses_one_that_does_not(
    make, qtbot, tmp_path, monkeypatch, dialogs
):
    w = make()
    train_a_little(w, qtbot)
    trained = w.controller.weights()
    target = tmp_path / "trained.safetensors"
    save_dialog_returns(monkeypatch, target)
    w.export_actions["safetensors"].trigger()
    w.controller.reset_weights()
    assert not np.array_equal(w.controller.weights()["linear.weight"], trained["linear.weight"])
    open_dialog_returns(monkeypatch, target)
    w.import_action.trigger()
    for key, value in trained.items():
        np.testing.assert_array_equal(w.controller.weights()[key], value)

    wrong = make("general-fit")
    before = wrong.controller.compile().state_dict()["linear1.weight"].copy()
    assert not wrong.import_weights_file(target)
    kind, title, text = dialogs[-1]
    assert kind == "critical" and "trained.safetensors" in text and "do not fit" in text
    np.testing.assert_array_equal(wrong.controller.weights()["linear1.weight"], before)


def test_unsaved_changes_prompt_cancel_discard_and_save(make, dialogs, tmp_path, monkeypatch):
    w = make()
    w.show()
    doc = w.document
    doc.undo_stack.push(
        SetParamCommand(doc.graph, doc.graph.node_by_name("output").id, "loss", "l1")
    )
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not w.close()
    assert w.isVisible() and dialogs[-1][0] == "question"
    assert not w.open_example("general-fit")  # cancelled: the project stays
    assert doc.dataset_key == "linear"

    dialogs.answer = QMessageBox.StandardButton.Save
    save_dialog_returns(monkeypatch, tmp_path / "kept.ncproj")
    assert w.close()
    assert (tmp_path / "kept.ncproj").exists()

    again = make()
    again.document.undo_stack.push(
        SetParamCommand(
            again.document.graph, again.document.graph.node_by_name("output").id, "loss", "l1"
        )
    )
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert again.close()


def test_open_starts_where_the_last_project_was_saved_when_an_example_is_open(
    make, qtbot, tmp_path, monkeypatch
):
    w = make()
    folder = tmp_path / "mine"
    folder.mkdir()
    save_dialog_returns(monkeypatch, folder / "fit")
    w.save_action.trigger()
    assert w.open_example("general-fit", ask=False)  # no file of its own
    started: list[str] = []

    def fake_open(parent, caption, start, *args, **kwargs):
        started.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    w.open_action.trigger()
    assert started == [str(folder.resolve())]


def test_closing_during_a_run_asks_before_its_weights_are_lost(make, dialogs, qtbot):
    w = make()
    w.show()
    assert not w.document.modified
    w.training_panel.epochs_spin.setValue(100_000)  # still running when it is closed
    w.controller.train()
    qtbot.waitUntil(lambda: w.controller.state == "running", timeout=30_000)
    w.document.settings_modified = False  # as if the 100,000 epochs had been saved
    assert not w.document.modified and w.controller.is_active()
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not w.close()
    assert w.isVisible() and w.controller.is_active(), w.controller.state  # the run goes on
    kind, _, text = dialogs[-1]
    assert kind == "question" and "is training" in text
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert w.close()
