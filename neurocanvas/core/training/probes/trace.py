"""Step through one batch: what each stage of one training step did, node by node.

The tutorials' loop is ``optimizer.zero_grad(); out = model(x); loss = loss_fn(out, y);
loss.backward(); optimizer.step()``. Armed once, this probe records those five stages of the
next training step (the real one, not a replay): every node's output and the gradient that
came back to it, the loss, each parameter's gradient and how much ``step()`` changed it. The
gradients left over from the previous step are noted before the step starts, so the
``zero_grad`` stage can show what clearing them removes (``backward`` adds into ``.grad``;
without ``zero_grad`` the steps' gradients would pile up). Per-node arrays are those of one
sample of the batch (``sample``, the first by default), so a picture or a handful of numbers
can show them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurocanvas.core.backend import to_numpy
from neurocanvas.core.training.probes import Probe, StepContext
from neurocanvas.core.training.probes.capture import Capture, model_layers

__all__ = ["STAGES", "TraceProbe"]

STAGES: tuple[str, ...] = ("zero_grad", "forward", "loss", "backward", "step")


def _row(arr: Any, index: int) -> np.ndarray:
    host = to_numpy(arr)
    return np.array(host[min(index, len(host) - 1)], copy=True)


class TraceProbe(Probe):
    """Records the next step after :meth:`arm` (callable from another thread), then rests.

    ``collect`` returns::

        {"step", "loss", "sample", "input", "target",
         "stale_grad_norm": float | None,             # leftover .grad before zero_grad
         "order": [key, ...],                         # run order
         "nodes": {key: {"type", "output", "grad",    # this sample's arrays (grad may be None)
                         "params": {name: {"value", "grad", "change"}}}}}

    ``value`` is the parameter before ``step()``, ``change`` what ``step()`` added to it.
    """

    name = "trace"

    def __init__(self) -> None:
        self._armed: int | None = None
        self._capture: Capture | None = None
        self._record: dict[str, Any] | None = None

    def arm(self, sample: int = 0) -> None:
        """Trace the next step, showing batch row ``sample``."""
        self._armed = int(sample)

    @property
    def armed(self) -> bool:
        return self._armed is not None

    def reset(self) -> None:
        self._drop_capture()
        self._record = None

    def _drop_capture(self) -> None:
        if self._capture is not None:
            self._capture.remove()
            self._capture = None

    def wants(self, step: int) -> bool:
        return self._armed is not None

    def before_forward(self, ctx: StepContext) -> None:
        sample, self._armed = self._armed or 0, None
        self._drop_capture()
        layers = model_layers(ctx.model)
        params = list(ctx.model.parameters())
        stale = [p.grad.array for p in params if p.grad is not None]
        stale_norm = (
            math.sqrt(sum(float((g.astype("float64") ** 2).sum()) for g in stale))
            if stale
            else None
        )
        nodes: dict[str, Any] = {}
        for key, module in layers:
            nodes[key] = {
                "type": type(module).__name__,
                "output": None,
                "grad": None,
                "params": {
                    name: {"value": to_numpy(p.array, copy=True), "grad": None, "change": None}
                    for name, p in module.named_parameters()
                },
            }
        self._record = {
            "step": int(ctx.step),
            "sample": sample,
            "input": _row(ctx.inputs.array, sample),
            "target": _row(ctx.targets.array, sample),
            "stale_grad_norm": stale_norm,
            "order": [k for k, _ in layers],
            "nodes": nodes,
            "loss": math.nan,
        }
        self._capture = Capture(layers, grads=True)

    def after_backward(self, ctx: StepContext) -> None:
        cap, record = self._capture, self._record
        if cap is None or record is None:
            return
        self._drop_capture()
        sample = record["sample"]
        record["loss"] = float(ctx.loss) if ctx.loss is not None else math.nan
        for key, module in cap.layers:
            node = record["nodes"][key]
            if key in cap.outputs:
                node["output"] = _row(cap.outputs[key], sample)
            if key in cap.grads:
                node["grad"] = _row(cap.grads[key], sample)
            for name, p in module.named_parameters():
                if p.grad is not None:
                    node["params"][name]["grad"] = to_numpy(p.grad.array, copy=True)

    def collect(self, ctx: StepContext) -> Any:
        self._drop_capture()
        record, self._record = self._record, None
        if record is None:
            return None
        for key, module in model_layers(ctx.model):
            node = record["nodes"].get(key)
            if node is None:
                continue
            for name, p in module.named_parameters():
                entry = node["params"].get(name)
                if entry is not None:
                    entry["change"] = to_numpy(p.array) - entry["value"]
        return record
