"""Choose a data set and edit its parameters, with a small preview.

The editors are built from the data set registry (``core.datasets.DATASETS``) by
``param_editors.editor_for``, the same per-kind editors the inspector uses, so a new data set
needs no GUI code. Every change is tried with
``make_dataset``; a ``DatasetError`` is shown inline next to the field it names and nothing
is emitted, so the rest of the app only ever hears about data sets that can be built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.core.datasets import PATH_PARAMS, DatasetError
from neurocanvas.widgets.dataset_preview import DatasetPreview
from neurocanvas.widgets.param_editors import ALL_FILES, ParamEditor, editor_for

__all__ = ["BackgroundBuilds", "DatasetPanel"]

# Which files a path parameter expects, by data set key (the registry only says "str").
FILE_FILTERS = {
    "csv": "CSV files (*.csv *.txt);;All files (*)",
    "mnist": "IDX files (*idx* *.gz *ubyte);;All files (*)",
}


class BackgroundBuilds(Protocol):
    """How the panel builds data sets that would freeze the window (the app's job runner)."""

    def slow(self, key: str, params: dict, seed: int) -> bool:
        """Whether building this choice may take long (and it is not built yet)."""
        ...

    def start(
        self,
        label: str,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None],
        cancelled: Callable[[], None],
    ) -> None:
        """Run ``work()`` off the GUI thread with progress and Cancel; one of the callbacks
        follows in the GUI thread (``cancelled`` too when a newer start replaced it)."""
        ...

    def cancel(self) -> None:
        """Drop the build in progress, if any (its ``cancelled`` follows)."""
        ...


