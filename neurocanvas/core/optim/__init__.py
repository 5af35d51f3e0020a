"""Optimizers and learning-rate schedulers with PyTorch's update rules."""

from neurocanvas.core.optim import lr_scheduler
from neurocanvas.core.optim.adam import Adam, AdamW
from neurocanvas.core.optim.optimizer import Optimizer
from neurocanvas.core.optim.rmsprop import RMSprop
from neurocanvas.core.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
