"""The catalogue's schema: what a layer entry declares (parameters, ports, rules, builder).

Also the shared vocabulary of shapes and losses, and the rule for valid node names.
Needs no engine.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension: ``(64,)``, ``(1, 28, 28)``."""

CATEGORIES: tuple[str, ...] = (
    "Data",
    "Dense",
    "Convolution",
    "Activation",
    "Normalisation",
    "Structure",
    "Output",
)

LOSSES: tuple[str, ...] = ("mse", "l1", "huber", "cross_entropy", "bce")
REGRESSION_LOSSES: tuple[str, ...] = ("mse", "l1", "huber")
CLASSIFICATION_LOSSES: tuple[str, ...] = ("cross_entropy", "bce")


class ShapeError(ValueError):
    """A layer cannot take the shapes it receives.

    The message is a phrase that reads after the layer's type and name, e.g.
    ``"needs a flat input (N, features) but receives (N, 1, 8, 8)"``; validation
    prefixes ``"Linear 'linear1' "`` so the person sees which node is meant.
    """


def fmt_shape(shape: Shape) -> str:
    """Show a shape the way people read it, with the batch dimension: ``(N, 64)``."""
    return "(" + ", ".join(["N", *(str(d) for d in shape)]) + ")"


# --------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One editable parameter of a layer: its kind, default, range and help text."""

    name: str
    kind: str  # "int" "float" "bool" "choice" "str" "shape"
    default: Any
    label: str = ""
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's kind, or raise ``ValueError``.

        Coercion keeps JSON round trips exact (lists come back as tuples, ``2.0`` as ``2``)
        while refusing anything a person did not mean (``True`` is not an int).
        """
        check = _VALIDATORS.get(self.kind)
        if check is None:
            raise ValueError(f"{self.name} has an unknown kind {self.kind!r}")
        return check(self, value)

    def _range_text(self) -> str:
        if self.min is not None and self.max is not None:
            return f"between {_num(self.min)} and {_num(self.max)}"
        if self.min is not None:
            return f"at least {_num(self.min)}"
        return f"at most {_num(cast(float, self.max))}"  # _check_range: a bound is set

    def _check_range(self, value: float) -> None:
        low = self.min is not None and value < self.min
        high = self.max is not None and value > self.max
        if low or high:
            raise ValueError(f"{self.name} must be {self._range_text()}, got {_num(value)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _as_int(spec: ParamSpec, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return int(value)


def _validate_int(spec: ParamSpec, value: Any) -> int:
    out = _as_int(spec, value, spec.name)
    spec._check_range(out)
    return out


def _validate_float(spec: ParamSpec, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{spec.name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{spec.name} must be a finite number, got {value!r}")
    spec._check_range(out)
    return out


def _validate_bool(spec: ParamSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{spec.name} must be true or false, got {value!r}")
    return value


def _validate_choice(spec: ParamSpec, value: Any) -> str:
    if value not in spec.choices:
        options = ", ".join(spec.choices)
        raise ValueError(f"{spec.name} must be one of {options}, got {value!r}")
    return str(value)


def _validate_str(spec: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{spec.name} must be text, got {value!r}")
    return value


def _validate_shape(spec: ParamSpec, value: Any) -> Shape:
    # A shape may contain one -1 ("infer this size") only where min == -1 (Reshape).
    if not isinstance(value, (list, tuple)) or len(value) == 0:
        raise ValueError(f"{spec.name} must be a non-empty list of sizes, got {value!r}")
    dims = tuple(_as_int(spec, v, f"each size in {spec.name}") for v in value)
    allow_infer = spec.min == -1
    for d in dims:
        if d >= 1 or (allow_infer and d == -1):
            continue
        extra = " (or -1 once, to infer it)" if allow_infer else ""
        raise ValueError(f"each size in {spec.name} must be at least 1{extra}, got {d}")
    if dims.count(-1) > 1:
        raise ValueError(f"{spec.name} may contain -1 only once, got {value!r}")
    if spec.max is not None and len(dims) > spec.max:
        raise ValueError(f"{spec.name} may have at most {int(spec.max)} sizes, got {len(dims)}")
    return dims


_VALIDATORS: dict[str, Callable[[ParamSpec, Any], Any]] = {
    "int": _validate_int,
    "float": _validate_float,
    "bool": _validate_bool,
    "choice": _validate_choice,
    "str": _validate_str,
    "shape": _validate_shape,
}


@dataclass(frozen=True)
class PortSpec:
    """A named port; ``multi`` ports accept several wires (Add, Concat)."""

    name: str
    multi: bool = False


InferFn = Callable[[dict, list[Shape]], Shape]
BuildFn = Callable[[dict, list[Shape]], Any]
CostFn = Callable[[dict, list[Shape], Shape], tuple[int, int]]


def _no_cost(params: dict, in_shapes: list[Shape], out_shape: Shape) -> tuple[int, int]:
    return 0, 0


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """Everything the application knows about one layer type.

    ``cost(params, in_shapes, out_shape) -> (parameters, multiply_adds)`` per sample; its
    parameter count equals the built module's. ``name_prefix`` gives default node names
    (``"conv"`` -> ``conv1``). ``extras`` holds exporters' hooks, keyed by exporter.
    """

    type: str
    display_name: str
    category: str
    help: str
    params: tuple[ParamSpec, ...]
    inputs: tuple[PortSpec, ...]
    outputs: tuple[PortSpec, ...]
    infer: InferFn
    build: BuildFn | None
    summary: Callable[[dict], str]
    cost: CostFn = _no_cost
    name_prefix: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> ParamSpec:
        """The parameter called ``name``; ``KeyError`` naming the layer otherwise."""
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise KeyError(f"{self.type} has no parameter {name!r} (it has: {known})")

    def input_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    @property
    def default_name_prefix(self) -> str:
        return self.name_prefix or self.type.lower()


def is_valid_name(name: str) -> bool:
    """Whether ``name`` can be a node name: a Python identifier usable as a module key."""
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in RESERVED_NAMES
    )


# Attribute names of nn.Module and GraphModule: a node with such a name would shadow them.
RESERVED_NAMES: frozenset[str] = frozenset(
    {
        "forward",
        "train",
        "eval",
        "training",
        "parameters",
        "named_parameters",
        "buffers",
        "named_buffers",
        "children",
        "named_children",
        "modules",
        "named_modules",
        "state_dict",
        "load_state_dict",
        "zero_grad",
        "double",
        "float",
        "half",
        "to",
        "cpu",
        "cuda",
        "device",
        "dtype",
        "apply",
        "add_module",
        "register_parameter",
        "register_buffer",
        "register_module",
        "input_node",
        "output_node",
        "loss_kind",
        "plan",
        "graph",
        "requires_grad_",
        "extra_repr",
        # GraphModule's own attributes (a node called "layer" would hide GraphModule.layer)
        "layer",
        "layers",
        "node_names",
        "reused",
        "result_of",
        "input_shape",
        "output_shape",
        "register_forward_hook",
    }
)
