"""A step-wise training loop that knows nothing of Qt.

The app runs :meth:`Trainer.run` in a worker thread; the GUI talks to it only through a
:class:`TrainingControl` (settings, pause, stop) and receives :class:`Snapshot` objects made of
plain numpy arrays, so no engine tensor ever crosses the thread boundary.

Divergence rule
---------------
A step stops the run as ``"diverged"`` when its loss is NaN or infinite, or when, after a
warm-up of ``WARMUP_STEPS`` steps, the smoothed loss (an exponential moving average of the step
losses, weight ``EMA_WEIGHT`` on the newest) exceeds ``EXPLODE_FACTOR`` (1000) times the best
smoothed loss so far *and* the very first step's loss. Smoothing keeps one unlucky batch of a
nearly perfect fit (best ~1e-4, one batch at 1.2) from counting as divergence, while a real
explosion (1e10 and growing) still trips on the step it happens; a loss still below where
training started is never called exploding. The weights are then restored from the last good
checkpoint (taken every ``CHECKPOINT_EVERY`` steps and at every epoch end, only while the loss
and the weights are finite).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from neurocanvas.core import nn, optim
from neurocanvas.core.random import manual_seed
from neurocanvas.core.tensor import Tensor, no_grad

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam", "adamw", "rmsprop")
STATES: tuple[str, ...] = ("running", "paused", "finished", "stopped", "diverged")

WARMUP_STEPS = 10
EXPLODE_FACTOR = 1e3
CHECKPOINT_EVERY = 50
EMA_WEIGHT = 0.1
FIT_POINTS_1D = 200
FIT_GRID_2D = 80
N_SAMPLE_PREDICTIONS = 8
EVAL_CHUNK = 1024


# --------------------------------------------------------------------------- settings
def _check_setting(key: str, value: Any) -> Any:
    """Coerce one live-editable setting or raise ValueError naming it."""
    if key == "lr":
        v = float(value)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"lr must be a positive finite number, got {value!r}")
        return v
    if key == "momentum":
        v = float(value)
        if not (0.0 <= v < 1.0):
            raise ValueError(f"momentum must be in [0, 1), got {value!r}")
        return v
    if key == "weight_decay":
        v = float(value)
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {value!r}")
        return v
    if key == "batch_size":
        if isinstance(value, bool) or int(value) != value or int(value) < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {value!r}")
        return int(value)
    if key == "optimizer":
        v = str(value).lower()
        if v not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {value!r}")
        return v
    raise ValueError(
        f"unknown training setting {key!r}; live settings are "
        "lr, momentum, weight_decay, batch_size, optimizer"
    )


LIVE_SETTINGS: tuple[str, ...] = ("lr", "momentum", "weight_decay", "batch_size", "optimizer")


@dataclass
class TrainingConfig:
    """The settings a run starts with (saved in project files)."""

    epochs: int = 100
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "cpu"

    def validate(self) -> TrainingConfig:
        """Return a checked copy; ValueError names the first bad field."""
        out = {}
        for key in LIVE_SETTINGS:
            out[key] = _check_setting(key, getattr(self, key))
        for key in ("epochs", "seed"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{key} must be a whole number, got {value!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
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


class TrainingControl:
    """Thread-safe mailbox between the GUI and a running :class:`Trainer`.

    The GUI thread calls :meth:`set`, :meth:`pause`, :meth:`resume`, :meth:`step_once` and
    :meth:`stop`; the trainer reads between steps. While paused the trainer blocks on a
    condition variable instead of spinning, so a paused run costs no CPU.

    Every GUI-side call raises ``_busy`` under the lock; while it is down (nothing queued, not
    paused, not stopped) the trainer's per-step checks return at once without taking the lock,
    which it would otherwise take several times per step and contend for with the GUI thread.
    Reading a bool is atomic, and a call that lands just after the check is seen one step later,
    exactly as if it had come a moment later.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[str, Any] = {}
        self._settings: dict[str, Any] = {}
        self._paused = False
        self._grants = 0
        self._stopped = False
        self._busy = False

    def _update_busy(self) -> None:
        """Recompute the fast-path hint (call with the lock held)."""
        self._busy = bool(self._pending) or self._paused or self._grants > 0 or self._stopped

    # --- GUI side
    def set(self, **changes: Any) -> None:
        """Queue setting changes; they take effect before the trainer's next step."""
        checked = {k: _check_setting(k, v) for k, v in changes.items()}
        with self._cond:
            self._pending.update(checked)
            self._settings.update(checked)
            self._update_busy()
            self._cond.notify_all()

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
        """Pause (if running) and let exactly one more step through."""
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

    # --- trainer side
    def adopt(self, config: TrainingConfig) -> None:
        """Fill in settings the GUI has not set yet from the run's config."""
        with self._cond:
            for key in LIVE_SETTINGS:
                self._settings.setdefault(key, getattr(config, key))

    def take_changes(self) -> dict[str, Any]:
        """Pop the queued changes (the trainer applies them between steps)."""
        if not self._pending:  # (read without the lock: see the class docstring)
            return {}
        with self._cond:
            changes, self._pending = self._pending, {}
            self._update_busy()
            return changes

    def wait_for_step(self) -> bool:
        """Block while paused; True when a step may run, False once stopped."""
        if not self._busy:
            return True
        with self._cond:
            while self._paused and self._grants == 0 and not self._stopped:
                self._cond.wait()
            if self._stopped:
                return False
            if self._paused:
                self._grants -= 1
                self._update_busy()
            return True


