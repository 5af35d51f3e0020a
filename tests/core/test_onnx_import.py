"""ONNX models open as graphs: models written by torch.onnx.export and our own exports match
ONNX Runtime and round-trip exactly; layout, data set choice, the project and the CLI."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
from onnx import helper

from neurocanvas.core import Tensor, manual_seed, no_grad
from neurocanvas.core.io.examples import list_examples, load_example
from neurocanvas.core.io.export.onnx_export import to_onnx
from neurocanvas.core.io.onnx_import import (
    import_onnx,
    project_from_onnx,
    suggest_dataset,
)
from neurocanvas.core.network.compiler import compile_graph

from .onnx_helpers import (
    RNG,
    assert_round_trip,
    f32,
    make_model,
    run_imported,
    run_ort,
)

pytest.importorskip("onnxruntime")


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
    np.testing.assert_allclose(run_imported(imported, x), run_ort(path, x), atol=1e-5, rtol=1e-5)
    assert_round_trip(imported)


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


# ------------------------------------------------------------------ layout, data set, project
def test_layout_runs_left_to_right_and_branches_do_not_overlap():
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Sigmoid", ["x"], ["b"]),
        helper.make_node("Tanh", ["b"], ["c"]),
        helper.make_node("Add", ["a", "c"], ["y"]),
    ]
    graph = import_onnx(make_model(nodes, {}, (3,), (3,))).graph
    for e in graph.edges:
        assert graph.nodes[e.src].pos[0] < graph.nodes[e.dst].pos[0]
    positions = [n.pos for n in graph.nodes.values()]
    assert len(set(positions)) == len(positions)
    # the wire relu -> add jumps over tanh's column: tanh keeps clear of it (a node is ~70 px
    # tall, so its centre must be at least 40 px from the line between the wire's ends)
    pos = {n.type: n.pos for n in graph.nodes.values()}
    (x0, y0), (x1, y1), (xt, yt) = pos["ReLU"], pos["Add"], pos["Tanh"]
    assert abs(yt - (y0 + (xt - x0) / (x1 - x0) * (y1 - y0))) >= 40


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
        make_model(nodes, {"W": f32(8, 2), "b": f32(8), "W2": f32(3, 8), "b2": f32(3)}, (2,), (3,)),
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
        expected = model(Tensor(x)).detach().numpy()
    np.testing.assert_allclose(run_imported(imported, x), expected, atol=1e-5, rtol=1e-5)
    original = {n.type for n in load_example(name).graph.nodes.values()}
    assert {n.type for n in imported.graph.nodes.values()} == original
    assert_round_trip(imported)


def test_cli_validates_trains_and_exports_an_onnx_file(tmp_path, capsys):
    from neurocanvas.core.cli import main

    gemm = [
        helper.make_node("Gemm", ["x", "W", "b"], ["h"], transB=1, name="fc"),
        helper.make_node("Tanh", ["h"], ["y"], name="act"),
    ]
    fits = tmp_path / "curve.onnx"
    onnx.save(make_model(gemm, {"W": f32(1, 1), "b": f32(1)}, (1,), (1,)), str(fits))
    assert main(["validate", str(fits)]) == 0
    assert "(N, 1)" in capsys.readouterr().out
    assert main(["train", str(fits), "--epochs", "1", "--json"]) == 0
    assert '"state": "finished"' in capsys.readouterr().out
    no_data = tmp_path / "wide.onnx"
    onnx.save(make_model(gemm, {"W": f32(2, 7), "b": f32(2)}, (7,), (2,)), str(no_data))
    assert main(["export", str(no_data), "-o", str(tmp_path / "wide.py")]) == 0
    assert (tmp_path / "wide.safetensors").exists()
    assert main(["train", str(no_data)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no data set to train on" in err and "(N, 7)" in err
    bad = tmp_path / "elu.onnx"
    onnx.save(
        make_model([helper.make_node("Elu", ["x"], ["y"], name="e")], {}, (3,), (3,)), str(bad)
    )
    assert main(["validate", str(bad)]) == 1
    assert "Elu 'e'" in capsys.readouterr().err


def test_an_imported_model_exported_unchanged_computes_the_same_function(tmp_path, capsys):
    # A digits-shaped CNN opens with the digits data set suggested; the re-export must not
    # slip that data set's pixel scaling in front of weights that never saw it.
    import onnxruntime

    from neurocanvas.core.cli import main

    t = _torch()
    t.manual_seed(0)
    net = t.nn.Sequential(
        t.nn.Conv2d(1, 4, 3, padding=1), t.nn.ReLU(), t.nn.Flatten(), t.nn.Linear(256, 10)
    )
    original = _export_torch(net, (1, 8, 8), tmp_path / "cnn.onnx")
    assert main(["export", str(original), "--output", str(tmp_path / "re.onnx")]) == 0
    x = np.random.default_rng(1).uniform(0, 16, size=(5, 1, 8, 8)).astype(np.float32)

    def run(path):
        session = onnxruntime.InferenceSession(str(path))
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    np.testing.assert_allclose(run(tmp_path / "re.onnx"), run(original), rtol=1e-5, atol=1e-5)
