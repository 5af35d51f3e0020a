"""The compiler: graph -> module, named weights, forward on branches, weights kept on edit."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.core import Tensor, manual_seed, nn
from neurocanvas.core.network.compiler import (
    CompileError,
    GraphModule,
    PolynomialFeatures,
    compile_graph,
    loss_targets,
    make_loss,
)
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import DataSpec, analyse


def build(spec: list[tuple[str, str, dict]], wires: list[tuple[str, str]]) -> Graph:
    g = Graph()
    ids = {name: g.add_node(type_, params, name=name).id for name, type_, params in spec}
    for src, dst in wires:
        g.connect(ids[src], "out", ids[dst], "in")
    return g


def chain(*layers: tuple[str, str, dict]) -> Graph:
    names = [name for name, _, _ in layers]
    return build(list(layers), list(zip(names, names[1:])))


def cnn() -> Graph:
    return chain(
        ("x", "Input", {"shape": (1, 8, 8)}),
        ("conv1", "Conv2d", {"out_channels": 4, "padding": 1}),
        ("bn1", "BatchNorm", {}),
        ("relu1", "ReLU", {}),
        ("pool", "MaxPool2d", {}),
        ("conv2", "Conv2d", {"out_channels": 6}),
        ("gap", "GlobalAvgPool", {}),
        ("drop", "Dropout", {"p": 0.2}),
        ("fc", "Linear", {"out_features": 10}),
        ("y", "Output", {"loss": "cross_entropy"}),
    )


def residual() -> Graph:
    return build(
        [
            ("x", "Input", {"shape": (3,)}),
            ("a", "Linear", {"out_features": 3}),
            ("r", "Tanh", {}),
            ("add", "Add", {}),
            ("head", "Linear", {"out_features": 2}),
            ("y", "Output", {}),
        ],
        [("x", "a"), ("a", "r"), ("r", "add"), ("x", "add"), ("add", "head"), ("head", "y")],
    )


def n_params(module: nn.Module) -> int:
    return sum(int(np.prod(p.shape)) for p in module.parameters())


def test_cnn_compiles_with_node_named_weights_and_runs() -> None:
    manual_seed(0)
    g = cnn()
    model = compile_graph(g, DataSpec((1, 8, 8), "classification", 10))
    assert isinstance(model, GraphModule)
    assert model.loss_kind == "cross_entropy"
    keys = list(model.state_dict())
    assert keys[:2] == ["conv1.weight", "conv1.bias"]
    assert "bn1.running_mean" in keys and "fc.weight" in keys
    assert model.state_dict()["conv2.weight"].shape == (6, 4, 3, 3)
    out = model(Tensor(np.random.default_rng(0).random((5, 1, 8, 8), dtype=np.float32)))
    assert out.shape == (5, 10)
    assert n_params(model) == analyse(g).total_params


def test_residual_forward_matches_numpy() -> None:
    manual_seed(1)
    model = compile_graph(residual())
    s = model.state_dict()
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    h = np.tanh(x @ s["a.weight"].T + s["a.bias"]) + x
    expected = h @ s["head.weight"].T + s["head.bias"]
    np.testing.assert_allclose(model(Tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_residual_backward_reaches_every_weight() -> None:
    model = compile_graph(residual())
    out = model(Tensor(np.ones((2, 3), dtype=np.float32)))
    make_loss("mse")(out, Tensor(np.zeros((2, 2), dtype=np.float32))).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_concat_reshape_and_polynomial_forward() -> None:
    g = build(
        [
            ("x", "Input", {"shape": (2,)}),
            ("poly", "PolynomialFeatures", {"degree": 3}),
            ("cat", "Concat", {}),
            ("img", "Reshape", {"shape": (2, 2, -1)}),
            ("flat", "Flatten", {}),
            ("y", "Output", {}),
        ],
        [("x", "poly"), ("poly", "cat"), ("x", "cat"), ("cat", "img"), ("img", "flat"),
         ("flat", "y")],
    )  # fmt: skip
    model = compile_graph(g)
    assert list(model.state_dict()) == []
    x = np.array([[2.0, 3.0]], dtype=np.float32)
    out = model(Tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, [[2, 3, 4, 9, 8, 27, 2, 3]])


def test_polynomial_features_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((3, 2))
    w = rng.standard_normal((3, 8))
    poly = PolynomialFeatures(4)

    def f(a: np.ndarray) -> float:
        return float((poly(Tensor(a)).detach().numpy() * w).sum())

    x = Tensor(x0.copy(), requires_grad=True)
    (poly(x) * Tensor(w)).sum().backward()
    eps = 1e-6
    numeric = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        up, down = x0.copy(), x0.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (f(up) - f(down)) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6, atol=1e-7)


def test_batchnorm_picks_1d_or_2d_and_counts_match() -> None:
    g = chain(
        ("x", "Input", {"shape": (5,)}),
        ("bn", "BatchNorm", {"momentum": 0.3, "eps": 1e-3}),
        ("y", "Output", {}),
    )
    model = compile_graph(g)
    assert isinstance(model.bn, nn.BatchNorm1d)
    assert (model.bn.momentum, model.bn.eps) == (0.3, 1e-3)
    assert isinstance(compile_graph(cnn()).bn1, nn.BatchNorm2d)
    assert n_params(model) == analyse(g).total_params == 10


def test_branch_that_leads_nowhere_is_not_built() -> None:
    g = residual()
    dangling = g.add_node("Linear", {"out_features": 7}, name="unused")
    g.connect(g.node_by_name("x").id, "out", dangling.id, "in")
    model = compile_graph(g)
    assert not any(k.startswith("unused.") for k in model.state_dict())


def test_broken_graph_raises_compile_error_with_the_report() -> None:
    g = residual()
    g.set_param(g.node_by_name("a").id, "out_features", 4)
    with pytest.raises(CompileError, match="Add 'add' needs equal shapes") as info:
        compile_graph(g)
    assert not info.value.report.ok
    assert info.value.report.problems[0].node_id == g.node_by_name("add").id


def test_data_spec_mismatch_refuses_to_compile() -> None:
    with pytest.raises(CompileError, match="has 3 classes"):
        compile_graph(cnn(), DataSpec((1, 8, 8), "classification", 3))


def test_recompile_keeps_weights_of_unchanged_layers() -> None:
    manual_seed(3)
    g = cnn()
    first = compile_graph(g)
    before = first.state_dict()
    # widen conv2: its weights and fc's (fed by it) change shape; the rest keep theirs
    g.set_param(g.node_by_name("conv2").id, "out_channels", 8)
    manual_seed(4)
    second = compile_graph(g, previous=first)
    after = second.state_dict()
    for key in ("conv1.weight", "conv1.bias", "bn1.weight", "bn1.running_var"):
        np.testing.assert_array_equal(after[key], before[key])
    assert after["conv2.weight"].shape == (8, 4, 3, 3)
    assert after["fc.weight"].shape == (10, 8)
    names = {second.node_names[nid] for nid in second.reused}
    assert names == {"conv1", "bn1"}


def test_recompile_follows_a_renamed_node() -> None:
    manual_seed(5)
    g = residual()
    first = compile_graph(g)
    g.rename_node(g.node_by_name("head").id, "readout")
    second = compile_graph(g, previous=first)
    np.testing.assert_array_equal(
        second.state_dict()["readout.weight"], first.state_dict()["head.weight"]
    )


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("mse", nn.MSELoss),
        ("l1", nn.L1Loss),
        ("huber", nn.HuberLoss),
        ("cross_entropy", nn.CrossEntropyLoss),
        ("bce", nn.BCEWithLogitsLoss),
    ],
)
def test_make_loss(kind: str, cls: type) -> None:
    assert isinstance(make_loss(kind), cls)


def test_make_loss_refuses_unknown() -> None:
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        make_loss("hinge")


def test_loss_targets_shapes_and_dtypes() -> None:
    y = np.array([0, 1, 1])
    bce = loss_targets("bce", y)
    assert bce.shape == (3, 1) and bce.dtype == np.float32
    ce = loss_targets("cross_entropy", y.astype(np.float32))
    assert ce.shape == (3,) and ce.dtype == np.int64
    reg = loss_targets("mse", np.arange(4, dtype=np.float32))
    assert reg.shape == (4, 1)


def test_bce_head_trains_against_float_targets() -> None:
    g = chain(
        ("x", "Input", {"shape": (2,)}),
        ("fc", "Linear", {"out_features": 1}),
        ("y", "Output", {"loss": "bce"}),
    )
    model = compile_graph(g, DataSpec((2,), "classification", 2))
    x = Tensor(np.ones((3, 2), dtype=np.float32))
    loss = make_loss(model.loss_kind)(model(x), Tensor(loss_targets("bce", np.array([0, 1, 1]))))
    loss.backward()
    assert np.isfinite(loss.item()) and model.fc.weight.grad is not None


def test_a_layer_cut_off_for_a_few_edits_gets_its_weights_back() -> None:
    manual_seed(6)
    g = chain(
        ("x", "Input", {"shape": [1]}),
        ("a", "Linear", {"out_features": 1}),
        ("y", "Output", {"loss": "mse"}),
    )
    first = compile_graph(g)
    trained = first.state_dict()
    a, x, y = (g.node_by_name(n).id for n in ("a", "x", "y"))
    b = g.add_node("Linear", {"out_features": 1}, name="b").id
    g.connect(x, "out", b, "in")
    old_wire = g.edges_into(y)[0]
    g.disconnect(old_wire)
    g.connect(b, "out", y, "in")  # a now leads nowhere: it is not built
    second = compile_graph(g, previous=first)
    assert a not in second.node_names and a in second._remembered
    g.disconnect(g.edges_into(y)[0])
    g.connect(a, "out", y, "in")
    g.remove_node(b)
    manual_seed(7)
    third = compile_graph(g, previous=second)
    assert third.reused == (a,)
    np.testing.assert_array_equal(third.state_dict()["a.weight"], trained["a.weight"])
    np.testing.assert_array_equal(third.state_dict()["a.bias"], trained["a.bias"])
