"""Preprocessing is part of the model: raw inputs through ONNX Runtime, the generated PyTorch
code and the app's own prediction agree (1e-4 relative) for a CSV regression, a CSV
classification and an image data set; weight files carry it and read it back."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from neurocanvas.core.cli._common import load_source
from neurocanvas.core.datasets import Preprocessing, make_dataset
from neurocanvas.core.io.export import export_model, load_weights, read_preprocessing
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.decision import predict
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.training import Trainer, TrainingConfig

CASES = Path(__file__).resolve().parents[1] / "cases"  # the field cases (../shared/cases)

ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")


def _onnx_run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.astype(np.float32)})[0]


def _torch_run(script: Path, x: np.ndarray) -> np.ndarray:
    spec = importlib.util.spec_from_file_location(f"gen_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load().eval()
    with torch.no_grad():
        return net(torch.from_numpy(x.astype(np.float32))).detach().numpy()


def _three_ways(model, dataset, raw: np.ndarray, tmp_path: Path) -> tuple[np.ndarray, ...]:
    pre = dataset.preprocessing
    export_model(model, tmp_path / "m.onnx", "onnx", preprocessing=pre)
    export_model(model, tmp_path / "m.py", "torch", preprocessing=pre)
    app = predict(model, raw, pre)
    return app, _onnx_run(tmp_path / "m.onnx", raw), _torch_run(tmp_path / "m.py", raw)


def _chain(shape, *layers, loss):
    g = Graph()
    prev = g.add_node("Input", {"shape": shape})
    for type_, params in layers:
        node = g.add_node(type_, params)
        g.connect(prev.id, "out", node.id, "in")
        prev = node
    out = g.add_node("Output", {"loss": loss})
    g.connect(prev.id, "out", out.id, "in")
    return g


def test_export_scaling_case_raw_rows_give_the_truth_in_every_export(tmp_path):
    """cases/export-scaling: y = (2a + 3b)/1000 with standardised inputs; before the fix the
    ONNX model gave 446.9 for a=150, b=500 (truth 1.80)."""
    loaded = load_source(str(CASES / "export-scaling" / "project.ncproj"))
    Trainer(loaded.model, loaded.dataset, loaded.project.config).run()
    raw = np.array([[150.0, 500.0], [120.0, 100.0]], dtype=np.float32)
    app, onnx_out, torch_out = _three_ways(loaded.model, loaded.dataset, raw, tmp_path)
    np.testing.assert_allclose(onnx_out, app, rtol=1e-4)
    np.testing.assert_allclose(torch_out, app, rtol=1e-4)
    np.testing.assert_allclose(app[:, 0], [1.80, 0.54], atol=0.08)


def _classification_csv(tmp_path: Path) -> str:
    rng = np.random.default_rng(3)
    a = rng.uniform(100, 200, 120)
    b = rng.uniform(0, 1000, 120)
    label = np.where(2 * a + 0.3 * b > 450, "big", "small")
    lines = ["a,b,size"] + [f"{x:.3f},{y:.3f},{k}" for x, y, k in zip(a, b, label)]
    path = tmp_path / "sizes.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_csv_classification_exports_take_raw_rows(tmp_path):
    params = {"path": _classification_csv(tmp_path), "task": "classification"}
    dataset = make_dataset("csv", params, seed=0)
    assert dataset.preprocessing.has_input and not dataset.preprocessing.has_output
    graph = _chain(
        (2,),
        ("Linear", {"out_features": 8}),
        ("ReLU", {}),
        ("Linear", {"out_features": 2}),
        loss="cross_entropy",
    )
    model = compile_graph(graph, dataset.data_spec())
    Trainer(model, dataset, TrainingConfig(epochs=20, batch_size=16)).run()
    raw = np.array([[150.0, 500.0], [110.0, 20.0], [195.0, 990.0]], dtype=np.float32)
    app, onnx_out, torch_out = _three_ways(model, dataset, raw, tmp_path)
    np.testing.assert_allclose(onnx_out, app, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(torch_out, app, rtol=1e-4, atol=1e-6)
    # the raw rows are classified like the standardised training rows they resemble
    assert dataset.class_names == ["big", "small"]
    assert app[1].argmax() == 1 and app[2].argmax() == 0


def test_image_exports_take_raw_pixel_values(tmp_path):
    dataset = make_dataset("digits", {"n_samples": 200}, seed=0)
    assert dataset.preprocessing.input_scale == pytest.approx(16.0)
    graph = _chain(
        (1, 8, 8), ("Flatten", {}), ("Linear", {"out_features": 10}), loss="cross_entropy"
    )
    model = compile_graph(graph, dataset.data_spec())
    Trainer(model, dataset, TrainingConfig(epochs=3, batch_size=32)).run()
    raw = np.round(dataset.x_val[:5] * 16.0)  # the file's 0..16 pixel values
    app, onnx_out, torch_out = _three_ways(model, dataset, raw, tmp_path)
    np.testing.assert_allclose(onnx_out, app, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(torch_out, app, rtol=1e-4, atol=1e-5)
    # and the app fed the scaled images, so raw in == scaled training inputs in
    np.testing.assert_allclose(predict(model, dataset.x_val[:5]), app, rtol=1e-5, atol=1e-6)


def test_standardised_target_comes_back_in_the_targets_units(tmp_path):
    rows = "\n".join(f"{x},{50_000 + 20_000 * x}" for x in range(40))
    path = tmp_path / "prices.csv"
    path.write_text("size,price\n" + rows + "\n")
    dataset = make_dataset("csv", {"path": str(path), "standardize_target": True}, seed=0)
    assert abs(float(dataset.y_train.mean())) < 0.5 and float(dataset.y_train.std()) < 2
    user = dataset.outputs_to_user(dataset.y_train).ravel()
    x_user = dataset.inputs_to_user(dataset.x_train).ravel()
    np.testing.assert_allclose(user, 50_000 + 20_000 * x_user, rtol=1e-5)
    graph = _chain((1,), ("Linear", {"out_features": 1}), loss="mse")
    model = compile_graph(graph, dataset.data_spec())
    Trainer(model, dataset, TrainingConfig(epochs=60, batch_size=8, lr=0.05)).run()
    raw = np.array([[10.0], [30.0]], dtype=np.float32)
    app, onnx_out, torch_out = _three_ways(model, dataset, raw, tmp_path)
    np.testing.assert_allclose(onnx_out, app, rtol=1e-4)
    np.testing.assert_allclose(torch_out, app, rtol=1e-4)
    np.testing.assert_allclose(app[:, 0], [250_000, 650_000], rtol=0.02)


@pytest.mark.parametrize("fmt", ["safetensors", "npz", "onnx"])
def test_weight_files_carry_the_preprocessing_and_import_reads_it_back(tmp_path, fmt):
    pre = Preprocessing(
        input_shift=[1.5, -2.0],
        input_scale=[3.0, 0.25],
        output_shift=7.0,
        output_scale=2.0,
        input_note="standardised",
    )
    graph = _chain((2,), ("Linear", {"out_features": 1}), loss="mse")
    model = compile_graph(graph)
    (path,) = export_model(model, tmp_path / f"w.{fmt}", fmt, preprocessing=pre)
    back = read_preprocessing(path)
    assert back is not None and back.same_as(pre, 0.0) and back.input_note == "standardised"
    if fmt != "onnx":  # the record is metadata, never a tensor of the model
        assert set(load_weights(path)) == set(model.state_dict())


def test_a_file_without_preprocessing_reads_back_none(tmp_path):
    model = compile_graph(_chain((2,), ("Linear", {"out_features": 1}), loss="mse"))
    for fmt in ("safetensors", "npz", "onnx"):
        (path,) = export_model(model, tmp_path / f"w.{fmt}", fmt)
        assert read_preprocessing(path) is None


def test_a_project_keeps_the_preprocessing_its_weights_were_trained_with(tmp_path):
    """Rows appended to the CSV after training must not shift what the saved weights see."""
    shutil.copy(CASES / "export-scaling" / "data.csv", tmp_path / "data.csv")
    shutil.copy(CASES / "export-scaling" / "project.ncproj", tmp_path / "p.ncproj")
    from neurocanvas.core.io.project import load_project, save_project

    project, _ = load_project(tmp_path / "p.ncproj")
    dataset = make_dataset("csv", project.dataset_params)
    model = compile_graph(project.graph, dataset.data_spec())
    project.preprocessing = dataset.preprocessing.to_dict()
    save_project(project, tmp_path / "p.ncproj", weights=model.state_dict())
    with open(tmp_path / "data.csv", "a") as fh:
        fh.write("1000.0,100000.0,302.0\n")  # moves the column means a lot
    again = load_source(str(tmp_path / "p.ncproj"))
    assert again.dataset.preprocessing.same_as(dataset.preprocessing)
    raw = np.array([[150.0, 500.0]], dtype=np.float32)
    np.testing.assert_allclose(
        predict(again.model, raw, again.dataset.preprocessing),
        predict(model, raw, dataset.preprocessing),
        rtol=1e-6,
    )


def test_importing_an_export_takes_the_network_without_its_preprocessing(tmp_path):
    from neurocanvas.core import Tensor, no_grad
    from neurocanvas.core.io.onnx_import import import_onnx

    pre = Preprocessing(
        input_shift=[100.0, 500.0], input_scale=[30.0, 290.0], output_shift=2.0, output_scale=0.7
    )
    graph = _chain(
        (2,),
        ("Linear", {"out_features": 4}),
        ("Tanh", {}),
        ("Linear", {"out_features": 1}),
        loss="mse",
    )
    model = compile_graph(graph)
    (path,) = export_model(model, tmp_path / "m.onnx", "onnx", preprocessing=pre)
    imported = import_onnx(path)
    again = compile_graph(imported.graph)
    again.load_state_dict(imported.weights)
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    with no_grad():
        np.testing.assert_allclose(
            again(Tensor(x)).detach().numpy(),
            model(Tensor(x)).detach().numpy(),
            rtol=1e-5,
            atol=1e-6,
        )


def test_weights_given_on_the_command_line_bring_their_preprocessing(tmp_path):
    loaded = load_source(str(CASES / "export-scaling" / "project.ncproj"))
    recorded = Preprocessing(input_shift=[140.0, 480.0], input_scale=[25.0, 300.0])
    (path,) = export_model(loaded.model, tmp_path / "w.npz", "npz", preprocessing=recorded)
    again = load_source(str(CASES / "export-scaling" / "project.ncproj"), weights=str(path))
    assert again.dataset.preprocessing.same_as(recorded)
    # the network is fed (raw - (140, 480)) / (25, 300): mapped back, rows are the file's
    table = np.loadtxt(CASES / "export-scaling" / "data.csv", delimiter=",", skiprows=1)
    fed = again.dataset.x_train[:3].astype(np.float64)
    for row in fed * [25, 300] + [140, 480]:
        assert np.abs(table[:, :2] - row).max(axis=1).min() < 1e-2
