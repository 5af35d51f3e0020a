"""Project files in the main window: new, open, save, recent files, export and import.

A mixin of :class:`~neurocanvas.app.main_window.MainWindow` (it uses the window's document,
controller, panels and message boxes): the file commands are one seam of the window, kept in
a file of their own so the window's construction stays readable. Every failure a person can
cause (a corrupt file, a folder without write permission) ends in a message box with a plain
sentence, never a traceback.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from neurocanvas.app.autosave import discard, find_recoverable, load_recoverable
from neurocanvas.app.background import DATASETS_CACHE, Job, needs_background
from neurocanvas.app.document import stored_preprocessing
from neurocanvas.app.heap import preload
from neurocanvas.core.io.examples import ExampleError, load_example
from neurocanvas.core.io.export import (
    EXPORT_FORMATS,
    Experiment,
    ExportError,
    WeightsError,
    export_model,
    read_preprocessing,
)
from neurocanvas.core.io.export_targets import export_files, own_file_refusal, own_files
from neurocanvas.core.io.onnx_import import OnnxImportError, project_from_onnx
from neurocanvas.core.io.project import SUFFIX, Project, ProjectError, load_project, save_project
from neurocanvas.core.training import TrainingConfig

PROJECT_FILTER = f"NeuroCanvas projects (*{SUFFIX});;All files (*)"
OPEN_FILTER = (
    f"Projects and ONNX models (*{SUFFIX} *.onnx);;NeuroCanvas projects (*{SUFFIX});;"
    "ONNX models (*.onnx);;All files (*)"
)
WEIGHTS_FILTER = "Weights (*.safetensors *.npz);;All files (*)"


class ProjectFilesMixin:
    """File commands of the main window (mixed into ``MainWindow``, a QMainWindow)."""

    def offer_recovery(self, data_dir: Path) -> bool:
        """Offer the autosaves of sessions that crashed; True when one was opened.

        One question for all of them, about the newest: "Discard" deletes every autosave
        found; after a recovery (or a refusal to read one) the older ones are offered at the
        next start. A recovered project opens as modified (Save writes it back to the file it
        came from, if any).
        """
        found = find_recoverable(data_dir)
        if not found:
            return False
        older = len(found) - 1
        more = (
            f"\n\n{older} older autosave{'s' if older > 1 else ''} from other sessions "
            f"{'are' if older > 1 else 'is'} kept for the next start; Discard deletes "
            f"{'both' if older == 1 else f'all {len(found)}'}."
            if older
            else ""
        )
        item = found[0]
        answer = QMessageBox.question(
            self,
            "Recover unsaved work?",
            f"NeuroCanvas did not close properly. Recover {item.describe()}?{more}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            for each in found:
                discard(each)
            return False
        try:
            project, weights = load_recoverable(item)
        except ProjectError as exc:
            self.show_error("Cannot recover", f"The autosave could not be read: {exc}")
            discard(item)
            return False
        source = item.source if item.source and item.source.suffix == SUFFIX else None
        if not self.load_project(project, source, weights):
            return False  # cancelled while its data loaded: the autosave stays
        self.document.undo_stack.resetClean()  # not saved anywhere yet: modified
        discard(item)
        self.autosaver.save_now()  # this session's own autosave from now on
        self.statusBar().showMessage(f"Recovered {item.describe()}.", 10000)
        return True

    def new_project(self) -> bool:
        """A blank canvas with an Input and an Output that fit the current data set.

        Training settings start from their defaults (PyTorch's where there is one), not from
        the last project's: a new project should not inherit a learning rate tuned elsewhere.
        """
        if not self.maybe_save("starting a new project"):
            return False
        key, params, seed = self.document.dataset_choice()
        project = Project(
            graph=self.document.starter_graph(),
            dataset_key=key,
            dataset_params=params,
            dataset_seed=seed,
            config=TrainingConfig(device=self.document.config.device),
            name="Untitled",
        )
        self.load_project(project, None, None)
        self.statusBar().showMessage(
            "New project: drag layers from the left between the Input and the Output.", 8000
        )
        return True

    def open_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open project", str(self.open_folder()), OPEN_FILTER
        )
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
        stored = stored_preprocessing(project, weights)
        if needs_background(key, params) and DATASETS_CACHE.peek(key, params, seed, stored) is None:

            def build(job: Job) -> Any:
                try:
                    return DATASETS_CACHE.get(key, params, seed, stored)
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

    def default_folder(self) -> Path:
        """Where every Save and Export dialog starts: the project's folder, else the user's
        documents folder (Qt's per-platform answer), else home."""
        if self.document.path is not None:
            return self.document.path.parent
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(docs) if docs and Path(docs).is_dir() else Path.home()

    def open_folder(self) -> Path:
        """Where File > Open starts: the project's folder, else that of the last project
        opened or saved (an example is open after saving one elsewhere), else
        :meth:`default_folder`."""
        if self.document.path is None:
            for recent in self.settings.recent_files():
                if Path(recent).parent.is_dir():
                    return Path(recent).parent
        return self.default_folder()

    def maybe_save(self, doing: str = "closing") -> bool:
        """Ask about unsaved changes: True to go on (saved or discarded), False to cancel."""
        running = self.controller.is_active()  # a run's weights are not saved until it ends
        if not (self.document.modified or running):
            return True
        what = (
            f"{self.document.display_name} is training: its weights so far are not saved"
            if running and not self.document.modified
            else f"{self.document.display_name} has unsaved changes"
        )
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"{what}. Save them before {doing}?",
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
        start = str(doc.path or self.default_folder() / f"{safe_stem(doc.name)}{SUFFIX}")
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
        self.document.name = path.stem  # the project is called what its file is called
        self.document.settings_saved(self.training_panel.settings())
        self.settings.add_recent_file(path)
        self._fill_recent_menu()
        self.statusBar().showMessage(f"Saved {path.name}", 6000)
        self._code_timer.start()  # the generated code is titled after the file
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
        folder = self.default_folder()
        start = str(folder / f"{safe_stem(doc.path.stem if doc.path else doc.name)}{fmt.suffix}")
        if fmt_key == "onnx":
            preload("onnx")  # (also from the Export menu) imported while the dialog is open
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt.description}", start, f"{fmt.description} (*{fmt.suffix})"
        )
        if not path:
            return []
        path = Path(path)
        if path.suffix != fmt.suffix:
            path = path.with_name(path.name + fmt.suffix)
        title = safe_stem(doc.path.stem if doc.path else doc.name)
        # every file the export writes (a .py's weights beside it too), checked first
        files = export_files(path, fmt_key, doc.dataset_key)
        refusal = own_file_refusal(path, files, own_files(doc.path, doc.dataset_params))
        if refusal is not None:
            self.show_error("Export refused", refusal, True)
            return []
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


def safe_stem(name: str) -> str:
    """A file-name friendly version of a project title ("Fit any curve" -> "fit-any-curve")."""
    out = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.strip().lower())
    return "-".join(part for part in out.split("-") if part) or "network"


def _reason(exc: BaseException) -> str:
    """The plain sentence of an error; OSError's str() starts with "[Errno 13]"."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror.lower()}{where}"
    return str(exc) or exc.__class__.__name__
