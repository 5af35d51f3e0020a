"""Exports read back: safetensors/npz bit-exact, ONNX Runtime within 1e-5, PyTorch code runs."""

from __future__ import annotations

import runpy

import numpy as np
import pytest

from neurocanvas.core import Tensor, manual_seed, no_grad
from neurocanvas.core.io.export import (
    EXPORT_FORMATS,
    ExportError,
    WeightsError,
    export_model,
    import_weights,
    load_weights,
)
from neurocanvas.core.io.export.onnx_export import to_onnx
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph


def _chain(*layers, shape=(3,), loss="mse"):
    """Input -> layers... -> Output, returns the graph."""
    g = Graph()
    prev = g.add_node("Input", {"shape": shape})
    for type_, params in layers:
        node = g.add_node(type_, params)
        g.connect(prev.id, "out", node.id, "in")
        prev = node
    out = g.add_node("Output", {"loss": loss})
    g.connect(prev.id, "out", out.id, "in")
    return g


def _cnn_graph():
    return _chain(
        ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        ("BatchNorm", {}),
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"out_channels": 6, "kernel_size": 3, "stride": 2, "bias": False}),
        ("GELU", {}),
        ("AvgPool2d", {"kernel_size": 1}),
        ("Flatten", {}),
        ("Dropout", {"p": 0.3}),
        ("Linear", {"out_features": 5}),
        ("Softmax", {}),
        shape=(2, 9, 9),
        loss="mse",
    )


def _residual_graph():
    g = Graph()
    inp = g.add_node("Input", {"shape": (4,)})
    poly = g.add_node("PolynomialFeatures", {"degree": 2})
    a = g.add_node("Linear", {"out_features": 6})
    b = g.add_node("Tanh")
    c = g.add_node("Linear", {"out_features": 6})
    add = g.add_node("Add")
    cat = g.add_node("Concat")
    leaky = g.add_node("LeakyReLU", {"negative_slope": 0.2})
    sig = g.add_node("Sigmoid")
    head = g.add_node("Linear", {"out_features": 2})
    out = g.add_node("Output", {"loss": "mse"})
    for s, d in [
        (inp, poly),
        (poly, a),
        (a, b),
        (b, c),
        (c, add),
        (a, add),
        (add, cat),
        (b, cat),
        (cat, leaky),
        (leaky, sig),
        (sig, head),
        (head, out),
    ]:
        g.connect(s.id, "out", d.id, "in")
    return g


def _reshape_graph():
    return _chain(
        ("Reshape", {"shape": (1, 4, 4)}),
        ("Conv2d", {"out_channels": 3, "kernel_size": 2}),
        ("GlobalAvgPool", {}),
        ("Linear", {"out_features": 2}),
        shape=(16,),
    )


GRAPHS = {"cnn": _cnn_graph, "residual": _residual_graph, "reshape": _reshape_graph}


def _trained_like(graph):
    """A compiled model whose batch-norm statistics are not the defaults, in eval mode."""
    manual_seed(3)
    model = compile_graph(graph)
    x = np.random.default_rng(0).normal(size=(8, *model.input_shape)).astype(np.float32)
    model.train()
    model(Tensor(x))  # moves running statistics away from (0, 1)
    model.eval()
    return model


def _run(model, x):
    with no_grad():
        return model(Tensor(x)).detach().numpy()


@pytest.mark.parametrize("fmt", ["safetensors", "npz"])
def test_weights_round_trip_is_bit_exact(tmp_path, fmt):
    model = _trained_like(_cnn_graph())
    (path,) = export_model(model, tmp_path / f"w.{fmt}", fmt)
    back = load_weights(path)
    state = model.state_dict()
    assert back.keys() == state.keys()
    for key, value in state.items():
        assert back[key].dtype == value.dtype
        assert np.array_equal(back[key], value), key


def test_safetensors_keys_follow_node_names(tmp_path):
    model = _trained_like(_cnn_graph())
    export_model(model, tmp_path / "w.safetensors", "safetensors")
    keys = set(load_weights(tmp_path / "w.safetensors"))
    assert {"conv1.weight", "conv1.bias", "bn1.running_mean", "linear1.weight"} <= keys


def test_import_weights_restores_a_fresh_model(tmp_path):
    trained = _trained_like(_residual_graph())
    export_model(trained, tmp_path / "w.npz", "npz")
    manual_seed(99)
    fresh = compile_graph(_residual_graph())
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    assert not np.allclose(_run(fresh, x), _run(trained, x))
    import_weights(fresh, tmp_path / "w.npz")
    assert np.array_equal(_run(fresh, x), _run(trained, x))


