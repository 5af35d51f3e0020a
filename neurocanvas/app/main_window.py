"""The main window: palette, canvas, inspector, problems, data set, training, plots and code.

It owns no logic of its own beyond wiring: the open project is a :class:`Document`, training
is a :class:`TrainingController`, and every edit goes through the document's undo stack. Every
failure a person can cause (a corrupt file, a network that does not fit, an export that cannot
be written) ends in a message box with a plain sentence, never a traceback.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from neurocanvas import __version__
from neurocanvas.app.background import (
    DATASETS_CACHE,
    Job,
    JobProgress,
    JobRunner,
    needs_background,
)
from neurocanvas.app.document import Document, EditRefused
from neurocanvas.app.insight import InsightController
from neurocanvas.app.settings import LAYOUT_VERSION, AppSettings
from neurocanvas.app.training_controller import TrainingController
from neurocanvas.core.io.examples import ExampleError, list_examples, load_example
from neurocanvas.core.io.export import (
    EXPORT_FORMATS,
    Experiment,
    ExportError,
    WeightsError,
    export_model,
    read_preprocessing,
)
from neurocanvas.core.io.export.code_plan import code_plan
from neurocanvas.core.io.export.torch_code import torch_code
from neurocanvas.core.io.onnx_import import OnnxImportError, project_from_onnx
from neurocanvas.core.io.project import SUFFIX, Project, ProjectError, load_project, save_project
from neurocanvas.core.network.fitting import unadapted_reasons
from neurocanvas.core.network.shapes import analyse
from neurocanvas.core.training.trainer import TrainingConfig
from neurocanvas.widgets.canvas import NodeCanvas
from neurocanvas.widgets.code_view import CodeView
from neurocanvas.widgets.dataset_panel import DatasetPanel
from neurocanvas.widgets.inspector import Inspector, format_count
from neurocanvas.widgets.palette import Palette
from neurocanvas.widgets.plots import AccuracyPlot, FitPlot, LossPlot
from neurocanvas.widgets.training_panel import TrainingPanel

APP_NAME = "NeuroCanvas"
PROJECT_FILTER = f"NeuroCanvas projects (*{SUFFIX});;All files (*)"
OPEN_FILTER = (
    f"Projects and ONNX models (*{SUFFIX} *.onnx);;NeuroCanvas projects (*{SUFFIX});;"
    "ONNX models (*.onnx);;All files (*)"
)
WEIGHTS_FILTER = "Weights (*.safetensors *.npz);;All files (*)"
CODE_DELAY_MS = 300  # regenerate the code once typing pauses, not on every keystroke
PLOT_MIN_SIZE = QSize(150, 110)
RESULTS_SHARE = 0.4  # of the window height, for the results (plots) dock by default
LARGEST_SIZE = QSize(1800, 1100)  # beyond this a first window feels oversized
SMALL_SCREEN_WIDTH = 1600  # below this the first window takes the whole free area


def default_window_size(available: QSize) -> QSize:
    """The first window's size: all of a small screen (a 1366 x 768 laptop), 90 % of a big one."""
    if available.width() < SMALL_SCREEN_WIDTH:
        return QSize(available)
    return QSize(
        min(int(available.width() * 0.9), LARGEST_SIZE.width()),
        min(int(available.height() * 0.9), LARGEST_SIZE.height()),
    )


class TabbedDockTitles(QObject):
    """Hides a dock's own title bar while it sits in a tab group: its tab already names it.

    Tabified docks otherwise show their title twice ("Inspector" on the tab and again on the
    title bar under it). A dock that is floated, or left alone when its partner is closed,
    gets its title bar back, so it can still be moved, floated and closed as before.
    """

    def __init__(self, window: QMainWindow, docks: list[QDockWidget]):
        super().__init__(window)
        self.window, self.docks = window, docks
        # Qt updates its tab groups after these signals: look once the event loop has run.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.update)
        for dock in docks:
            dock.dockLocationChanged.connect(self._timer.start)
            dock.topLevelChanged.connect(self._timer.start)
            dock.visibilityChanged.connect(self._timer.start)

    def update(self) -> None:
        for dock in self.docks:
            tabbed = not dock.isFloating() and bool(self.window.tabifiedDockWidgets(dock))
            hidden = isinstance(dock.titleBarWidget(), _NoTitle)
            if tabbed and not hidden:
                dock.setTitleBarWidget(_NoTitle(dock))
            elif not tabbed and hidden:
                old = dock.titleBarWidget()
                dock.setTitleBarWidget(None)  # Qt's own title bar again
                old.deleteLater()


