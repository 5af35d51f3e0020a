"""PyTorch source code for a compiled graph: ``class Net(nn.Module)`` plus loading lines.

The code is generated from the compiled model's modules (not from the layer types) because
the engine's modules mirror ``torch.nn`` one to one: every module the catalogue can build
maps to one constructor here, and a new layer type built from existing modules needs no edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neurocanvas.core import nn
from neurocanvas.core.network import compiler

from ._common import ExportError, value_names
from .code_plan import BatchNorm1d, BatchNorm2d, CodePlan, Conv2dArgs, LinearArgs


def _pair(v) -> int | tuple[int, int]:
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
        value = _pair(getattr(m, name))
        if value != default:
            parts.append(f"{name}={value}")
    if m.bias is None:
        parts.append("bias=False")
    return f"nn.Conv2d({', '.join(parts)})"


def _pool(cls: str) -> Callable[[nn.Module], str]:
    def ctor(m: nn.Module) -> str:
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


def torch_code(
    model: compiler.GraphModule | CodePlan, weights_file: str | None = None, title: str = "network"
) -> str:
    """Standalone PyTorch source equivalent to ``model``.

    ``model`` is a compiled model or a :class:`CodePlan` (the same code, no weights built).

    With ``weights_file`` (a safetensors file name, relative to the script), the script's
    main block loads it, so a person can run the file and continue training in PyTorch.
    """
    names = value_names(model)
    helpers = []
    for _, module in model.layers():
        source = HELPER_SOURCES.get(type(module))
        if source and source not in helpers:
            helpers.append(source)
    init = [
        f"        self.{step.name} = {constructor(model.layer(step.node_id))}"
        for step in model.plan
    ]
    forward = []
    for step in model.plan:
        args = ", ".join(names[src] for src in step.inputs)
        forward.append(f"        {names[step.node_id]} = self.{step.name}({args})")
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
        f"        return {names[model.result_of]}",
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
