"""Shared by the ONNX import tests: run a model in ONNX Runtime and in the engine, compare,
and check that import -> export -> import is identical."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from neurocanvas.core import Tensor, no_grad
from neurocanvas.core.io.export.onnx_export import to_onnx
from neurocanvas.core.io.onnx_import import import_onnx
from neurocanvas.core.network.compiler import compile_graph

RNG = np.random.default_rng(0)


def run_ort(proto_or_path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    raw = (
        proto_or_path.SerializeToString()
        if hasattr(proto_or_path, "SerializeToString")
        else str(proto_or_path)
    )
    session = ort.InferenceSession(raw, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def run_imported(imported, x: np.ndarray) -> np.ndarray:
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.weights)
    model.eval()
    with no_grad():
        return model(Tensor(x)).detach().numpy()


def assert_round_trip(imported) -> None:
    """import -> export (our ONNX exporter) -> import gives the same graph and weights."""
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.weights)
    again = import_onnx(to_onnx(model, imported.name))
    assert again.graph.to_dict() == imported.graph.to_dict()
    assert again.weights.keys() == imported.weights.keys()
    for key, value in imported.weights.items():
        np.testing.assert_array_equal(again.weights[key], value, err_msg=key)


def make_model(nodes, inits, in_shape, out_shape, opset=17, extra_consts=()):
    graph = helper.make_graph(
        nodes,
        "handmade",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    return proto


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def check_import(proto, in_shape):
    imported = import_onnx(proto)
    x = RNG.standard_normal((4, *in_shape)).astype(np.float32)
    np.testing.assert_allclose(run_imported(imported, x), run_ort(proto, x), atol=1e-5, rtol=1e-5)
    assert_round_trip(imported)
    return imported
