"""The layer catalogue: one entry per layer type, read by every other part.

``spec`` is the schema (ParamSpec, PortSpec, LayerSpec, shapes, losses, node names), ``rules``
the shape rules and costs, ``builders`` the engine modules each type builds, ``layers`` the
entries themselves. Everything public is re-exported here: import from
``neurocanvas.core.network.catalogue``.
"""

from __future__ import annotations

from neurocanvas.core.network.catalogue.layers import LAYERS, default_params, get_layer
from neurocanvas.core.network.catalogue.rules import pool_stride
from neurocanvas.core.network.catalogue.spec import (
    CATEGORIES,
    CLASSIFICATION_LOSSES,
    LOSSES,
    REGRESSION_LOSSES,
    RESERVED_NAMES,
    LayerSpec,
    ParamSpec,
    PortSpec,
    Shape,
    ShapeError,
    fmt_shape,
    is_valid_name,
)

__all__ = [
    "CATEGORIES",
    "CLASSIFICATION_LOSSES",
    "LAYERS",
    "LOSSES",
    "REGRESSION_LOSSES",
    "RESERVED_NAMES",
    "LayerSpec",
    "ParamSpec",
    "PortSpec",
    "Shape",
    "ShapeError",
    "default_params",
    "fmt_shape",
    "get_layer",
    "is_valid_name",
    "pool_stride",
]
