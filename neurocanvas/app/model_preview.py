"""The fit of a model that no run is using: what the fit plot shows between runs."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from neurocanvas.app.background import Job, JobRunner
from neurocanvas.core.network.compiler import loss_targets, make_loss
from neurocanvas.core.network.decision import last_activation
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.metrics import FitGrid, Validation

__all__ = ["ModelPreview", "model_view"]


def model_view(model: Any, dataset: Any) -> SimpleNamespace:
    """The fit (and, for images, confusion and samples) of ``model`` now, shaped like a
    snapshot for the fit plot. Runs in the calling thread: only for a model no run is using."""
    kind = getattr(model, "loss_kind", None) or (
        "cross_entropy" if dataset.kind == "classification" else "mse"
    )
    classification = dataset.kind == "classification"
    x_train = np.asarray(dataset.x_train)
    grid = FitGrid(
        tuple(dataset.input_shape), x_train, classification, getattr(dataset, "x_range", None)
    )
    last = last_activation(model)  # the model's real decision rule (a Sigmoid, a Softmax)
    fit = grid.predict(model, Tensor, kind, last)
    confusion = samples = None
    if grid.grid is None and classification:
        y_val = loss_targets(kind, np.asarray(dataset.y_val))
        val = Validation(np.asarray(dataset.x_val), y_val, kind, dataset.n_outputs, True)
        val.last_layer = last
        result = val.evaluate(model, make_loss(kind), Tensor)
        confusion, samples = result["confusion"], result["samples"]
    return SimpleNamespace(fit=fit, confusion=confusion, samples=samples)


class ModelPreview(QObject):
    """Draws ``model_view`` of a model no run is using in the fit plot, computed off the GUI
    thread (``show_later``) or at once (``show_now``); :meth:`use` runs other work on such a
    model (the idle health pass) on the same thread, one job after the other.

    The decision regions of a 2-D classifier are the model on an 80x80 grid: 0.1-0.3 s of
    matrix products on a busy machine, twice per data set change, in the GUI thread before.
    The jobs run on a runner of their own (no status-bar strip for a fraction of a second).
    Only the newest request of each kind is done; :meth:`drop` forgets the pending ones and
    waits until no job uses the model any more (before a run takes it: the evaluation
    switches the model to eval mode and back).
    """

    def __init__(self, fit_plot: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fit_plot = fit_plot
        self.runner = JobRunner(self, threads=1)
        self._jobs: list[Job] = []  # submitted and maybe not finished (cancelled ones too)

    def show_now(self, model: Any, dataset: Any) -> None:
        self.drop()  # in this thread: no job may use the model meanwhile
        self.fit_plot.update_snapshot(model_view(model, dataset))

    def show_later(self, model: Any, dataset: Any, wanted: Callable[[], bool]) -> None:
        """Compute in the background; draw then if ``wanted()`` still says so."""

        def done(view: Any) -> None:  # (a dropped job's result never comes)
            if view is not None and wanted():
                self.fit_plot.update_snapshot(view)

        self.use(PREVIEW, lambda: model_view(model, dataset), done)

    def use(
        self,
        kind: str,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``work()`` (which uses the model) off the GUI thread, after any job already
        using it; ``done(result)`` (or ``failed(message)``) follows in the GUI thread unless
        a newer job of this ``kind`` or a :meth:`drop` came first (the runner cancels an older
        one of the kind without waiting: this one runs after it)."""

        def run(job: Job) -> Any:
            return None if job.cancelled else work()

        self._jobs = [job for job in self._jobs if not job.finished.is_set()]
        self._jobs.append(self.runner.submit(f"Using the model ({kind})", run, done, failed, kind))

    def drop(self, kind: str | None = None, wait_s: float = 30.0) -> None:
        """Forget the pending jobs (of ``kind``, else all); return once none of them uses the
        model any more. A job still queued behind another is not waited for: cancelled
        first, it returns without touching the model when its turn comes."""
        dropped = [job for job in self._jobs if kind is None or job.kind == kind]
        self._jobs = [job for job in self._jobs if job not in dropped]
        for job in dropped:
            job.cancel()
            self.runner.cancel(job.kind)
        for job in dropped:
            if job.started.is_set():
                job.finished.wait(wait_s)


PREVIEW = "preview"  # the kind of job that draws the fit
