"""Looking inside the network (issue 13): wires the probes, the canvas overlays and panels.

While a run trains, the probes (``core.training.probes``) ride along in the training thread
and their plain results arrive in each snapshot (``snap.probes``), drawn on the GUI's plot
timer. When nothing trains (building, a finished or loaded model) or a run is paused, one
probe pass on a batch (``probe_pass``) and a preview on the chosen sample run on the current
weights instead: on the thread that draws the fit between runs (``ModelPreview.use``) when
no run exists, in the training thread between steps (``TrainingController.on_trainer``)
when one is paused. The learning-rate finder runs on a copy of the model in its own thread
(``app.worker.TrainingThread``), so neither the GUI nor a paused run waits for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from neurocanvas.app.worker import TrainingThread
from neurocanvas.core.network.compiler import CompileError, compile_graph, loss_targets, make_loss
from neurocanvas.core.training.lr_finder import LRFinder
from neurocanvas.core.training.probes import Probe
from neurocanvas.core.training.probes.health import HealthProbe
from neurocanvas.core.training.probes.histograms import HistogramProbe
from neurocanvas.core.training.probes.passes import probe_pass
from neurocanvas.core.training.probes.preview import PreviewProbe, sample_preview
from neurocanvas.core.training.probes.trace import TraceProbe
from neurocanvas.widgets.canvas.health_overlay import HealthOverlay
from neurocanvas.widgets.insight.histogram_panel import HistogramPanel
from neurocanvas.widgets.insight.lr_finder_dialog import LRFinderDialog
from neurocanvas.widgets.insight.preview_panel import PreviewPanel
from neurocanvas.widgets.insight.stepper_panel import StepperPanel
from neurocanvas.widgets.insight.trace_overlay import TraceOverlay

IDLE_DELAY_MS = 150  # let a burst of edits settle before the idle probe pass
IDLE_BATCH = 64  # rows of the training set the idle health pass looks at
IDLE_PASS = "health"  # the idle pass's kind of job on the model (``ModelPreview.use``)


class InsightController(QObject):
    """Owns the insight probes, overlays, panels and actions of one main window.

    ``window`` must have ``controller`` (TrainingController), ``document``, ``canvas``,
    ``training_panel`` and ``results_tabs``; the panels become tabs there, and
    :attr:`actions` are for the window's Train menu.
    """

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window, self.ctl, self.doc = window, window.controller, window.document
        self.health = HealthProbe()
        self.preview = PreviewProbe()
        self.histograms = HistogramProbe()
        self.trace = TraceProbe()
        self.health_overlay = HealthOverlay(window.canvas)
        self.trace_overlay = TraceOverlay(window.canvas)
        self.preview_panel = PreviewPanel()
        self.histogram_panel = HistogramPanel()
        self.stepper_panel = StepperPanel()
        tabs = window.results_tabs
        tabs.addTab(self.preview_panel, "Node output")
        tabs.addTab(self.histogram_panel, "Histograms")
        tabs.addTab(self.stepper_panel, "Step through")
        self.node_id: str | None = None
        self.sample_index = 0
        self._trainer: Any = None
        self._trace: Any = None
        self._lr_thread: TrainingThread | None = None
        self.lr_dialog: LRFinderDialog | None = None

        self.health_action = QAction("Show Training &Health", self)
        self.health_action.setCheckable(True)
        self.health_action.setChecked(True)
        self.health_action.setToolTip("Colour the wires by gradient size; badges for problems")
        self.health_action.toggled.connect(self.set_health_enabled)
        self.lr_action = QAction("Find &Learning Rate…", self)
        self.lr_action.triggered.connect(self.open_lr_finder)
        self.trace_action = QAction("Step Through One &Batch", self)
        self.trace_action.triggered.connect(lambda: self.trace_batch(0))
        self.actions = [self.health_action, self.lr_action, self.trace_action]

        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.setInterval(IDLE_DELAY_MS)
        self._idle_timer.timeout.connect(self.refresh_idle)

        self.ctl.state_changed.connect(self._on_state)
        self.ctl.coalescer.updated.connect(self.show_snapshot)
        window.canvas.selection_changed.connect(self.select_node)
        self.doc.graph.add_listener(self._on_graph_event)
        self.doc.dataset_changed.connect(self._on_dataset)
        self.preview_panel.sample_changed.connect(self.choose_sample)
        self.stepper_panel.trace_requested.connect(self.trace_batch)
        # a new learning rate may blow up within a few steps: measure each of the next ones
        window.training_panel.lr_changed.connect(lambda *_: self.health.watch_closely())
        self.stepper_panel.stage_changed.connect(self._show_stage)
        tabs.currentChanged.connect(self._on_tab)
        self._on_dataset()

    # ------------------------------------------------------------------ probes in a run
    def probes(self) -> list[Probe]:
        on = [self.preview, self.histograms, self.trace]
        return [self.health, *on] if self.health_action.isChecked() else on

    def _on_state(self, state: str) -> None:
        trainer = self.ctl.trainer
        if trainer is not None and trainer is not self._trainer and self.ctl.is_active():
            # A new run: its loop adds (and resets) the probes before its first step.
            self._trainer = trainer
            for probe in self.probes():
                trainer.add_probe(probe)
        if state != "running":
            self.schedule_idle()

    def show_snapshot(self, snap: Any) -> None:
        """Draw the probes' results of the frame's snapshot (the GUI's plot timer)."""
        results = getattr(snap, "probes", None) or {}
        if self.health_action.isChecked() and "health" in results:
            self.health_overlay.show_health(results["health"])
        if "preview" in results and self.preview_panel.isVisible():
            self.preview_panel.show_preview(results["preview"])
        if "histograms" in results and self.histogram_panel.isVisible():
            self.histogram_panel.show_histograms(results["histograms"])
        trace = results.get("trace")
        if trace is not None and trace is not self._trace:
            self._trace = trace
            self.stepper_panel.show_trace(trace)
            self.window.results_tabs.setCurrentWidget(self.stepper_panel)

    def set_health_enabled(self, on: bool) -> None:
        self.health_overlay.set_enabled(on)
        trainer = self.ctl.trainer if self.ctl.is_active() else None
        if trainer is not None:
            if on:
                trainer.add_probe(self.health)
            else:
                trainer.remove_probe(self.health.name)
        if on:
            self.schedule_idle()

    # ------------------------------------------------------------------ choices
    def select_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        node = self.doc.graph.nodes.get(node_id) if node_id is not None else None
        title = f"{node.name} ({node.type})" if node is not None else ""
        self.preview_panel.set_node(node_id, title)
        self.histogram_panel.set_node(node_id, title)

    def _samples(self) -> tuple[np.ndarray, np.ndarray] | None:
        ds = self.doc.dataset
        if ds is None:
            return None
        if len(ds.x_val):
            return np.asarray(ds.x_val), np.asarray(ds.y_val)
        return np.asarray(ds.x_train), np.asarray(ds.y_train)

    def _on_dataset(self) -> None:
        rows = self._samples()
        if rows is None:
            self.preview_panel.set_sample_count(0, "no data set")
            self._sync_preview_sample()
            return
        self.preview_panel.set_sample_count(len(rows[0]))
        self.choose_sample(min(self.sample_index, max(len(rows[0]) - 1, 0)))

    def choose_sample(self, index: int) -> None:
        rows = self._samples()
        if rows is None or not len(rows[0]):
            return
        self.sample_index = int(index)
        x, y = rows
        self._sync_preview_sample()
        target = np.asarray(y[self.sample_index]).ravel()
        names = getattr(self.doc.dataset, "class_names", None)
        if names and target.size == 1 and target.dtype.kind in "iu":
            info = f"target: {names[int(target[0])]}"
        else:
            info = "target: " + ", ".join(f"{v:.3g}" for v in target[:4].tolist())
        self.preview_panel.set_sample_info(f"of {len(x)} validation rows, {info}")
        self.schedule_idle()

    def _on_tab(self, *_: Any) -> None:
        # The preview's extra one-sample forward pass runs only while someone can see it.
        self._sync_preview_sample()
        # The histograms were recorded for every layer all along, hidden or not: catch up
        # with the last run's records when the tab is opened after (or during) it.
        snap = self.ctl.last_snapshot
        shown = self.window.results_tabs.currentWidget() is self.histogram_panel
        if shown and snap is not None and "histograms" in (snap.probes or {}):
            self.histogram_panel.show_histograms(snap.probes["histograms"])
        self.schedule_idle()

    def _sync_preview_sample(self) -> None:
        rows = self._samples()
        shown = self.window.results_tabs.currentWidget() is self.preview_panel
        if rows is None or not len(rows[0]) or not shown:
            self.preview.set_sample(None)
        else:
            self.preview.set_sample(rows[0][self.sample_index], self.sample_index)

    def _on_graph_event(self, event: Any) -> None:
        if event.kind != "node_moved":
            self.schedule_idle()

    # ------------------------------------------------------------------ between runs
    def schedule_idle(self) -> None:
        if self.ctl.state != "running":
            self._idle_timer.start()

    def refresh_idle(self) -> None:
        """One probe pass and a preview on the current weights (no run, or a paused one)."""
        if self.ctl.state in ("running", "diverged") or self.doc.dataset is None:
            return  # diverged: keep the run's last reading (the explosion) on screen
        want_health = self.health_action.isChecked()
        ds = self.doc.dataset
        rows = self._samples()
        shown = self.window.results_tabs.currentWidget() is self.preview_panel
        sample = (
            (self.sample_index, rows[0][self.sample_index])
            if shown and rows is not None and len(rows[0])
            else None
        )

        def measure(model: Any, step: int = 0) -> tuple[Any, Any]:
            kind = model.loss_kind
            n = min(IDLE_BATCH, len(ds.x_train))
            xb = np.asarray(ds.x_train[:n])
            yb = loss_targets(kind, np.asarray(ds.y_train[:n]))
            health = None
            if want_health:
                probe = HealthProbe(1, 0.0)
                out = probe_pass(model, make_loss(kind), xb, yb, [probe], step=step)
                health = out.get("health")
            preview = None if sample is None else sample_preview(model, sample[1], sample[0])
            return health, preview

        if self.ctl.is_active():  # a paused run: in the training thread, between two steps
            try:
                health, preview = self.ctl.on_trainer(lambda t: measure(t.model, t.global_step))
            except Exception as exc:  # a preview must never take the window down
                self._show_idle_failure(str(exc))
                return
            self._show_idle((health, preview))
            return
        try:
            model = self.ctl.compile(quiet=True)
        except Exception as exc:  # a preview must never take the window down
            self._show_idle_failure(str(exc))
            return
        if model is None:
            self.health_overlay.show_health(None)
            self.preview_panel.show_message("The network is not valid yet.")
            return
        # Off the GUI thread, after any drawing of the fit that uses the model: the pass is
        # a forward and backward pass of a batch, and a CNN's first 3x3 convolution imports
        # numba and loads its kernels (0.7-1.5 s). A run, a reset or new weights drop it
        # (``ModelPreview.drop``) before they take the model; a newer pass replaces it.
        self.ctl.preview.use(
            IDLE_PASS, lambda: measure(model), self._show_idle, self._show_idle_failure
        )

    def _show_idle(self, result: tuple[Any, Any]) -> None:
        health, preview = result
        self.health_overlay.show_health(health)
        self.preview_panel.show_preview(preview)

    def _show_idle_failure(self, message: str) -> None:
        self.preview_panel.show_message(f"Could not run the network: {message}")

    # ------------------------------------------------------------------ step through
    def trace_batch(self, sample: int = 0) -> None:
        """Trace the next real training step (starting a paused run from the current weights,
        never fresh ones, if none exists: the step shown is one of the network as it is)."""
        self.trace.arm(sample)
        if self.ctl.is_active() and self._trainer is not self.ctl.trainer:
            self._on_state(self.ctl.state)
        self.ctl.step(from_current=True)

    def _show_stage(self, stage: str) -> None:
        self.trace_overlay.show(self.stepper_panel.trace, stage)

    # ------------------------------------------------------------------ lr finder
    def open_lr_finder(self) -> LRFinderDialog:
        if self.lr_dialog is None:
            self.lr_dialog = LRFinderDialog(self.window)
            self.lr_dialog.run_requested.connect(self.run_lr_finder)
            self.lr_dialog.stop_requested.connect(self.stop_lr_finder)
            self.lr_dialog.apply_requested.connect(self.apply_lr)
        self.lr_dialog.show()
        self.lr_dialog.raise_()
        return self.lr_dialog

    def _model_copy(self) -> Any:
        """A fresh model of the graph holding the current weights (shares no tensor)."""
        if not self.ctl.is_active():
            current = self.ctl.compile(quiet=True)
            if current is None:
                return None
            weights = current.state_dict()
        else:
            weights = self.ctl.weights()
        model = compile_graph(self.doc.graph, self.doc.dataset.data_spec())
        model.load_state_dict(weights)
        return model

    def run_lr_finder(self) -> bool:
        dialog = self.open_lr_finder()
        if self._lr_thread is not None:
            return False
        if self.doc.dataset is None:
            dialog.show_failure("Choose a data set first.")
            return False
        try:
            model = self._model_copy()
        except (CompileError, ValueError, KeyError) as exc:
            dialog.show_failure(f"The network cannot be built: {exc}")
            return False
        if model is None:
            dialog.show_failure("The network is not valid yet; fix the problems first.")
            return False
        finder = LRFinder(model, self.doc.dataset, self.window._panel_config())
        thread = TrainingThread(finder, finder, self)
        thread.snapshot.connect(dialog.show_result)
        thread.finished.connect(dialog.show_result)
        thread.failed.connect(dialog.show_failure)
        thread.done.connect(self._lr_done)
        self._lr_thread = thread
        dialog.set_running(True)
        thread.start()
        return True

    def stop_lr_finder(self) -> None:
        if self._lr_thread is not None:
            self._lr_thread.stop()

    def _lr_done(self) -> None:
        thread, self._lr_thread = self._lr_thread, None
        if thread is not None:
            thread.thread.wait(2000)
            thread.deleteLater()

    def apply_lr(self, lr: float) -> None:
        """Set the learning rate everywhere the slider does (a running run takes it live)."""
        self.window.training_panel.lr.set_value(lr)
        self.window.statusBar().showMessage(f"Learning rate set to {lr:.2g}.", 8000)

    def shutdown(self) -> None:
        self.stop_lr_finder()
        if self._lr_thread is not None:
            self._lr_thread.thread.wait(5000)
