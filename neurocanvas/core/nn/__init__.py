"""Neural-network modules with PyTorch's names, shapes and initialisation."""

from neurocanvas.core.nn import functional, init
from neurocanvas.core.nn.containers import ModuleList, Sequential
from neurocanvas.core.nn.extra import ELU, BCELoss, Embedding, LayerNorm, ModuleDict, NLLLoss
from neurocanvas.core.nn.layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from neurocanvas.core.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss
from neurocanvas.core.nn.module import Module, Parameter
from neurocanvas.core.nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "ELU",
    "BCELoss",
    "Embedding",
    "LayerNorm",
    "ModuleDict",
    "NLLLoss",
    "functional",
    "GELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "init",
]
