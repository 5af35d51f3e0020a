"""The main window: palette, canvas, inspector, problems, data set, training, plots and code.

It owns no logic of its own beyond wiring: the open project is a :class:`Document` (its
``GraphEditor`` is the one way edits enter the graph), training is a
:class:`TrainingController`, the actions, menus and toolbar are data (``app.actions``), the
dock layout is ``app.window_layout``, the file commands ``app.project_files`` and the
problems list and code tab ``app.validation_view``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QWhatsThis,
    QWidget,
)

from neurocanvas.app import menus, window_layout
from neurocanvas.app.actions import themed_icon
from neurocanvas.app.autosave import Autosaver
from neurocanvas.app.background import DATASETS_CACHE, BackgroundBuilds, JobProgress, JobRunner
from neurocanvas.app.document import Document, EditRefused
from neurocanvas.app.help import PLOT_TIPS, STATE_LABELS, GuideDialog, about_html
from neurocanvas.app.insight import InsightController
from neurocanvas.app.project_files import ProjectFilesMixin
from neurocanvas.app.settings import LAYOUT_VERSION, AppSettings, data_dir
from neurocanvas.app.status_bar import ElidingStatusBar
from neurocanvas.app.training_controller import TrainingController
from neurocanvas.app.validation_view import ValidationMixin
from neurocanvas.app.window_layout import default_window_size
from neurocanvas.widgets.canvas import NodeCanvas
from neurocanvas.widgets.code_view import CodeView
from neurocanvas.widgets.dataset_panel import DatasetPanel
from neurocanvas.widgets.inspector import Inspector
from neurocanvas.widgets.palette import Palette
from neurocanvas.widgets.plots import AccuracyPlot, FitPlot, LossPlot
from neurocanvas.widgets.training_panel import TrainingPanel

__all__ = ["MainWindow", "default_window_size"]

APP_NAME = "NeuroCanvas"
CODE_DELAY_MS = 300  # regenerate the code once typing pauses, not on every keystroke


class MainWindow(ProjectFilesMixin, ValidationMixin, QMainWindow):
    """The NeuroCanvas window for one open project."""

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.settings = settings or AppSettings()
        self.document = Document(self)
        self.report: Any = None
        self.guide: GuideDialog | None = None
        self._build_widgets()
        window_layout.build_docks(self)
        self.controller = TrainingController(
            self.document,
            self.training_panel,
            {"loss": self.loss_plot, "accuracy": self.accuracy_plot, "fit": self.fit_plot},
            self,
        )
        self.controller.confirm_large = self._confirm_large_model
        self.insight = InsightController(self)  # health overlay, previews, lr finder, stepper
        self._wire_training_views()
        self._cap_result_pages()
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self.autosaver = Autosaver(data_dir(), self._autosave_snapshot, self)
        self.autosaver.failed.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.document.modified_changed.connect(self.autosaver.mark_dirty)
        self.controller.state_changed.connect(self._on_run_state_for_autosave)
        self._update_undo_tips()
        self.setDockNestingEnabled(True)
        self.resize(default_window_size(self.screen().availableGeometry().size()))
        self.restored_layout = self._restore_window()
        self._laid_out = self.restored_layout
        self._update_title()

    # ------------------------------------------------------------------ construction
    def _wire_training_views(self) -> None:
        """The training engineer's views: the runs table tab and the inspector's parameters."""
        self.results_tabs.addTab(self.controller.runs_table, "Runs")
        view = self.inspector.parameter_view
        view.node_changed.connect(self.controller.watch_parameters)
        self.controller.parameters.connect(view.show_weights)
        self.controller.weights_changed.connect(self.document.weights_edited)
        self.controller.runs_table.default_folder = self.default_folder

    def _cap_result_pages(self) -> None:
        """No results page dictates the window's width: each gets at most the plots' minimum.

        The Step through page asked for 890 px, which squeezed the Layers column to 87 px at
        1366 x 768; a page narrower than its wish lays out tighter instead.
        """
        cap = self.plots.minimumSizeHint().width()
        for i in range(self.results_tabs.count()):
            page = self.results_tabs.widget(i)
            if page.minimumSizeHint().width() > cap:
                page.setMinimumWidth(cap)

    def _build_widgets(self) -> None:
        doc = self.document
        self.canvas = NodeCanvas(doc.editor, self)
        self.setCentralWidget(self.canvas)
        self.palette_widget = Palette(self)
        self.inspector = Inspector(doc.editor, self)
        self.problems = QListWidget(self)
        self.problems.setObjectName("problemsList")
        self.problems.setWordWrap(True)
        self.problems.setAlternatingRowColors(True)
        self.problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The one-click repair a warning offers (remove a Softmax before cross_entropy...).
        self.problem_fix = QPushButton(self)
        self.problem_fix.setObjectName("problemFix")
        self.problem_fix.hide()
        self.problem_fix.clicked.connect(self.apply_problem_fix)
        self._fix_node: str | None = None
        self.jobs = JobRunner(self)  # work that would freeze the window (app/background.py)
        self.dataset_panel = DatasetPanel(factory=DATASETS_CACHE.get, parent=self)
        self.dataset_panel.background = BackgroundBuilds(self.jobs)  # slow sets: off-thread
        self.training_panel = TrainingPanel(self)
        self.loss_plot = LossPlot()
        self.accuracy_plot = AccuracyPlot()
        self.fit_plot = FitPlot()
        self.plots = QSplitter(Qt.Orientation.Horizontal, self)
        self.plots.setObjectName("plotArea")
        for key, plot in (
            ("loss", self.loss_plot),
            ("accuracy", self.accuracy_plot),
            ("fit", self.fit_plot),
        ):
            self.plots.addWidget(plot)
            plot.setToolTip(PLOT_TIPS[key])
            plot.setWhatsThis(PLOT_TIPS[key])
        self.plots.setChildrenCollapsible(False)
        self.code_view = CodeView(self)
        # One bottom dock with tabs (not two tabified docks): Qt left a stray tab bar behind
        # when tabified docks were rearranged before the window was first shown.
        self.results_tabs = QTabWidget(self)
        self.results_tabs.setObjectName("resultsTabs")
        self.results_tabs.setDocumentMode(True)
        self.results_tabs.addTab(self.plots, "Plots")
        self.results_tabs.addTab(self.code_view, "PyTorch code")

    def apply_default_layout(self) -> None:
        window_layout.apply_default_layout(self)

    def _build_actions(self) -> None:
        menus.build_actions(self)

    def _build_menus(self) -> None:
        menus.build_menus(self)

    def _build_status_bar(self) -> None:
        self.params_label = QLabel(self)
        self.params_label.setObjectName("paramsLabel")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("stateLabel")
        bar = ElidingStatusBar(self)  # a long message is elided, whole in its tooltip
        self.setStatusBar(bar)
        self.job_progress = JobProgress(self.jobs, self)
        bar.addPermanentWidget(self.job_progress)
        bar.addPermanentWidget(self.params_label)
        bar.addPermanentWidget(self.state_label)

    def _connect(self) -> None:
        doc = self.document
        doc.modified_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.dataset_changed.connect(self._on_dataset_changed)
        doc.graph.add_listener(self._on_graph_event)
        self.destroyed.connect(lambda *_, g=doc.graph, f=self._on_graph_event: g.remove_listener(f))
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(0)  # coalesce the events of one command
        self._validate_timer.timeout.connect(self.validate)
        self._code_timer = QTimer(self)
        self._code_timer.setSingleShot(True)
        self._code_timer.setInterval(CODE_DELAY_MS)
        self._code_timer.timeout.connect(self.refresh_code)
        self.canvas.selection_changed.connect(self._on_selection)
        self.canvas.status_message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.canvas.name_requested.connect(self.focus_name)
        self.palette_widget.layer_activated.connect(self.canvas.add_layer_in_free_space)
        self.problems.itemClicked.connect(self._on_problem_clicked)
        self.problems.itemActivated.connect(self._on_problem_clicked)
        self.dataset_panel.dataset_changed.connect(self._on_dataset_chosen)
        self._pause_icon = self.pause_action.icon()
        self._resume_icon = themed_icon(
            self, "media-playback-start", QStyle.StandardPixmap.SP_MediaPlay
        )
        self.controller.state_changed.connect(self._on_training_state)
        panel = self.training_panel
        self._loading_settings = False
        for signal in (
            panel.epochs_spin.valueChanged,
            panel.batch_spin.valueChanged,
            panel.optimizer_combo.currentIndexChanged,
            panel.lr.value_changed,
            panel.momentum.value_changed,
            panel.weight_decay.value_changed,
        ):
            signal.connect(self._on_settings_edited)
        # A click on Train, Pause or Stop leaves the keyboard focus where the person was (the
        # canvas, a field): a clicked button that is then disabled would hand the focus on to
        # the next field (Batch size), where the next key press would change it. Tab still
        # reaches the buttons.
        for button in panel.findChildren(QPushButton):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.controller.notice.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.controller.error.connect(self.show_error)
        self._on_training_state("idle")

    # ------------------------------------------------------------------ editing
    def cut(self) -> None:
        if self.canvas.copy_selected():
            self.canvas.delete_selected()

    def reset_zoom(self) -> None:
        self.canvas.zoom_by(1.0 / max(self.canvas.zoom(), 1e-6))

    def toggle_pause(self) -> None:
        if self.controller.state == "paused":
            self.controller.resume()
        else:
            self.controller.pause()

    def _on_settings_edited(self, *_: Any) -> None:
        if not self._loading_settings:
            self.document.settings_edited(self.training_panel.settings())

    def _on_selection(self, node_id: str | None) -> None:
        self.inspector.set_node(node_id)
        if node_id is not None:
            self.inspector_dock.raise_()

    def _on_graph_event(self, event: Any) -> None:
        if event.kind == "node_moved":
            return
        self._validate_timer.start()
        self._code_timer.start()

    def _on_dataset_chosen(self, key: str, params: dict) -> None:
        try:
            self.document.change_dataset(key, params, self.dataset_panel.seed())
        except EditRefused as exc:  # nothing was changed: show the data set in use again
            self.show_error("Cannot use this data set", str(exc))
            self.dataset_panel.set_dataset(*self.document.dataset_choice())

    def _on_dataset_changed(self) -> None:
        doc = self.document
        panel = self.dataset_panel
        if (panel.key(), panel.params(), panel.seed()) != doc.dataset_choice():
            panel.set_dataset(*doc.dataset_choice())  # undo/redo of a data set change
        self._validate_timer.start()
        self._code_timer.start()

    # ------------------------------------------------------------------ training state
    def _on_training_state(self, state: str) -> None:
        active = state in ("running", "paused")
        self.train_action.setEnabled(not active or state == "paused")
        self.pause_action.setEnabled(active)
        self.pause_action.setText("&Resume" if state == "paused" else "&Pause")
        # the icon says what a click does, like the text: play to resume, pause to pause
        self.pause_action.setIcon(self._resume_icon if state == "paused" else self._pause_icon)
        self.inspector.set_training_state(state)
        self.stop_action.setEnabled(active)
        self.step_action.setEnabled(state != "running")
        self.state_label.setText(STATE_LABELS.get(state, state))

    # ------------------------------------------------------------------ messages
    def _confirm_large_model(self, question: str) -> bool:
        """Ask before building a model above the parameter budget (the question says why)."""
        answer = QMessageBox.question(
            self,
            "Build a very large network?",
            f"{question}\n\nBuild it anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, title: str, text: str, critical: bool = False) -> None:
        """A readable message box; ``text`` is a plain sentence, never a traceback."""
        if critical:
            QMessageBox.critical(self, title, text)
        else:
            QMessageBox.warning(self, title, text)

    def about(self) -> None:
        QMessageBox.about(self, "About NeuroCanvas", about_html())

    def show_guide(self) -> GuideDialog:
        """Show the guide next to the window (one window, raised if already open)."""
        if self.guide is None:
            self.guide = GuideDialog(self.autosaver.folder, self)
        self.guide.show()
        self.guide.raise_()
        return self.guide

    def enter_whats_this(self) -> None:
        QWhatsThis.enterWhatsThisMode()

    def focus_name(self, node_id: str) -> None:
        """Show ``node_id`` in the inspector with its name selected, ready to be typed over."""
        self.inspector.set_node(node_id)
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.focus_name()

    def _autosave_snapshot(self) -> tuple[Any, Any, Any]:
        doc = self.document
        return doc.to_project(self._panel_config()), self.controller.weights(), doc.path

    def _on_run_state_for_autosave(self, state: str) -> None:
        if state in ("finished", "stopped", "diverged"):  # a run's end: its weights are work
            self.autosaver.save_now()

    def _update_undo_tips(self, *_: Any) -> None:
        """Tooltips give the whole "Undo Rename linear1 to encoder" (the button says "Undo")."""
        for action in (self.undo_action, self.redo_action):
            action.setToolTip(action.text().replace("&", ""))

    def _update_title(self, *_: Any) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.modified)

    # ------------------------------------------------------------------ window
    def _restore_window(self) -> bool:
        """Restore the saved geometry and docks; False (defaults kept) if none fit this version.

        The dock state is saved with ``LAYOUT_VERSION``: Qt refuses a state of another version,
        so a layout saved by an older release (fixed-width docks, a taller window) is dropped
        instead of being restored half-broken. A geometry larger than the screen is shrunk.
        """
        geometry = self.settings.geometry()
        state = self.settings.window_state()
        self._restored_frame: Any = False  # False: nothing to settle once shown
        if geometry is None or state is None:
            return False
        # Qt's order: geometry first, then the docks, so the dock sizes are laid out in the
        # window's own size (the other way round they were squeezed into a default-sized one).
        self.restoreGeometry(geometry)
        shown = self.settings.run_settings_shown()
        self.training_panel.settings_section.set_expanded(shown is not False)
        if not self.restoreState(state, LAYOUT_VERSION):
            self.resize(default_window_size(self.screen().availableGeometry().size()))
            return False  # an older release's window size goes with its layout
        available = self.screen().availableGeometry()
        saved = window_layout.saved_geometry(geometry)
        self._restored_frame = saved[0].topLeft() if saved else None
        if saved and available.size().expandedTo(saved[1].size()) == available.size():
            # restoreGeometry takes a guessed title bar off a window as tall as the screen
            # (the first start's size on a laptop): it came back 26 px shorter each start.
            self.resize(saved[1].size())
        if self.width() > available.width() or self.height() > available.height():
            self.resize(default_window_size(available.size()))
            self._restored_frame = None  # the size changed: let the window manager place it
        return True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        # Dock sizes are shares of the window, so they are set once its size is final (a
        # window manager may maximise it); a restored layout is left as the person left it.
        super().showEvent(event)
        if not self._laid_out:
            self._laid_out = True
            # resizeDocks is only exact once the dock layout has been set up for the shown
            # window; before that Qt splits by size hints.
            QTimer.singleShot(0, self.apply_default_layout)
        elif self._restored_frame is not False:
            frame, self._restored_frame = self._restored_frame, False  # once, at the start
            QTimer.singleShot(0, lambda: window_layout.settle_restored_window(self, frame))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.maybe_save("closing"):
            event.ignore()
            return
        self.controller.shutdown()
        self.insight.shutdown()
        self.jobs.cancel()  # a data set still loading must not open into a closed window
        self.autosaver.finish()  # a clean exit leaves nothing to recover
        self.settings.save_run_settings_shown(self.training_panel.settings_section.expanded())
        self.settings.save_window(self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        event.accept()