class DatasetPanel(QWidget):
    """Data set chooser, parameter editors, seed, inline errors and a preview.

    Signals
    -------
    dataset_changed(str, dict)
        Data set key and its full parameters, after a change that builds without error.
        The seed is read with :meth:`seed`, the built data set with :meth:`dataset`.
    """

    dataset_changed = Signal(str, dict)

    def __init__(
        self,
        registry: Mapping[str, Any] | None = None,
        factory: Callable[..., Any] | None = None,
        parent: QWidget | None = None,
        background: BackgroundBuilds | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        if registry is None or factory is None:
            from neurocanvas.core.datasets import DATASETS, make_dataset

            registry = registry if registry is not None else DATASETS
            factory = factory if factory is not None else make_dataset
        self.registry = registry
        self.factory = factory
        self.background = background
        self._building: object | None = None  # the background build still wanted
        self.editors: dict[str, ParamEditor] = {}
        self._dataset: Any = None
        self._emitted: tuple[str, dict, int] | None = None
        # The last set_dataset call that built, what the fields said then and the data set:
        # opening a project sets the same choice twice (the document's signal, the window).
        self._set_last: tuple[Any, ...] | None = None

        self.combo = QComboBox()
        self.combo.setObjectName("datasetCombo")
        for key, info in registry.items():
            self.combo.addItem(info.display_name, key)
            self.combo.setItemData(self.combo.count() - 1, info.help, Qt.ItemDataRole.ToolTipRole)
        self.help_label = QLabel()
        self.help_label.setWordWrap(True)
        self.help_label.setObjectName("datasetHelp")
        self.help_label.setEnabled(False)  # the disabled colour reads as secondary text
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("datasetSeed")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("Random seed: the same seed gives the same samples")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.error_label = QLabel()
        self.error_label.setObjectName("datasetError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d55e00;")
        self.error_label.hide()
        # A data file that is not where the project says (a moved folder, a colleague's
        # machine): offer to find it rather than only saying so.
        self.locate_button = QPushButton("Locate the file…")
        self.locate_button.setObjectName("datasetLocate")
        self.locate_button.clicked.connect(self.locate_missing_file)
        self.locate_button.hide()
        self._missing_param: str | None = None
        self.notes_label = QLabel()
        self.notes_label.setObjectName("datasetNotes")
        self.notes_label.setWordWrap(True)
        self.notes_label.setEnabled(False)
        self.notes_label.hide()
        self.summary_label = QLabel()
        self.summary_label.setObjectName("datasetSummary")
        self.preview = DatasetPreview()

        top = QFormLayout()
        top.addRow("Data set", self.combo)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.help_label)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.locate_button)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.preview, 1)
        layout.addStretch(0)

        # Spin boxes fire once per arrow click; a short pause coalesces a burst into one build.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.validate_now)
        self.combo.currentIndexChanged.connect(self._on_dataset_chosen)
        self.seed_spin.valueChanged.connect(self._schedule)
        self.set_dataset(self.combo.currentData())

    # -- public ---------------------------------------------------------------------------
    def key(self) -> str:
        return self.combo.currentData()

    def params(self) -> dict[str, Any]:
        """The parameters as entered; ValueError if a field's text cannot be parsed."""
        return {name: editor.value() for name, editor in self.editors.items()}

    def seed(self) -> int:
        return self.seed_spin.value()

    def dataset(self) -> Any:
        """The last data set that was built without error (None before any)."""
        return self._dataset

    def error(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def locate_missing_file(self) -> bool:
        """Ask for the missing data file (a file dialog) and try again with it."""
        param = self._missing_param
        if param is None or param not in self.editors:
            return False
        current = str(self.editors[param].value() or "")
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"Locate {Path(current).name or 'the data file'}",
            str(Path(current).parent) if current else "",
            FILE_FILTERS.get(self.key(), ALL_FILES),
        )
        if not path:
            return False
        self.editors[param].set_value(path)
        return self.validate_now()

    def set_dataset(self, key: str, params: dict | None = None, seed: int | None = None) -> bool:
        """Show data set ``key`` with ``params`` (e.g. from a project) without emitting.

        Returns True when it builds; otherwise the error is shown inline.
        """
        i = self.combo.findData(key)
        if i < 0:
            raise KeyError(f"unknown data set {key!r}; choose one of: {', '.join(self.registry)}")
        call = (key, dict(params or {}), seed)
        last = self._set_last
        if last is not None and last[2] is self._dataset and last[:2] == (call, self._showing()):
            return True  # built and shown as asked, untouched since: nothing to redo
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(i)
        self.combo.blockSignals(False)
        self._build_editors(key)
        for name, value in (params or {}).items():
            if name in self.editors:
                self.editors[name].set_value(value)
        if seed is not None:
            self.seed_spin.blockSignals(True)
            self.seed_spin.setValue(int(seed))
            self.seed_spin.blockSignals(False)
        self._drop_building()  # a build still running for an earlier choice is not wanted
        ok = self._try_build()
        if ok:
            self._emitted = (self.key(), self.params(), self.seed())
        self._set_last = (call, self._showing(), self._dataset) if ok else None
        return ok

    def _showing(self) -> tuple[Any, ...] | None:
        """What the fields say now (None while building or unreadable)."""
        if self._building is not None:
            return None
        try:
            return (self.key(), self.params(), self.seed(), self.error())
        except ValueError:
            return None

    def validate_now(self) -> bool:
        """Build the current choice; emit ``dataset_changed`` when it is new and valid.

        A data set that takes long to build (see ``BackgroundBuilds.slow``) is built in the
        background: this returns True at once and the signal follows when it is ready; a
        Cancel (or another choice meanwhile) drops it and shows the last data set again.
        """
        self._debounce.stop()
        self._drop_building()
        try:
            params = self._read_params()
        except ValueError as exc:
            self._show_error(exc)
            return False
        choice = (self.key(), params, self.seed())
        if self.background is not None and self.background.slow(*choice):
            self._build_in_background(choice)
            return True
        return self._accept(choice, self._attempt(choice))

    def building(self) -> bool:
        """True while a data set chosen here is being built in the background."""
        return self._building is not None

    # -- building --------------------------------------------------------------------------
    def _drop_building(self) -> None:
        if self._building is not None:
            self._building = None  # first: its ``cancelled`` must not show anything
            if self.background is not None:
                self.background.cancel()

    def _attempt(self, choice: tuple[str, dict, int]) -> Any:
        """The built data set, or the ValueError (a DatasetError names its field) it raised."""
        key, params, seed = choice
        try:
            return self.factory(key, dict(params), seed=seed)
        except ValueError as exc:  # DatasetError is a ValueError; so are bad spec values
            return exc

    def _accept(self, choice: tuple[str, dict, int], result: Any) -> bool:
        if isinstance(result, ValueError):
            self._show_error(result)
            return False
        self._show_built(result)
        if choice != self._emitted:
            self._emitted = choice
            self.dataset_changed.emit(choice[0], dict(choice[1]))
        return True

    def _build_in_background(self, choice: tuple[str, dict, int]) -> None:
        assert self.background is not None
        token = object()
        self._building = token
        title = getattr(self.registry.get(choice[0]), "display_name", choice[0])
        self.summary_label.setText(f"Building {title}…")

        def done(result: Any) -> None:
            if self._building is token:
                self._building = None
                self._accept(choice, result)

        def failed(message: str) -> None:  # an unexpected error: said where the data set is
            done(DatasetError(message))

        def cancelled() -> None:
            if self._building is token:  # the person pressed Cancel: show what is in use
                self._building = None
                if self._emitted is not None:
                    self.set_dataset(*self._emitted)

        self.background.start(
            f"Building {title}", lambda: self._attempt(choice), done, failed, cancelled
        )

    # -- internals ------------------------------------------------------------------------
    def _on_dataset_chosen(self, *_: Any) -> None:
        self._build_editors(self.key())
        self.validate_now()

    def _schedule(self, *_: Any) -> None:
        self._debounce.start()

    def _build_editors(self, key: str) -> None:
        # The seed box outlives the data set. ``removeRow`` deletes a row's widgets, so take
        # the seed's row out first (found by widget, wherever it is; a subclass may already
        # have taken it), then delete the data set's own rows.
        if self.form.indexOf(self.seed_spin) >= 0:
            taken = self.form.takeRow(self.seed_spin)
            label = taken.labelItem.widget() if taken.labelItem is not None else None
            if label is not None:
                label.hide()  # deleteLater waits for the event loop; don't show it till then
                label.deleteLater()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        info = self.registry[key]
        self.help_label.setText(info.help)
        for spec in info.params:
            editor = editor_for(spec, file_filter=FILE_FILTERS.get(key, ALL_FILES))
            # Spin boxes fire per arrow click: wait for the burst; other edits are final.
            editor.edited.connect(self._schedule if editor.bursty else self.validate_now)
            label = QLabel(spec.label or spec.name)
            label.setToolTip(spec.help)
            self.form.addRow(label, editor)
            self.editors[spec.name] = editor
        self.form.addRow("Seed", self.seed_spin)

    def _try_build(self) -> bool:
        """Build the current choice now (in this thread) and show it or its error."""
        try:
            choice = (self.key(), self._read_params(), self.seed())
        except ValueError as exc:
            self._show_error(exc)
            return False
        result = self._attempt(choice)
        if isinstance(result, ValueError):
            self._show_error(result)
            return False
        self._show_built(result)
        return True

    def _show_error(self, exc: ValueError) -> None:
        for editor in self.editors.values():
            editor.set_error(False)
        param = getattr(exc, "param", None)
        if param in self.editors:
            self.editors[param].set_error(True)
        message = getattr(exc, "message", None) or str(exc)
        self.error_label.setText(message)
        self.error_label.show()
        missing = param in PATH_PARAMS and "not found" in message
        self._missing_param = param if missing else None
        self.locate_button.setVisible(missing)
        self.notes_label.hide()
        if self._dataset is not None:
            self._show_summary(self._dataset)

    def _show_built(self, ds: Any) -> None:
        for editor in self.editors.values():
            editor.set_error(False)
        self.error_label.hide()
        self.error_label.setText("")
        self._missing_param = None
        self.locate_button.hide()
        notes = list(getattr(ds, "notes", []) or [])
        self.notes_label.setText("\n".join(notes))
        self.notes_label.setVisible(bool(notes))
        self._dataset = ds
        self._show_summary(ds)
        self.preview.show_dataset(ds)

    def _read_params(self) -> dict[str, Any]:
        """``params()``, but unparsable text raises a DatasetError naming its field."""
        values = {}
        for name, editor in self.editors.items():
            try:
                values[name] = editor.value()
            except ValueError as exc:  # named as the builder names a field, to outline it
                raise DatasetError(str(exc), name) from None
        return values

    def _show_summary(self, ds: Any) -> None:
        shape = "×".join(str(s) for s in ds.input_shape)
        target = (
            f"{ds.n_outputs} classes" if ds.kind == "classification" else f"{ds.n_outputs} output"
        )
        self.summary_label.setText(
            f"{len(ds.x_train):,} train · {len(ds.x_val):,} validation · input {shape} · {target}"
        )
