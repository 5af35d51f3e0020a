"""ONNX models open as graphs: outputs match ONNX Runtime, import -> export -> import is exact,
and anything without a NeuroCanvas layer is refused whole with the operator named."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from neurocanvas.core import Tensor, manual_seed, no_grad
from neurocanvas.core.io.examples import list_examples, load_example
from neurocanvas.core.io.export.onnx_export import to_onnx
from neurocanvas.core.io.onnx_import import (
    OnnxImportError,
    import_onnx,
    project_from_onnx,
    suggest_dataset,
)
from neurocanvas.core.network.compiler import compile_graph

ort = pytest.importorskip("onnxruntime")
RNG = np.random.default_rng(0)


def _run_ort(proto_or_path, x: np.ndarray) -> np.ndarray:
    raw = (
        proto_or_path.SerializeToString()
        if hasattr(proto_or_path, "SerializeToString")
        else str(proto_or_path)
    )
    session = ort.InferenceSession(raw, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _run_imported(imported, x: np.ndarray) -> np.ndarray:
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.weights)
    model.eval()
    with no_grad():
        return model(Tensor(x)).numpy()


def _assert_round_trip(imported) -> None:
    """import -> export (our ONNX exporter) -> import gives the same graph and weights."""
    model = compile_graph(imported.graph)
    model.load_state_dict(imported.weights)
    again = import_onnx(to_onnx(model, imported.name))
    assert again.graph.to_dict() == imported.graph.to_dict()
    assert again.weights.keys() == imported.weights.keys()
    for key, value in imported.weights.items():
        np.testing.assert_array_equal(again.weights[key], value, err_msg=key)


# ------------------------------------------------------------------ models from torch.onnx
def _torch():
    return pytest.importorskip("torch")


def _export_torch(module, sample_shape, path, opset=17):
    t = _torch()
    module.eval()
    with warnings.catch_warnings():  # the TorchScript exporter announces its deprecation
        warnings.simplefilter("ignore")
        t.onnx.export(
            module,
            (t.randn(2, *sample_shape),),
            str(path),
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
            opset_version=opset,
        )
    return path


def _torch_models():
    t = _torch()
    nn = t.nn

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(6)
            self.pool = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(6, 8, 3)
            self.avg = nn.AvgPool2d(kernel_size=2, stride=1)
            self.drop = nn.Dropout(0.25)
            self.fc1 = nn.Linear(8, 16)
            self.bn2 = nn.BatchNorm1d(16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = self.pool(t.relu(self.bn1(self.conv1(x))))
            x = self.avg(nn.functional.leaky_relu(self.conv2(x), 0.2))
            x = x.view(x.size(0), -1)  # Shape -> Gather -> Concat -> Reshape in the file
            return self.fc2(self.drop(t.sigmoid(self.bn2(self.fc1(x)))))

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(2, 16)
            self.block = nn.Sequential(nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 16))
            self.head = nn.Linear(16, 3)

        def forward(self, x):
            h = t.tanh(self.stem(x))
            return self.head(h + self.block(h))

    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.left = nn.Linear(4, 5)
            self.right = nn.Sequential(nn.Linear(4, 3), nn.GELU(approximate="tanh"))
            self.out = nn.Linear(8, 2)

        def forward(self, x):
            y = self.out(t.cat([t.relu(self.left(x)), self.right(x)], dim=1))
            return t.softmax(y, dim=1)

    class Gap(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, stride=2, bias=False)
            self.gap = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(4, 1)

        def forward(self, x):
            return self.fc(t.flatten(self.gap(self.conv(x)), 1))

    t.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
    return {
        "mlp": (mlp, (3,)),
        "lenet": (LeNet(), (1, 8, 8)),
        "residual": (Residual(), (2,)),
        "concat": (Branches(), (4,)),
        "gap": (Gap(), (3, 9, 9)),
    }


def _randomise_batchnorm(module) -> None:
    t = _torch()
    for m in module.modules():
        if isinstance(m, (t.nn.BatchNorm1d, t.nn.BatchNorm2d)):
            with t.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["mlp", "lenet", "residual", "concat", "gap"])
def test_torch_exported_model_matches_onnxruntime_and_round_trips(tmp_path, name):
    module, shape = _torch_models()[name]
    _randomise_batchnorm(module)
    path = _export_torch(module, shape, tmp_path / f"{name}.onnx")
    imported = import_onnx(path)
    x = RNG.standard_normal((5, *shape)).astype(np.float32)
    np.testing.assert_allclose(_run_imported(imported, x), _run_ort(path, x), atol=1e-5, rtol=1e-5)
    _assert_round_trip(imported)


@pytest.mark.torch
def test_torch_module_names_become_node_names(tmp_path):
    module, shape = _torch_models()["residual"]
    imported = import_onnx(_export_torch(module, shape, tmp_path / "res.onnx"))
    names = {n.name: n.type for n in imported.graph.nodes.values()}
    assert {
        "stem": "Linear",
        "block_0": "Linear",
        "block_2": "Linear",
        "head": "Linear",
    }.items() <= names.items()
    assert names["add1"] == "Add" and names["gelu1"] == "GELU"
    assert "stem.weight" in imported.weights and imported.weights["head.bias"].shape == (3,)


@pytest.mark.torch
def test_torch_lenet_keeps_dropout_and_batchnorm_layers(tmp_path):
    module, shape = _torch_models()["lenet"]
    imported = import_onnx(_export_torch(module, shape, tmp_path / "lenet.onnx"))
    types = [n.type for n in imported.graph.nodes.values()]
    # an eval-mode export folds bn1 into conv1 and leaves dropout out (identity at inference);
    # bn2, after a Linear, stays a BatchNorm with PyTorch's eps and momentum
    assert types.count("BatchNorm") == 1 and "Dropout" not in types and "Flatten" in types
    bn = next(n for n in imported.graph.nodes.values() if n.type == "BatchNorm")
    assert bn.name == "bn2" and bn.params == {"eps": 1e-5, "momentum": 0.1}


# ------------------------------------------------------------------ hand-built ONNX files
def _model(nodes, inits, in_shape, out_shape, opset=17, extra_consts=()):
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


def _f(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _check(proto, in_shape):
    imported = import_onnx(proto)
    x = RNG.standard_normal((4, *in_shape)).astype(np.float32)
    np.testing.assert_allclose(_run_imported(imported, x), _run_ort(proto, x), atol=1e-5, rtol=1e-5)
    _assert_round_trip(imported)
    return imported


def test_matmul_plus_constant_add_is_one_linear_with_bias():
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
        helper.make_node("Add", ["h", "b"], ["a"], name="bias"),
        helper.make_node("Gemm", ["a", "W2", "b2"], ["y"], name="g", alpha=0.5, beta=2.0),
    ]
    proto = _model(nodes, {"W": _f(3, 4), "b": _f(4), "W2": _f(4, 2), "b2": _f(1, 2)}, (3,), (2,))
    imported = _check(proto, (3,))
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
    inits = {"ax": np.array([0]), "minus1": np.array([-1]), "W": _f(5, 18)}
    imported = _check(_model(nodes, inits, (2, 3, 3), (5,)), (2, 3, 3))
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
        "Wc": _f(4, 2, 3, 3),
        "bc": _f(1, 4, 1, 1),
        "axes": np.array([2, 3]),
        "ratio": np.array(0.1, np.float32),
    }
    imported = _check(_model(nodes, inits, (2, 5, 5), (4,), opset=18), (2, 5, 5))
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
    imported = _check(_model(nodes, {}, (3, 4, 4), (6,)), (3, 4, 4))
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
    imported = _check(_model(nodes, inits, (6,), (6,)), (6,))
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
    inits = {"s": _f(5), "b": _f(5), "mu": _f(5), "var": np.abs(_f(5)) + 0.5}
    imported = _check(_model(nodes, inits, (5,), (5,), opset=20), (5,))
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
    proto = _model(nodes, {"W": _f(4, 3)}, (3,), (4,))
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
            {"W": _f(2, 1, 3, 3)},
            "grouped convolution (group=2)",
        ),
        (
            helper.make_node("Conv", ["x", "W"], ["y"], name="wide"),
            {"W": _f(2, 2, 1, 3)},
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
    proto = _model([node], inits, (2, 6, 6), (2, 6, 6) if node.op_type == "Softmax" else ())
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


# ------------------------------------------------------------------ layout, data set, project
def test_layout_runs_left_to_right_and_branches_do_not_overlap():
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Sigmoid", ["x"], ["b"]),
        helper.make_node("Tanh", ["b"], ["c"]),
        helper.make_node("Add", ["a", "c"], ["y"]),
    ]
    graph = import_onnx(_model(nodes, {}, (3,), (3,))).graph
    for e in graph.edges:
        assert graph.nodes[e.src].pos[0] < graph.nodes[e.dst].pos[0]
    positions = [n.pos for n in graph.nodes.values()]
    assert len(set(positions)) == len(positions)


@pytest.mark.parametrize(
    "shape, outputs, key, loss",
    [
        ((1,), 1, "sine", "mse"),
        ((2,), 3, "spirals", "cross_entropy"),
        ((2,), 1, "moons", "bce"),
        ((1, 8, 8), 10, "digits", "cross_entropy"),
        ((1, 28, 28), 10, "mnist", "cross_entropy"),
        ((7,), 1, "csv", "mse"),
        ((3, 32, 32), 4, "csv", "cross_entropy"),
    ],
)
def test_suggested_data_set_fits_the_model_or_asks_for_one(shape, outputs, key, loss):
    choice = suggest_dataset(shape, outputs)
    assert (choice.key, choice.loss) == (key, loss)
    if key not in ("csv", "mnist"):
        from neurocanvas.core.datasets import make_dataset

        data = make_dataset(choice.key, choice.params)
        assert tuple(data.input_shape) == shape and data.n_outputs in (outputs, 2)


def test_project_from_onnx_trains_on_the_suggested_data(tmp_path):
    from neurocanvas.core.datasets import make_dataset
    from neurocanvas.core.network.shapes import analyse

    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "W2", "b2"], ["y"], transB=1),
    ]
    path = tmp_path / "net.onnx"
    onnx.save(
        _model(nodes, {"W": _f(8, 2), "b": _f(8), "W2": _f(3, 8), "b2": _f(3)}, (2,), (3,)),
        str(path),
    )
    opened = project_from_onnx(path)
    project = opened.project
    assert project.dataset_key == "spirals" and project.name == "net"
    assert "3 layers" in opened.message and "3 spirals" in opened.message
    data = make_dataset(project.dataset_key, project.dataset_params)
    assert analyse(project.graph, data.data_spec()).ok


@pytest.mark.parametrize("name", [e.name for e in list_examples()])
def test_bundled_examples_survive_onnx_export_and_import(name):
    manual_seed(0)
    model = compile_graph(load_example(name).graph)
    model.eval()
    imported = import_onnx(to_onnx(model, name))
    x = RNG.uniform(-1, 1, (5, *model.input_shape)).astype(np.float32)
    with no_grad():
        expected = model(Tensor(x)).numpy()
    np.testing.assert_allclose(_run_imported(imported, x), expected, atol=1e-5, rtol=1e-5)
    original = {n.type for n in load_example(name).graph.nodes.values()}
    assert {n.type for n in imported.graph.nodes.values()} == original
    _assert_round_trip(imported)


def test_cli_validates_trains_and_exports_an_onnx_file(tmp_path, capsys):
    from neurocanvas.core.cli import main

    gemm = [
        helper.make_node("Gemm", ["x", "W", "b"], ["h"], transB=1, name="fc"),
        helper.make_node("Tanh", ["h"], ["y"], name="act"),
    ]
    fits = tmp_path / "curve.onnx"
    onnx.save(_model(gemm, {"W": _f(1, 1), "b": _f(1)}, (1,), (1,)), str(fits))
    assert main(["validate", str(fits)]) == 0
    assert "(N, 1)" in capsys.readouterr().out
    assert main(["train", str(fits), "--epochs", "1", "--json"]) == 0
    assert '"state": "finished"' in capsys.readouterr().out
    no_data = tmp_path / "wide.onnx"
    onnx.save(_model(gemm, {"W": _f(2, 7), "b": _f(2)}, (7,), (2,)), str(no_data))
    assert main(["export", str(no_data), "-o", str(tmp_path / "wide.py")]) == 0
    assert (tmp_path / "wide.safetensors").exists()
    assert main(["train", str(no_data)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no data set to train on" in err and "(N, 7)" in err
    bad = tmp_path / "elu.onnx"
    onnx.save(_model([helper.make_node("Elu", ["x"], ["y"], name="e")], {}, (3,), (3,)), str(bad))
    assert main(["validate", str(bad)]) == 1
    assert "Elu 'e'" in capsys.readouterr().err
