"""Connects the training panel, the worker thread and the plots; owns the compiled model.

The trainer runs in a worker thread (``app.worker``); the GUI thread only reads its plain
numpy snapshots. Whatever needs the live model (a weights copy for save or export, importing
weights, a recompile after an edit, a reset) is a ``StepTask`` (``core.training.control``)
that the training thread runs between two steps, even while paused, so the GUI thread never
touches the trainer's tensors.

Length: over ~400 lines because it is the one place where the panel, the worker thread and the
plots meet; the parts with a job of their own (worker, run history, parameter probe, insight)
are already separate modules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from neurocanvas.app.model_preview import ModelPreview
from neurocanvas.app.parameter_probe import NAME as PARAMETERS
from neurocanvas.app.parameter_probe import ParameterProbe
from neurocanvas.app.run_history import RunHistory
from neurocanvas.app.worker import TrainingThread
from neurocanvas.core.io.export import WeightsError, check_weights_fit, load_weights
from neurocanvas.core.network.compiler import (
    CompileError,
    compile_graph,
)
from neurocanvas.core.network.graph import GraphEvent
from neurocanvas.core.network.shapes import PARAMETER_BUDGET, analyse, over_budget
from neurocanvas.core.random import manual_seed
from neurocanvas.core.training import StepTask, Trainer, TrainingConfig, TrainingControl
from neurocanvas.widgets.compare_dialog import DEFAULT_RATES, CompareDialog
from neurocanvas.widgets.plots import LatestSnapshot
from neurocanvas.widgets.training_panel import OPTIMIZERS, UNTIL_PAUSED_EPOCHS

# Graph events that change what the model computes (moving a node does not).
MODEL_EVENTS = frozenset(
    {"node_added", "node_removed", "edge_added", "edge_removed", "param_changed", "reset"}
)
RECOMPILE_DELAY_MS = 250  # let a burst of edits (a spin box's arrows) settle before compiling
PLOT_INTERVAL_MS = 40  # 25 frames/s: smooth, and leaves the GIL to the trainer
# The loss plot redraws on every 2nd frame of a running run (12.5/s): its curve creeps by a
# pixel or so per frame, while the fit curve (every frame) is the animation people watch.
# Its update and repaint were about a third of the GUI thread's time per frame, time the
# trainer waits for the GIL. It always draws a paused or final snapshot.
LOSS_FRAME_STRIDE = 2
# The seed tutorial's experiment: 0.01 fits, 0.1 fits faster, 1 misbehaves, 10 diverges.
COMPARE_RATES: tuple[float, ...] = DEFAULT_RATES


def _load_checked(trainer: Trainer, weights: dict[str, np.ndarray], source: str) -> list[str]:
    """In the training thread: check every name and shape, then load (the optimizer restarts)."""
    check_weights_fit(trainer.model.state_dict(), weights, source=source)
    trainer.load_state(weights)
    return list(weights)


def describe_problems(report: Any, limit: int = 5) -> str:
    lines = [p.message for p in report.problems[:limit]]
    more = len(report.problems) - limit
    if more > 0:
        lines.append(f"… and {more} more (see the Problems list)")
    return "\n".join(lines)


class TrainingController(QObject):
    """Train / Pause / Resume / Step / Stop / Reset for the open document.

    Signals
    -------
    state_changed(str)
        idle, running, paused, finished, stopped, diverged or failed.
    notice(str)
        A short message for the status bar.
    error(str, str)
        Title and plain sentence for a message box (the window decides how to show it).
    """

    state_changed = Signal(str)
    #: The model's weights changed between runs (trained, reset, loaded): views refresh.
    weights_changed = Signal()
    #: A layer's parameters (state_dict entries, numpy) for the parameter view.
    parameters = Signal(object)
    notice = Signal(str)
    error = Signal(str, str)

    def __init__(self, document: Any, panel: Any, plots: dict[str, Any], parent=None) -> None:
        super().__init__(parent)
        self.document, self.panel = document, panel
        self.loss_plot = plots["loss"]
        self.accuracy_plot = plots["accuracy"]
        self.fit_plot = plots["fit"]
        self.model: Any = None
        self.trainer: Trainer | None = None
        self.control: TrainingControl | None = None
        self.run_thread: TrainingThread | None = None
        self.state = "idle"
        self.last_snapshot: Any = None
        self._edit_pending = False
        self._resume_after_edit = False
        self._unshown_fit: Any = None  # a fit prediction that arrived but is not drawn yet
        self._frames = 0  # frames shown in this run (for LOSS_FRAME_STRIDE)
        self._probe_errors_shown = 0  # probe failures already told in this run
        # Asked before a model above the parameter budget is built (the window sets a dialog;
        # without one, nothing that large is built).
        self.confirm_large: Callable[[str], bool] = lambda question: False
        self._accepted_params = 0

        self._compare_queue: list[float] = []
        self._compare_restore: dict[str, Any] | None = None  # the person's settings, put back
        self._compare_optimizer = "sgd"  # set by each comparison
        self._watched: str | None = None
        self.weights_changed.connect(self._send_parameters)
        self.history = RunHistory(self.loss_plot, self.fit_plot, self)
        self.preview = ModelPreview(self.fit_plot, self)  # the fit between runs
        self.runs_table = self.history.table
        self.coalescer = LatestSnapshot(PLOT_INTERVAL_MS, self)
        self.coalescer.updated.connect(self._show_snapshot)
        self._recompile_timer = QTimer(self)
        self._recompile_timer.setSingleShot(True)
        self._recompile_timer.setInterval(RECOMPILE_DELAY_MS)
        self._recompile_timer.timeout.connect(self._recompile_after_edit)
        self._dataset_timer = QTimer(self)
        self._dataset_timer.setSingleShot(True)
        self._dataset_timer.setInterval(0)
        self._dataset_timer.timeout.connect(self._show_dataset)

        panel.train_requested.connect(self.train)
        panel.continue_requested.connect(self.continue_training)
        panel.compare_requested.connect(self.ask_compare)
        panel.pause_requested.connect(self.pause)
        panel.resume_requested.connect(self.resume)
        panel.step_requested.connect(self.step)
        panel.stop_requested.connect(self.stop)
        panel.reset_requested.connect(self.reset_weights)
        document.graph.add_listener(self._on_graph_event)
        document.dataset_changed.connect(self._on_dataset_changed)

    # -- state ----------------------------------------------------------------------------
    def is_active(self) -> bool:
        """True while a run exists (running or paused), even between its last step and exit."""
        return self.run_thread is not None and self.state in ("running", "paused")

    def _set_state(self, state: str, message: str = "") -> None:
        self.state = state
        self.panel.set_state(state, message)
        self.state_changed.emit(state)

    # -- compiling ------------------------------------------------------------------------
    def compile(self, fresh: bool = False, quiet: bool = False, initial: bool = False) -> Any:
        """The model for the current graph, keeping trained weights unless ``fresh``.

        ``initial``: the project's initial weights (its seed), ignoring any weights not yet
        loaded from the project file, so that every Train starts from the same place.

        Returns None (after an ``error``, unless ``quiet``) when the graph or data set is not
        ready; the message names the problems in plain words.
        """
        doc = self.document
        if doc.dataset is None:
            if not quiet:
                self.error.emit(
                    "No data set",
                    f"The data set cannot be built: {doc.dataset_error or 'choose one first'}",
                )
            return None
        spec = doc.dataset.data_spec()
        if not self._within_budget(analyse(doc.graph, spec)):
            return None
        try:
            if initial:
                manual_seed(int(doc.config.seed))  # the same initial weights for the same seed
                model = compile_graph(doc.graph, spec)
            elif fresh or self.model is None:
                manual_seed(int(doc.config.seed))
                model = compile_graph(doc.graph, spec)
                self._load_pending_weights(model)
            else:
                model = compile_graph(doc.graph, spec, previous=self.model)
                fresh_layers = {nid for nid, m in model.layers() if m.state_dict()}
                if not self._live() and not fresh_layers <= set(model.reused):
                    # some layers start afresh: the fit plot and parameters must say so
                    # the plot as context: a window closed before the timer fires drops it
                    QTimer.singleShot(0, self.fit_plot, self.weights_changed.emit)
                    QTimer.singleShot(0, self.fit_plot, self.show_model_later)
        except CompileError as exc:
            if not quiet:
                self.error.emit(
                    "The network cannot be trained yet",
                    "Fix these problems first:\n" + describe_problems(exc.report),
                )
            return None
        self.model = model
        return model

    def _within_budget(self, report: Any) -> bool:
        """Ask (through ``confirm_large``) before building a model above the parameter budget;
        a yes holds for this size and anything smaller, so edits do not ask again."""
        question = over_budget(report, max(PARAMETER_BUDGET, self._accepted_params))
        if question is None:
            return True
        if self.confirm_large(question):
            self._accepted_params = report.total_params
            return True
        return False

    def _load_pending_weights(self, model: Any) -> None:
        weights, self.document.weights = self.document.weights, None
        if not weights:
            return
        try:
            check_weights_fit(model.state_dict(), weights, source="the project's weights file")
        except WeightsError as exc:
            self.notice.emit(f"Started from fresh weights: {exc}")
            return
        model.load_state_dict(weights)

    def on_trainer(self, fn: Callable[[Any], Any], timeout_s: float = 30.0) -> Any:
        """Run ``fn(trainer)`` in the training thread between two steps and return its result.

        Exceptions raised by ``fn`` are raised here. When the thread has already left its
        loop (the run ended in the meantime), ``fn`` runs here: nothing else uses the model.
        """
        trainer, control, thread = self.trainer, self.control, self.run_thread
        if trainer is None or control is None:
            raise RuntimeError("no training run to hand the job to")
        task = StepTask(lambda: fn(trainer))
        control.submit(task)
        waited = 0.0
        while not task.done.wait(0.02):
            waited += 0.02
            alive = thread is not None and thread.is_running()
            if (not alive or waited > timeout_s) and task.claim():
                if alive:  # a step that never ends: better an error than a frozen window
                    raise RuntimeError("the training thread did not answer; stop the run first")
                task.run()
        return task.outcome()

    def _live(self) -> bool:
        return self.trainer is not None and self.is_active()

    def weights(self) -> dict[str, np.ndarray] | None:
        """A numpy copy of the current weights, or None before any model exists.

        During a run the copy is taken by the training thread between two steps.
        """
        if self._live():
            return self.on_trainer(lambda t: t.weights())
        if self.model is not None:
            return {k: np.array(v, copy=True) for k, v in self.model.state_dict().items()}
        return self.document.weights

    def model_copy(self) -> Any:
        """A model of the current graph holding a copy of the current weights (for export).

        It shares no tensor with a running trainer, so exporting it cannot race a step.
        Returns None (after an error message) when the graph cannot be compiled.
        """
        if not self._live():
            return self.model or self.compile()
        if self._edit_pending:  # the graph and the training model differ until recompiled
            self._recompile_after_edit()
        weights = self.weights()
        doc = self.document
        try:
            model = compile_graph(doc.graph, doc.dataset.data_spec())
        except CompileError as exc:
            self.error.emit(
                "The network is not valid",
                "Fix these problems first:\n" + describe_problems(exc.report),
            )
            return None
        check_weights_fit(model.state_dict(), weights, source="the training model")
        model.load_state_dict(weights)
        return model

    def import_weights(self, path: Any) -> list[str] | None:
        """Load a weights file into the model (by the training thread during a run).

        Raises ``WeightsError``/``OSError`` with a readable message when it does not fit;
        nothing changes then. Returns the loaded keys, or None without a model.
        """
        given = load_weights(path)
        source = getattr(path, "name", str(path))
        if self._live():
            return self.on_trainer(lambda t: _load_checked(t, given, source))
        model = self.model or self.compile()
        if model is None:
            return None
        check_weights_fit(model.state_dict(), given, source=source)
        self.preview.drop()  # no drawing may read the weights while they change
        model.load_state_dict(given)
        return list(given)

    # -- buttons --------------------------------------------------------------------------
    def train(self, single_step: bool = False) -> bool:
        """Start a new run from the project's initial weights (its seed): runs compare fairly.

        While a run is paused, Train resumes it instead.
        """
        return self._start(fresh=True, single_step=single_step)

    def continue_training(self) -> bool:
        """Start a new run from the current weights (a reopened project's saved ones too)."""
        return self._start(fresh=False)

    def ask_compare(self) -> CompareDialog | None:
        """Show the dialog choosing the rates and optimizer to compare (non-modal: returns it)."""
        if self.is_active():
            return None
        dialog = CompareDialog(OPTIMIZERS, self.panel.settings()["optimizer"], self.panel)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.compare_learning_rates)
        dialog.show()
        return dialog

    def compare_learning_rates(
        self, rates: tuple[float, ...] = COMPARE_RATES, optimizer: str | None = None
    ) -> bool:
        """Train the same initial weights at each rate in turn, unthrottled, one run each.

        ``optimizer`` defaults to the one the panel shows.

        The person's own learning rate and optimizer are shown again once the comparison ends
        (however it ends), so the next Train does not run at the last rate compared.
        """
        if self.is_active() or not rates:
            return False
        self._compare_restore = {
            "lr": self.panel.lr.value(),
            "optimizer": self.panel.settings()["optimizer"],
            # The model the person had (trained or not) comes back too: each compared run
            # starts from the initial weights and the last one (lr 10) usually diverges.
            "weights": self.weights() if self.model is not None else None,
            "state": self.state,
            "rates": ", ".join(f"{r:g}" for r in rates),
        }
        self._compare_optimizer = optimizer or self._compare_restore["optimizer"]
        self._compare_queue = [float(r) for r in rates]
        return self._next_comparison()

    def _next_comparison(self) -> bool:
        if not self._compare_queue:
            self._end_comparison()
            return False
        lr = self._compare_queue.pop(0)
        self.panel.lr.set_value(lr, emit=False)  # the panel shows the rate in use
        self.panel.apply_settings({"optimizer": self._compare_optimizer})
        if not self._start(fresh=True, lr=lr, pace=None):
            self._compare_queue.clear()
            self._end_comparison()
            return False
        return True

    def _end_comparison(self) -> None:
        restore, self._compare_restore = self._compare_restore, None
        if restore is None:
            return
        self.panel.lr.set_value(restore["lr"], emit=False)
        self.panel.apply_settings({"optimizer": restore["optimizer"]})
        self._put_back_weights(restore)

    def _put_back_weights(self, restore: dict[str, Any]) -> None:
        """The weights from before a comparison, back in the model (the runs stay plotted)."""
        weights = restore["weights"]
        if weights is None or self.model is None or self.is_active():
            return
        compared = f"Compared learning rates {restore['rates']} (see the Runs tab)"
        try:
            check_weights_fit(self.model.state_dict(), weights, source="the earlier model")
        except WeightsError as exc:  # the graph was edited meanwhile
            self.notice.emit(f"{compared}; the earlier weights could not be put back: {exc}")
            return
        self.preview.drop()  # no drawing may read the weights while they change
        self.model.load_state_dict(weights)
        # A Continue now goes on from these weights as a run of its own, not as the last
        # compared run's continuation.
        self.trainer = None
        message = f"{compared}; your weights from before the comparison are back."
        self._set_state(restore["state"], message)
        self.notice.emit(message)
        self.show_model()
        self.weights_changed.emit()

    def _start(
        self,
        fresh: bool,
        single_step: bool = False,
        lr: float | None = None,
        pace: Any = "panel",
    ) -> bool:
        if self.is_active():
            if self.state == "paused":
                self.resume()
            return True
        model = self.compile(initial=True) if fresh else self.compile()
        if model is None:
            return False
        self.preview.drop()  # the run takes the model: no drawing may use it any more
        self.plot_pending_dataset()  # the run's frames draw into the data set's views
        doc = self.document
        settings = self.panel.settings()
        if lr is not None:
            settings["lr"] = lr
        try:
            config = TrainingConfig(
                **settings, seed=int(doc.config.seed), device=doc.config.device
            ).validate()
        except ValueError as exc:
            self.error.emit("Cannot train", f"A training setting is not valid: {exc}")
            return False
        run_config = config
        if self.panel.until_paused():
            run_config = dataclasses.replace(config, epochs=UNTIL_PAUSED_EPOCHS)
        control = TrainingControl(
            pace=self.panel.pace() if pace == "panel" else pace,
            divergence=self.panel.divergence_policy(),
            fit_on_demand=True,
        )
        if single_step:
            control.step_once()
        probes = [ParameterProbe(self._watched)] if self._watched else []
        trainer = Trainer(
            model,
            doc.dataset,
            run_config,
            control,
            snapshot_every_s=PLOT_INTERVAL_MS / 1000,
            probes=probes,
        )
        previous = self.trainer
        # Continue on the same model goes on counting: "Epoch 2/200" after a 200-epoch run
        # would read as a new run, and the loss curve extends the old one instead.
        linked = (
            not fresh
            and previous is not None
            and _same_weights(previous.model.state_dict(), model.state_dict())
        )
        if linked:
            trainer.continue_from(previous)
        doc.config = config
        self.control, self.trainer = control, trainer
        self.panel.set_control(control)
        self.history.begin("initial weights" if fresh else "continued", settings, linked)
        self.accuracy_plot.reset()
        thread = TrainingThread(trainer, control, self)
        thread.snapshot.connect(self._on_snapshot)
        thread.finished.connect(self._on_finished)
        thread.failed.connect(self._on_failed)
        thread.done.connect(self._on_done)
        self.run_thread = thread
        self._edit_pending = False
        self._unshown_fit = None
        self._frames = 0
        self._probe_errors_shown = 0
        self._set_state("paused" if single_step else "running")
        # The first frame is the untrained model, drawn now: the thread has not started, so
        # nothing else is using the model yet.
        self._show_snapshot(trainer.snapshot("running"))
        thread.start()
        return True

    def pause(self) -> None:
        if self.control is not None and self.is_active():
            self.control.pause()
            self._set_state("paused", "Paused. Move the sliders or edit the graph, then resume.")

    def resume(self) -> None:
        if self._edit_pending:
            self._resume_after_edit = True
            self._recompile_after_edit()
            return
        if self.control is not None and self.is_active():
            self.control.resume()
            self._set_state("running")

    def step(self, from_current: bool = False) -> None:
        """One optimizer step: of the paused run, or of a new run that then stays paused.

        The new run starts from the initial weights, as Train does, unless ``from_current``
        (Step Through One Batch: the step shown is one of the network as it is now).
        """
        if self.control is not None and self.is_active():
            self.control.step_once()
            self._set_state("paused")
        else:
            self._start(fresh=not from_current, single_step=True)

    def stop(self) -> bool:
        """Stop the run and wait for its thread; the weights stay as they are."""
        self._recompile_timer.stop()
        self._edit_pending = False
        thread = self.run_thread
        if thread is None:
            return True
        return thread.stop()

    def shutdown(self) -> bool:
        """Stop and join the worker (closing the window); True when the thread ended."""
        ok = self.stop()
        self.preview.drop()
        if self.run_thread is not None:
            self.run_thread.thread.wait(5000)
        return ok

    def reset_weights(self) -> None:
        """Re-initialise every weight (a paused run continues from the new weights).

        The old fit and any "diverged" message go: what is shown is the new weights' model.
        """
        self.model = None
        self.document.weights = None
        model = self.compile(fresh=True, quiet=self._live())
        if model is not None and self._live():
            self.on_trainer(lambda t: t.swap_model(model))  # the new model is not shared
        elif not self.is_active():
            self._set_state("idle")
            self.show_model()
        self.notice.emit("Weights re-initialised.")
        self.weights_changed.emit()

    def watch_parameters(self, layer: str | None) -> None:
        """Send ``layer``'s parameters now and, while a run goes on, a few times a second."""
        self._watched = layer
        if self._live() and self.trainer is not None:
            self.trainer.remove_probe(PARAMETERS)
            if layer is not None:
                self.trainer.add_probe(ParameterProbe(layer))
        self._send_parameters()

    def _send_parameters(self) -> None:
        if self._watched is None:
            self.parameters.emit(None)
            return
        if self._live():
            return  # the probe sends them from the training thread
        self.parameters.emit(self.weights() if self.model is not None else self.document.weights)

    def show_model(self, later: bool = False) -> None:
        """Draw the current model's fit (untrained, reset, or opened with saved weights).

        Only between runs: the model is not shared with a training thread then. ``later``:
        computed in the background (``ModelPreview``) and drawn when ready.
        """
        if self._live() or self.document.dataset is None:
            return
        self.plot_pending_dataset()
        model = self.compile(quiet=True)
        self.fit_plot.clear_prediction()
        if model is None:
            self.preview.drop()
            return
        dataset = self.document.dataset
        if later:
            # (a newer drawing, a reset or imported weights drop this one: ModelPreview.drop)
            wanted = lambda: not self._live() and self.document.dataset is dataset  # noqa: E731
            self.preview.show_later(model, dataset, wanted)
        else:
            self.preview.show_now(model, dataset)
        self._send_parameters()

    def show_model_later(self) -> None:
        self.show_model(later=True)

    def forget(self) -> None:
        """Drop the model (a new project was opened); call after :meth:`stop`."""
        self.model = None
        self.trainer = None
        self._compare_queue.clear()
        self.loss_plot.reset()
        self.accuracy_plot.reset()
        self.history.clear()
        self._set_state("idle")

    # -- editing while training -----------------------------------------------------------
    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind not in MODEL_EVENTS or not self.is_active() or event.kind == "reset":
            return
        if not self._edit_pending:
            self._resume_after_edit = self.state == "running"
            self._edit_pending = True
            if self.control is not None:
                self.control.pause()
            self._set_state("paused", "Paused while the graph is edited…")
        self._recompile_timer.start()

    def _recompile_after_edit(self) -> None:
        """Recompile keeping unchanged layers' weights; resume when the graph is valid."""
        trainer = self.trainer
        if trainer is None or not self.is_active() or self.document.dataset is None:
            return
        report = analyse(self.document.graph, self.document.dataset.data_spec())
        if not report.ok:
            self._set_state(
                "paused",
                "Training is paused until the graph is valid again:\n" + describe_problems(report),
            )
            return
        graph, spec = self.document.graph, self.document.dataset.data_spec()

        def rebuild(t: Trainer) -> Any:
            # In the training thread: reading the old weights cannot race a step.
            new_model = compile_graph(graph, spec, previous=t.model)
            t.swap_model(new_model)
            return new_model

        try:
            model = self.on_trainer(rebuild)
        except (CompileError, RuntimeError, ValueError) as exc:  # say so; the run stays paused
            self._set_state("paused", f"The edited graph could not be compiled: {exc}")
            return
        self.model = model
        self._edit_pending = False
        built = len(list(model.layers()))
        self.notice.emit(f"Recompiled: kept the weights of {len(model.reused)} of {built} layers.")
        if self._resume_after_edit and self.control is not None:
            self.control.resume()
            self._set_state("running")
        else:
            self._set_state("paused", "Recompiled the edited graph; press Resume to go on.")

    def _on_dataset_changed(self) -> None:
        if self.is_active():
            self.stop()
            self.notice.emit("The data set changed, so training stopped. Press Train to go on.")
        # The plots follow on the next turn of the event loop, after the window has painted
        # the rest of the change (the graph, the panels): opening a project was one stretch
        # of 80-140 ms in the GUI thread, most of it the plots' new layout and axes.
        self._dataset_timer.start()

    def _show_dataset(self) -> None:
        """The plots of the new data set, then the model's fit on it (in the background)."""
        self._plot_dataset()
        if self.document.dataset is not None:
            self.show_model_later()

    def _plot_dataset(self) -> None:
        self._dataset_timer.stop()
        ds = self.document.dataset
        self.accuracy_plot.setVisible(ds is not None and ds.kind == "classification")
        if ds is not None:
            self.fit_plot.set_dataset(ds)

    def dataset_plotted(self) -> bool:
        """Whether the plots show the document's data set (False for the event loop's turn
        after a change: see ``_on_dataset_changed``)."""
        return not self._dataset_timer.isActive()

    def plot_pending_dataset(self) -> None:
        """Show a data set change in the plots now if it is still waiting for the event
        loop: before anything draws into them (a run's first frame, the model's fit)."""
        if self._dataset_timer.isActive():
            self._plot_dataset()

    # -- from the worker ------------------------------------------------------------------
    def _on_snapshot(self, snap: Any) -> None:
        """Queue ``snap`` for the next frame, carrying over a fit the coalescer would drop.

        The trainer sends a new fit only after the last one was drawn; a newer snapshot
        without one must not make the frame lose it, or no fit would be asked for again.
        """
        if snap.fit is None:
            snap.fit = self._unshown_fit
        else:
            self._unshown_fit = snap.fit
        self.coalescer.push(snap)

    def _show_snapshot(self, snap: Any) -> None:
        self.last_snapshot = snap
        for line in snap.probe_errors[self._probe_errors_shown :]:
            self.notice.emit(line)  # a view turned off: said once, the run goes on
        self._probe_errors_shown = len(snap.probe_errors)
        if snap.state != "running" or self._frames % LOSS_FRAME_STRIDE == 0:
            self.loss_plot.update_snapshot(snap)  # incremental: a skipped frame loses nothing
        self._frames += 1
        self.fit_plot.update_snapshot(snap)
        self.history.show(snap)
        if PARAMETERS in snap.probes:
            self.parameters.emit(snap.probes[PARAMETERS])
        if snap.fit is not None and self.control is not None:
            self._unshown_fit = None
            self.control.fit_shown()
        if snap.train_acc is not None:
            self.accuracy_plot.update_snapshot(snap)
        self.panel.update_progress(snap)

    def _on_finished(self, final: Any) -> None:
        self.coalescer.flush()
        if self.last_snapshot is not final:
            self._show_snapshot(final)
        message = " ".join([final.message, *final.probe_errors]).strip()
        self._set_state(final.state, message)
        self.notice.emit(message)
        self.history.finish(final)
        self.weights_changed.emit()

    def _on_failed(self, message: str) -> None:
        self._compare_queue.clear()
        self._set_state("failed", message)
        self.error.emit("Training failed", message)

    def _on_done(self) -> None:
        thread, self.run_thread = self.run_thread, None
        self.panel.set_control(None)
        self._recompile_timer.stop()
        self._edit_pending = False
        if thread is not None:
            thread.thread.wait(2000)
            thread.deleteLater()
        if self.state in ("running", "paused"):  # ended without a final snapshot
            self._set_state("stopped", "Stopped.")
        if self._compare_queue and self.state == "stopped":  # the person stopped the comparison
            self._compare_queue.clear()
        if self._compare_queue:
            QTimer.singleShot(0, self._next_comparison)
        else:
            self._end_comparison()


def _same_weights(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``new`` holds exactly ``old``'s weights (an unchanged graph, recompiled)."""
    return old.keys() == new.keys() and all(
        np.array_equal(np.asarray(old[k]), np.asarray(new[k]))  # state_dict gives arrays
        for k in old
    )
