"""Validation and shape inference: shapes on branches, counts, and every kind of problem."""

from __future__ import annotations

import pytest

from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import DataSpec, analyse


def build(spec: list[tuple[str, str, dict]], wires: list[tuple[str, str]]) -> Graph:
    """A graph from (name, type, params) and (src name, dst name) wires."""
    g = Graph()
    ids = {name: g.add_node(type_, params, name=name).id for name, type_, params in spec}
    for src, dst in wires:
        g.connect(ids[src], "out", ids[dst], "in")
    return g


def chain(*layers: tuple[str, str, dict]) -> Graph:
    names = [name for name, _, _ in layers]
    return build(list(layers), list(zip(names, names[1:])))


def shape_of(g: Graph, report, name: str):
    node = g.node_by_name(name)
    assert node is not None
    return report.nodes[node.id].out_shape


def messages(report) -> list[str]:
    return [p.message for p in report.problems]


def mlp(out: int = 3, loss: str = "mse", shape: tuple = (4,)) -> Graph:
    return chain(
        ("x", "Input", {"shape": shape}),
        ("hidden", "Linear", {"out_features": 8}),
        ("act", "ReLU", {}),
        ("head", "Linear", {"out_features": out}),
        ("y", "Output", {"loss": loss}),
    )


def test_chain_shapes_and_counts() -> None:
    g = mlp()
    report = analyse(g)
    assert report.ok, messages(report)
    assert shape_of(g, report, "hidden") == (8,)
    assert shape_of(g, report, "y") == (3,)
    # 4*8+8 and 8*3+3 parameters; 32 + 24 multiply-adds
    assert report.total_params == 40 + 27
    assert report.total_macs == 32 + 24