def test_import_weights_refuses_wrong_shapes_and_changes_nothing(tmp_path):
    small = compile_graph(_chain(("Linear", {"out_features": 2}), shape=(3,)))
    big = compile_graph(_chain(("Linear", {"out_features": 5}), shape=(3,)))
    export_model(big, tmp_path / "big.safetensors", "safetensors")
    before = small.state_dict()
    with pytest.raises(WeightsError, match=r"linear1.weight has shape \(5, 3\).*\(2, 3\)"):
        import_weights(small, tmp_path / "big.safetensors")
    after = small.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_import_weights_names_missing_and_unexpected_keys(tmp_path):
    model = compile_graph(_chain(("Linear", {"out_features": 2}), shape=(3,)))
    np.savez(
        tmp_path / "odd.npz",
        **{"linear1.weight": np.zeros((2, 3), np.float32), "extra.bias": np.zeros(2, np.float32)},
    )
    with pytest.raises(WeightsError) as info:
        import_weights(model, tmp_path / "odd.npz")
    assert "missing in odd.npz: linear1.bias" in str(info.value)
    assert "not in the model: extra.bias" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"garbage that is not a weights file", b"\xff" * 40])
@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_damaged_weight_files_give_a_clear_error(tmp_path, content, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match="not a readable"):
        load_weights(path)


def test_missing_and_unknown_weight_files(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        load_weights(tmp_path / "nope.safetensors")
    (tmp_path / "w.txt").write_text("1 2 3")
    with pytest.raises(WeightsError, match=r"\.safetensors or \.npz"):
        load_weights(tmp_path / "w.txt")


def test_export_refuses_unknown_format_and_missing_folder(tmp_path):
    model = compile_graph(_chain(("Linear", {"out_features": 2})))
    with pytest.raises(ExportError, match="unknown export format"):
        export_model(model, tmp_path / "m.x", "pickle")
    with pytest.raises(ExportError, match="does not exist"):
        export_model(model, tmp_path / "no" / "m.onnx", "onnx")
    assert set(EXPORT_FORMATS) == {"safetensors", "npz", "onnx", "torch", "torch-train"}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_onnx_passes_checker_and_matches_onnxruntime(tmp_path, name):
    ort = pytest.importorskip("onnxruntime")
    model = _trained_like(GRAPHS[name]())
    (path,) = export_model(model, tmp_path / "m.onnx", "onnx")
    proto = to_onnx(model)
    assert proto.opset_import[0].version >= 17
    x = np.random.default_rng(2).normal(size=(7, *model.input_shape)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x})
    np.testing.assert_allclose(got, _run(model, x), atol=1e-5, rtol=1e-5)


def test_export_leaves_the_model_in_its_mode(tmp_path):
    model = compile_graph(_cnn_graph())
    model.train()
    export_model(model, tmp_path / "m.onnx", "onnx")
    assert model.training


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_torch_code_is_valid_python_that_names_every_layer(tmp_path, name):
    model = _trained_like(GRAPHS[name]())
    paths = export_model(model, tmp_path / "net.py", "torch")
    assert [p.name for p in paths] == ["net.py", "net.safetensors"]
    source = paths[0].read_text()
    compile(source, "net.py", "exec")
    assert "class Net(nn.Module)" in source
    for step in model.plan:
        assert f"self.{step.name} = " in source


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_torch_code_runs_and_matches_the_engine(tmp_path, name):
    torch = pytest.importorskip("torch")
    model = _trained_like(GRAPHS[name]())
    export_model(model, tmp_path / "net.py", "torch")
    namespace = runpy.run_path(str(tmp_path / "net.py"))
    net = namespace["load"]().eval()
    x = np.random.default_rng(4).normal(size=(6, *model.input_shape)).astype(np.float32)
    with torch.no_grad():
        got = net(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, _run(model, x), atol=1e-5, rtol=1e-5)


def test_onnx_pads_of_pytorchs_padding_strings_put_the_odd_cell_at_the_end():
    from neurocanvas.core import nn
    from neurocanvas.core.io.export.onnx_export import _conv_pads

    assert _conv_pads(nn.Conv2d(1, 1, 3, padding="same")) == [1, 1, 1, 1]
    assert _conv_pads(nn.Conv2d(1, 1, (4, 2), padding="same", dilation=(1, 3))) == [1, 1, 2, 2]
    assert _conv_pads(nn.Conv2d(1, 1, 5, padding="valid")) == [0, 0, 0, 0]
    assert _conv_pads(nn.Conv2d(1, 1, 3, padding=(2, 1))) == [2, 1, 2, 1]


def test_torch_code_writes_a_padding_string_quoted():
    from neurocanvas.core import nn
    from neurocanvas.core.io.export.torch_code import _conv

    assert "padding='same'" in _conv(nn.Conv2d(2, 3, 3, padding="same"))