# --------------------------------------------------------------------------- snapshot
@dataclass
class Snapshot:
    """Everything the plots need as plain numpy: copies, or read-only views of append-only
    series (safe to hand to another thread either way)."""

    epoch: int
    step: int
    total_steps: int
    samples_per_s: float
    elapsed_s: float
    eta_s: float
    train_loss: np.ndarray
    val_loss: np.ndarray
    step_loss: np.ndarray
    train_acc: np.ndarray | None
    val_acc: np.ndarray | None
    lr_changes: list[tuple[int, float]]
    fit: dict[str, np.ndarray] | None
    confusion: np.ndarray | None
    state: str
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, np.ndarray] | None = None


class _Series:
    """A growing float64 buffer (doubling), so per-step appends stay O(1).

    Append-only: a value once written never changes, and growing allocates a new buffer, so
    :meth:`view` can hand the filled part to another thread without copying it.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._buf = np.empty(capacity)
        self._n = 0

    def append(self, value: float) -> None:
        if self._n == len(self._buf):
            self._buf = np.concatenate([self._buf, np.empty(len(self._buf))])
        self._buf[self._n] = value
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def copy(self) -> np.ndarray:
        return self._buf[: self._n].copy()

    def view(self) -> np.ndarray:
        """A read-only view of the values so far (O(1); later appends do not show in it)."""
        out = self._buf[: self._n]
        out.flags.writeable = False
        return out


# --------------------------------------------------------------------------- trainer
def _default_loss_kind(dataset: Any) -> str:
    return "cross_entropy" if dataset.kind == "classification" else "mse"


def _make_loss(kind: str) -> nn.Module:
    """The compiler's loss factory when present; a local table keeps the trainer testable alone."""
    try:
        from neurocanvas.core.network.compiler import make_loss
    except ImportError:  # compiler not built yet / stripped-down install
        table = {
            "mse": nn.MSELoss,
            "l1": nn.L1Loss,
            "huber": nn.HuberLoss,
            "cross_entropy": nn.CrossEntropyLoss,
            "bce": nn.BCEWithLogitsLoss,
        }
        return table[kind]()
    return make_loss(kind)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class Trainer:
    """Trains ``model`` on ``dataset``; one optimizer step per :meth:`step`.

    Parameters
    ----------
    model : nn.Module
        Typically a compiled ``GraphModule``; its ``loss_kind`` picks the loss (else MSE for
        regression, cross-entropy for classification).
    dataset : Dataset
        Numpy arrays (see ``core.datasets``).
    config : TrainingConfig
        Starting settings; the live ones may change through ``control``.
    control : TrainingControl, optional
        The GUI's handle on the run.
    snapshot_every_s : float
        Minimum time between snapshots handed to the callback (plots redraw on a timer anyway,
        so more would only burn the training thread's time).
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: Any,
        config: TrainingConfig | None = None,
        control: TrainingControl | None = None,
        snapshot_every_s: float = 0.05,
    ) -> None:
        self.config = (config or TrainingConfig()).validate()
        self.model = model
        self.dataset = dataset
        self.control = control or TrainingControl()
        self.control.adopt(self.config)
        self.snapshot_every_s = float(snapshot_every_s)
        self.loss_kind: str = getattr(model, "loss_kind", None) or _default_loss_kind(dataset)
        self.loss_fn = _make_loss(self.loss_kind)
        self.is_classification = dataset.kind == "classification"
        self.settings = {k: getattr(self.config, k) for k in LIVE_SETTINGS}

        if self.config.device != "cpu":
            model.to(self.config.device)
        manual_seed(self.config.seed)  # dropout draws from the engine's generator
        self._rng = np.random.default_rng(self.config.seed)  # batch order
        self.optimizer = self._build_optimizer()

        self.x_train = np.asarray(dataset.x_train)
        self.y_train = self._targets(dataset.y_train)
        self.x_val = np.asarray(dataset.x_val)
        self.y_val = self._targets(dataset.y_val)
        self.n_train = len(self.x_train)
        if self.n_train == 0:
            raise ValueError(f"data set {getattr(dataset, 'name', '?')!r} has no training samples")

        # progress
        self.epoch = 0  # completed epochs
        self.global_step = 0
        self.samples_done = 0
        self.state = "running"
        self.message = ""
        self.lr_changes: list[tuple[int, float]] = [(0, self.settings["lr"])]
        self._order = self._rng.permutation(self.n_train)
        self._cursor = 0
        self._epoch_loss_sum = 0.0
        self._epoch_correct = 0

        # metrics
        self.step_loss = _Series()
        self.train_loss = _Series(64)
        self.val_loss = _Series(64)
        self.train_acc = _Series(64)
        self.val_acc = _Series(64)
        self.confusion: np.ndarray | None = None
        self.samples: dict[str, np.ndarray] | None = None

        # divergence guard
        self._first_loss: float | None = None
        self._ema = math.nan
        self._best_loss = math.inf
        self._good_state = self._copy_state()
        self._good_step = 0

        # timing: active time excludes pauses so samples/s and the ETA stay honest
        self._active_s = 0.0
        self._last_emit = -math.inf
        self._last_emitted_state: str | None = None
        self._fit_grid = self._make_fit_grid()

    # ---------------------------------------------------------------- set-up helpers
    def _targets(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        if self.loss_kind == "bce":
            # BCE wants float targets shaped like the single logit column
            return y.astype(np.float32).reshape(len(y), -1)
        return y

    def _build_optimizer(self) -> optim.Optimizer:
        s = self.settings
        params = list(self.model.parameters())
        kind = s["optimizer"]
        if kind == "sgd":
            return optim.SGD(
                params, lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"]
            )
        if kind == "adam":
            return optim.Adam(params, lr=s["lr"], weight_decay=s["weight_decay"])
        if kind == "adamw":
            return optim.AdamW(params, lr=s["lr"], weight_decay=s["weight_decay"])
        return optim.RMSprop(
            params, lr=s["lr"], momentum=s["momentum"], weight_decay=s["weight_decay"]
        )

    def _copy_state(self) -> dict[str, np.ndarray]:
        # np.array(copy=True): state_dict values may be views of the live parameters
        return {k: np.array(v, copy=True) for k, v in self.model.state_dict().items()}

    def _make_fit_grid(self) -> dict[str, np.ndarray] | None:
        shape = tuple(self.dataset.input_shape)
        lo_hi = getattr(self.dataset, "x_range", None)
        if lo_hi is None and shape in ((1,), (2,)):
            lo, hi = float(self.x_train.min()), float(self.x_train.max())
            pad = 0.05 * (hi - lo or 1.0)
            lo_hi = (lo - pad, hi + pad)
        if shape == (1,) and not self.is_classification:
            x = np.linspace(lo_hi[0], lo_hi[1], FIT_POINTS_1D, dtype=np.float32)
            return {"x": x, "input": x.reshape(-1, 1)}
        if shape == (2,) and self.is_classification:
            axis = np.linspace(lo_hi[0], lo_hi[1], FIT_GRID_2D, dtype=np.float32)
            xx, yy = np.meshgrid(axis, axis)
            return {"xx": xx, "yy": yy, "input": np.stack([xx.ravel(), yy.ravel()], axis=1)}
        return None

    def _tensor(self, arr: np.ndarray) -> Tensor:
        if self.config.device == "cpu":
            return Tensor(arr)
        from neurocanvas.core.backend import to_device

        return Tensor(to_device(arr, self.config.device))

    # ---------------------------------------------------------------- public helpers
    def weights(self) -> dict[str, np.ndarray]:
        """A copy of the model's state_dict (safe to keep while training goes on)."""
        return self._copy_state()

    def swap_model(self, model: nn.Module) -> None:
        """Train ``model`` from the next step on (call between steps, e.g. after a recompile).

        The optimizer is rebuilt for the new parameters (its moments belonged to the old ones)
        and the divergence guard restarts, because a new architecture may have another loss
        scale. Progress (epoch, step, metrics) carries on.
        """
        self.model = model
        kind = getattr(model, "loss_kind", None) or _default_loss_kind(self.dataset)
        if kind != self.loss_kind:
            self.loss_kind = kind
            self.loss_fn = _make_loss(kind)
            self.y_train = self._targets(self.dataset.y_train)
            self.y_val = self._targets(self.dataset.y_val)
        if self.config.device != "cpu":
            model.to(self.config.device)
        self.optimizer = self._build_optimizer()
        self._good_state = self._copy_state()
        self._good_step = self.global_step
        self._first_loss = None
        self._best_loss = math.inf

    @property
    def total_steps(self) -> int:
        """Steps done plus the steps left at the current batch size."""
        return self._total_steps()

    # ---------------------------------------------------------------- control
    def _apply_changes(self) -> None:
        changes = self.control.take_changes()
        if not changes:
            return
        rebuild = "optimizer" in changes and changes["optimizer"] != self.settings["optimizer"]
        self.settings.update(changes)
        if rebuild:
            # a new optimizer keeps the weights but starts with fresh moments
            self.optimizer = self._build_optimizer()
        else:
            for group in self.optimizer.param_groups:
                for key in ("lr", "momentum", "weight_decay"):
                    if key in changes and key in group:
                        group[key] = changes[key]
        if "lr" in changes and changes["lr"] != self.lr_changes[-1][1]:
            self.lr_changes.append((self.global_step, changes["lr"]))

    # ---------------------------------------------------------------- stepping
    @property
    def finished(self) -> bool:
        return self.epoch >= self.config.epochs

    def step(self) -> float:
        """Apply queued control changes, then run one optimizer step on the next batch.

        Returns the batch loss. When the loss diverges the state becomes ``"diverged"`` and the
        last good weights are back in the model.
        """
        t0 = time.perf_counter()
        # overflow on the way to a divergence is expected: the guard reports it in words
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = self._step()
        self._active_s += time.perf_counter() - t0
        return value

    def _step(self) -> float:
        self._apply_changes()
        bs = self.settings["batch_size"]
        idx = self._order[self._cursor : self._cursor + bs]
        self._cursor += len(idx)
        xb, yb = self.x_train[idx], self.y_train[idx]

        if not self.model.training:  # train() walks every module: skip it on most steps
            self.model.train()
        self.optimizer.zero_grad()
        out = self.model(self._tensor(xb))
        loss = self.loss_fn(out, self._tensor(yb))
        value = float(loss.item())
        self.global_step += 1
        self.step_loss.append(value)

        if self._check_divergence(value):
            return value

        loss.backward()
        self.optimizer.step()

        n = len(idx)
        self.samples_done += n
        self._epoch_loss_sum += value * n
        if self.is_classification:
            self._epoch_correct += int((self._predict_labels(out.numpy()) == yb_labels(yb)).sum())
        if self.global_step % CHECKPOINT_EVERY == 0:
            self._checkpoint()
        if self._cursor >= self.n_train:
            self._end_epoch()
        return value

    def _predict_labels(self, logits: np.ndarray) -> np.ndarray:
        if self.loss_kind == "bce":
            return (logits.reshape(len(logits), -1)[:, 0] > 0).astype(np.int64)
        return logits.reshape(len(logits), -1).argmax(axis=1)

    def _check_divergence(self, value: float) -> bool:
        lr = self.settings["lr"]
        if not math.isfinite(value):
            reason = f"the loss became {value}"
        else:
            if self._first_loss is None:
                self._first_loss = self._ema = value
            self._ema = (1 - EMA_WEIGHT) * self._ema + EMA_WEIGHT * value
            limit = max(EXPLODE_FACTOR * self._best_loss, self._first_loss)
            if self.global_step > WARMUP_STEPS and self._ema > limit:
                reason = (
                    f"the smoothed loss {self._ema:.3g} exceeded {EXPLODE_FACTOR:g} x the best "
                    f"so far ({self._best_loss:.3g})"
                )
            else:
                self._best_loss = min(self._best_loss, self._ema)
                return False
        self.model.load_state_dict(self._good_state)
        self.optimizer = self._build_optimizer()  # its moments may hold NaN/huge values
        self.state = "diverged"
        self.message = (
            f"Training diverged at step {self.global_step} with lr {lr:g}: {reason}. "
            f"Restored the weights from step {self._good_step}; try a smaller learning rate."
        )
        return True

    def _checkpoint(self) -> None:
        state = self._copy_state()
        if all(np.isfinite(v).all() for v in state.values() if v.dtype.kind == "f"):
            self._good_state = state
            self._good_step = self.global_step

    def _end_epoch(self) -> None:
        n = self._cursor
        self.train_loss.append(self._epoch_loss_sum / max(n, 1))
        if self.is_classification:
            self.train_acc.append(self._epoch_correct / max(n, 1))
        self._evaluate_validation()
        self.epoch += 1
        self._order = self._rng.permutation(self.n_train)
        self._cursor = 0
        self._epoch_loss_sum = 0.0
        self._epoch_correct = 0
        self._checkpoint()

    # ---------------------------------------------------------------- evaluation
    def _forward_eval(self, x: np.ndarray) -> np.ndarray:
        """Model outputs for ``x`` in eval mode, without building a graph (chunked for memory)."""
        was_training = getattr(self.model, "training", True)
        self.model.eval()
        outs = []
        try:
            with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for i in range(0, len(x), EVAL_CHUNK):
                    outs.append(self.model(self._tensor(x[i : i + EVAL_CHUNK])).numpy())
        finally:
            if was_training:
                self.model.train()
        return np.concatenate(outs) if outs else np.empty((0,))

    def _evaluate_validation(self) -> None:
        if len(self.x_val) == 0:
            self.val_loss.append(math.nan)
            if self.is_classification:
                self.val_acc.append(math.nan)
            return
        out = self._forward_eval(self.x_val)
        with no_grad():
            loss = self.loss_fn(Tensor(out), Tensor(self.y_val))
        self.val_loss.append(float(loss.item()))
        if not self.is_classification:
            return
        pred = self._predict_labels(out)
        true = yb_labels(self.y_val)
        self.val_acc.append(float((pred == true).mean()))
        k = max(int(self.dataset.n_outputs), 2)
        conf = np.zeros((k, k), dtype=np.int64)
        np.add.at(conf, (true, pred), 1)
        self.confusion = conf
        if len(tuple(self.dataset.input_shape)) >= 2:  # images: a few sample predictions
            m = min(N_SAMPLE_PREDICTIONS, len(out))
            probs = self._probabilities(out[:m])
            self.samples = {
                "images": np.array(self.x_val[:m], copy=True),
                "true": true[:m].copy(),
                "pred": pred[:m].copy(),
                "probs": probs.max(axis=1),
            }

    def _probabilities(self, out: np.ndarray) -> np.ndarray:
        out = out.reshape(len(out), -1).astype(np.float64)
        if self.loss_kind == "bce":
            p = 1.0 / (1.0 + np.exp(-out[:, :1]))
            return np.concatenate([1.0 - p, p], axis=1)
        return _softmax(out)

    def _fit(self) -> dict[str, np.ndarray] | None:
        grid = self._fit_grid
        if grid is None:
            return None
        out = self._forward_eval(grid["input"])
        if "x" in grid:
            y = out.reshape(len(out), -1)
            return {"x": grid["x"].copy(), "y": y[:, 0].copy() if y.shape[1] == 1 else y}
        probs = self._probabilities(out).reshape(FIT_GRID_2D, FIT_GRID_2D, -1)
        return {"xx": grid["xx"].copy(), "yy": grid["yy"].copy(), "probs": probs}

    # ---------------------------------------------------------------- snapshots
    def _total_steps(self) -> int:
        """Steps done plus the steps left at the current batch size (an estimate if it changes)."""
        bs = self.settings["batch_size"]
        left_in_epoch = math.ceil((self.n_train - self._cursor) / bs) if self._cursor else 0
        full_epochs = max(self.config.epochs - self.epoch - (1 if self._cursor else 0), 0)
        return self.global_step + left_in_epoch + full_epochs * math.ceil(self.n_train / bs)

    def _want_fit(self) -> bool:
        """Whether a live snapshot should carry a new fit-grid prediction (a forward pass).

        Always here; the app's trainer answers from whether the GUI has drawn the last one.
        """
        return True

    def snapshot(self, state: str | None = None) -> Snapshot:
        """A consistent copy of the metrics now (call from the training thread only).

        ``fit`` may be None in a running snapshot when :meth:`_want_fit` says the last one has
        not been shown yet; any other snapshot has it, since no newer one may follow soon.
        """
        settled = (state or self.state) != "running"
        sps = self.samples_done / self._active_s if self._active_s > 0 else 0.0
        remaining = max(self.config.epochs * self.n_train - self.samples_done, 0)
        eta = remaining / sps if sps > 0 else math.inf
        if state in ("finished", "diverged"):
            eta = 0.0
        cls = self.is_classification
        return Snapshot(
            epoch=self.epoch,
            step=self.global_step,
            total_steps=self._total_steps(),
            samples_per_s=sps,
            elapsed_s=self._active_s,
            eta_s=eta,
            # Views, not copies: the series are append-only (see _Series), and copying a whole
            # long run's step losses into every snapshot cost the training thread O(steps).
            train_loss=self.train_loss.view(),
            val_loss=self.val_loss.view(),
            step_loss=self.step_loss.view(),
            train_acc=self.train_acc.view() if cls else None,
            val_acc=self.val_acc.view() if cls else None,
            lr_changes=list(self.lr_changes),
            fit=self._fit() if settled or self._want_fit() else None,
            confusion=None if self.confusion is None else self.confusion.copy(),
            state=state or self.state,
            message=self.message,
            settings=dict(self.settings),
            samples=None
            if self.samples is None
            else {k: v.copy() for k, v in self.samples.items()},
        )

    def _emit(self, callback: Callable[[Snapshot], None] | None, state: str, force: bool) -> None:
        now = time.perf_counter()
        changed = state != self._last_emitted_state
        if callback is None or not (
            force or changed or now - self._last_emit >= self.snapshot_every_s
        ):
            return
        self._last_emit = now
        self._last_emitted_state = state
        callback(self.snapshot(state))

    # ---------------------------------------------------------------- the loop
    def run(self, callback: Callable[[Snapshot], None] | None = None) -> Snapshot:
        """Train until the configured epochs are done, the control stops it, or it diverges.

        Blocks the calling thread (the app calls it in a worker thread). Returns the final
        snapshot, which is also handed to ``callback``.
        """
        self._emit(callback, "running", force=True)
        while self.state == "running" and not self.finished:
            if self.control.paused:
                self._emit(callback, "paused", force=False)
            if not self.control.wait_for_step():
                self.state = "stopped"
                self.message = f"Stopped at step {self.global_step} (epoch {self.epoch})."
                break
            self.step()
            if self.state == "diverged":
                break
            # after a single step while paused, show its result right away
            state = "paused" if self.control.paused else "running"
            self._emit(callback, state, force=state == "paused")
        if self.state == "running":
            self.state = "finished"
            self.message = f"Finished {self.epoch} epochs ({self.global_step} steps)."
        final = self.snapshot(self.state)
        if callback is not None:
            callback(final)
        return final


def yb_labels(y: np.ndarray) -> np.ndarray:
    """Class ids from classification targets (int ids, or BCE's float column)."""
    y = np.asarray(y)
    if y.dtype.kind == "f":
        return (y.reshape(len(y), -1)[:, 0] > 0.5).astype(np.int64)
    return y.reshape(-1).astype(np.int64)
