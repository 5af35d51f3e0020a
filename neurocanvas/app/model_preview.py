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
    thread (``show_later``) or at once (``show_now``).

    The decision regions of a 2-D classifier are the model on an 80x80 grid: 0.1-0.3 s of
    matrix products on a busy machine, twice per data set change, in the GUI thread before.
    The job runs on a runner of its own (no status-bar strip for a fraction of a second).
    Only the newest request is drawn; :meth:`drop` forgets the pending one and waits until
    the job no longer uses the model (before a run takes it: the evaluation switches the
    model to eval mode and back).
    """

    def __init__(self, fit_plot: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fit_plot = fit_plot
        self.runner = JobRunner(self, threads=1)
        self._generation = 0
        self._job: Job | None = None

    def show_now(self, model: Any, dataset: Any) -> None:
        self.drop()
        self.fit_plot.update_snapshot(model_view(model, dataset))

    def show_later(self, model: Any, dataset: Any, wanted: Callable[[], bool]) -> None:
        """Compute in the background; draw then if ``wanted()`` still says so."""
        self.drop()
        generation = self._generation

        def work(job: Job) -> Any:
            return None if job.cancelled else model_view(model, dataset)

        def done(view: Any) -> None:
            if generation == self._generation and view is not None and wanted():
                self.fit_plot.update_snapshot(view)

        self._job = self.runner.submit("Drawing the model", work, done, kind="preview")

    def drop(self, wait_s: float = 30.0) -> None:
        """Forget the pending drawing; return once its job no longer uses the model."""
        self._generation += 1
        job, self._job = self._job, None
        if job is not None:
            self.runner.cancel(job.kind)
            job.finished.wait(wait_s)
