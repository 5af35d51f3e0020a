"""File > Open on an ONNX model: the network appears on the canvas with its weights, or the
file is refused with the operator named and the open project left as it was."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtWidgets import QFileDialog

from neurocanvas.core import Tensor, no_grad

ort = pytest.importorskip("onnxruntime")


def _write(path, nodes, inits, in_dim, out_dim):
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", in_dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_dim])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    onnx.save(proto, str(path))
    return path


def _mlp(path, act="Relu"):
    rng = np.random.default_rng(1)
    inits = {
        "hidden.weight": rng.standard_normal((8, 2)).astype(np.float32),
        "hidden.bias": rng.standard_normal(8).astype(np.float32),
        "head.weight": rng.standard_normal((3, 8)).astype(np.float32),
        "head.bias": rng.standard_normal(3).astype(np.float32),
    }
    nodes = [
        helper.make_node("Gemm", ["x", "hidden.weight", "hidden.bias"], ["h"], transB=1),
        helper.make_node(act, ["h"], ["a"], name="act"),
        helper.make_node("Gemm", ["a", "head.weight", "head.bias"], ["y"], transB=1),
    ]
    return _write(path, nodes, inits, 2, 3)


@pytest.fixture
def window(window_factory):
    return window_factory("linear-regression", show=False)


def test_file_open_shows_an_onnx_model_on_the_canvas_with_its_weights(
    window, monkeypatch, tmp_path
):
    path = _mlp(tmp_path / "classifier.onnx")
    filters: list[str] = []

    def choose(parent, caption, start, file_filter, *args, **kwargs):
        filters.append(file_filter)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)
    window.open_action.trigger()
    assert "*.onnx" in filters[0]
    doc = window.document
    names = {n.name: n.type for n in doc.graph.nodes.values()}
    assert names == {
        "input": "Input",
        "hidden": "Linear",
        "relu1": "ReLU",
        "head": "Linear",
        "output": "Output",
    }
    assert doc.path is None and doc.name == "classifier"  # new and unsaved: Save asks where
    assert doc.dataset_key == "spirals" and doc.dataset is not None
    assert "classifier.onnx" in window.statusBar().currentMessage()
    assert "3 spirals" in window.statusBar().currentMessage()
    assert window.validate().ok  # the network fits the chosen data set as imported

    model = window.controller.compile()
    model.eval()
    x = np.random.default_rng(2).standard_normal((6, 2)).astype(np.float32)
    with no_grad():
        ours = model(Tensor(x)).detach().numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(ours, session.run(None, {"x": x})[0], atol=1e-5, rtol=1e-5)
    assert str(path.resolve()) in window.settings.recent_files()


def test_an_onnx_model_with_an_unknown_operator_is_refused_and_nothing_changes(
    window, dialogs, tmp_path
):
    path = _mlp(tmp_path / "selu.onnx", act="Selu")
    before = window.document.graph.to_dict()
    assert not window.open_file(path)
    kind, title, text = dialogs[-1]
    assert kind == "critical" and "Selu 'act'" in text and "nothing was imported" in text
    assert "Traceback" not in text
    assert window.document.graph.to_dict() == before
    assert window.document.dataset_key == "linear"
