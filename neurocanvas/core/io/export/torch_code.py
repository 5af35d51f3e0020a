"""PyTorch source code for a compiled graph: ``class Net(nn.Module)`` plus loading lines.

The code is generated from the compiled model's modules (not from the layer types) because
the engine's modules mirror ``torch.nn`` one to one: every module the catalogue can build
maps to one constructor here, and a new layer type built from existing modules needs no edit.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Callable
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.datasets.preprocessing import Preprocessing
from neurocanvas.core.network import compiler

from ._common import ExportError, value_names
from .code_plan import BatchNorm1d, BatchNorm2d, CodePlan, Conv2dArgs, LinearArgs


def _pair(v: int | tuple[int, ...] | list[int]) -> int | tuple[int, ...]:
    """PyTorch accepts an int where both sides are equal; keep the code short then."""
    if isinstance(v, (tuple, list)):
        return v[0] if v[0] == v[1] else tuple(v)
    return v


def _linear(m: Any) -> str:  # nn.Linear or LinearArgs
    bias = "" if m.bias is not None else ", bias=False"
    return f"nn.Linear({m.in_features}, {m.out_features}{bias})"


def _conv(m: Any) -> str:  # nn.Conv2d or Conv2dArgs
    parts = [str(m.in_channels), str(m.out_channels), f"kernel_size={_pair(m.kernel_size)}"]
    for name, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
        value = getattr(m, name)
        value = repr(value) if isinstance(value, str) else _pair(value)  # padding="same"
        if value != default:
            parts.append(f"{name}={value}")
    if m.bias is None:
        parts.append("bias=False")
    return f"nn.Conv2d({', '.join(parts)})"


def _pool(cls: str) -> Callable[[nn.MaxPool2d | nn.AvgPool2d], str]:
    def ctor(m: nn.MaxPool2d | nn.AvgPool2d) -> str:
        return (
            f"nn.{cls}(kernel_size={_pair(m.kernel_size)}, stride={_pair(m.stride)}, "
            f"padding={_pair(m.padding)})"
        )

    return ctor


def _batchnorm(m: Any) -> str:
    return f"nn.{type(m).__name__}({m.num_features}, eps={m.eps!r}, momentum={m.momentum!r})"


# Engine module class -> PyTorch constructor expression.
CONSTRUCTORS: dict[type, Callable[[Any], str]] = {
    nn.Linear: _linear,
    nn.Conv2d: _conv,
    nn.MaxPool2d: _pool("MaxPool2d"),
    nn.AvgPool2d: _pool("AvgPool2d"),
    nn.AdaptiveAvgPool2d: lambda m: f"nn.AdaptiveAvgPool2d({m.output_size!r})",
    nn.Flatten: lambda m: f"nn.Flatten({m.start_dim}, {m.end_dim})",
    nn.Dropout: lambda m: f"nn.Dropout(p={m.p!r})",
    nn.BatchNorm1d: _batchnorm,
    nn.BatchNorm2d: _batchnorm,
    nn.ReLU: lambda m: "nn.ReLU()",
    nn.LeakyReLU: lambda m: f"nn.LeakyReLU({m.negative_slope!r})",
    nn.GELU: lambda m: f"nn.GELU(approximate={m.approximate!r})",
    nn.Sigmoid: lambda m: "nn.Sigmoid()",
    nn.Tanh: lambda m: "nn.Tanh()",
    nn.Softmax: lambda m: f"nn.Softmax(dim={m.dim})",
    nn.LogSoftmax: lambda m: f"nn.LogSoftmax(dim={m.dim})",
    nn.Identity: lambda m: "nn.Identity()",
    compiler.Add: lambda m: "Add()",
    compiler.Concat: lambda m: "Concat()",
    compiler.GlobalAvgPool: lambda m: "GlobalAvgPool()",
    compiler.Reshape: lambda m: f"Reshape({tuple(m.shape)!r})",
    compiler.PolynomialFeatures: lambda m: f"PolynomialFeatures({m.degree})",
    # stand-ins that describe a layer without its weights (code_plan)
    LinearArgs: _linear,
    Conv2dArgs: _conv,
    BatchNorm1d: _batchnorm,
    BatchNorm2d: _batchnorm,
}

# The few NeuroCanvas layers torch.nn has no class for, written out in PyTorch.
HELPER_SOURCES: dict[type, str] = {
    compiler.Add: '''class Add(nn.Module):
    """Sum of all inputs: the join of a skip connection."""

    def forward(self, *inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out
''',
    compiler.Concat: '''class Concat(nn.Module):
    """Inputs side by side along dim 1 (features, or channels for images)."""

    def forward(self, *inputs):
        return torch.cat(inputs, dim=1)
''',
    compiler.GlobalAvgPool: '''class GlobalAvgPool(nn.Module):
    """(N, C, H, W) -> (N, C): the mean over each channel."""

    def forward(self, x):
        return x.mean(dim=(2, 3))
''',
    compiler.Reshape: '''class Reshape(nn.Module):
    """Gives each sample the shape `shape`, keeping the batch size."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)
