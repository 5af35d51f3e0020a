"""``neurocanvas export``: export a project's model without training."""

from __future__ import annotations

import argparse
import sys

from neurocanvas.core.cli._common import (
    EXIT_OK,
    CliError,
    format_from_suffix,
    load_source,
    problems_line,
)
from neurocanvas.core.cli._outputs import check_export_outputs
from neurocanvas.core.network.shapes import PARAMETER_BUDGET

NAME = "export"


def register(sub: argparse._SubParsersAction) -> None:
    from neurocanvas.core.io.export import EXPORT_FORMATS

    p = sub.add_parser(NAME, help="export a project's model without training")
    p.add_argument("project", help="a .ncproj or .onnx file, or an example name")
    p.add_argument(
        "--allow-large",
        action="store_true",
        help=f"build a model above the parameter budget ({PARAMETER_BUDGET:,})",
    )
    p.add_argument(
        "--weights",
        metavar="FILE",
        help=".safetensors or .npz weights to use (default: the project's saved weights)",
    )
    p.add_argument(
        "--format", choices=list(EXPORT_FORMATS), help="default: from the output's suffix"
    )
    p.add_argument(
        "--output",
        "-o",
        required=True,
        metavar="PATH",
        help="the file to write; for --format torch-train, a folder",
    )
    p.add_argument("--force", action="store_true", help="overwrite files the export would replace")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from neurocanvas.core.io.export import Experiment, ExportError, WeightsError, export_model

    loaded = load_source(args.project, weights=args.weights, allow_large=args.allow_large)
    if loaded.model is None:
        raise CliError(f"the network is not valid: {problems_line(loaded)}")
    fmt = args.format or format_from_suffix(args.output)
    check_export_outputs(args.output, fmt, loaded, args.force)
    if args.weights is None and not loaded.has_saved_weights:
        print(
            "warning: the project has no trained weights, so the export holds the initial "
            "(untrained) ones: train it first with 'neurocanvas train PROJECT --save'",
            file=sys.stderr,
        )
    try:
        experiment = Experiment(loaded.project, loaded.dataset)  # lr: the project's
        written = export_model(
            loaded.model,
            args.output,
            fmt,
            title=loaded.project.name,
            preprocessing=None if loaded.dataset is None else loaded.dataset.preprocessing,
            experiment=experiment,
        )
    except (ExportError, WeightsError) as exc:
        raise CliError(str(exc)) from exc
    for path in written:
        print(path)
    return EXIT_OK
