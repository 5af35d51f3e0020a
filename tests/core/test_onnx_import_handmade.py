"""Small ONNX files built with onnx.helper: each pattern exporters write becomes the right
layers, and whatever has no NeuroCanvas layer is refused whole, naming every operator."""

from __future__ import annotations

import math
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurocanvas.core.datasets.preprocessing import Preprocessing
from neurocanvas.core.io.export.onnx_export import to_onnx
from neurocanvas.core.io.onnx_import import OnnxImportError, import_onnx, project_from_onnx
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph

from .onnx_helpers import RNG, check_import, f32, make_model, run_imported, run_ort

pytest.importorskip("onnxruntime")


def test_matmul_plus_constant_add_is_one_linear_with_bias():
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
        helper.make_node("Add", ["h", "b"], ["a"], name="bias"),
        helper.make_node("Gemm", ["a", "W2", "b2"], ["y"], name="g", alpha=0.5, beta=2.0),
    ]
    proto = make_model(
        nodes, {"W": f32(3, 4), "b": f32(4), "W2": f32(4, 2), "b2": f32(1, 2)}, (3,), (2,)
    )
    imported = check_import(proto, (3,))
    linears = [n for n in imported.graph.nodes.values() if n.type == "Linear"]
    assert [n.params for n in linears] == [{"out_features": 4, "bias": True}] * 1 + [
        {"out_features": 2, "bias": True}
    ]


def test_reshape_target_computed_from_shape_is_folded_to_a_flatten():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0))),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="gather"),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsq"),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], name="cat", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "W"], ["y"], name="fc", transB=1),
    ]
    inits = {"ax": np.array([0]), "minus1": np.array([-1]), "W": f32(5, 18)}
    imported = check_import(make_model(nodes, inits, (2, 3, 3), (5,)), (2, 3, 3))
    assert [n.type for n in imported.graph.nodes.values()] == [
        "Input",
        "Flatten",
        "Linear",
        "Output",
    ]


