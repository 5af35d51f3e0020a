"""The layer catalogue: every entry is complete, parameters validate, shape rules hold."""

from __future__ import annotations

import pytest

from neurocanvas.core.network.catalogue import (
    CATEGORIES,
    LAYERS,
    ParamSpec,
    ShapeError,
    default_params,
    fmt_shape,
    get_layer,
)

EXPECTED_TYPES = [
    "Input", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool", "Flatten",
    "Reshape", "Dropout", "BatchNorm", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU",
    "Softmax", "PolynomialFeatures", "Add", "Concat", "Output",
]  # fmt: skip


def test_catalogue_has_every_layer_type() -> None:
    assert sorted(LAYERS) == sorted(EXPECTED_TYPES)


@pytest.mark.parametrize("type_", EXPECTED_TYPES)
def test_entry_is_complete_and_its_defaults_validate(type_: str) -> None:
    spec = get_layer(type_)
    assert spec.category in CATEGORIES
    assert spec.help and spec.display_name
    params = default_params(type_)
    for p in spec.params:
        assert p.validate(p.default) == params[p.name]
        assert p.label and p.help
    assert isinstance(spec.summary(params), str)
    assert all(port.name == "in" for port in spec.inputs)
    assert all(port.name == "out" for port in spec.outputs)
    assert (spec.build is None) == (type_ in ("Input", "Output"))


def test_input_and_output_have_one_side_only() -> None:
    assert get_layer("Input").inputs == () and get_layer("Output").outputs == ()
    assert get_layer("Add").inputs[0].multi and get_layer("Concat").inputs[0].multi
    assert not get_layer("Linear").inputs[0].multi


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown layer type 'Dense'.*Linear"):
        get_layer("Dense")


