"""Autograd nodes carry the names PyTorch prints for the same operation's backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import neurocanvas.core as nc
from neurocanvas.core import functional as F

torch = pytest.importorskip("torch")

CASES: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", lambda m, x: x + x),
    ("sub", lambda m, x: x - 1.0),
    ("mul", lambda m, x: x * 2.0),
    ("div", lambda m, x: x / 3.0),
    ("pow scalar", lambda m, x: x**2),
    ("neg", lambda m, x: -x),
    ("exp", lambda m, x: x.exp()),
    ("log", lambda m, x: x.abs().log()),
    ("tanh", lambda m, x: x.tanh()),
    ("sigmoid", lambda m, x: x.sigmoid()),
    ("relu", lambda m, x: x.relu()),
    ("mean", lambda m, x: x.mean()),
    ("mean dim", lambda m, x: x.mean(1)),
    ("sum", lambda m, x: x.sum()),
    ("sum dim", lambda m, x: x.sum(0)),
    ("max", lambda m, x: x.max()),
    ("max dim", lambda m, x: x.max(1)[0]),
    ("min dim", lambda m, x: x.min(1)[0]),
    ("view", lambda m, x: x.view(6)),
    ("transpose", lambda m, x: x.transpose(0, 1)),
    ("permute", lambda m, x: x.permute(1, 0)),
    ("matmul 2d", lambda m, x: x @ x.T),
    ("cat", lambda m, x: m.cat([x, x])),
    ("stack", lambda m, x: m.stack([x, x])),
    ("clone", lambda m, x: x.clone()),
    ("softmax", lambda m, x: x.softmax(1)),
    ("log_softmax", lambda m, x: x.log_softmax(1)),
    ("to float64", lambda m, x: x.double()),
]


@pytest.mark.parametrize(("name", "op"), CASES, ids=[c[0] for c in CASES])
def test_grad_fn_is_named_like_pytorchs(name: str, op: Callable[[Any, Any], Any]) -> None:
    data = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    ours = op(nc, nc.tensor(data, requires_grad=True))
    theirs = op(torch, torch.tensor(data, requires_grad=True))
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__


def test_functional_nodes_are_named_like_pytorchs() -> None:
    x = np.ones((4, 3), dtype=np.float32)
    w = np.ones((2, 3), dtype=np.float32)
    b = np.zeros(2, dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    ours = F.linear(nc.tensor(x), nc.tensor(w, requires_grad=True), nc.tensor(b))
    theirs = torch.nn.functional.linear(
        torch.tensor(x), torch.tensor(w, requires_grad=True), torch.tensor(b)
    )
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__ == "AddmmBackward0"
    ce = F.cross_entropy(ours, nc.tensor(y))
    tce = torch.nn.functional.cross_entropy(theirs, torch.tensor(y))
    assert type(ce.grad_fn).__name__ == type(tce.grad_fn).__name__ == "NllLossBackward0"
    mse = F.mse_loss(ours, nc.tensor(np.zeros((4, 2), dtype=np.float32)))
    tmse = torch.nn.functional.mse_loss(theirs, torch.zeros(4, 2))
    assert type(mse.grad_fn).__name__ == type(tmse.grad_fn).__name__ == "MseLossBackward0"
