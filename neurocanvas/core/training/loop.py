"""The step/epoch loop: one optimizer step per :meth:`Trainer.step`, parts called around it.

The loop itself only orders the work; each concern is a part of its own (DESIGN.md, "The
training loop calls small parts"): :mod:`.control` (settings, pace, pause, stop),
:mod:`.guard` (divergence and checkpoints), :mod:`.metrics` (what is measured),
:mod:`.snapshot` (what the GUI receives), :mod:`.probes` (views of training) and hooks
(:class:`TrainingHook`: ``on_step_end`` / ``on_epoch_end``, as Keras's callbacks).

One step, in order: queued setting and probe changes are applied; probes that ``wants(step)``
get ``before_forward``; forward; loss; the guard watches the loss; ``backward``; probes'
``after_backward``; ``optimizer.step()``; probes' ``collect`` (result into
``Snapshot.probes[name]``); hooks' ``on_step_end``; a checkpoint every ``CHECKPOINT_EVERY``
steps; at an epoch's end validation, a checkpoint and ``on_epoch_end``.

The file is longer than the house's ~400 lines: what is left here is the order of calls in a
step and in a run and the Trainer's public surface; every concern with a seam of its own
(batches, control, guard, metrics, probes, snapshot) already lives in its own module, and
splitting the order of one step across files would make it harder to read, not easier.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from neurocanvas.core import nn, optim
from neurocanvas.core.backend import to_device
from neurocanvas.core.network.compiler import make_loss
from neurocanvas.core.network.decision import last_activation
from neurocanvas.core.random import manual_seed
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training import metrics
from neurocanvas.core.training.batches import EpochBatches
from neurocanvas.core.training.control import (
    LIVE_SETTINGS,
    TrainingConfig,
    TrainingControl,
    make_optimizer,
)
from neurocanvas.core.training.guard import (
    Checkpoint,
    DivergenceGuard,
    all_finite,
    describe_divergence,
)
from neurocanvas.core.training.metrics import EpochMeter, FitGrid, Validation
from neurocanvas.core.training.probe_runner import ProbeRunner
from neurocanvas.core.training.probes import Probe, StepContext
from neurocanvas.core.training.series import Series
from neurocanvas.core.training.snapshot import Snapshot

CHECKPOINT_EVERY = 50
CHECK_SET = 256  # training samples on which a checkpoint's loss is measured
EPOCH_CHUNK = 1024  # per-epoch records: the latest 7,168..8,192 epochs kept exactly


class TrainingHook:
    """Base for code called by the loop; override what you need (Keras's ``Callback``)."""

    def on_step_end(self, trainer: Trainer, loss: float) -> None:
        """After an optimizer step (``trainer.global_step`` is its 1-based index)."""

    def on_epoch_end(self, trainer: Trainer) -> None:
        """After an epoch's validation (``trainer.epoch`` counts the completed epochs)."""


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in model.modules())


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
        The GUI's handle on the run (settings, pace, pause, divergence policy).
    snapshot_every_s : float
        Minimum time between snapshots handed to the callback (plots redraw on a timer anyway,
        so more would only burn the training thread's time).
    probes : iterable of Probe
        Views of training called at the steps they want (see ``core.training.probes``).
    hooks : iterable of TrainingHook
        Called after every step and every epoch.
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: Any,
        config: TrainingConfig | None = None,
        control: TrainingControl | None = None,
        snapshot_every_s: float = 0.05,
        probes: Iterable[Probe] = (),
        hooks: Iterable[TrainingHook] = (),
    ) -> None:
        self.config = (config or TrainingConfig()).validate()
        self.model = model
        self.dataset = dataset
        self.control = control or TrainingControl()
        self.control.adopt(self.config)
        self.snapshot_every_s = float(snapshot_every_s)
        self.loss_kind: str = getattr(model, "loss_kind", None) or _default_loss_kind(dataset)
        self.loss_fn = make_loss(self.loss_kind)
        self.is_classification = dataset.kind == "classification"
        self.settings: dict[str, Any] = {k: getattr(self.config, k) for k in LIVE_SETTINGS}

        if self.config.device != "cpu":
            model.to(self.config.device)
        manual_seed(self.config.seed)  # dropout draws from the engine's generator
        self.optimizer = self.build_optimizer()

        self.x_train = np.asarray(dataset.x_train)
        self.y_train = self._targets(dataset.y_train)
        self.x_val = np.asarray(dataset.x_val)
        self.y_val = self._targets(dataset.y_val)
        self.n_train = len(self.x_train)
        if self.n_train == 0:
            raise ValueError(f"data set {getattr(dataset, 'name', '?')!r} has no training samples")
        self.batches = EpochBatches(self.n_train, self.config.seed, _has_batchnorm(model))

        # progress
        self.epoch = 0  # completed epochs
        self.global_step = 0
        self.samples_done = 0
        self.state = "running"
        self.message = ""
        self.lr_changes: list[tuple[int, float]] = [(0, self.settings["lr"])]
        self.changes: list[tuple[int, str, Any, Any]] = []
        self._meter = EpochMeter()

        # metrics
        # Bounded records (see series.py): a run "until paused" must not grow with its length.
        self.step_loss = Series()
        self.train_loss = Series(EPOCH_CHUNK)
        self.val_loss = Series(EPOCH_CHUNK)
        self.train_acc = Series(EPOCH_CHUNK)
        self.val_acc = Series(EPOCH_CHUNK)
        self.confusion: np.ndarray | None = None
        self.samples: dict[str, np.ndarray] | None = None
        n_out = int(getattr(dataset, "n_outputs", 1) or 1)
        self._validation = Validation(
            self.x_val, self.y_val, self.loss_kind, n_out, self.is_classification
        )
        self._validation.last_layer = self.last_layer = last_activation(model)
        self._fit_grid = FitGrid(
            tuple(dataset.input_shape),
            self.x_train,
            self.is_classification,
            getattr(dataset, "x_range", None),
        )

        # probes and hooks
        self.probes = ProbeRunner(probes)
        self.hooks: list[TrainingHook] = list(hooks)

        # divergence guard: checkpoints are measured on a fixed, evenly spread check set
        self._check = np.linspace(0, self.n_train - 1, min(self.n_train, CHECK_SET)).astype(int)
        self.guard = DivergenceGuard(
            self.control.divergence_policy,
            metrics.reference_loss(self.loss_kind, self.y_train, n_out),
        )
        self.diverged_at: int | None = None
        self.restored_step: int | None = None
        # How the weights now in the model score, when they are not the last step's (a restore
        # put a checkpoint back): what a final report must describe. None once training moves on.
        self.kept: dict[str, Any] | None = None
        # The initial weights' checkpoint is taken by the first step, in the thread that
        # trains: constructing a Trainer runs no forward pass, so the app's GUI thread (which
        # builds it on Train) never pays for one (25-50 ms for digits-cnn; seconds for the
        # first 3x3 convolution of a process, which loads the Winograd kernels).

        # timing: active time excludes pauses so samples/s and the ETA stay honest
        self._active_s = 0.0
        # wall-clock training time without pauses (a paced run's waits count: the runs table's
        # "time (s)" is what the person sat through, _active_s only the computing)
        self._wall_s = 0.0
        self._last_emit = -math.inf
        self._last_emitted_state: str | None = None

    # ---------------------------------------------------------------- set-up helpers
    def _targets(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        if self.loss_kind == "bce":
            # BCE wants float targets shaped like the single logit column
            return y.astype(np.float32).reshape(len(y), -1)
        return y

    def build_optimizer(self) -> optim.Optimizer:
        """A fresh optimizer for the model's parameters at the current live settings."""
        return make_optimizer(self.model.parameters(), self.settings)

    def _tensor(self, arr: np.ndarray) -> Tensor:
        if self.config.device == "cpu":
            return Tensor(arr)
        return Tensor(to_device(arr, self.config.device))

    # ---------------------------------------------------------------- public helpers
    def weights(self) -> dict[str, np.ndarray]:
        """A copy of the model's state_dict (safe to keep while training goes on)."""
        # np.array(copy=True): state_dict values may be views of the live parameters
        return {k: np.array(v, copy=True) for k, v in self.model.state_dict().items()}

    def load_state(self, weights: dict[str, np.ndarray]) -> None:
        """Load checked ``weights`` into the model (call between steps); the optimizer restarts.

        Its moments belonged to the old weights; the guard's loss history restarts and the
        loaded weights become a checkpoint (a good one only if they are finite).
        """
        if self.guard.latest is None:
            self.checkpoint()  # the weights before: still a way back if the loaded ones are bad
        self.model.load_state_dict(weights)
        self.optimizer = self.build_optimizer()
        self.guard.restart()
        self.checkpoint()

    def swap_model(self, model: nn.Module) -> None:
        """Train ``model`` from the next step on (call between steps, e.g. after a recompile).

        The optimizer is rebuilt for the new parameters, and the guard forgets the old model's
        checkpoints and loss history (a new architecture may have another loss scale).
        Progress (epoch, step, metrics) carries on.
        """
        self.model = model
        kind = getattr(model, "loss_kind", None) or _default_loss_kind(self.dataset)
        if kind != self.loss_kind:
            self.loss_kind = kind
            self.loss_fn = make_loss(kind)
            self.y_train = self._targets(self.dataset.y_train)
            self.y_val = self._targets(self.dataset.y_val)
            self._validation = Validation(
                self.x_val,
                self.y_val,
                kind,
                self._validation.n_outputs,
                self.is_classification,
            )
        self._validation.last_layer = self.last_layer = last_activation(model)
        if self.config.device != "cpu":
            model.to(self.config.device)
        self.batches.drop_lone = _has_batchnorm(model)
        self.optimizer = self.build_optimizer()
        self.guard.forget_checkpoints()
        self.guard.restart()
        self.checkpoint()

    def add_probe(self, probe: Probe) -> None:
        """Call ``probe`` from the next step on (thread-safe: any thread, any time)."""
        self.probes.add(probe)

    def remove_probe(self, name: str) -> None:
        """Stop calling the probe named ``name`` from the next step on; its result goes too."""
        self.probes.remove(name)

    @property
    def total_steps(self) -> int:
        """Steps done plus the steps left at the current batch size (an estimate if it changes)."""
        epochs_left = max(self.config.epochs - self.epoch, 0)
        return self.global_step + self.batches.steps_left(epochs_left, self.settings["batch_size"])

    def continue_from(self, previous: Trainer) -> None:
        """Go on counting from ``previous``, whose weights this trainer's model holds (Continue).

        Step and epoch numbers, the loss and accuracy series and the lr record carry on, so
        the curves extend the same run instead of starting again at step 0; this trainer's
        ``config.epochs`` become that many epochs more. Call before :meth:`run`.
        """
        self.global_step, self.epoch = previous.global_step, previous.epoch
        self.samples_done = previous.samples_done
        for name in ("step_loss", "train_loss", "val_loss", "train_acc", "val_acc"):
            setattr(self, name, getattr(previous, name).copy())
        self.config = dataclasses.replace(self.config, epochs=self.epoch + self.config.epochs)
        self.lr_changes = list(previous.lr_changes)
        if self.lr_changes[-1][1] != self.settings["lr"]:
            self.lr_changes.append((self.global_step, self.settings["lr"]))
        self.checkpoint()  # the guard's first checkpoint, at the step the run goes on from

    # ---------------------------------------------------------------- between steps
    def apply_changes(self) -> None:
        """Apply the control's queued setting changes now (the loop does before each step)."""
        changes = self.control.take_changes()
        if not changes:
            return
        for key, new in changes.items():
            old = self.settings[key]
            if new != old:
                self.changes.append((self.global_step, key, old, new))
        rebuild = "optimizer" in changes and changes["optimizer"] != self.settings["optimizer"]
        self.settings.update(changes)
        if rebuild:
            # a new optimizer keeps the weights but starts with fresh moments
            self.optimizer = self.build_optimizer()
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
        """Apply queued changes, then run one optimizer step on the next batch.

        Returns the batch loss. When the loss diverges the guard's policy decides: the state
        becomes ``"diverged"`` (or the control pauses) with the best good checkpoint back in the
        model, or training goes on.
        """
        t0 = time.perf_counter()
        if self.guard.latest is None:
            self.checkpoint()  # the weights before any step: a divergence can go back to them
        # overflow on the way to a divergence is expected: the guard reports it in words
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = self._step()
        spent = time.perf_counter() - t0
        self._active_s += spent
        self._wall_s += spent
        return value

    def _step(self) -> float:
        self.apply_changes()
        self.probes.apply_changes()
        idx = self.batches.next(self.settings["batch_size"])
        xb, yb = self.x_train[idx], self.y_train[idx]

        if not self.model.training:  # train() walks every module: skip it on most steps
            self.model.train()
        step = self.global_step + 1
        active = self.probes.wanting(step)
        ctx = StepContext(
            step=step,
            epoch=self.epoch,
            model=self.model,
            inputs=self._tensor(xb),
            targets=self._tensor(yb),
            lr=self.settings["lr"],
        )
        self.probes.before_forward(active, ctx)
        self.optimizer.zero_grad()
        out = self.model(ctx.inputs)
        loss = self.loss_fn(out, ctx.targets)
        value = float(loss.item())
        ctx.outputs, ctx.loss = out, value
        self.global_step = step
        self.step_loss.append(value)

        reason = self.guard.watch(value)
        if reason is not None and self._on_divergence(reason, value):
            self.probes.collect(active, ctx)  # lets probes remove the hooks they installed
            return value

        loss.backward()
        self.probes.after_backward(active, ctx)
        self.optimizer.step()
        self.kept = None  # the weights are the newest again
        self.probes.collect(active, ctx)

        correct = 0
        if self.is_classification:
            pred = metrics.predict_labels(out.detach().numpy(), self.loss_kind, self.last_layer)
            correct = int((pred == metrics.labels_from_targets(yb)).sum())
        self.samples_done += len(idx)
        self._meter.add(value, len(idx), correct)
        for hook in self.hooks:
            hook.on_step_end(self, value)
        if self.global_step % CHECKPOINT_EVERY == 0:
            self.checkpoint()
        if self.batches.epoch_done:
            self._end_epoch()
        return value

    # ---------------------------------------------------------------- the guard's part
    def checkpoint(self) -> Checkpoint:
        """Copy the weights now and record them with their loss on the check set."""
        state = self.weights()
        out = metrics.forward_eval(self.model, self.x_train[self._check], self._tensor)
        loss = metrics.loss_of(self.loss_fn, out, self.y_train[self._check])
        return self.guard.record(self.global_step, state, loss)

    def _on_divergence(self, reason: str, value: float) -> bool:
        """Act on the guard firing; True when this step must not go on to update the weights."""
        policy = self.guard.policy = self.control.divergence_policy
        lr = self.settings["lr"]
        first = self.diverged_at is None
        if first:
            self.diverged_at = self.global_step
        if policy == "continue" and math.isfinite(value):
            if first:
                self.message = (
                    f"The loss is diverging since step {self.global_step} (lr {lr:g}): {reason}. "
                    "Training goes on, as chosen; it ends if the loss stops being a number."
                )
            return False
        restored = self._restore_best()
        self.message = describe_divergence(self.global_step, lr, reason, restored, policy)
        if policy == "pause":
            self.control.pause()
            self.guard.restart()
        else:
            self.state = "diverged"
        return True

    def _restore_best(self) -> Checkpoint | None:
        best = self.guard.best()
        if best is None:
            return None
        self.model.load_state_dict(best.state)
        self.optimizer = self.build_optimizer()  # its moments may hold NaN/huge values
        self.restored_step = best.step
        result = self._validation.evaluate(self.model, self.loss_fn, self._tensor)
        self.kept = {
            "step": best.step,
            "train_loss": best.loss,  # on the check set (training samples), as the guard saw it
            "val_loss": result["loss"],
            "val_acc": result["accuracy"],
        }
        if result["confusion"] is not None:  # the matrix shown is the kept weights'
            self.confusion = result["confusion"]
        if result["samples"] is not None:
            self.samples = result["samples"]
        return best

    def _final_check(self) -> None:
        """The last step's result is checked like every other: the weights must be usable."""
        latest = self.guard.latest
        if latest is None or latest.step != self.global_step:
            latest = self.checkpoint()
        if math.isfinite(latest.loss) and all_finite(latest.state):
            if self.control.divergence_policy == "continue" or latest.loss <= self.guard.limit:
                return
            reason = f"the final weights' loss {latest.loss:.3g} is past {self.guard.limit:.3g}"
        else:
            reason = f"the final weights' loss is {latest.loss:.3g} or a weight is not finite"
        self.control.set_divergence_policy("stop")  # the run is over: restore, never pause
        self._on_divergence(reason, math.nan)

    def _end_epoch(self) -> None:
        self.train_loss.append(self._meter.mean_loss)
        if self.is_classification:
            self.train_acc.append(self._meter.accuracy)
        result = self._validation.evaluate(self.model, self.loss_fn, self._tensor)
        self.val_loss.append(result["loss"])
        if self.is_classification:
            self.val_acc.append(result["accuracy"] if result["accuracy"] is not None else math.nan)
            if result["confusion"] is not None:
                self.confusion = result["confusion"]
            if result["samples"] is not None:
                self.samples = result["samples"]
        self.epoch += 1
        self.batches.new_epoch()
        self._meter = EpochMeter()
        self.checkpoint()
        for hook in self.hooks:
            hook.on_epoch_end(self)

    # ---------------------------------------------------------------- snapshots
    def snapshot(self, state: str | None = None) -> Snapshot:
        """A consistent copy of the metrics now (call from the training thread only).

        ``fit`` may be None in a running snapshot when the control says the last one has not
        been shown yet; any other snapshot has it, since no newer one may follow soon.
        """
        settled = (state or self.state) != "running"
        sps = self.samples_done / self._active_s if self._active_s > 0 else 0.0
        pace = self.control.pace
        if pace is not None and self.global_step:
            # Paced, a step takes at least 1/pace seconds: the rate and the time left say so.
            per_step = max(self._active_s / self.global_step, 1.0 / pace)
            sps = self.samples_done / (per_step * self.global_step)
        remaining = max(self.config.epochs * self.n_train - self.samples_done, 0)
        eta = remaining / sps if sps > 0 else math.inf
        if state in ("finished", "diverged"):
            eta = 0.0
        cls = self.is_classification
        want_fit = settled or self.control.take_fit_request()
        return Snapshot(
            epoch=self.epoch,
            step=self.global_step,
            total_steps=self.total_steps,
            samples_per_s=sps,
            elapsed_s=self._wall_s,
            eta_s=eta,
            # Frozen views, not copies (see series.Series.view): O(1) in the run's length.
            train_loss=self.train_loss.view(),
            val_loss=self.val_loss.view(),
            step_loss=self.step_loss.view(),
            train_acc=self.train_acc.view() if cls else None,
            val_acc=self.val_acc.view() if cls else None,
            lr_changes=list(self.lr_changes),
            fit=self._fit_grid.predict(self.model, self._tensor, self.loss_kind, self.last_layer)
            if want_fit
            else None,
            confusion=None if self.confusion is None else self.confusion.copy(),
            state=state or self.state,
            message=self.message,
            settings=dict(self.settings),
            samples=None
            if self.samples is None
            else {k: v.copy() for k, v in self.samples.items()},
            changes=list(self.changes),
            diverged_at=self.diverged_at,
            restored_step=self.restored_step,
            kept=None if self.kept is None else dict(self.kept),
            probes=self.probes.latest(),
            probe_errors=list(self.probes.errors),
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

        Blocks the calling thread (the app calls it in a worker thread). The first snapshot
        shows the untrained model. Returns the final snapshot, also handed to ``callback``.
        """
        self._emit(callback, "running", force=True)
        while self.state == "running" and not self.finished:
            if self.control.paused:
                self._emit(callback, "paused", force=False)
            was_paused, t0 = self.control.paused, time.perf_counter()
            go = self.control.wait_for_step()
            if not (was_paused or self.control.paused):  # waiting for the pace, not paused
                self._wall_s += time.perf_counter() - t0
            if not go:
                self.state = "stopped"
                # the panel counts the epoch under way (completed + 1): say the same
                self.message = f"Stopped at step {self.global_step} (in epoch {self.epoch + 1})."
                break
            self.step()
            if self.state == "diverged":
                break
            # after a single step while paused, show its result right away
            state = "paused" if self.control.paused else "running"
            self._emit(callback, state, force=state == "paused")
        if self.state in ("running", "stopped") and self.global_step > 0:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._final_check()
        if self.state == "running":
            self.state = "finished"
            self.message = f"Finished {self.epoch} epochs ({self.global_step} steps)."
            if self.diverged_at is not None:  # the "keep going" policy ran on
                self.message += (
                    f" The loss diverged from step {self.diverged_at} on and it went on."
                )
        final = self.snapshot(self.state)
        if callback is not None:
            callback(final)
        return final


def _default_loss_kind(dataset: Any) -> str:
    return "cross_entropy" if dataset.kind == "classification" else "mse"
