"""``neurocanvas train``: train a project or example and print the final metrics."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from neurocanvas.core.cli._common import (
    EXIT_ERROR,
    EXIT_OK,
    CliError,
    format_from_suffix,
    load_source,
    problems_line,
)
from neurocanvas.core.cli._outputs import check_export_outputs
from neurocanvas.core.network.shapes import PARAMETER_BUDGET

if TYPE_CHECKING:  # the training package loads only when a run starts
    from neurocanvas.core.training.loop import Trainer
    from neurocanvas.core.training.series import SeriesView
    from neurocanvas.core.training.snapshot import Snapshot

NAME = "train"


def register(sub: argparse._SubParsersAction) -> None:
    from neurocanvas.core.io.export import EXPORT_FORMATS

    p = sub.add_parser(NAME, help="train a project or example and print the final metrics")
    p.add_argument("project", help="a .ncproj or .onnx file, or an example name")
    p.add_argument(
        "--allow-large",
        action="store_true",
        help=f"build a model above the parameter budget ({PARAMETER_BUDGET:,})",
    )
    p.add_argument("--epochs", type=int, help="number of epochs (default: the project's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the project's)")
    p.add_argument("--batch-size", type=int, help="batch size (default: the project's)")
    p.add_argument("--seed", type=int, help="random seed for weights and batch order")
    p.add_argument("--device", choices=("cpu", "cuda"), help="where to train (default: cpu)")
    p.add_argument("--weights", help=argparse.SUPPRESS)
    p.add_argument("--export", metavar="PATH", help="write the trained model here")
    p.add_argument(
        "--format", choices=list(EXPORT_FORMATS), help="export format (default: from PATH)"
    )
    p.add_argument(
        "--force", action="store_true", help="let --export overwrite files it would replace"
    )
    p.add_argument(
        "--save",
        action="store_true",
        help="save the trained weights into the project file (all or nothing)",
    )
    p.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from neurocanvas.core.training import Trainer

    if args.export and not args.format:
        args.format = format_from_suffix(args.export)
    _check_overrides(args)
    if args.save and not args.project.endswith(".ncproj"):
        raise CliError("--save needs a .ncproj project file (save an example or ONNX model first)")
    loaded = load_source(
        args.project,
        weights=args.weights,
        seed=args.seed,
        allow_large=args.allow_large,
        batch_size=args.batch_size,
    )
    for problem in loaded.report.warnings:
        print(f"warning: {problem.message}", file=sys.stderr)
    if loaded.model is None:
        raise CliError(f"the network is not valid: {problems_line(loaded)}")
    if args.export:  # before training: a refused export must not cost the run
        check_export_outputs(args.export, args.format, loaded, args.force)
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
        trainer = Trainer(loaded.model, loaded.require_dataset(), config, snapshot_every_s=0.1)
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
        from neurocanvas.core.io.export import Experiment, ExportError, WeightsError, export_model

        # the run's settings and lr record go with a training-script export
        experiment = Experiment(
            replace(loaded.project, config=config), loaded.dataset, list(final.lr_changes)
        )
        try:
            written = export_model(
                loaded.model,
                args.export,
                args.format,
                title=loaded.project.name,
                preprocessing=loaded.dataset.preprocessing,
                experiment=experiment,
            )
        except (ExportError, WeightsError) as exc:
            raise CliError(str(exc)) from exc
        result["exported"] = [str(p) for p in written]
    if args.save:
        _save(args.project, loaded, config, result)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {_fmt(value)}")
    return EXIT_OK if final.state == "finished" else EXIT_ERROR


def _check_overrides(args: argparse.Namespace) -> None:
    """Refuse out-of-range options before anything is opened or built, in the settings' words."""
    from neurocanvas.core.training import TrainingConfig

    given = {
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    try:
        replace(TrainingConfig(), **{k: v for k, v in given.items() if v is not None}).validate()
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _save(path: str, loaded: Any, config: Any, result: dict[str, Any]) -> None:
    """Write the trained weights (and the settings used) into the project, all or nothing."""
    from neurocanvas.core.io.project import ProjectError, save_project

    project = replace(loaded.project, config=config)
    if loaded.dataset is not None:
        project = replace(project, preprocessing=loaded.dataset.preprocessing.to_dict())
    try:
        save_project(project, path, weights=loaded.model.state_dict())
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    result["saved"] = path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _last(series: Sequence[float] | np.ndarray | SeriesView | None) -> float | None:
    if series is None or len(series) == 0:
        return None
    value = float(series[-1])  # a SeriesView holds its newest values exactly
    return value if math.isfinite(value) else None


def _final_metrics(final: Snapshot, trainer: Trainer, seconds: float) -> dict[str, Any]:
    """The run's numbers; after a restore, the losses are those of the weights kept."""
    result: dict[str, Any] = {
        "state": final.state,
        "epochs": final.epoch,  # completed epochs
        "steps": final.step,  # optimizer steps taken
        "steps_per_epoch": trainer.batches.steps_for(
            trainer.n_train, trainer.settings["batch_size"]
        ),
        "train_loss": _last(final.train_loss),
        "val_loss": _last(final.val_loss),
    }
    if final.val_acc is not None and len(final.val_acc):
        result["val_accuracy"] = _last(final.val_acc)
        result["train_accuracy"] = _last(final.train_acc)
    if final.kept is not None:  # the last steps' weights were thrown away: describe the kept
        result["weights_from_step"] = final.kept["step"]
        result["train_loss"] = _last([final.kept["train_loss"]])
        result["val_loss"] = _last([final.kept["val_loss"]])
        result.pop("train_accuracy", None)  # measured on weights no longer there
        if final.kept["val_acc"] is not None:
            result["val_accuracy"] = _last([final.kept["val_acc"]])
    result["seconds"] = round(seconds, 3)
    result["samples_per_s"] = round(float(final.samples_per_s), 1)
    if final.message and final.state != "finished":
        result["message"] = final.message
    return result


class _Progress:
    """A tqdm bar fed from trainer snapshots (shown only on a terminal)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="step", file=stream, dynamic_ncols=True, leave=False)

    def update(self, snap: Snapshot) -> None:
        self.bar.update(snap.step - self.bar.n)
        loss = _last(snap.step_loss)
        if loss is not None:
            self.bar.set_postfix(epoch=snap.epoch, loss=f"{loss:.4g}", refresh=False)

    def close(self) -> None:
        self.bar.close()


def _progress_bar(trainer: Trainer, args: argparse.Namespace) -> _Progress | None:
    if args.json or args.quiet or not sys.stderr.isatty():
        return None
    return _Progress(trainer.total_steps, sys.stderr)
