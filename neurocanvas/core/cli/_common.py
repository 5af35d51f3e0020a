"""What every subcommand shares: one-line errors, exit codes, opening a project or example."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from neurocanvas.core.network.fitting import fit_input_shapes

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A problem to report in one line (bad file, invalid graph, failed export...)."""


@dataclass
class Loaded:
    """A project ready to train: its data set, validated graph and compiled model."""

    project: Any
    dataset: Any
    report: Any
    model: Any
    source: str
    note: str = ""  # for an ONNX file: which data set was chosen, or what to choose
    has_saved_weights: bool = False  # the model holds weights read from the project or ONNX

    def require_dataset(self) -> Any:
        """The data set, or a CliError saying that the (ONNX) model has none yet."""
        if self.dataset is None:
            raise CliError(
                f"{Path(self.source).name} has no data set to train on: {self.note}, then save "
                "it as a project and train that"
            )
        return self.dataset


def load_source(
    source: str,
    weights: str | None = None,
    use_saved_weights: bool = True,
    seed: int | None = None,
    build: bool = True,
    allow_large: bool = False,
    batch_size: int | None = None,
) -> Loaded:
    """Open a ``.ncproj`` or ``.onnx`` path or an example name, build its data set and model.

    An ONNX model gets the data set :func:`~neurocanvas.core.io.onnx_import.suggest_dataset`
    picks; when none fits, ``dataset`` is None (validate and export still work).

    ``build=False`` stops after validation (shapes and parameter counts are computed, no
    weight is allocated): ``model`` is None. A model above the parameter budget is built only
    with ``allow_large``; otherwise ``CliError`` states the count and the budget.
    The graph is validated for training at ``batch_size`` (default: the project's), so a
    BatchNorm with batches of one is refused here with the reason.

    Weights come from ``weights`` when given, else from the project's sidecar file (if it has
    one and ``use_saved_weights``), else they are freshly initialised from ``seed`` (default:
    the project's training seed).
    """
    from neurocanvas.core import manual_seed
    from neurocanvas.core.datasets import DatasetError, make_dataset
    from neurocanvas.core.io.examples import ExampleError, list_examples, load_example
    from neurocanvas.core.io.export import WeightsError, import_weights
    from neurocanvas.core.io.project import ProjectError, load_project
    from neurocanvas.core.network.compiler import CompileError, compile_graph
    from neurocanvas.core.network.shapes import analyse, over_budget

    saved = None
    path = Path(source)
    note = ""
    try:
        if path.suffix.lower() == ".onnx":
            opened = _open_onnx(path)
            project, saved, note = opened.project, opened.weights, opened.data_note
        elif path.suffix == ".ncproj" or path.exists():
            project, saved = load_project(path)
        elif source in {e.name for e in list_examples()}:
            project = load_example(source)
        else:
            names = ", ".join(e.name for e in list_examples())
            raise CliError(f"{source!r} is neither a project file nor an example ({names})")
    except (ProjectError, ExampleError, OSError) as exc:
        raise CliError(str(exc)) from exc
    # saved weights expect the inputs mapped as when they were trained: the project's record
    stored = None
    if saved is not None and use_saved_weights and weights is None and project.preprocessing:
        from neurocanvas.core.datasets import Preprocessing

        stored = Preprocessing.from_dict(project.preprocessing)
    if weights is not None:  # a weights file exported by NeuroCanvas records its own
        from neurocanvas.core.io.export import read_preprocessing

        try:
            stored = read_preprocessing(weights)
        except WeightsError as exc:
            raise CliError(str(exc)) from exc
    try:
        dataset = make_dataset(
            project.dataset_key,
            project.dataset_params,
            seed=project.dataset_seed,
            preprocessing=stored,
        )
    except DatasetError as exc:
        if not note:
            raise CliError(f"data set {project.dataset_key!r}: {exc}") from exc
        # An ONNX model carries no data: it still validates and exports; training says why not.
        dataset = None
    for notice in getattr(project, "notices", ()):
        print(f"warning: {notice}", file=sys.stderr)
    if dataset is not None:
        for note in fit_input_shapes(project.graph, dataset):
            print(f"note: {note}", file=sys.stderr)
    batch = project.config.batch_size if batch_size is None else batch_size
    spec = replace(dataset.data_spec(), batch_size=batch) if dataset is not None else None
    report = analyse(project.graph, spec)
    model = None
    question = over_budget(report) if report.ok and build else None
    if question is not None and not allow_large:
        raise CliError(f"{question} Pass --allow-large to build it anyway.")
    if report.ok and build:
        # the same initial weights as the app gives for this seed
        manual_seed(project.config.seed if seed is None else seed)
        try:
            model = compile_graph(project.graph, spec)
        except CompileError as exc:
            raise CliError(str(exc).replace("\n", " ")) from exc
        try:
            if weights is not None:
                import_weights(model, weights)
            elif saved is not None and use_saved_weights:
                from neurocanvas.core.io.export import check_weights_fit

                check_weights_fit(model.state_dict(), saved, source="the saved weights")
                model.load_state_dict(saved)
        except WeightsError as exc:
            raise CliError(str(exc)) from exc
    return Loaded(
        project,
        dataset,
        report,
        model,
        source,
        note,
        has_saved_weights=saved is not None and use_saved_weights,
    )


def _open_onnx(path: Path) -> Any:
    from neurocanvas.core.io.onnx_import import OnnxImportError, project_from_onnx

    try:
        return project_from_onnx(path)
    except OnnxImportError as exc:
        raise CliError(str(exc)) from exc


def problems_line(loaded: Loaded) -> str:
    return "; ".join(p.message for p in loaded.report.errors)


def format_from_suffix(path: str) -> str:
    from neurocanvas.core.io.export import EXPORT_FORMATS

    suffix = Path(path).suffix.lower()
    for fmt in EXPORT_FORMATS.values():
        if fmt.suffix == suffix:
            return fmt.key
    raise CliError(f"cannot tell the export format from {path!r}: give --format")


def protected_files(loaded: Loaded) -> dict[Path, str]:
    """The files an export must never write, resolved: the project itself, its weights and
    its data file(s), each with what it is (for the message)."""
    from neurocanvas.core.io.export_targets import own_files

    params = loaded.project.dataset_params if loaded.project is not None else {}
    return own_files(loaded.source, params)


def refuse_overwriting_inputs(output: str | Path, loaded: Loaded) -> None:
    """Refuse an export path that is the project itself, its weights or its data file.

    Writing a model over the file it was read from destroys the person's work without a
    word (an ONNX file named like the project, the training CSV named as the export).
    """
    what = protected_files(loaded).get(Path(output).expanduser().resolve())
    if what is not None:
        raise CliError(f"{output} is {what}: choose another output path (nothing was written)")
