"""Builders: turn a node's parameters and input shapes into an engine module.

The only part of the catalogue that needs the engine; the graph-only modules (Add, Concat...)
come from ``network/modules.py``.
"""

from __future__ import annotations

from typing import Any

from neurocanvas.core import nn
from neurocanvas.core.network import modules
from neurocanvas.core.network.catalogue.rules import infer_reshape, pool_stride
from neurocanvas.core.network.catalogue.spec import BuildFn, Shape

# --------------------------------------------------------------------------------------
# Builders: params and input shapes -> an engine module
# --------------------------------------------------------------------------------------


def build_linear(params: dict, in_shapes: list[Shape]) -> Any:
    return nn.Linear(in_shapes[0][0], params["out_features"], bias=params["bias"])


def build_conv(params: dict, in_shapes: list[Shape]) -> Any:
    kwargs: dict[str, Any] = {
        "stride": params["stride"],
        "padding": params["padding"],
        "bias": params["bias"],
    }
    if params["dilation"] != 1:  # only passed when used, to keep simple engines working
        kwargs["dilation"] = params["dilation"]
    return nn.Conv2d(in_shapes[0][0], params["out_channels"], params["kernel_size"], **kwargs)


def build_maxpool(params: dict, in_shapes: list[Shape]) -> Any:
    return nn.MaxPool2d(params["kernel_size"], pool_stride(params), params["padding"])


def build_avgpool(params: dict, in_shapes: list[Shape]) -> Any:
    return nn.AvgPool2d(params["kernel_size"], pool_stride(params), params["padding"])


def build_batchnorm(params: dict, in_shapes: list[Shape]) -> Any:
    cls = nn.BatchNorm2d if len(in_shapes[0]) == 3 else nn.BatchNorm1d
    return cls(in_shapes[0][0], eps=params["eps"], momentum=params["momentum"])


def simple(cls_name: str, **fixed: Any) -> BuildFn:
    def build(params: dict, in_shapes: list[Shape]) -> Any:
        return getattr(nn, cls_name)(**fixed, **params)

    return build


def custom_build(cls_name: str, *param_names: str) -> BuildFn:
    def build(params: dict, in_shapes: list[Shape]) -> Any:
        return getattr(modules, cls_name)(*(params[n] for n in param_names))

    return build


def build_reshape(params: dict, in_shapes: list[Shape]) -> Any:
    return modules.Reshape(infer_reshape(params, in_shapes))
