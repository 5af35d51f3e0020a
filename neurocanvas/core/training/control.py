"""The settings a run starts with and the thread-safe control a running loop reads between steps.

The GUI thread writes a :class:`TrainingControl` (live settings, pace, pause, step once, stop,
jobs to run in the training thread); the loop reads it before every step. Nothing here knows
of Qt, so the CLI and tests drive a run the same way the app does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from neurocanvas.core import optim
from neurocanvas.core.training.guard import check_policy

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam", "adamw", "rmsprop")
LIVE_SETTINGS: tuple[str, ...] = ("lr", "momentum", "weight_decay", "batch_size", "optimizer")
MAX_PACE = 1e6  # steps/s: anything faster is "unthrottled" (None)


def check_setting(key: str, value: Any) -> Any:
    """Coerce one live-editable setting or raise ValueError naming it and the allowed range."""
    if key == "lr":
        v = _number(key, value)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"lr must be a positive finite number, got {value!r}")
        return v
    if key == "momentum":
        v = _number(key, value)
        if not (0.0 <= v < 1.0):
            raise ValueError(f"momentum must be in [0, 1), got {value!r}")
        return v
    if key == "weight_decay":
        v = _number(key, value)
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {value!r}")
        return v
    if key == "batch_size":
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"batch_size must be a whole number >= 1, got {value!r}")
        if not math.isfinite(float(value)) or int(value) != value or int(value) < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {value!r}")
        return int(value)
    if key == "optimizer":
        name = str(value).lower()
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {value!r}")
        return name
    raise ValueError(
        f"unknown training setting {key!r}; live settings are {', '.join(LIVE_SETTINGS)}"
    )


def check_pace(steps_per_s: float | None) -> float | None:
    """A pace in optimizer steps per second, or None for unthrottled; ValueError otherwise."""
    if steps_per_s is None:
        return None
    v = _number("pace", steps_per_s)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"pace must be a positive number of steps per second, got {steps_per_s!r}")
    return None if v >= MAX_PACE else v


def make_optimizer(params: Iterable[Any], settings: dict[str, Any]) -> optim.Optimizer:
    """The optimizer ``settings["optimizer"]`` names, at the settings' lr, momentum and decay.

    Adam and AdamW take no momentum (their betas stay PyTorch's defaults).
    """
    s, params = settings, list(params)
    kind = s["optimizer"]
    if kind == "sgd":
        return optim.SGD(params, lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"])
    if kind == "adam":
        return optim.Adam(params, lr=s["lr"], weight_decay=s["weight_decay"])
    if kind == "adamw":
        return optim.AdamW(params, lr=s["lr"], weight_decay=s["weight_decay"])
    return optim.RMSprop(params, lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"])


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None


@dataclass
class TrainingConfig:
    """The settings a run starts with (saved in project files).

    Defaults follow PyTorch where it has one: ``SGD(momentum=0)``, ``Adam(lr=1e-3)``.
    """

    epochs: int = 100
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "cpu"

    def validate(self) -> TrainingConfig:
        """Return a checked copy; ValueError names the first bad field."""
        out = {}
        for key in LIVE_SETTINGS:
            out[key] = check_setting(key, getattr(self, key))
        for key in ("epochs", "seed"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{key} must be a whole number, got {value!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
        if not 0 <= self.seed <= 2**32 - 1:  # numpy's and PyTorch's seeds are 32-bit
            raise ValueError(f"seed must be between 0 and {2**32 - 1}, got {self.seed!r}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")
        return TrainingConfig(
            epochs=int(self.epochs), seed=int(self.seed), device=self.device, **out
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


class StepTask:
    """One job for the training thread, run between two steps; the caller waits for its result.

    Exactly one side runs it: :meth:`claim` is atomic, so when the training thread has already
    left its loop, the waiting thread claims the task and runs it itself (nobody else is
    touching the model any more).
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._claimed = False
        self._claim_lock = threading.Lock()

    def claim(self) -> bool:
        with self._claim_lock:
            taken, self._claimed = self._claimed, True
            return not taken

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            self.error = exc
        finally:
            self.done.set()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class TrainingControl:
    """Thread-safe mailbox between the GUI and a running loop.

    The GUI thread calls :meth:`set`, :meth:`set_pace`, :meth:`pause`, :meth:`resume`,
    :meth:`step_once`, :meth:`stop` and :meth:`submit`; the loop calls :meth:`wait_for_step`
    and :meth:`take_changes` before every step. While paused, or waiting for the next slot at a
    slow pace, the loop blocks on a condition variable instead of spinning, so a paused run costs
    no CPU and a stop, a resume or a job wakes it at once.

    Every GUI-side call raises ``_busy`` under the lock; while it is down (nothing queued, not
    paused, not stopped, unthrottled) the loop's per-step checks return at once without taking
    the lock, which it would otherwise take several times per step and contend for with the GUI
    thread. Reading a bool is atomic, and a call that lands just after the check is seen one
    step later, exactly as if it had come a moment later.
    """

    def __init__(
        self, pace: float | None = None, divergence: str = "stop", fit_on_demand: bool = False
    ) -> None:
        self._cond = threading.Condition()
        self._divergence = check_policy(divergence)
        self._fit_on_demand = fit_on_demand
        self._fit_wanted = True
        self._pending: dict[str, Any] = {}
        self._settings: dict[str, Any] = {}
        self._tasks: list[StepTask] = []
        self._paused = False
        self._grants = 0
        self._stopped = False
        self._pace = check_pace(pace)
        # time.monotonic() at which the next paced step may start; None until the first wait,
        # which then waits one interval so that the untrained model stays on screen a moment
        self._next_slot: float | None = None
        self._busy = False
        self._update_busy()

    def _update_busy(self) -> None:
        """Recompute the fast-path hint (call with the lock held, or before sharing)."""
        self._busy = (
            bool(self._pending)
            or bool(self._tasks)
            or self._paused
            or self._grants > 0
            or self._stopped
            or self._pace is not None
        )

    # --- GUI side
    def set(self, **changes: Any) -> None:
        """Queue setting changes; they take effect before the loop's next step."""
        checked = {k: check_setting(k, v) for k, v in changes.items()}
        with self._cond:
            self._pending.update(checked)
            self._settings.update(checked)
            self._update_busy()
            self._cond.notify_all()

    def set_pace(self, steps_per_s: float | None) -> None:
        """Run at most ``steps_per_s`` optimizer steps per second (None: as fast as possible).

        Acts on a running loop at once: a wait for a slower slot is cut short.
        """
        pace = check_pace(steps_per_s)
        with self._cond:
            self._pace = pace
            self._next_slot = 0.0
            self._update_busy()
            self._cond.notify_all()

    def set_divergence_policy(self, policy: str) -> None:
        """What a divergence does: "stop" (and restore), "pause" (restore, pause), "continue"."""
        self._divergence = check_policy(policy)  # a plain str store: atomic, no lock needed

    @property
    def divergence_policy(self) -> str:
        return self._divergence

    def fit_shown(self) -> None:
        """GUI side: the last fit prediction is on screen; the next snapshot may carry one.

        Only matters with ``fit_on_demand``: then the loop computes a fit prediction (a
        forward pass on the fit grid) only when it can be seen, not for every snapshot the
        plots drop.
        """
        self._fit_wanted = True  # a plain bool store: atomic, no lock needed

    def take_fit_request(self) -> bool:
        """Loop side: True when a snapshot should carry a new fit prediction."""
        if not self._fit_on_demand:
            return True
        if not self._fit_wanted:  # never write False over a request the GUI just made
            return False
        self._fit_wanted = False
        return True

    @property
    def pace(self) -> float | None:
        """Steps per second, or None when unthrottled."""
        return self._pace

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._grants = 0
            self._update_busy()
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._grants = 0
            self._update_busy()
            self._cond.notify_all()

    def step_once(self) -> None:
        """Pause (if running) and let exactly one more step through (at once, whatever pace)."""
        with self._cond:
            self._paused = True
            self._grants += 1
            self._update_busy()
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._update_busy()
            self._cond.notify_all()

    def submit(self, task: StepTask) -> None:
        """Queue ``task`` to run in the training thread before its next step (even while paused)."""
        with self._cond:
            self._tasks.append(task)
            self._update_busy()
            self._cond.notify_all()

    def snapshot_settings(self) -> dict[str, Any]:
        """The live settings as last set (or as the run started)."""
        with self._cond:
            return dict(self._settings)

    @property
    def paused(self) -> bool:
        if not self._busy:
            return False
        with self._cond:
            return self._paused and self._grants == 0 and not self._stopped

    @property
    def stopped(self) -> bool:
        with self._cond:
            return self._stopped

    # --- loop side
    def adopt(self, config: TrainingConfig) -> None:
        """Fill in settings the GUI has not set yet from the run's config."""
        with self._cond:
            for key in LIVE_SETTINGS:
                self._settings.setdefault(key, getattr(config, key))

    def take_changes(self) -> dict[str, Any]:
        """Pop the queued changes (the loop applies them between steps)."""
        if not self._pending:  # (read without the lock: see the class docstring)
            return {}
        with self._cond:
            changes, self._pending = self._pending, {}
            self._update_busy()
            return changes

    def wait_for_step(self) -> bool:
        """Block while paused or until the pace allows the next step; run queued jobs meanwhile.

        Returns True when a step may run, False once stopped.
        """
        if not self._busy:
            return True
        while True:
            tasks: list[StepTask] = []
            with self._cond:
                while True:
                    if self._tasks:
                        tasks, self._tasks = self._tasks, []
                        self._update_busy()
                        break
                    if self._stopped:
                        return False
                    if self._paused and self._grants == 0:
                        self._cond.wait()
                        continue
                    now = time.monotonic()
                    if self._paused:  # a granted single step goes at once
                        self._grants -= 1
                        self._update_busy()
                        return True
                    if self._pace is not None:
                        if self._next_slot is None:
                            self._next_slot = now + 1.0 / self._pace
                        if now < self._next_slot:
                            self._cond.wait(self._next_slot - now)
                            continue
                        self._next_slot = now + 1.0 / self._pace
                    return True
            for task in tasks:  # outside the lock: the GUI may queue settings meanwhile
                if task.claim():
                    task.run()