def test_cnn_shapes_and_counts_by_hand() -> None:
    g = chain(
        ("x", "Input", {"shape": (1, 8, 8)}),
        ("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        ("pool", "MaxPool2d", {}),
        ("conv2", "Conv2d", {"out_channels": 6, "kernel_size": 3}),
        ("flat", "Flatten", {}),
        ("fc", "Linear", {"out_features": 10}),
        ("y", "Output", {"loss": "cross_entropy"}),
    )
    report = analyse(g, DataSpec((1, 8, 8), "classification", 10))
    assert report.ok, messages(report)
    assert shape_of(g, report, "conv1") == (4, 8, 8)
    assert shape_of(g, report, "pool") == (4, 4, 4)
    assert shape_of(g, report, "conv2") == (6, 2, 2)
    assert shape_of(g, report, "flat") == (24,)
    conv1 = report.nodes[g.node_by_name("conv1").id]
    conv2 = report.nodes[g.node_by_name("conv2").id]
    assert (conv1.params, conv1.macs) == (4 * 9 + 4, 4 * 9 * 64)
    assert (conv2.params, conv2.macs) == (6 * 4 * 9 + 6, 6 * 4 * 9 * 4)
    assert report.total_params == 40 + 222 + 250


def residual() -> Graph:
    return build(
        [
            ("x", "Input", {"shape": (16,)}),
            ("a", "Linear", {"out_features": 16}),
            ("r", "ReLU", {}),
            ("b", "Linear", {"out_features": 16}),
            ("add", "Add", {}),
            ("head", "Linear", {"out_features": 1}),
            ("y", "Output", {}),
        ],
        [("x", "a"), ("a", "r"), ("r", "b"), ("b", "add"), ("x", "add"), ("add", "head"),
         ("head", "y")],
    )  # fmt: skip


def test_residual_add_branch() -> None:
    g = residual()
    report = analyse(g, DataSpec((16,), "regression", 1))
    assert report.ok, messages(report)
    assert shape_of(g, report, "add") == (16,)
    assert report.total_params == 272 + 272 + 17


def test_concat_of_two_branches() -> None:
    g = build(
        [
            ("x", "Input", {"shape": (2,)}),
            ("wide", "Linear", {"out_features": 5}),
            ("poly", "PolynomialFeatures", {"degree": 3}),
            ("cat", "Concat", {}),
            ("y", "Output", {}),
        ],
        [("x", "wide"), ("x", "poly"), ("wide", "cat"), ("poly", "cat"), ("cat", "y")],
    )
    report = analyse(g)
    assert report.ok, messages(report)
    assert shape_of(g, report, "poly") == (6,)
    assert shape_of(g, report, "cat") == (11,)


def test_add_with_unequal_shapes_is_reported_and_downstream_stays_quiet() -> None:
    g = residual()
    g.set_param(g.node_by_name("b").id, "out_features", 8)
    report = analyse(g)
    add = g.node_by_name("add").id
    assert messages(report) == ["Add 'add' needs equal shapes, got (N, 8) and (N, 16)"]
    assert report.problems[0].node_id == add
    assert shape_of(g, report, "add") is None
    assert shape_of(g, report, "head") is None
    assert shape_of(g, report, "b") == (8,)


def test_linear_on_an_image_asks_for_flatten() -> None:
    g = chain(
        ("x", "Input", {"shape": (1, 8, 8)}),
        ("linear1", "Linear", {}),
        ("y", "Output", {}),
    )
    assert messages(analyse(g)) == [
        "Linear 'linear1' needs a flat input (N, features) but receives (N, 1, 8, 8): "
        "add a Flatten before it"
    ]


def test_conv_on_a_vector_and_kernel_too_large() -> None:
    g = chain(("x", "Input", {"shape": (64,)}), ("conv1", "Conv2d", {}), ("y", "Output", {}))
    assert messages(analyse(g))[0].startswith(
        "Conv2d 'conv1' needs an image input (N, channels, height, width) but receives (N, 64)"
    )
    g = chain(
        ("x", "Input", {"shape": (1, 4, 4)}),
        ("conv1", "Conv2d", {"kernel_size": 5}),
        ("y", "Output", {}),
    )
    assert messages(analyse(g)) == [
        "Conv2d 'conv1' has a kernel 5 larger than its padded input 4x4 (input 4x4, padding 0)"
    ]


def test_unconnected_input_is_reported_on_that_node() -> None:
    g = mlp()
    extra = g.add_node("Linear", name="linear2")
    report = analyse(g)
    assert report.problems_for(extra.id)[0].message == (
        "Linear 'linear2' has nothing connected to its input"
    )
    assert len(report.problems) == 1


def test_missing_and_extra_ends() -> None:
    g = Graph()
    g.add_node("ReLU")
    assert messages(analyse(g)) == [
        "The network has no Input node: add one from the palette",
        "The network has no Output node: add one from the palette",
        "ReLU 'relu1' has nothing connected to its input",
    ]
    g = mlp()
    second = g.add_node("Input", {"shape": (4,)})
    g.add_node("Output", name="y2")
    report = analyse(g)
    assert report.problems_for(second.id)[0].message == (
        "Input 'input1' is a second Input: a network has exactly one (the first is 'x')"
    )
    assert any("Output 'y2' is a second Output" in m for m in messages(report))


def test_cycle_from_a_file_is_reported_on_its_nodes() -> None:
    d = mlp().to_dict()
    # feed the ReLU's output back into the first Linear (hand-edited file)
    d["edges"][0] = {"src": "n3", "src_port": "out", "dst": "n2", "dst_port": "in"}
    g = Graph.from_dict(d)
    report = analyse(g)
    cyc = {p.node_id for p in report.problems if "cycle" in p.message}
    assert cyc == {"n2", "n3"}
    assert "Linear 'hidden' is part of a cycle" in messages(report)[0]
    assert report.nodes["n4"].out_shape is None  # after the loop: no shape, no extra noise
    assert not report.problems_for("n4")


def test_second_wire_into_single_input_from_a_file() -> None:
    d = mlp().to_dict()
    d["edges"].append({"src": "n1", "src_port": "out", "dst": "n4", "dst_port": "in"})
    g = Graph.from_dict(d)
    report = analyse(g)
    assert messages(report) == [
        "Linear 'head' has 2 wires into its single input: remove all but one, or join them "
        "with Add or Concat"
    ]
    assert report.problems[0].edge == g.edges[-1]


def test_input_shape_must_match_the_data_set() -> None:
    report = analyse(mlp(shape=(2,)), DataSpec((4,), "regression", 3))
    assert report.problems_for("n1")[0].message == (
        "Input 'x' has shape (N, 2) but the data set gives (N, 4)"
    )


@pytest.mark.parametrize(
    ("out", "loss", "data", "message"),
    [
        (3, "mse", DataSpec((4,), "regression", 1),
         "Output 'y' receives 3 output(s) per sample but the data set has 1 target column(s)"),
        (1, "cross_entropy", DataSpec((4,), "regression", 1),
         "Output 'y' uses cross_entropy, a classification loss, but the data set is a "
         "regression task"),
        (3, "cross_entropy", DataSpec((4,), "classification", 4),
         "Output 'y' receives 3 output(s) per sample but the data set has 4 classes"),
        (1, "bce", DataSpec((4,), "classification", 3),
         "Output 'y' uses bce, which fits two classes, but the data set has 3"),
        (2, "bce", DataSpec((4,), "classification", 2),
         r"Output 'y' uses bce, which needs exactly 1 output (N, 1), but receives (N, 2)"),
        (2, "mse", DataSpec((4,), "classification", 2),
         "Output 'y' uses mse, a regression loss, but the data set is a classification task"),
    ],
)  # fmt: skip
def test_output_must_fit_the_targets(out: int, loss: str, data: DataSpec, message: str) -> None:
    report = analyse(mlp(out=out, loss=loss), data)
    assert len(report.problems) == 1
    assert report.problems[0].node_id == "n5"
    assert report.problems[0].message.startswith(message)


@pytest.mark.parametrize(
    ("out", "loss", "data"),
    [
        (2, "mse", DataSpec((4,), "regression", 2)),
        (5, "cross_entropy", DataSpec((4,), "classification", 5)),
        (1, "bce", DataSpec((4,), "classification", 2)),
    ],
)
def test_output_that_fits_is_accepted(out: int, loss: str, data: DataSpec) -> None:
    assert analyse(mlp(out=out, loss=loss), data).ok