class _NoTitle(QWidget):
    """An empty title bar: a dock with a custom title bar of no height shows none."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, 0)


class MainWindow(QMainWindow):
    """The NeuroCanvas window for one open project."""

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.settings = settings or AppSettings()
        self.document = Document(self)
        self.report: Any = None
        self._build_widgets()
        self._build_docks()
        self.controller = TrainingController(
            self.document,
            self.training_panel,
            {"loss": self.loss_plot, "accuracy": self.accuracy_plot, "fit": self.fit_plot},
            self,
        )
        self.controller.confirm_large = self._confirm_large_model
        self.insight = InsightController(self)  # health overlay, previews, lr finder, stepper
        self._wire_training_views()
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._connect()
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
        self.training_panel = TrainingPanel(self)
        self.loss_plot = LossPlot()
        self.accuracy_plot = AccuracyPlot()
        self.fit_plot = FitPlot()
        self.plots = QSplitter(Qt.Orientation.Horizontal, self)
        self.plots.setObjectName("plotArea")
        for plot in (self.loss_plot, self.accuracy_plot, self.fit_plot):
            self.plots.addWidget(plot)
        self.plots.setChildrenCollapsible(False)
        self.code_view = CodeView(self)
        # One bottom dock with tabs (not two tabified docks): Qt left a stray tab bar behind
        # when tabified docks were rearranged before the window was first shown.
        self.results_tabs = QTabWidget(self)
        self.results_tabs.setObjectName("resultsTabs")
        self.results_tabs.setDocumentMode(True)
        self.results_tabs.addTab(self.plots, "Plots")
        self.results_tabs.addTab(self.code_view, "PyTorch code")

    def _dock(
        self,
        title: str,
        name: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        scroll: bool = False,
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState find docks by object name
        if scroll:
            # A tall panel scrolls instead of forcing the window taller than a laptop screen.
            area_widget = QScrollArea(dock)
            area_widget.setObjectName(f"{name}Scroll")
            area_widget.setWidget(widget)
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QFrame.Shape.NoFrame)
            # Never scroll sideways (a half-hidden slider row looks broken): the dock is at
            # least as wide as the panel's own minimum plus the vertical scroll bar.
            area_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            bar = area_widget.verticalScrollBar().sizeHint().width()
            area_widget.setMinimumWidth(widget.minimumSizeHint().width() + bar)
            widget = area_widget
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.palette_dock = self._dock("Layers", "paletteDock", self.palette_widget, left)
        problems_box = QWidget(self)
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.problems)
        problems_layout.addWidget(self.problem_fix)
        self.problems_dock = self._dock("Problems", "problemsDock", problems_box, left)
        self.inspector_dock = self._dock(
            "Inspector", "inspectorDock", self.inspector, right, scroll=True
        )
        self.dataset_dock = self._dock(
            "Data set", "datasetDock", self.dataset_panel, right, scroll=True
        )
        self.training_dock = self._dock(
            "Training", "trainingDock", self.training_panel, right, scroll=True
        )
        self.plots_dock = self._dock("Results", "resultsDock", self.results_tabs, bottom)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.tabifyDockWidget(self.inspector_dock, self.dataset_dock)
        self.inspector_dock.raise_()
        self.dock_titles = TabbedDockTitles(self, [self.inspector_dock, self.dataset_dock])
        self.dock_titles.update()
        # pyqtgraph's plots ask for 240 x 160-200 px each; three of them side by side plus a
        # tall minimum made the window wider and taller than a 1366 x 768 screen.
        for plot in (self.loss_plot, self.accuracy_plot, self.fit_plot):
            plot.setMinimumSize(PLOT_MIN_SIZE)

    def apply_default_layout(self) -> None:
        """Dock sizes as shares of the window, so small and large screens both look balanced.

        The side docks are narrow so the canvas keeps most of the width; the results take about
        40 % of the height, because a typical graph is one row of nodes and the canvas would
        otherwise show mostly empty space above and below it.
        """
        width = max(self.width(), 800)
        side = int(min(max(width * 0.13, 170), 230))
        right = int(min(max(width * 0.2, self.training_dock.minimumSizeHint().width()), 380))
        self.resizeDocks(
            [self.palette_dock, self.inspector_dock], [side, right], Qt.Orientation.Horizontal
        )
        # Qt scales the sizes given to resizeDocks to the space there is, so each split is
        # computed from the column's current height.
        left_column = self.palette_dock.height() + self.problems_dock.height()
        self.resizeDocks(
            [self.palette_dock, self.problems_dock],
            [int(left_column * 0.72), int(left_column * 0.28)],
            Qt.Orientation.Vertical,
        )
        middle = self.centralWidget().height() + self.plots_dock.height()
        results = int(middle * RESULTS_SHARE)
        self.resizeDocks([self.plots_dock], [results], Qt.Orientation.Vertical)
        # The training panel (Train button, sliders) shows whole; the inspector gets the rest.
        right_column = self.inspector_dock.height() + self.training_dock.height()
        title = self.training_dock.height() - self.training_dock.widget().height()
        wanted = self.training_panel.sizeHint().height() + title + 4
        training = min(wanted, int(right_column * 0.7))
        self.resizeDocks(
            [self.inspector_dock, self.training_dock],
            [right_column - training, training],
            Qt.Orientation.Vertical,
        )

    def _icon(self, theme: str, fallback: QStyle.StandardPixmap) -> QIcon:
        return QIcon.fromTheme(theme, self.style().standardIcon(fallback))

    def _action(
        self, text: str, slot: Any, shortcut: Any = None, icon: QIcon | None = None, tip: str = ""
    ) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                act.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                act.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            act.setIcon(icon)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda *_: slot())
        return act

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        std = QKeySequence.StandardKey
        self.new_action = self._action(
            "&New",
            self.new_project,
            std.New,
            self._icon("document-new", sp.SP_FileIcon),
            "Start an empty network",
        )
        self.open_action = self._action(
            "&Open…",
            self.open_dialog,
            std.Open,
            self._icon("document-open", sp.SP_DialogOpenButton),
            "Open a project file",
        )
        self.save_action = self._action(
            "&Save",
            self.save,
            std.Save,
            self._icon("document-save", sp.SP_DialogSaveButton),
            "Save the project and its weights",
        )
        self.save_as_action = self._action(
            "Save &As…",
            self.save_as,
            "Ctrl+Shift+S",
            self._icon("document-save-as", sp.SP_DialogSaveButton),
        )
        self.import_action = self._action(
            "&Import Weights…",
            self.import_weights_dialog,
            None,
            self._icon("document-import", sp.SP_ArrowDown),
            "Load weights (safetensors or npz) into the network",
        )
        self.quit_action = self._action(
            "&Quit", self.close, std.Quit, self._icon("application-exit", sp.SP_DialogCloseButton)
        )
        self.export_actions: dict[str, QAction] = {}
        for key, fmt in EXPORT_FORMATS.items():
            self.export_actions[key] = self._action(
                f"{fmt.description}…",
                lambda k=key: self.export_dialog(k),
                None,
                None,
                f"Export as {fmt.description} ({fmt.suffix})",
            )
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(std.Undo))
        self.undo_action.setIcon(self._icon("edit-undo", sp.SP_ArrowBack))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(self._icon("edit-redo", sp.SP_ArrowForward))
        self.cut_action = self._action(
            "Cu&t", self.cut, None, self._icon("edit-cut", sp.SP_TrashIcon)
        )
        self.cut_action.setShortcut(QKeySequence(std.Cut))
        self.cut_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.canvas.addAction(self.cut_action)
        c = self.canvas
        c.copy_action.setIcon(self._icon("edit-copy", sp.SP_FileDialogContentsView))
        c.paste_action.setIcon(self._icon("edit-paste", sp.SP_DialogApplyButton))
        c.delete_action.setIcon(self._icon("edit-delete", sp.SP_TrashIcon))
        self.zoom_in_action = self._action(
            "Zoom &In", lambda: c.zoom_by(1.25), std.ZoomIn, self._icon("zoom-in", sp.SP_ArrowUp)
        )
        self.zoom_out_action = self._action(
            "Zoom &Out",
            lambda: c.zoom_by(0.8),
            std.ZoomOut,
            self._icon("zoom-out", sp.SP_ArrowDown),
        )
        self.zoom_reset_action = self._action("&Actual Size", self.reset_zoom, "Ctrl+0")
        c.fit_action.setIcon(self._icon("zoom-fit-best", sp.SP_TitleBarMaxButton))
        ctl = self.controller
        self.train_action = self._action(
            "&Train", ctl.train, "F5", self._icon("media-playback-start", sp.SP_MediaPlay)
        )
        self.pause_action = self._action(
            "&Pause / Resume",
            self.toggle_pause,
            "F6",
            self._icon("media-playback-pause", sp.SP_MediaPause),
        )
        self.step_action = self._action(
            "S&tep", ctl.step, "F10", self._icon("media-skip-forward", sp.SP_MediaSeekForward)
        )
        self.stop_action = self._action(
            "&Stop", ctl.stop, "Shift+F5", self._icon("media-playback-stop", sp.SP_MediaStop)
        )
        self.reset_action = self._action(
            "&Reset Weights",
            ctl.reset_weights,
            None,
            self._icon("view-refresh", sp.SP_BrowserReload),
        )
        self.about_action = self._action(
            "&About NeuroCanvas",
            self.about,
            None,
            self._icon("help-about", sp.SP_MessageBoxInformation),
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.examples_menu = file_menu.addMenu("Open &Example")
        self.examples_menu.setObjectName("examplesMenu")
        self.example_actions: dict[str, QAction] = {}
        try:
            examples = list_examples()
        except (OSError, ValueError, KeyError) as exc:  # a broken install: say so, keep going
            examples = []
            self.examples_menu.addAction(f"Examples unavailable: {exc}").setEnabled(False)
        for info in examples:
            act = self.examples_menu.addAction(info.title)
            act.setToolTip(info.description)
            act.setStatusTip(info.description)
            act.triggered.connect(lambda *_, n=info.name: self.open_example(n))
            self.example_actions[info.name] = act
        self.examples_menu.setToolTipsVisible(True)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.setObjectName("exportMenu")
        self.export_menu.setIcon(self._icon("document-export", QStyle.StandardPixmap.SP_ArrowUp))
        self.export_menu.addActions(list(self.export_actions.values()))
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        c = self.canvas
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        edit.addActions(
            [self.cut_action, c.copy_action, c.paste_action, c.duplicate_action, c.delete_action]
        )
        edit.addSeparator()
        edit.addAction(c.select_all_action)

        view = bar.addMenu("&View")
        view.addActions([c.fit_action, c.tidy_action])
        view.addSeparator()
        view.addActions([self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action])
        view.addSeparator()
        panels = view.addMenu("&Panels")
        for dock in (
            self.palette_dock,
            self.problems_dock,
            self.inspector_dock,
            self.dataset_dock,
            self.training_dock,
            self.plots_dock,
        ):
            panels.addAction(dock.toggleViewAction())
        self.clear_runs_action = view.addAction("Clear Earlier Runs")
        self.clear_runs_action.triggered.connect(self.loss_plot.clear_history)

        train = bar.addMenu("&Train")
        train.addActions([self.train_action, self.pause_action, self.step_action, self.stop_action])
        train.addSeparator()
        train.addAction(self.reset_action)
        train.addSeparator()
        train.addActions(self.insight.actions)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

        tools = self.addToolBar("Main")
        tools.setObjectName("mainToolBar")
        tools.setIconSize(QSize(18, 18))
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools.addActions([self.new_action, self.open_action, self.save_action])
        tools.addSeparator()
        tools.addActions([self.undo_action, self.redo_action])
        tools.addSeparator()
        tools.addActions([self.train_action, self.pause_action, self.stop_action])
        tools.addSeparator()
        tools.addAction(c.fit_action)

    def _build_status_bar(self) -> None:
        self.params_label = QLabel(self)
        self.params_label.setObjectName("paramsLabel")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("stateLabel")
        bar = self.statusBar()
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
        self.palette_widget.layer_activated.connect(lambda t: self.canvas.add_layer(t))
        self.problems.itemClicked.connect(self._on_problem_clicked)
        self.problems.itemActivated.connect(self._on_problem_clicked)
        self.dataset_panel.dataset_changed.connect(self._on_dataset_chosen)
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
        self.controller.notice.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.controller.error.connect(self.show_error)
        self._on_training_state("idle")

    # ------------------------------------------------------------------ projects
    def new_project(self) -> bool:
        """A blank canvas with an Input and an Output that fit the current data set."""
        if not self.maybe_save("starting a new project"):
            return False
        key, params, seed = self.document.dataset_choice()
        project = Project(
            graph=self.document.starter_graph(),
            dataset_key=key,
            dataset_params=params,
            dataset_seed=seed,
            config=self._panel_config(),
            name="Untitled",
        )
        self.load_project(project, None, None)
        self.statusBar().showMessage(
            "New project: drag layers from the left between the Input and the Output.", 8000
        )
        return True

    def open_dialog(self) -> bool:
        start = str(self.document.path.parent) if self.document.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, OPEN_FILTER)
        return bool(path) and self.open_file(path)

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Open a project file; a file that cannot be read is refused (and left untouched)."""
        if ask and not self.maybe_save("opening another project"):
            return False
        path = Path(path)
        if path.suffix.lower() == ".onnx":
            return self.open_onnx(path)
        try:
            project, weights = load_project(path)
            if not self.load_project(project, path, weights):
                return False
        except ProjectError as exc:
            self.show_error(
                "Cannot open project", f"{path.name} could not be opened: {exc}", critical=True
            )
            return False
        self.settings.add_recent_file(path)
        self._fill_recent_menu()
        if project.notices:
            notes = [n[:1].upper() + n[1:] + "." for n in project.notices]
            self.show_error(f"Opened {path.name} with a problem", "\n".join(notes))
        self.statusBar().showMessage(f"Opened {path.name}", 6000)
        return True

    def open_onnx(self, path: Path) -> bool:
        """An ONNX model as a new, unsaved project (Save asks where); refused whole if any
        operator has no layer, leaving the open project as it was."""
        try:
            opened = project_from_onnx(path)
            if not self.load_project(opened.project, None, opened.weights):
                return False
        except (OnnxImportError, ProjectError) as exc:
            self.show_error("Cannot open ONNX model", str(exc), critical=True)
            return False
        self.settings.add_recent_file(path)
        self._fill_recent_menu()
        self.statusBar().showMessage(opened.message, 20000)
        return True

    def open_example(self, name: str, ask: bool = True) -> bool:
        if ask and not self.maybe_save("opening an example"):
            return False
        try:
            project = load_example(name)
            if not self.load_project(project, None, None):
                return False
        except (ExampleError, ProjectError, OSError) as exc:
            self.show_error("Cannot open example", f"The example could not be opened: {exc}")
            return False
        self.statusBar().showMessage(f"Opened the example “{project.name}”. Press Train.", 8000)
        return True

    def load_project(self, project: Project, path: Path | None, weights: Any) -> bool:
        """Show ``project`` in this window (the current run, if any, is stopped first).

        A transaction: should showing it fail half way (a view refusing a value the file
        checks let through), the previous project is shown again, marked modified so that
        nothing is lost, and ``ProjectError`` says why. The window is never left half-loaded.

        A data set that is not built yet (digits: importing scikit-learn takes seconds; a big
        CSV file) is built in the background first, the window live meanwhile, with progress
        and Cancel in the status bar. Returns False when the person cancelled that.
        """
        key, params, seed = project.dataset_key, project.dataset_params, project.dataset_seed
        if needs_background(key, params) and DATASETS_CACHE.peek(key, params, seed) is None:

            def build(job: Job) -> Any:
                try:
                    return DATASETS_CACHE.get(key, params, seed)
                except ValueError:  # the document shows the reason next to the data set
                    return None

            outcome = self.jobs.run_waiting(f"Loading the data of “{project.name}”", build, "open")
            if outcome.cancelled:
                self.statusBar().showMessage(f"Opening “{project.name}” was cancelled", 6000)
                return False
            if outcome.error:  # an unexpected failure: the document will name it too
                self.statusBar().showMessage(f"The data set failed: {outcome.error}", 8000)
        self._load_now(project, path, weights)
        return True

    def _load_now(self, project: Project, path: Path | None, weights: Any) -> None:
        """The transaction of :meth:`load_project`, once the data set is at hand."""
        doc = self.document
        previous = (doc.to_project(self._panel_config()), doc.path, self.controller.weights())
        was_modified = doc.modified
        try:
            self._show_project(project, path, weights)
        except Exception as exc:  # noqa: BLE001 - a transaction boundary: undo, then report
            self._show_project(*previous)
            if was_modified:
                doc.undo_stack.resetClean()
            raise ProjectError(f"it could not be shown ({type(exc).__name__}: {exc})") from exc

    def _show_project(self, project: Project, path: Path | None, weights: Any) -> None:
        self.controller.stop()
        self.controller.forget()
        self.controller.history.restore(list(project.runs))
        doc = self.document
        doc.load(project, path, weights)
        self._loading_settings = True
        try:
            self.training_panel.apply_settings(project.config.to_dict())
        finally:
            self._loading_settings = False
        doc.settings_saved(self.training_panel.settings())  # as the panel shows them
        if self.dataset_panel.set_dataset(doc.dataset_key, doc.dataset_params, doc.dataset_seed):
            doc.dataset_params = self.dataset_panel.params()  # fill in defaults, quietly
        elif self.dataset_panel.locate_button.isVisibleTo(self.dataset_panel):
            self.dataset_dock.raise_()  # a moved data file: show where to locate it
        self.validate()
        self.refresh_code()
        self._update_title()
        QTimer.singleShot(0, self.canvas.fit_to_view)

    def maybe_save(self, doing: str = "closing") -> bool:
        """Ask about unsaved changes: True to go on (saved or discarded), False to cancel."""
        if not self.document.modified:
            return True
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"{self.document.display_name} has unsaved changes. Save them before {doing}?",
            buttons,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        doc = self.document
        start = str(doc.path) if doc.path else str(Path.home() / f"{_safe_stem(doc.name)}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", start, PROJECT_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        path = Path(path)
        project = self.document.to_project(self._panel_config())
        project.runs = list(self.controller.runs_table.runs)
        try:
            save_project(project, path, weights=self.controller.weights())
        except (ProjectError, OSError, RuntimeError) as exc:
            self.show_error(
                "Cannot save project", f"The project was not saved: {_reason(exc)}", True
            )
            return False
        self.document.mark_saved(path)
        self.document.settings_saved(self.training_panel.settings())
        self.settings.add_recent_file(path)
        self._fill_recent_menu()
        self.statusBar().showMessage(f"Saved {path.name}", 6000)
        return True

    def _panel_config(self) -> TrainingConfig:
        doc = self.document
        try:
            return TrainingConfig(
                **self.training_panel.settings(),
                seed=int(doc.config.seed),
                device=doc.config.device,
            ).validate()
        except ValueError:
            return doc.config

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.settings.recent_files()
        for path in paths:
            act = self.recent_menu.addAction(Path(path).name)
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda *_, p=path: self.open_file(p))
        if paths:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction("Clear List")
            clear.triggered.connect(self._clear_recent)
        else:
            self.recent_menu.addAction("No recent projects").setEnabled(False)

    def _clear_recent(self) -> None:
        self.settings.clear_recent_files()
        self._fill_recent_menu()

    # ------------------------------------------------------------------ weights
    def export_dialog(self, fmt_key: str) -> list[Path]:
        fmt = EXPORT_FORMATS[fmt_key]
        doc = self.document
        folder = doc.path.parent if doc.path else Path.home()
        start = str(folder / f"{_safe_stem(doc.path.stem if doc.path else doc.name)}{fmt.suffix}")
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt.description}", start, f"{fmt.description} (*{fmt.suffix})"
        )
        if not path:
            return []
        path = Path(path)
        if path.suffix != fmt.suffix:
            path = path.with_name(path.name + fmt.suffix)
        title = _safe_stem(doc.path.stem if doc.path else doc.name)
        try:
            # A copy of the weights in a model of its own: exporting never races a step.
            model = self.controller.model_copy()
            if model is None:
                return []
            dataset = doc.dataset  # its preprocessing goes inside the exported model
            pre = dataset.preprocessing if dataset is not None else None
            files = export_model(
                model, path, fmt_key, title, preprocessing=pre, experiment=self._experiment()
            )
        except (ExportError, WeightsError, OSError, ValueError, RuntimeError) as exc:
            self.show_error("Export failed", f"The model was not exported: {_reason(exc)}", True)
            return []
        names = ", ".join(p.name for p in files)
        self.statusBar().showMessage(f"Exported {names}", 8000)
        return list(files)

    def _experiment(self) -> Experiment:
        """The project as the panel shows it, its data set, its runs table and the last
        run's lr changes (what the PyTorch training script reproduces)."""
        snapshot = self.controller.last_snapshot
        changes = list(snapshot.lr_changes) if snapshot is not None else []
        project = replace(
            self.document.to_project(),
            config=self._panel_config(),
            runs=list(self.controller.runs_table.runs),
        )
        return Experiment(project, self.document.dataset, changes)

    def import_weights_dialog(self) -> bool:
        start = str(self.document.path.parent) if self.document.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", start, WEIGHTS_FILTER)
        return bool(path) and self.import_weights_file(path)

    def import_weights_file(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            keys = self.controller.import_weights(path)
        except (WeightsError, ExportError, OSError, ValueError, RuntimeError) as exc:
            self.show_error(
                "Cannot import weights", f"{path.name} was not loaded: {_reason(exc)}", True
            )
            return False
        if keys is None:
            return False
        self.statusBar().showMessage(f"Imported {len(keys)} tensors from {path.name}", 8000)
        self._check_imported_preprocessing(path)
        return True

    def _check_imported_preprocessing(self, path: Path) -> None:
        """Say so when imported weights were trained on differently scaled inputs."""
        dataset = self.document.dataset
        try:
            recorded = read_preprocessing(path)
        except (WeightsError, OSError):
            return
        if recorded is None or dataset is None or recorded.same_as(dataset.preprocessing):
            return
        self.show_error(
            "Different preprocessing",
            f"{path.name} was trained on inputs scaled differently from this data set's "
            f"({recorded.describe()}); its predictions here will be off until it is retrained.",
        )

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
        ds = doc.dataset
        self.accuracy_plot.setVisible(ds is not None and ds.kind == "classification")
        self._validate_timer.start()
        self._code_timer.start()

    # ------------------------------------------------------------------ validation
    def validate(self) -> Any:
        """Analyse the graph against the data set; feed the canvas, problems and status bar."""
        self._validate_timer.stop()
        doc = self.document
        report = analyse(doc.graph, doc.data_spec())
        self.report = report
        self.canvas.set_report(report)
        self.problems.clear()
        reasons = {} if doc.dataset is None else unadapted_reasons(doc.graph, doc.dataset, report)
        for problem in report.problems:
            text = problem.message
            if problem.node_id in reasons:  # say why the app did not fix it itself
                text = f"{text}. {reasons.pop(problem.node_id)}"
            item = QListWidgetItem(
                self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), text
            )
            item.setData(Qt.ItemDataRole.UserRole, problem.node_id)
            item.setData(Qt.ItemDataRole.UserRole + 1, problem.fix)
            item.setToolTip(text)
            self.problems.addItem(item)
        if doc.dataset is None and doc.dataset_error:
            self.problems.addItem(f"Data set: {doc.dataset_error}")
        if self.problems.count() == 0:
            ok = QListWidgetItem(
                self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                "No problems: the network is ready to train.",
            )
            ok.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.problems.addItem(ok)
        self._offer_fix(next((p for p in report.problems if p.fix == "remove"), None))
        self.inspector.set_report(report)
        n = len(report.problems)
        self.problems_dock.setWindowTitle(f"Problems ({n})" if n else "Problems")
        self.params_label.setText(
            f"{format_count(report.total_params)} parameters · "
            f"{format_count(report.total_macs)} multiply-adds per sample"
        )
        outputs = [nd for nd in doc.graph.nodes.values() if nd.type == "Output"]
        if outputs:
            self.training_panel.set_loss_name(str(outputs[0].params.get("loss", "")))
        return report

    def _offer_fix(self, problem: Any) -> None:
        node = None if problem is None else self.document.graph.nodes.get(problem.node_id)
        self._fix_node = None if node is None else node.id
        if node is not None:
            self.problem_fix.setText(f"Remove {node.type} '{node.name}'")
            self.problem_fix.setToolTip(problem.message)
        self.problem_fix.setVisible(node is not None)

    def apply_problem_fix(self) -> None:
        """Remove the node the offered fix names, wiring around it (one undo step)."""
        if self._fix_node is not None:
            self.document.editor.remove_bridging(self._fix_node)
            self.validate()

    def _on_problem_clicked(self, item: QListWidgetItem) -> None:
        fix = item.data(Qt.ItemDataRole.UserRole + 1)
        if fix == "remove":
            self._offer_fix(
                next(
                    (
                        p
                        for p in self.report.problems
                        if p.node_id == item.data(Qt.ItemDataRole.UserRole)
                    ),
                    None,
                )
            )
        node_id = item.data(Qt.ItemDataRole.UserRole)
        if node_id and node_id in self.document.graph.nodes:
            self.canvas.select_nodes([node_id])
            node_item = self.canvas.node_items.get(node_id)
            if node_item is not None:
                self.canvas.centerOn(node_item)

    def refresh_code(self) -> str:
        """Regenerate the PyTorch code tab, or say why there is none."""
        self._code_timer.stop()
        doc = self.document
        if doc.dataset is None:
            code = f"# No code yet: the data set cannot be built.\n# {doc.dataset_error}\n"
        else:
            title = _safe_stem(doc.path.stem if doc.path else doc.name)
            # from the shapes alone: building the model would allocate every weight
            report = analyse(doc.graph, doc.dataset.data_spec())
            try:
                if report.ok:
                    code = torch_code(code_plan(doc.graph, report), None, title)
                else:
                    lines = "\n".join(f"#   - {p.message}" for p in report.problems)
                    code = f"# No code yet: the network is not valid.\n#\n{lines}\n"
            except ExportError as exc:
                code = f"# This network cannot be written as PyTorch code: {exc}\n"
        self.code_view.set_code(code)
        return code

    # ------------------------------------------------------------------ training state
    def _on_training_state(self, state: str) -> None:
        active = state in ("running", "paused")
        self.train_action.setEnabled(not active or state == "paused")
        self.pause_action.setEnabled(active)
        self.pause_action.setText("&Resume" if state == "paused" else "&Pause")
        self.stop_action.setEnabled(active)
        self.step_action.setEnabled(state != "running")
        labels = {
            "idle": "Ready",
            "running": "Training…",
            "paused": "Paused",
            "finished": "Finished",
            "stopped": "Stopped",
            "diverged": "Diverged",
            "failed": "Failed",
        }
        self.state_label.setText(labels.get(state, state))

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
        QMessageBox.about(
            self,
            "About NeuroCanvas",
            f"<h3>NeuroCanvas {__version__}</h3>"
            "<p>Build neural networks by drag-and-drop and watch them learn.</p>"
            "<p>Training runs on NeuroCanvas's own NumPy engine, which follows PyTorch's API; "
            "File ▸ Export writes safetensors, NumPy, ONNX or PyTorch code.</p>",
        )

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
        if geometry is None or state is None:
            return False
        if not self.restoreState(state, LAYOUT_VERSION):
            return False
        self.restoreGeometry(geometry)
        available = self.screen().availableGeometry()
        if self.width() > available.width() or self.height() > available.height():
            self.resize(default_window_size(available.size()))
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

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.maybe_save("closing"):
            event.ignore()
            return
        self.controller.shutdown()
        self.insight.shutdown()
        self.jobs.cancel()  # a data set still loading must not open into a closed window
        self.settings.save_window(self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        event.accept()


def _safe_stem(name: str) -> str:
    """A file-name friendly version of a project title ("Fit any curve" -> "fit-any-curve")."""
    out = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.strip().lower())
    return "-".join(part for part in out.split("-") if part) or "network"


def _reason(exc: BaseException) -> str:
    """The plain sentence of an error; OSError's str() starts with "[Errno 13]"."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror.lower()}{where}"
    return str(exc) or exc.__class__.__name__
