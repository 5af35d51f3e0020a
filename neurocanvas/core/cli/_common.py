"""What every subcommand shares: one-line errors, exit codes, opening a project or example."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def load_source(
    source: str, weights: str | None = None, use_saved_weights: bool = True, seed: int | None = None
) -> Loaded:
    """Open a ``.ncproj`` path or an example name, build its data set and model.

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
    from neurocanvas.core.network.shapes import analyse

    saved = None
    path = Path(source)
    try:
        if path.suffix == ".ncproj" or path.exists():
            project, saved = load_project(path)
        elif source in {e.name for e in list_examples()}:
            project = load_example(source)
        else:
            names = ", ".join(e.name for e in list_examples())
            raise CliError(f"{source!r} is neither a project file nor an example ({names})")
    except (ProjectError, ExampleError, OSError) as exc:
        raise CliError(str(exc)) from exc
    try:
        dataset = make_dataset(
            project.dataset_key, project.dataset_params, seed=project.dataset_seed
        )
    except DatasetError as exc:
        raise CliError(f"data set {project.dataset_key!r}: {exc}") from exc
    report = analyse(project.graph, dataset.data_spec())
    model = None
    if report.ok:
        # the same initial weights as the app gives for this seed
        manual_seed(project.config.seed if seed is None else seed)
        try:
            model = compile_graph(project.graph, dataset.data_spec())
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
    return Loaded(project, dataset, report, model, source)


def problems_line(loaded: Loaded) -> str:
    return "; ".join(p.message for p in loaded.report.problems)


def format_from_suffix(path: str) -> str:
    from neurocanvas.core.io.export import EXPORT_FORMATS

    suffix = Path(path).suffix.lower()
    for fmt in EXPORT_FORMATS.values():
        if fmt.suffix == suffix:
            return fmt.key
    raise CliError(f"cannot tell the export format from {path!r}: give --format")
