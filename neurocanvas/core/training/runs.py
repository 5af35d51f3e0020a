"""The record of one training run, for the runs table, the project file and CSV export.

A :class:`RunRecord` is made from a run's final :class:`Snapshot` and plain values only, so it
saves as JSON and reads back without the engine. CSV goes through the standard library's
``csv`` module (quoting and line endings done right; nothing to add to the dependencies).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from neurocanvas.core.training.series import SeriesView
from neurocanvas.core.training.snapshot import Snapshot

MAX_RUNS = 10_000  # rows a saved runs table may hold (a project-file limit)
CURVE_POINTS = 300  # a run's saved loss curve: enough to redraw its shape, small in the file
SHOWN_SETTINGS: tuple[str, ...] = ("optimizer", "lr", "momentum", "weight_decay", "batch_size")
CSV_COLUMNS: tuple[str, ...] = (
    "run",
    "start",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "batch_size",
    "changes",
    "final_train_loss",
    "best_train_loss",
    "final_val_loss",
    "best_val_loss",
    "accuracy",
    "steps",
    "seconds",
    "ended",
)


def _finite(values: Any) -> np.ndarray:
    """The finite values in order; of a bounded record, its older buckets' extremes (so the
    best value of the whole run is among them) and then the exact recent values."""
    if isinstance(values, SeriesView):
        h = values.history
        arr = np.concatenate([np.stack([h.lo, h.hi], axis=1).ravel(), values.recent()])
    else:
        arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def _last(values: Any) -> float | None:
    arr = _finite(values)
    return float(arr[-1]) if len(arr) else None


def _best(values: Any) -> float | None:
    arr = _finite(values)
    return float(arr.min()) if len(arr) else None


def decimate_curve(step_loss: Any, points: int = CURVE_POINTS) -> list[tuple[int, float]]:
    """(step, loss) at most ``points`` evenly spread steps of ``step_loss`` (1-based steps),
    always with the first and the last; non-finite losses are left out (JSON has no NaN).

    Of a bounded record (:class:`SeriesView`) the steps no longer held exactly give their
    bucket's mean at the bucket's centre."""
    if isinstance(step_loss, SeriesView):
        pos, y = step_loss.points()
    else:
        y = np.asarray(step_loss, dtype=np.float64).ravel()
        pos = np.arange(len(y), dtype=np.float64)
    if len(y) == 0:
        return []
    want = np.linspace(pos[0], pos[-1], min(points, len(y)))
    idx = np.unique(np.interp(want, pos, np.arange(len(pos))).round().astype(int))
    return [(int(round(pos[i])) + 1, float(y[i])) for i in idx if math.isfinite(y[i])]


def describe_changes(changes: Iterable[Any]) -> str:
    """ "lr 0.01 → 0.1 at step 300; momentum 0 → 0.9 at step 410" (consecutive changes of one
    setting within a burst, as a slider drag makes, read as one)."""
    merged: list[list[Any]] = []
    for step, key, old, new in changes:
        if merged and merged[-1][1] == key and 0 <= step - merged[-1][0] <= 10:
            merged[-1][3] = new
            continue
        merged.append([step, key, old, new])
    return "; ".join(
        f"{key} {_fmt(old)} → {_fmt(new)} at step {step}"
        for step, key, old, new in merged
        if old != new
    )


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass
class RunRecord:
    """One run: the settings it started with, what changed during it, and how it went.

    Losses are in the loss's own units; ``accuracy`` is the last validation accuracy (None for
    regression); ``seconds`` is training time without pauses; ``ended`` is the final state
    (finished, stopped, diverged, failed).
    """

    number: int
    start: str  # "initial weights" or "continued"
    settings: dict[str, Any]
    changes: list[tuple[int, str, Any, Any]] = field(default_factory=list)
    final_train_loss: float | None = None
    best_train_loss: float | None = None
    final_val_loss: float | None = None
    best_val_loss: float | None = None
    accuracy: float | None = None
    steps: int = 0
    seconds: float = 0.0
    ended: str = ""
    # (step, loss) pairs of the per-step loss, decimated to at most CURVE_POINTS (finite only)
    curve: list[tuple[int, float]] = field(default_factory=list)

    @classmethod
    def from_snapshot(
        cls, number: int, start: str, settings: dict[str, Any], snap: Snapshot
    ) -> RunRecord:
        """The record of a run whose last snapshot is ``snap`` (settings: as it started)."""
        # Without a finished epoch the per-step losses are all there is.
        train = snap.train_loss if len(snap.train_loss) else snap.step_loss
        acc = _last(snap.val_acc) if snap.val_acc is not None else None
        final_train, final_val = _last(train), _last(snap.val_loss)
        kept = snap.kept
        if kept is not None:  # a restore: "final" is the weights kept, never the blown-up ones
            final_train, final_val = _last([kept["train_loss"]]), _last([kept["val_loss"]])
            if kept.get("val_acc") is not None:
                acc = float(kept["val_acc"])
        return cls(
            number=number,
            start=start,
            settings={k: settings[k] for k in SHOWN_SETTINGS if k in settings},
            changes=[tuple(c) for c in snap.changes],  # type: ignore[misc]
            final_train_loss=final_train,
            best_train_loss=_best(
                [*_finite(train), *_finite([math.nan if final_train is None else final_train])]
            ),
            final_val_loss=final_val,
            best_val_loss=_best(
                [*_finite(snap.val_loss), *_finite([math.nan if final_val is None else final_val])]
            ),
            accuracy=acc,
            steps=int(snap.step),
            seconds=float(snap.elapsed_s),
            ended=snap.state,
            curve=decimate_curve(snap.step_loss),
        )

    def label(self) -> str:
        """The legend text: "lr 0.01, adam", plus the changes made during the run."""
        s = self.settings
        text = f"#{self.number} lr {_fmt(float(s.get('lr', math.nan)))}, {s.get('optimizer', '')}"
        changed = describe_changes(self.changes)
        return f"{text} ({changed})" if changed else text

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["changes"] = [list(c) for c in self.changes]
        out["curve"] = [[int(x), float(y)] for x, y in self.curve]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Read a saved record; ValueError names the first field that is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"a run must be an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        try:
            record = cls(**kwargs)
            record.number = int(record.number)
            record.steps = int(record.steps)
            record.seconds = float(record.seconds)
            record.changes = [(int(c[0]), str(c[1]), c[2], c[3]) for c in record.changes]
            record.curve = [(int(p[0]), float(p[1])) for p in record.curve[: 2 * CURVE_POINTS]]
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"a saved run is not valid: {exc}") from None
        if not isinstance(record.settings, dict):
            raise ValueError("a saved run's settings must be an object")
        return record

    def row(self) -> dict[str, Any]:
        """The record as one CSV row (keys: :data:`CSV_COLUMNS`)."""
        return {
            "run": self.number,
            "start": self.start,
            **{k: self.settings.get(k, "") for k in SHOWN_SETTINGS},
            "changes": describe_changes(self.changes),
            "final_train_loss": _blank(self.final_train_loss),
            "best_train_loss": _blank(self.best_train_loss),
            "final_val_loss": _blank(self.final_val_loss),
            "best_val_loss": _blank(self.best_val_loss),
            "accuracy": _blank(self.accuracy),
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "ended": self.ended,
        }


def _blank(value: float | None) -> Any:
    return "" if value is None else value


def write_runs_csv(runs: Iterable[RunRecord], path: str | os.PathLike[str]) -> None:
    """Write ``runs`` as CSV with a header row (:data:`CSV_COLUMNS`). OSError when it fails."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for run in runs:
            writer.writerow(run.row())
