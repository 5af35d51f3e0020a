"""The open project: graph, data set, training settings, weights, file path and modified flag.

One ``Graph`` object lives as long as the window: opening a file reloads it in place
(``Graph.load_dict`` announces "reset"), so the canvas and inspector, which listen to it, never
need rebuilding. Whether the project is modified is the undo stack's clean state, so undoing
back to the saved state clears the marker just as a text editor does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from neurocanvas.app.background import DATASETS_CACHE
from neurocanvas.app.commands import AddNodeCommand, SetParamCommand
from neurocanvas.app.editor import GraphEditor
from neurocanvas.core.datasets import DATASETS, Preprocessing
from neurocanvas.core.io.project import Project
from neurocanvas.core.network.catalogue import get_layer
from neurocanvas.core.network.fitting import fit_edits, fit_input_shapes, fitted_params
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.training import TrainingConfig

DatasetChoice = tuple[str, dict, int]  # (key, params, seed)


class Document(QObject):
    """Everything that is saved in a ``.ncproj`` file, plus where it was saved.

    Signals
    -------
    modified_changed(bool)
        The project differs (or no longer differs) from the file.
    path_changed(object)
        The file path changed (Save As, Open); ``None`` for a new project.
    dataset_changed()
        ``dataset`` was rebuilt (a new choice, a new project, or undo/redo of a change).
    """

    modified_changed = Signal(bool)
    path_changed = Signal(object)
    dataset_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = Graph()
        # The one way edits enter the graph; an Input or Output added on the canvas arrives
        # fitted to the data set (widgets know nothing about the data set).
        self.editor = GraphEditor(self.graph, self, prepare_add=self.fit_new_node)
        self.undo_stack = self.editor.undo_stack
        self.path: Path | None = None
        self.name = "Untitled"
        self.dataset_key = "sine"
        self.dataset_params: dict[str, Any] = {}
        self.dataset_seed = 0
        self.dataset: Any = None
        self.dataset_error = ""
        self.config = TrainingConfig()
        self.view: dict[str, Any] = {}
        self.weights: dict[str, np.ndarray] | None = None  # read from the file, not yet used
        # Training settings are not graph edits (no undo), so they count as a change on
        # their own: modified while they differ from the saved ones.
        self.saved_settings: dict[str, Any] = {}
        self.settings_modified = False
        # Trained (reset, imported) weights and new runs are not undoable edits either; they
        # are unsaved work until the next save.
        self.weights_modified = False
        # A bound slot (not a lambda) so Qt drops the connection when the document goes.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(self.modified)

    # -- state ----------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean() or self.settings_modified or self.weights_modified

    def weights_edited(self) -> None:
        """The weights (or the runs) changed since the file was saved: ask before closing."""
        if not self.weights_modified:
            self.weights_modified = True
            self.modified_changed.emit(self.modified)

    def settings_edited(self, settings: dict[str, Any]) -> None:
        """The training panel now shows ``settings``; compare them with the saved ones."""
        was = self.modified
        self.settings_modified = not _same_settings(settings, self.saved_settings)
        if self.modified != was:
            self.modified_changed.emit(self.modified)

    def settings_saved(self, settings: dict[str, Any]) -> None:
        """``settings`` are what the file holds now (after a save or an open)."""
        self.saved_settings = dict(settings)
        self.settings_edited(settings)

    @property
    def display_name(self) -> str:
        return self.path.name if self.path is not None else self.name

    def data_spec(self) -> Any:
        return self.dataset.data_spec() if self.dataset is not None else None

    def dataset_choice(self) -> DatasetChoice:
        return self.dataset_key, dict(self.dataset_params), self.dataset_seed

    # -- loading and saving ----------------------------------------------------------------
    def load(
        self,
        project: Project,
        path: str | Path | None = None,
        weights: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Replace the open project with ``project`` (unmodified, empty undo history)."""
        self.undo_stack.clear()
        self.graph.load_dict(project.graph.to_dict())
        self.name = project.name
        self.config = project.config
        self.view = dict(project.view)
        self.weights = weights
        self.set_path(path)
        self.apply_dataset(
            project.dataset_key,
            project.dataset_params,
            project.dataset_seed,
            preprocessing=stored_preprocessing(project, weights),
        )
        self.load_notes: list[str] = []
        if self.dataset is not None:  # an Input's shape is the data's (see fit_input_shapes)
            self.load_notes = fit_input_shapes(self.graph, self.dataset)
        self.saved_settings = project.config.to_dict()
        self.settings_modified = False
        self.weights_modified = False
        self.undo_stack.setClean()
        self.modified_changed.emit(False)

    def to_project(self, config: TrainingConfig | None = None) -> Project:
        """The project as it would be saved now (``config``: the training panel's settings)."""
        if config is not None:
            self.config = config
        return Project(
            graph=Graph.from_dict(self.graph.to_dict()),
            dataset_key=self.dataset_key,
            dataset_params=dict(self.dataset_params),
            dataset_seed=self.dataset_seed,
            config=self.config,
            view=dict(self.view),
            name=self.name if self.path is None else self.path.stem,
            preprocessing=None if self.dataset is None else self.dataset.preprocessing.to_dict(),
        )

    def set_path(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.path_changed.emit(self.path)

    def mark_saved(self, path: str | Path) -> None:
        self.set_path(path)
        self.weights_modified = False
        self.undo_stack.setClean()
        self.modified_changed.emit(self.modified)

    # -- data set ------------------------------------------------------------------------
    def apply_dataset(
        self,
        key: str,
        params: dict | None,
        seed: int,
        built: Any = None,
        preprocessing: Preprocessing | None = None,
    ) -> bool:
        """Rebuild the data set (or take ``built``, made from the same choice); on failure
        keep the choice and remember why (no exception).

        ``preprocessing``: a stored record to map the data with instead of statistics
        computed from it (see :func:`stored_preprocessing`).

        A project may name a CSV file that has since moved: the project still opens, and the
        data set panel shows the problem next to the file field.
        """
        self.dataset_key, self.dataset_params, self.dataset_seed = key, dict(params or {}), seed
        try:
            # The cache is shared with the data set panel and project loading (built once).
            self.dataset = built or DATASETS_CACHE.get(
                key, self.dataset_params, seed, preprocessing
            )
            self.dataset_error = ""
        except ValueError as exc:
            self.dataset = None
            self.dataset_error = str(exc)
        self.dataset_changed.emit()
        return self.dataset is not None

    def change_dataset(self, key: str, params: dict, seed: int) -> None:
        """Choose a data set as one undoable step that also adapts Input and Output to it.

        Raises
        ------
        EditRefused
            When the network cannot be adapted to the data set (more classes than a layer may
            have outputs): nothing is pushed and nothing changes.
        """
        if (key, dict(params), seed) == self.dataset_choice() and self.dataset is not None:
            return
        try:
            candidate = DATASETS_CACHE.get(key, dict(params), seed)
        except ValueError:
            candidate = None  # the command records the problem for the data set panel
        if candidate is not None:
            check_adaptable(self.graph, candidate)
        title = DATASETS[key].display_name if key in DATASETS else key
        with self.editor.macro(f"Use data set {title}"):
            self.editor.push(ChangeDatasetCommand(self, (key, dict(params), seed), candidate))
            if self.dataset is not None:
                for command in adapt_commands(self.graph, self.dataset):
                    self.editor.push(command)

    def fit_new_node(self, command: AddNodeCommand) -> None:
        """Give an Input or Output that is about to be added the data set's shape and loss.

        The parameters go into the add command itself, so adding and fitting are one undo
        step; parameters the command already names (a paste, a script) are left alone.
        """
        if self.dataset is None or command.layer_type not in ("Input", "Output"):
            return
        params = dict(command.params or {})
        params.update(
            {
                k: v
                for k, v in fitted_params(command.layer_type, self.dataset).items()
                if k not in params
            }
        )
        command.params = params

    def starter_graph(self) -> Graph:
        """What File ▸ New shows: an Input and an Output that fit the current data set."""
        graph = Graph()
        fitted = (
            {}
            if self.dataset is None
            else {t: fitted_params(t, self.dataset) for t in ("Input", "Output")}
        )
        graph.add_node("Input", params=fitted.get("Input"), pos=(0, 0), name="input")
        graph.add_node("Output", params=fitted.get("Output"), pos=(460, 0), name="output")
        return graph


def stored_preprocessing(project: Project, weights: Any) -> Preprocessing | None:
    """The project's saved preprocessing when it comes with saved weights, else None.

    Weights were trained on inputs mapped by that record; statistics recomputed from a data
    file that has changed since would feed them other numbers (the CLI does the same, see
    ``core/cli/_common.load_source``). Without weights the data's own statistics are used.
    """
    if weights is None or not project.preprocessing:
        return None
    return Preprocessing.from_dict(project.preprocessing)


class ChangeDatasetCommand(QUndoCommand):
    """Switch the data set; undo goes back to the previous choice (rebuilt from its seed)."""

    def __init__(self, document: Document, new: DatasetChoice, built: Any = None) -> None:
        super().__init__("Change data set")
        self.document = document
        self.old = document.dataset_choice()
        self.new = new
        self._built = built  # the first redo uses the data set already made for the checks

    def redo(self) -> None:
        built, self._built = self._built, None
        self.document.apply_dataset(*self.new, built=built)

    def undo(self) -> None:
        self.document.apply_dataset(*self.old)


def adapt_commands(graph: Graph, dataset: Any) -> list[QUndoCommand]:
    """Undoable edits that make the graph's ends fit ``dataset`` (rules: ``fit_edits``)."""
    return [
        SetParamCommand(graph, nid, key, value) for nid, key, value in fit_edits(graph, dataset)
    ]


class EditRefused(ValueError):
    """An edit that would break a limit; refused before anything is pushed or changed."""


def check_adaptable(graph: Graph, dataset: Any) -> None:
    """Raise :class:`EditRefused` unless every edit :func:`adapt_commands` would make is legal.

    A data set with 100,000 classes would need a 100,000-wide output layer (the limit is the
    Linear's ``out_features`` range) and a confusion matrix of 10^10 cells; the person hears
    so before the data set is changed, instead of a half-done macro.
    """
    title = f"The data set {getattr(dataset, 'name', '')}".rstrip()
    for node_id, key, value in fit_edits(graph, dataset):
        node = graph.nodes[node_id]
        try:
            get_layer(node.type).param(key).validate(value)
        except ValueError as exc:
            raise EditRefused(
                f"{title} cannot be used with this network: {node.label} would need "
                f"{key} = {value!r}, but {exc}"
            ) from None
    limit = get_layer("Linear").param("out_features").max
    if dataset.kind == "classification" and limit is not None and dataset.n_outputs > limit:
        raise EditRefused(
            f"{title} has {int(dataset.n_outputs):,} classes; a network here has at most "
            f"{int(limit):,} outputs"
        )


def layer_title(graph: Graph, node_id: str) -> str:
    """ "Linear 'linear1'" for messages that name a node."""
    node = graph.nodes[node_id]
    return f"{get_layer(node.type).display_name} '{node.name}'"


def _same_settings(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal on the keys both have; floats within rounding (a slider shows 3 digits)."""
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if isinstance(x, float) or isinstance(y, float):
            if abs(float(x) - float(y)) > 1e-9 * max(abs(float(x)), abs(float(y)), 1e-12):
                return False
        elif x != y:
            return False
    return True
