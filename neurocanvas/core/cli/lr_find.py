"""``neurocanvas lr-find``: run the learning-rate range test and print the suggestion."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace

import numpy as np

from neurocanvas.core.cli._common import EXIT_ERROR, EXIT_OK, CliError, load_source, problems_line
from neurocanvas.core.network.shapes import PARAMETER_BUDGET

NAME = "lr-find"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        NAME,
        help="find a good learning rate (range test: lr grows from 1e-6 to 10, weights kept)",
    )
    p.add_argument("project", help="a .ncproj or .onnx file, or an example name")
    p.add_argument(
        "--allow-large",
        action="store_true",
        help=f"build a model above the parameter budget ({PARAMETER_BUDGET:,})",
    )
    p.add_argument("--start", type=float, default=1e-6, help="first learning rate (1e-6)")
    p.add_argument("--end", type=float, default=10.0, help="last learning rate (10)")
    p.add_argument("--steps", type=int, default=200, help="steps of the test (200)")
    p.add_argument("--batch-size", type=int, help="batch size (default: the project's)")
    p.add_argument(
        "--optimizer",
        choices=("sgd", "adam", "adamw", "rmsprop"),
        help="optimizer (default: the project's)",
    )
    p.add_argument("--seed", type=int, help="random seed for weights and batch order")
    p.add_argument("--json", action="store_true", help="print the curve and suggestion as JSON")
    p.set_defaults(func=cmd_lr_find)


def cmd_lr_find(args: argparse.Namespace) -> int:
    from neurocanvas.core.training.lr_finder import LRFinder

    loaded = load_source(
        args.project, seed=args.seed, allow_large=args.allow_large, batch_size=args.batch_size
    )
    if loaded.model is None:
        raise CliError(f"the network is not valid: {problems_line(loaded)}")
    if loaded.dataset is None:
        raise CliError("no data set fits this model, so there is nothing to train on")
    overrides = {
        k: v
        for k, v in {
            "batch_size": args.batch_size,
            "optimizer": args.optimizer,
            "seed": args.seed,
        }.items()
        if v is not None
    }
    try:
        config = replace(loaded.project.config, **overrides).validate()
        finder = LRFinder(
            loaded.model,
            loaded.dataset,
            config,
            start_lr=args.start,
            end_lr=args.end,
            num_iter=args.steps,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    try:
        result = finder.run()
    except KeyboardInterrupt:
        raise CliError("interrupted") from None
    if args.json:
        print(
            json.dumps(
                {
                    "suggestion": result.suggestion,
                    "min_loss_lr": result.min_loss_lr,
                    "state": result.state,
                    "steps": result.steps,
                    "project_lr": config.lr,
                    "lrs": result.lrs.tolist(),
                    "losses": [v if math.isfinite(v) else None for v in result.losses.tolist()],
                }
            )
        )
        return EXIT_OK if result.suggestion is not None else EXIT_ERROR
    print(f"{'lr':>10}  smoothed loss")
    for lr, loss in _decades(result.lrs, result.losses):
        print(f"{lr:>10.1e}  {loss:.4g}")
    print(result.message)
    if result.suggestion is not None:
        print(f"suggested lr: {result.suggestion:.3g} (the project uses {config.lr:g})")
    return EXIT_OK if result.suggestion is not None else EXIT_ERROR


def _decades(lrs: np.ndarray, losses: np.ndarray) -> list[tuple[float, float]]:
    """The curve read off at each whole decade of lr it reached (the nearest step)."""
    if len(lrs) == 0:
        return []
    logs = np.log10(lrs)
    rows = []
    for d in range(math.ceil(logs[0]), math.floor(logs[-1]) + 1):
        i = int(np.argmin(np.abs(logs - d)))
        rows.append((float(lrs[i]), float(losses[i])))
    return rows
