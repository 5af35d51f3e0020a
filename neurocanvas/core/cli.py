"""The headless command line: list examples, validate, train and export projects.

Same entry point as the app (``neurocanvas``): a subcommand runs here, anything else opens the
window. Every failure is one line on stderr and a non-zero exit status; nothing is written
unless an option asks for it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

SUBCOMMANDS = ("examples", "validate", "train", "export")

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


def _problems_line(loaded: Loaded) -> str:
    return "; ".join(p.message for p in loaded.report.problems)


# --------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------


def cmd_examples(args: argparse.Namespace) -> int:
    from neurocanvas.core.io.examples import list_examples

    examples = list_examples()
    if args.json:
        print(
            json.dumps([{"name": e.name, "title": e.title, "result": e.result} for e in examples])
        )
        return EXIT_OK
    width = max(len(e.name) for e in examples)
    for e in examples:
        print(f"{e.name:<{width}}  {e.title}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from neurocanvas.core.network.catalogue import fmt_shape

    loaded = load_source(args.project, use_saved_weights=False)
    graph, report = loaded.project.graph, loaded.report
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "total_params": report.total_params,
                    "total_macs": report.total_macs,
                    "nodes": {
                        graph.nodes[nid].name: {
                            "type": graph.nodes[nid].type,
                            "shape": None if info.out_shape is None else ["N", *info.out_shape],
                            "params": info.params,
                        }
                        for nid, info in report.nodes.items()
                    },
                    "problems": [
                        {
                            "node": graph.nodes[p.node_id].name if p.node_id else None,
                            "message": p.message,
                        }
                        for p in report.problems
                    ],
                }
            )
        )
        return EXIT_OK if report.ok else EXIT_ERROR
    rows = []
    for nid in _display_order(graph):
        node, info = graph.nodes[nid], report.nodes.get(nid)
        shape = fmt_shape(info.out_shape) if info and info.out_shape is not None else "?"
        rows.append((node.name, node.type, shape, f"{info.params:,}" if info else ""))
    widths = [
        max(len(r[i]) for r in rows + [("name", "type", "output", "params")]) for i in range(4)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(("name", "type", "output", "params"), widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(
        f"total: {report.total_params:,} parameters, {report.total_macs:,} multiply-adds per sample"
    )
    if not report.ok:
        for p in report.problems:
            print(f"error: {p.message}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _display_order(graph) -> list[str]:
    try:
        return graph.topological_order()
    except Exception:  # a cycle: validation reports it; list the nodes anyway
        return list(graph.nodes)


def cmd_train(args: argparse.Namespace) -> int:
    from neurocanvas.core.training.trainer import Trainer

    if args.export and not args.format:
        args.format = _format_from_suffix(args.export)
    loaded = load_source(args.project, weights=args.weights, seed=args.seed)
    if loaded.model is None:
        raise CliError(f"the network is not valid: {_problems_line(loaded)}")
    config = loaded.project.config
    overrides = {
        k: v
        for k, v in {
            "epochs": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "device": args.device,
        }.items()
        if v is not None
    }
    try:
        config = replace(config, **overrides).validate()
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    try:
        trainer = Trainer(loaded.model, loaded.dataset, config, snapshot_every_s=0.1)
    except (RuntimeError, ValueError) as exc:  # e.g. cuda asked for without CuPy
        raise CliError(str(exc)) from exc
    started = time.perf_counter()
    progress = _progress_bar(trainer, args)
    try:
        final = trainer.run(progress.update if progress else None)
    except KeyboardInterrupt:
        trainer.control.stop()
        raise CliError("interrupted") from None
    finally:
        if progress:
            progress.close()
    result = _final_metrics(final, trainer, time.perf_counter() - started)
    if args.export:
        from neurocanvas.core.io.export import ExportError, WeightsError, export_model

        try:
            written = export_model(
                loaded.model, args.export, args.format, title=loaded.project.name
            )
        except (ExportError, WeightsError) as exc:
            raise CliError(str(exc)) from exc
        result["exported"] = [str(p) for p in written]
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {_fmt(value)}")
    return EXIT_OK if final.state == "finished" else EXIT_ERROR


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _last(series) -> float | None:
    if series is None or len(series) == 0:
        return None
    value = float(np.asarray(series)[-1])
    return value if math.isfinite(value) else None


def _final_metrics(final, trainer, seconds: float) -> dict[str, Any]:
    result: dict[str, Any] = {
        "state": final.state,
        "epochs": final.epoch,
        "steps": final.step,
        "train_loss": _last(final.train_loss),
        "val_loss": _last(final.val_loss),
    }
    if final.val_acc is not None and len(final.val_acc):
        result["val_accuracy"] = _last(final.val_acc)
        result["train_accuracy"] = _last(final.train_acc)
    result["seconds"] = round(seconds, 3)
    result["samples_per_s"] = round(float(final.samples_per_s), 1)
    if final.message and final.state != "finished":
        result["message"] = final.message
    return result


class _Progress:
    """A tqdm bar fed from trainer snapshots (shown only on a terminal)."""

    def __init__(self, total: int, stream) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="step", file=stream, dynamic_ncols=True, leave=False)

    def update(self, snap) -> None:
        self.bar.update(snap.step - self.bar.n)
        loss = _last(snap.step_loss)
        if loss is not None:
            self.bar.set_postfix(epoch=snap.epoch, loss=f"{loss:.4g}", refresh=False)

    def close(self) -> None:
        self.bar.close()


def _progress_bar(trainer, args) -> _Progress | None:
    if args.json or args.quiet or not sys.stderr.isatty():
        return None
    return _Progress(trainer.total_steps, sys.stderr)


def _format_from_suffix(path: str) -> str:
    from neurocanvas.core.io.export import EXPORT_FORMATS

    suffix = Path(path).suffix.lower()
    for fmt in EXPORT_FORMATS.values():
        if fmt.suffix == suffix:
            return fmt.key
    raise CliError(f"cannot tell the export format from {path!r}: give --format")


def cmd_export(args: argparse.Namespace) -> int:
    from neurocanvas.core.io.export import ExportError, WeightsError, export_model

    loaded = load_source(args.project, weights=args.weights)
    if loaded.model is None:
        raise CliError(f"the network is not valid: {_problems_line(loaded)}")
    fmt = args.format or _format_from_suffix(args.output)
    try:
        written = export_model(loaded.model, args.output, fmt, title=loaded.project.name)
    except (ExportError, WeightsError) as exc:
        raise CliError(str(exc)) from exc
    for path in written:
        print(path)
    return EXIT_OK


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the default prints the usage block too)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"neurocanvas: error: {message} (see 'neurocanvas --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from neurocanvas import __version__
    from neurocanvas.core.io.export import EXPORT_FORMATS

    parser = _Parser(
        prog="neurocanvas",
        description="Build neural networks by drag-and-drop and watch them learn. Without a "
        "subcommand, opens the app (on FILE.ncproj if given).",
    )
    parser.add_argument("--version", action="version", version=f"neurocanvas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("examples", help="list the example projects")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=cmd_examples)

    p = sub.add_parser("validate", help="print each layer's output shape, or the errors")
    p.add_argument("project", help="a .ncproj file or an example name")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_validate)

    formats = list(EXPORT_FORMATS)
    p = sub.add_parser("train", help="train a project or example and print the final metrics")
    p.add_argument("project", help="a .ncproj file or an example name")
    p.add_argument("--epochs", type=int, help="number of epochs (default: the project's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the project's)")
    p.add_argument("--batch-size", type=int, help="batch size (default: the project's)")
    p.add_argument("--seed", type=int, help="random seed for weights and batch order")
    p.add_argument("--device", choices=("cpu", "cuda"), help="where to train (default: cpu)")
    p.add_argument("--weights", help=argparse.SUPPRESS)
    p.add_argument("--export", metavar="PATH", help="write the trained model here")
    p.add_argument("--format", choices=formats, help="export format (default: from PATH)")
    p.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="export a project's model without training")
    p.add_argument("project", help="a .ncproj file or an example name")
    p.add_argument(
        "--weights",
        metavar="FILE",
        help=".safetensors or .npz weights to use (default: the project's saved weights)",
    )
    p.add_argument("--format", choices=formats, help="default: from the output's suffix")
    p.add_argument("--output", "-o", required=True, metavar="PATH")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except CliError as exc:
        print(f"neurocanvas: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