''',
    compiler.PolynomialFeatures: '''class PolynomialFeatures(nn.Module):
    """(N, F) -> (N, F * degree): [x, x^2, ..., x^degree] side by side."""

    def __init__(self, degree):
        super().__init__()
        self.degree = degree

    def forward(self, x):
        powers = [x]
        for _ in range(self.degree - 1):
            powers.append(powers[-1] * x)
        return torch.cat(powers, dim=1)
''',
}


def constructor(module: Any) -> str:
    """The PyTorch expression that builds a module like ``module``."""
    make = CONSTRUCTORS.get(type(module))
    if make is None:
        raise ExportError(f"PyTorch code export does not know the layer {type(module).__name__}")
    return make(module)


#: Public attributes of ``torch.nn.Module`` (torch 2.x). A layer stored under such a name is
#: registered fine, but ``self.<name>`` would find the method, so the code indexes
#: ``self._modules`` instead. tests/core/test_export_names.py checks the list against torch.
TORCH_MODULE_ATTRIBUTES = frozenset(
    """T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    training type xpu zero_grad""".split()
)

#: Names the generated module uses itself; a node's value never gets one of them.
CODE_NAMES = frozenset(
    {"x", "self", "torch", "nn", "F", "Path", "Net", "load", "load_file", "net", "weights"}
    | {cls.__name__ for cls in HELPER_SOURCES}
    | set(dir(builtins))
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
)


def module_ref(name: str) -> str:
    """How ``forward`` reaches the layer registered as ``name``."""
    if name in TORCH_MODULE_ATTRIBUTES or not name.isidentifier() or keyword.iskeyword(name):
        return f"self._modules[{name!r}]"
    return f"self.{name}"


def module_assign(name: str) -> str:
    """The statement head that registers a layer under ``name`` (the state_dict prefix)."""
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"self.{name}"  # nn.Module.__setattr__ files a Module under _modules[name]
    return f"self._modules[{name!r}]"


def local_names(model: compiler.GraphModule | CodePlan) -> dict[str, str]:
    """node id -> the variable holding its output in ``forward``: the node's name unless that
    could clash with the code's own names (``x``, ``self``, ``torch``, builtins...)."""
    taken = set(CODE_NAMES) | set(value_names(model).values())
    out = {model.input_node: "x"}
    for node_id, name in value_names(model).items():
        if node_id == model.input_node:
            continue
        if name in CODE_NAMES or not name.isidentifier() or keyword.iskeyword(name):
            base = f"{name}_out" if name.isidentifier() else "value"
            candidate, i = base, 1
            while candidate in taken:
                i += 1
                candidate = f"{base}{i}"
            taken.add(candidate)
            name = candidate
        out[node_id] = name
    return out


def _floats(arr: np.ndarray) -> str:
    """A float32 array as a Python literal that reads back to the same float32 values."""
    values = [repr(float(v)) for v in np.asarray(arr, dtype=np.float32).reshape(-1)]
    return values[0] if np.ndim(arr) == 0 else f"[{', '.join(values)}]"


def _preprocessing_lines(pre: Preprocessing | None) -> tuple[list[str], list[str], list[str]]:
    """(__init__ lines, forward's first lines, forward's map of the result ``out``)."""
    if pre is None or pre.is_identity:
        return [], [], []
    init = [
        "        # The data set's preprocessing, so the model takes raw inputs in your units and",
        "        # gives outputs in the target's units (buffers outside the state_dict).",
    ]
    first: list[str] = []
    last: list[str] = []
    for attr, arr, line in (
        ("_input_shift", pre.input_shift, "        x = x - self._input_shift"),
        ("_input_scale", pre.input_scale, "        x = x / self._input_scale"),
        ("_output_scale", pre.output_scale, "        out = out * self._output_scale"),
        ("_output_shift", pre.output_shift, "        out = out + self._output_shift"),
    ):
        if arr is None:
            continue
        value = f"torch.tensor({_floats(arr)})"
        init.append(f"        self.register_buffer({attr!r}, {value}, persistent=False)")
        (first if attr.startswith("_input") else last).append(line)
    return init, first, last


def torch_code(
    model: compiler.GraphModule | CodePlan,
    weights_file: str | None = None,
    title: str = "network",
    preprocessing: Preprocessing | None = None,
) -> str:
    """Standalone PyTorch source equivalent to ``model``.

    ``model`` is a compiled model or a :class:`CodePlan` (the same code, no weights built).

    With ``weights_file`` (a safetensors file name, relative to the script), the script's
    main block loads it, so a person can run the file and continue training in PyTorch.
    With ``preprocessing`` the module maps raw inputs and outputs as the app does; the
    state_dict keys stay the node names either way.
    """
    names = local_names(model)
    helpers = []
    for _, module in model.layers():
        source = HELPER_SOURCES.get(type(module))
        if source and source not in helpers:
            helpers.append(source)
    pre_init, pre_first, pre_last = _preprocessing_lines(preprocessing)
    init = [
        f"        {module_assign(step.name)} = {constructor(model.layer(step.node_id))}"
        for step in model.plan
    ] + pre_init
    forward = list(pre_first)
    for step in model.plan:
        args = ", ".join(names[src] for src in step.inputs)
        forward.append(f"        {names[step.node_id]} = {module_ref(step.name)}({args})")
    result = names[model.result_of]
    if pre_last:
        forward.append(f"        out = {result}")
        forward += pre_last
        result = "out"
    in_shape = ", ".join(str(d) for d in model.input_shape)
    lines = [
        f'"""The NeuroCanvas {title} as a PyTorch module (generated by NeuroCanvas)."""',
        "",
        "from pathlib import Path",
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
    ]
    for source in helpers:
        lines += [source, ""]
    lines += [
        "class Net(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *(init or ["        pass"]),
        "",
        "    def forward(self, x):",
        *forward,
        f"        return {result}",
        "",
        "",
        "def load(weights=None):",
        '    """A Net with the exported weights loaded, ready for inference or more training."""',
        "    net = Net()",
    ]
    if weights_file:
        lines += [
            "    if weights is None:",
            f"        weights = Path(__file__).with_name({weights_file!r})",
        ]
    lines += [
        "    if weights is not None:",
        "        from safetensors.torch import load_file",
        "",
        "        net.load_state_dict(load_file(str(weights)))",
        "    return net",
        "",
        "",
        'if __name__ == "__main__":',
        "    net = load().eval()",
        f"    x = torch.randn(4, {in_shape})",
        "    with torch.no_grad():",
        "        print(net(x))",
        "",
    ]
    return "\n".join(lines)