def test_opset18_reduce_mean_sum_identity_and_dropout_ratio_input():
    nodes = [
        helper.make_node("Conv", ["x", "Wc"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c", "bc"], ["cb"], name="conv_bias"),
        helper.make_node("ReduceMean", ["cb", "axes"], ["m"], name="mean", keepdims=0),
        helper.make_node("Identity", ["m"], ["mi"], name="ident"),
        helper.make_node("Relu", ["mi"], ["r"], name="relu"),
        helper.make_node("Sigmoid", ["mi"], ["s"], name="sig"),
        helper.make_node("Sum", ["r", "s", "mi"], ["t"], name="sum3"),
        helper.make_node("Dropout", ["t", "ratio"], ["y"], name="drop"),
    ]
    inits = {
        "Wc": f32(4, 2, 3, 3),
        "bc": f32(1, 4, 1, 1),
        "axes": np.array([2, 3]),
        "ratio": np.array(0.1, np.float32),
    }
    imported = check_import(make_model(nodes, inits, (2, 5, 5), (4,), opset=18), (2, 5, 5))
    by_type = {n.type: n for n in imported.graph.nodes.values()}
    assert by_type["Conv2d"].params["bias"] is True
    assert len(imported.graph.edges_into(by_type["Add"].id)) == 3
    assert by_type["Dropout"].params["p"] == 0.1


def test_global_pool_without_flatten_keeps_its_one_by_one_shape():
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat_later", axis=1),
        helper.make_node("Relu", ["g"], ["gr"], name="relu4d"),
        helper.make_node("Flatten", ["gr"], ["fr"], name="flat", axis=1),
        helper.make_node("Concat", ["f", "fr"], ["y"], name="join", axis=-1),
    ]
    imported = check_import(make_model(nodes, {}, (3, 4, 4), (6,)), (3, 4, 4))
    types = sorted(n.type for n in imported.graph.nodes.values())
    assert types.count("GlobalAvgPool") == 1 and "Reshape" in types


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_formula_in_any_order_becomes_one_gelu(approximate):
    if (
        approximate == "none"
    ):  # the TorchScript exporter's order: x / sqrt2 -> erf -> +1 -> *x -> *0.5
        nodes = [
            helper.make_node("Div", ["x", "sqrt2"], ["d"]),
            helper.make_node("Erf", ["d"], ["e"]),
            helper.make_node("Add", ["e", "one"], ["a"]),
            helper.make_node("Mul", ["x", "a"], ["m"]),
            helper.make_node("Mul", ["m", "half"], ["y"]),
        ]
        inits = {"sqrt2": np.array(math.sqrt(2), np.float32)}
    else:
        nodes = [
            helper.make_node("Pow", ["x", "three"], ["cube"]),
            helper.make_node("Mul", ["k", "cube"], ["kc"]),
            helper.make_node("Add", ["x", "kc"], ["inner"]),
            helper.make_node("Mul", ["inner", "c"], ["scaled"]),
            helper.make_node("Tanh", ["scaled"], ["t"]),
            helper.make_node("Add", ["one", "t"], ["gate"]),
            helper.make_node("Mul", ["half", "x"], ["hx"]),
            helper.make_node("Mul", ["hx", "gate"], ["y"]),
        ]
        inits = {
            "three": np.array(3.0, np.float32),
            "k": np.array(0.044715, np.float32),
            "c": np.array(math.sqrt(2 / math.pi), np.float32),
        }
    inits |= {"one": np.array(1.0, np.float32), "half": np.array(0.5, np.float32)}
    imported = check_import(make_model(nodes, inits, (6,), (6,)), (6,))
    gelus = [n for n in imported.graph.nodes.values() if n.type == "GELU"]
    assert len(gelus) == 1 and gelus[0].params["approximate"] == approximate
    assert len(imported.graph.nodes) == 3


def test_opset20_gelu_and_old_softmax_and_batchnorm_attributes():
    nodes = [
        helper.make_node("Gelu", ["x"], ["g"], name="gelu", approximate="tanh"),
        helper.make_node(
            "BatchNormalization",
            ["g", "s", "b", "mu", "var"],
            ["bn"],
            name="bn",
            epsilon=1e-3,
            momentum=0.8,
        ),
        helper.make_node("LeakyRelu", ["bn"], ["l"], name="leaky", alpha=0.3),
        helper.make_node("Softmax", ["l"], ["y"], name="softmax", axis=1),
    ]
    inits = {"s": f32(5), "b": f32(5), "mu": f32(5), "var": np.abs(f32(5)) + 0.5}
    imported = check_import(make_model(nodes, inits, (5,), (5,), opset=20), (5,))
    params = {n.type: n.params for n in imported.graph.nodes.values()}
    assert params["BatchNorm"] == {"eps": 1e-3, "momentum": 0.2}
    assert params["LeakyReLU"] == {"negative_slope": 0.3}


# ------------------------------------------------------------------ refusals
def test_unsupported_operators_are_all_named_in_one_message_and_nothing_is_imported():
    nodes = [
        helper.make_node("Gemm", ["x", "W"], ["h"], name="fc", transB=1),
        helper.make_node("Elu", ["h"], ["e"], name="act"),
        helper.make_node("Mul", ["h", "e"], ["y"], name="gate"),
    ]
    proto = make_model(nodes, {"W": f32(4, 3)}, (3,), (4,))
    with pytest.raises(OnnxImportError) as info:
        import_onnx(proto)
    message = str(info.value)
    assert "Elu 'act' (node 2 of 3, after Gemm 'fc')" in message
    assert "Mul 'gate'" in message and "nothing was imported" in message
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(
    "node, inits, phrase",
    [
        (
            helper.make_node("Conv", ["x", "W"], ["y"], name="dw", group=2),
            {"W": f32(2, 1, 3, 3)},
            "grouped convolution (group=2)",
        ),
        (
            helper.make_node("Conv", ["x", "W"], ["y"], name="wide"),
            {"W": f32(2, 2, 1, 3)},
            "1x3 kernel",
        ),
        (
            helper.make_node("MaxPool", ["x"], ["y"], name="p", kernel_shape=[2, 2], ceil_mode=1),
            {},
            "ceil_mode=1",
        ),
        (helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=2), {}, "over axis 2"),
    ],
)
def test_layers_beyond_the_catalogue_are_refused_with_the_reason(node, inits, phrase):
    proto = make_model([node], inits, (2, 6, 6), (2, 6, 6) if node.op_type == "Softmax" else ())
    with pytest.raises(OnnxImportError, match=re.escape(phrase)) as info:
        import_onnx(proto)
    assert f"'{node.name}'" in str(info.value)


def test_not_an_onnx_file_and_two_inputs_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not protobuf")
    with pytest.raises(OnnxImportError, match="bad.onnx is not a"):
        import_onnx(bad)
    with pytest.raises(OnnxImportError, match="not found"):
        import_onnx(tmp_path / "missing.onnx")
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"])],
        "two",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 3]) for n in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    )
    with pytest.raises(OnnxImportError, match="has 2 inputs"):
        import_onnx(helper.make_model(graph))


def test_a_neurocanvas_export_with_preprocessing_imports_as_the_network_and_its_maps(tmp_path):
    g = Graph()
    chain = [
        g.add_node("Input", {"shape": (2,)}),
        g.add_node("Linear", {"out_features": 1}),
        g.add_node("Output", {"loss": "mse"}),
    ]
    for a, b in zip(chain, chain[1:]):
        g.connect(a.id, "out", b.id, "in")
    model = compile_graph(g)
    pre = Preprocessing(
        input_shift=[1.0, -2.0],
        input_scale=[2.0, 4.0],
        output_shift=[5.0],
        output_scale=[3.0],
        input_note="standardised",
        output_note="standardised",
    )
    path = tmp_path / "scaled.onnx"
    onnx.save(to_onnx(model, "scaled", pre), str(path))
    opened = project_from_onnx(path)
    assert [n.type for n in opened.project.graph.nodes.values()] == ["Input", "Linear", "Output"]
    assert opened.project.preprocessing == pre.to_dict()
    raw = RNG.standard_normal((4, 2)).astype(np.float32)
    ours = run_imported(import_onnx(path), pre.inputs_to_model(raw))
    np.testing.assert_allclose(pre.outputs_to_user(ours), run_ort(path, raw), rtol=1e-5, atol=1e-5)