def test_default_params_is_a_fresh_copy() -> None:
    default_params("Linear")["out_features"] = 1
    assert default_params("Linear")["out_features"] == 32


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (ParamSpec("n", "int", 1, min=1, max=10), 3.0, 3),
        (ParamSpec("x", "float", 0.1, min=0, max=1), 1, 1.0),
        (ParamSpec("b", "bool", True), False, False),
        (ParamSpec("c", "choice", "a", choices=("a", "b")), "b", "b"),
        (ParamSpec("s", "shape", (1,)), [1, 28, 28], (1, 28, 28)),
        (ParamSpec("s", "shape", (1,), min=-1), [-1, 4], (-1, 4)),
    ],
)
def test_validate_coerces(spec: ParamSpec, value: object, expected: object) -> None:
    out = spec.validate(value)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (ParamSpec("n", "int", 1, min=1, max=10), 11, "n must be between 1 and 10, got 11"),
        (ParamSpec("n", "int", 1), 2.5, "n must be a whole number"),
        (ParamSpec("n", "int", 1), True, "n must be a whole number"),
        (ParamSpec("x", "float", 0.1), float("nan"), "x must be a finite number"),
        (ParamSpec("x", "float", 0.1, min=0), -1, "x must be at least 0"),
        (ParamSpec("x", "float", 0.1), "3", "x must be a number"),
        (ParamSpec("b", "bool", True), "yes", "b must be true or false"),
        (ParamSpec("c", "choice", "a", choices=("a", "b")), "z", "c must be one of a, b"),
        (ParamSpec("s", "shape", (1,)), [], "s must be a non-empty list"),
        (ParamSpec("s", "shape", (1,)), [1, 0], "each size in s must be at least 1, got 0"),
        (ParamSpec("s", "shape", (1,)), [-1], "must be at least 1, got -1"),
        (ParamSpec("s", "shape", (1,), min=-1), [-1, -1], "s may contain -1 only once"),
    ],
)
def test_validate_refuses_with_a_clear_message(
    spec: ParamSpec, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        spec.validate(value)


def infer(type_: str, in_shapes: list[tuple[int, ...]], **params: object) -> tuple[int, ...]:
    full = {**default_params(type_), **params}
    return get_layer(type_).infer(full, in_shapes)


@pytest.mark.parametrize(
    ("type_", "in_shapes", "params", "out"),
    [
        ("Input", [], {"shape": (1, 8, 8)}, (1, 8, 8)),
        ("Linear", [(64,)], {"out_features": 10}, (10,)),
        ("Conv2d", [(1, 8, 8)], {"out_channels": 6, "kernel_size": 3}, (6, 6, 6)),
        ("Conv2d", [(3, 9, 9)], {"kernel_size": 3, "stride": 2, "padding": 1}, (8, 5, 5)),
        ("Conv2d", [(3, 9, 9)], {"kernel_size": 3, "dilation": 2}, (8, 5, 5)),
        ("MaxPool2d", [(4, 8, 8)], {}, (4, 4, 4)),
        ("AvgPool2d", [(4, 7, 7)], {"kernel_size": 3, "stride": 1, "padding": 1}, (4, 7, 7)),
        ("GlobalAvgPool", [(16, 5, 5)], {}, (16,)),
        ("Flatten", [(4, 3, 3)], {}, (36,)),
        ("Reshape", [(64,)], {"shape": (1, 8, -1)}, (1, 8, 8)),
        ("BatchNorm", [(4, 3, 3)], {}, (4, 3, 3)),
        ("PolynomialFeatures", [(2,)], {"degree": 4}, (8,)),
        ("Add", [(5,), (5,), (5,)], {}, (5,)),
        ("Concat", [(3,), (5,)], {}, (8,)),
        ("Concat", [(2, 4, 4), (3, 4, 4)], {}, (5, 4, 4)),
        ("Softmax", [(10,)], {}, (10,)),
        ("Output", [(3,)], {}, (3,)),
    ],
)
def test_shape_rules(type_: str, in_shapes: list, params: dict, out: tuple) -> None:
    assert infer(type_, in_shapes, **params) == out


@pytest.mark.parametrize(
    ("type_", "in_shapes", "params", "message"),
    [
        ("Linear", [(1, 8, 8)], {}, r"needs a flat input \(N, features\) but receives "
         r"\(N, 1, 8, 8\): add a Flatten before it"),
        ("Conv2d", [(64,)], {}, r"needs an image input .* receives \(N, 64\)"),
        ("Conv2d", [(1, 4, 4)], {"kernel_size": 7, "padding": 1},
         r"kernel 7 larger than its padded input 6x6 \(input 4x4, padding 1\)"),
        ("MaxPool2d", [(1, 4, 4)], {"kernel_size": 2, "padding": 2}, "at most half"),
        ("Reshape", [(10,)], {"shape": (3, -1)}, "10 is not a multiple of 3"),
        ("Reshape", [(10,)], {"shape": (2, 4)}, r"\(N, 2, 4\) \(8 values\)"),
        ("Add", [(64,), (32,)], {}, r"needs equal shapes, got \(N, 64\) and \(N, 32\)"),
        ("Concat", [(2, 4, 4), (2, 5, 5)], {}, "joins along channels"),
        ("Output", [(1, 2, 2)], {}, "needs a flat input"),
        ("Output", [(2,)], {"loss": "bce"}, r"bce, which needs exactly 1 output"),
        ("PolynomialFeatures", [(1, 2, 2)], {}, "needs a flat input"),
    ],
)  # fmt: skip
def test_shape_rules_explain_mismatches(
    type_: str, in_shapes: list, params: dict, message: str
) -> None:
    with pytest.raises(ShapeError, match=message):
        infer(type_, in_shapes, **params)


def test_fmt_shape_shows_the_batch_dimension() -> None:
    assert fmt_shape((64,)) == "(N, 64)"
    assert fmt_shape((1, 28, 28)) == "(N, 1, 28, 28)"


@pytest.mark.parametrize(
    ("type_", "params", "in_shape", "expected"),
    [
        ("Linear", {"out_features": 10}, (64,), (650, 640)),
        ("Linear", {"out_features": 10, "bias": False}, (64,), (640, 640)),
        # 6 filters of 1x3x3 on an 8x8 image: 6*9 weights + 6 biases, 54 MACs at 36 places
        ("Conv2d", {"out_channels": 6, "kernel_size": 3}, (1, 8, 8), (60, 1944)),
        ("BatchNorm", {}, (4, 3, 3), (8, 36)),
        ("ReLU", {}, (4,), (0, 0)),
    ],
)
def test_costs_by_hand(type_: str, params: dict, in_shape: tuple, expected: tuple) -> None:
    spec = get_layer(type_)
    full = {**default_params(type_), **params}
    out = spec.infer(full, [in_shape])
    assert spec.cost(full, [in_shape], out) == expected


def test_summaries_show_key_parameters() -> None:
    assert get_layer("Linear").summary({"out_features": 10, "bias": True}) == "→ 10"
    conv = {**default_params("Conv2d"), "out_channels": 16, "kernel_size": 5}
    assert get_layer("Conv2d").summary(conv) == "16 × 5×5"
    assert get_layer("MaxPool2d").summary(default_params("MaxPool2d")) == "2×2"
    assert get_layer("Output").summary({"loss": "cross_entropy"}) == "cross_entropy"
