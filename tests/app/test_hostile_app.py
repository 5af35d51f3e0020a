"""Regression tests of issue 9 in the window: refused files and edits leave it whole.

Opening is a transaction (a refused file changes nothing, and later opens work), a data set
needing more classes than a layer may have is refused before anything is pushed (Undo keeps
working), a damaged weights file opens the project without weights and says so, and a model
above the parameter budget is not built without a yes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from neurocanvas.core.io.examples import example_path
from neurocanvas.core.io.project import weights_file
from neurocanvas.core.network.shapes import PARAMETER_BUDGET


def graph_snapshot(w) -> dict:
    data = w.document.graph.to_dict()
    data.pop("next_id")
    return data


def write_example(tmp_path: Path, name: str, edit=None) -> Path:
    data = json.loads(example_path("spiral-classifier").read_text())
    if edit is not None:
        edit(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_a_refused_open_changes_nothing_and_later_opens_work(window_factory, tmp_path, dialogs):
    w = window_factory("linear-regression")
    before, title = graph_snapshot(w), w.windowTitle()
    bad = write_example(
        tmp_path, "huge.ncproj", lambda d: d["graph"]["nodes"][0]["params"].update(shape=[1e308])
    )
    assert not w.open_file(bad, ask=False)
    kind, _, text = dialogs[-1]
    assert kind == "critical" and "at most 1,000,000, got 1e+308" in text
    assert graph_snapshot(w) == before and w.windowTitle() == title
    assert w.document.path is None
    good = write_example(tmp_path, "good.ncproj")
    assert w.open_file(good, ask=False)
    assert w.document.path == good and len(w.document.graph.nodes) == 7


def test_a_failure_while_showing_a_project_brings_the_previous_one_back(
    window_factory, tmp_path, dialogs, monkeypatch
):
    w = window_factory("linear-regression")
    before = graph_snapshot(w)
    real = w.training_panel.apply_settings
    calls = []

    def breaks_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OverflowError("cannot convert float infinity to integer")
        return real(*args)

    monkeypatch.setattr(w.training_panel, "apply_settings", breaks_once)
    path = write_example(tmp_path, "spiral.ncproj")
    assert not w.open_file(path, ask=False)
    assert "could not be shown (OverflowError" in dialogs[-1][2]
    assert graph_snapshot(w) == before and w.document.path is None
    assert w.open_file(path, ask=False)  # the next open works
    assert w.document.path == path


def test_a_data_set_with_more_classes_than_outputs_allow_is_refused_and_undo_works(
    window_factory, tmp_path, dialogs
):
    w = window_factory("spiral-classifier")
    csv = tmp_path / "many.csv"
    # two rows per class: one row per class is refused earlier, as not a class column
    csv.write_text("x,label\n" + "".join(f"{i},{i // 2}\n" for i in range(2 * 65_537)))
    doc = w.document
    before, undo_count = graph_snapshot(w), doc.undo_stack.count()
    choice = doc.dataset_choice()
    w._on_dataset_chosen(
        "csv",
        {
            "path": str(csv),
            "feature_columns": "x",
            "target_column": "label",
            "task": "classification",
            "standardize": True,
        },
    )
    kind, title, text = dialogs[-1]
    assert title == "Cannot use this data set"
    assert "65,537 classes" in text or "out_features must be between 1 and 65536" in text
    assert graph_snapshot(w) == before and doc.dataset_choice() == choice
    assert doc.undo_stack.count() == undo_count and not doc.undo_stack.in_macro
    # later edits are undoable steps of their own, not swallowed by an open macro
    node = doc.graph.node_by_name("linear1").id
    doc.editor.set_param(node, "out_features", 5)
    assert doc.undo_stack.canUndo() and w.undo_action.isEnabled()
    doc.undo_stack.undo()
    assert graph_snapshot(w) == before


def test_a_damaged_weights_file_opens_the_project_without_weights_and_says_so(
    window_factory, tmp_path, dialogs
):
    from neurocanvas.core.io.examples import load_example
    from neurocanvas.core.io.project import save_project

    path = tmp_path / "net.ncproj"
    save_project(load_example("spiral-classifier"), path, {"w": np.ones(3, np.float32)})
    weights_file(path).write_bytes(b"\x00garbage")
    w = window_factory("linear-regression")
    assert w.open_file(path, ask=False)
    assert w.document.path == path and w.document.weights is None
    kind, title, text = dialogs[-1]
    assert title == "Opened net.ncproj with a problem"
    assert "is damaged" in text and "opened without weights" in text


def test_training_a_model_above_the_budget_asks_first_and_no_builds_nothing(
    window_factory, dialogs
):
    w = window_factory("spiral-classifier")
    doc = w.document
    node = doc.graph.node_by_name("linear2").id
    doc.editor.set_param(node, "out_features", 65536)
    doc.editor.set_param(doc.graph.node_by_name("linear1").id, "out_features", 65536)
    w.controller.forget()
    dialogs.answer = dialogs.answer.No
    assert w.controller.compile(fresh=True) is None
    kind, title, text = dialogs[-1]
    assert kind == "question" and f"above the budget of {PARAMETER_BUDGET:,}" in text
    assert "4,295," in text and w.controller.model is None
