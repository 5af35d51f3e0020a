"""Training controls: buttons, run settings, live sliders and progress.

The panel holds no training logic. Buttons emit ``*_requested`` signals that the main window
wires to the worker; the live sliders write straight into a ``TrainingControl`` (thread-safe,
read by the trainer between steps) so that a change acts at the very next step, and also emit
``live_setting_changed`` so the app can record it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

__all__ = ["LogScale", "TrainingPanel", "ValueSlider", "format_duration"]

OPTIMIZERS: tuple[tuple[str, str], ...] = (
    ("adam", "Adam"),
    ("adamw", "AdamW"),
    ("sgd", "SGD"),
    ("rmsprop", "RMSprop"),
)
# Optimizers whose update reads the momentum setting (Adam's betas do not come from it).
USES_MOMENTUM = frozenset({"sgd", "rmsprop"})


def format_duration(seconds: float) -> str:
    """'0:07', '12:04', '1:02:03'; '–' when unknown (no steps yet, or infinite)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def format_value(v: float) -> str:
    """Compact human form: 0.001 -> '0.001', 3e-05 -> '3e-05', 0 -> '0'."""
    return f"{v:.3g}"


PROGRESS_INTERVAL_S = 0.25  # 4 updates a second read smoothly and cost little


class LogScale:
    """Maps slider positions 0..steps onto ``lo..hi`` evenly in log10.

    With ``zero=True`` position 0 means exactly 0 (weight decay off) and 1..steps span the
    logarithmic range.
    """

    def __init__(self, lo: float, hi: float, steps: int = 600, zero: bool = False) -> None:
        if not (0 < lo < hi):
            raise ValueError(f"LogScale needs 0 < lo < hi, got lo={lo}, hi={hi}")
        self.lo, self.hi, self.steps, self.zero = lo, hi, steps, zero

    def to_value(self, pos: int) -> float:
        if self.zero:
            if pos <= 0:
                return 0.0
            frac = (pos - 1) / (self.steps - 1)
        else:
            frac = pos / self.steps
        a, b = math.log10(self.lo), math.log10(self.hi)
        return 10 ** (a + frac * (b - a))

    def to_pos(self, value: float) -> int:
        if self.zero and value <= 0:
            return 0
        v = min(max(value, self.lo), self.hi)
        a, b = math.log10(self.lo), math.log10(self.hi)
        frac = (math.log10(v) - a) / (b - a)
        if self.zero:
            return 1 + round(frac * (self.steps - 1))
        return round(frac * self.steps)


class LinearScale:
    """Maps slider positions 0..steps onto ``lo..hi`` evenly."""

    def __init__(self, lo: float, hi: float, steps: int = 100) -> None:
        self.lo, self.hi, self.steps = lo, hi, steps

    def to_value(self, pos: int) -> float:
        return self.lo + (self.hi - self.lo) * pos / self.steps

    def to_pos(self, value: float) -> int:
        v = min(max(value, self.lo), self.hi)
        return round((v - self.lo) / (self.hi - self.lo) * self.steps)


class ValueSlider(QWidget):
    """A slider, a value label and a typed entry that stay in sync.

    The exact typed value is kept (not rounded to the nearest slider position), so typing
    0.003 trains with 0.003 even though the slider can only land near it.
    """

    value_changed = Signal(float)

    def __init__(self, scale: LogScale | LinearScale, value: float, unit: str = "") -> None:
        super().__init__()
        self.scale = scale
        self.unit = unit
        self._value = float(value)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, scale.steps)
        self.slider.setPageStep(max(1, scale.steps // 12))
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.label = QLabel()
        self.label.setMinimumWidth(52)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.entry = QLineEdit()
        self.entry.setFixedWidth(72)
        self.entry.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.entry.setToolTip(f"Type a value between {scale.lo:g} and {scale.hi:g}, e.g. 3e-4")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.entry)
        self.slider.valueChanged.connect(self._on_slider)
        self.entry.editingFinished.connect(self._on_entry)
        self._show(self._value, move_slider=True)

    def value(self) -> float:
        return self._value

    def set_value(self, value: float, emit: bool = True) -> None:
        """Set from code or typing: clamp into range, move the slider, show it."""
        value = min(max(float(value), 0.0 if self._allows_zero() else self.scale.lo), self.scale.hi)
        changed = value != self._value
        self._value = value
        self._show(value, move_slider=True)
        if changed and emit:
            self.value_changed.emit(value)

    def _allows_zero(self) -> bool:
        return getattr(self.scale, "zero", False) or self.scale.lo == 0

    def _show(self, value: float, move_slider: bool) -> None:
        text = format_value(value)
        self.label.setText(f"{text}{self.unit}")
        self.entry.setText(text)
        self.entry.setStyleSheet("")
        if move_slider:
            self.slider.blockSignals(True)
            self.slider.setValue(self.scale.to_pos(value))
            self.slider.blockSignals(False)

    def _on_slider(self, pos: int) -> None:
        value = float(f"{self.scale.to_value(pos):.3g}")  # a round number is easier to read
        self._value = value
        self._show(value, move_slider=False)
        self.value_changed.emit(value)

    def _on_entry(self) -> None:
        text = self.entry.text().strip()
        try:
            value = float(text)
            if not math.isfinite(value) or value < 0:
                raise ValueError
        except ValueError:
            self.entry.setStyleSheet("color: #d55e00;")
            self.entry.setToolTip(f"'{text}' is not a number; type e.g. 0.001 or 1e-3")
            return
        self.set_value(value)


class TrainingPanel(QWidget):
    """Buttons, settings, live sliders and a progress bar for one training run."""

    train_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    step_requested = Signal()
    stop_requested = Signal()
    reset_requested = Signal()
    #: (name, value) of a live setting (lr, momentum, weight_decay) moved by the person.
    live_setting_changed = Signal(str, float)
    lr_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._control: Any = None
        self._state = "idle"
        self._progress_shown_at = -math.inf
        style = self.style()

        def button(name: str, text: str, icon: QStyle.StandardPixmap, tip: str) -> QPushButton:
            b = QPushButton(QIcon(style.standardIcon(icon)), text)
            b.setObjectName(name)
            b.setToolTip(tip)
            return b

        sp = QStyle.StandardPixmap
        self.train_button = button(
            "trainButton", "Train", sp.SP_MediaPlay, "Compile the graph and start training"
        )
        self.train_button.setDefault(True)
        self.pause_button = button(
            "pauseButton", "Pause", sp.SP_MediaPause, "Pause after the current step"
        )
        self.step_button = button(
            "stepButton", "Step", sp.SP_MediaSeekForward, "Run exactly one optimizer step"
        )
        self.stop_button = button(
            "stopButton", "Stop", sp.SP_MediaStop, "Stop training and keep the weights"
        )
        self.reset_button = button(
            "resetButton", "Reset weights", sp.SP_BrowserReload, "Re-initialise all weights"
        )
        self.train_button.clicked.connect(self.train_requested)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.step_button.clicked.connect(self.step_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.reset_button.clicked.connect(self.reset_requested)
        buttons = QGridLayout()
        buttons.addWidget(self.train_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.stop_button, 0, 2)
        buttons.addWidget(self.step_button, 1, 0)
        buttons.addWidget(self.reset_button, 1, 1, 1, 2)

        # Run settings: fixed when a run starts (batch size and optimizer may also change live).
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setObjectName("epochsSpin")
        self.epochs_spin.setRange(1, 100_000)
        self.epochs_spin.setValue(100)
        self.epochs_spin.setToolTip("Full passes over the training data")
        self.batch_spin = QSpinBox()
        self.batch_spin.setObjectName("batchSpin")
        self.batch_spin.setRange(1, 65_536)
        self.batch_spin.setValue(32)
        self.batch_spin.setSuffix(" samples")
        self.batch_spin.setToolTip("Samples per optimizer step; takes effect at the next epoch")
        self.optimizer_combo = QComboBox()
        self.optimizer_combo.setObjectName("optimizerCombo")
        for key, name in OPTIMIZERS:
            self.optimizer_combo.addItem(name, key)
        self.optimizer_combo.setToolTip("Update rule (PyTorch's torch.optim equivalents)")
        self.loss_label = QLabel("set on the Output node")
        self.loss_label.setObjectName("lossLabel")
        self.loss_label.setToolTip("The loss is a parameter of the graph's Output node")
        self.batch_spin.valueChanged.connect(lambda v: self._write_control(batch_size=int(v)))
        self.optimizer_combo.currentIndexChanged.connect(self._on_optimizer)

        settings = QGroupBox("Run")
        form = QFormLayout(settings)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Loss", self.loss_label)

        # Live sliders: act on the running training at its next step.
        self.lr = ValueSlider(LogScale(1e-5, 10.0, steps=600), 1e-3)
        self.lr.slider.setObjectName("lrSlider")
        self.lr.label.setObjectName("lrLabel")
        self.lr.entry.setObjectName("lrEntry")
        self.lr.slider.setToolTip("Learning rate, log scale 1e-5 … 10; acts at the next step")
        self.momentum = ValueSlider(LinearScale(0.0, 0.99, steps=99), 0.9)
        self.momentum.slider.setObjectName("momentumSlider")
        self.momentum.slider.setToolTip("Momentum (SGD) / smoothing α (RMSprop)")
        self.weight_decay = ValueSlider(LogScale(1e-6, 1e-1, steps=500, zero=True), 0.0)
        self.weight_decay.slider.setObjectName("weightDecaySlider")
        self.weight_decay.slider.setToolTip("L2 penalty on the weights; far left is off")
        self.lr.value_changed.connect(self._on_lr)
        self.momentum.value_changed.connect(lambda v: self._on_live("momentum", v))
        self.weight_decay.value_changed.connect(lambda v: self._on_live("weight_decay", v))

        live = QGroupBox("Live settings")
        live.setToolTip("These act on a running training at its next step")
        live_form = QFormLayout(live)
        live_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        live_form.addRow("Learning rate", self.lr)
        live_form.addRow("Momentum", self.momentum)
        live_form.addRow("Weight decay", self.weight_decay)

        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready")
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("progressDetail")
        self.progress_label.setToolTip("Optimizer steps, training speed and estimated time left")
        self.status_label = QLabel("")
        self.status_label.setObjectName("trainingStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(settings)
        layout.addWidget(live)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        self._on_optimizer()
        self.set_state("idle")

    # -- wiring ---------------------------------------------------------------------------
    def set_control(self, control: Any) -> None:
        """Write live settings into ``control`` (a ``TrainingControl``; ``None`` detaches)."""
        self._control = control

    def _write_control(self, **changes: Any) -> None:
        if self._control is not None:
            self._control.set(**changes)

    def _on_lr(self, value: float) -> None:
        self._write_control(lr=value)
        self.lr_changed.emit(value)
        self.live_setting_changed.emit("lr", value)

    def _on_live(self, name: str, value: float) -> None:
        self._write_control(**{name: value})
        self.live_setting_changed.emit(name, value)

    def _on_optimizer(self, *_: Any) -> None:
        key = self.optimizer_combo.currentData()
        self.momentum.setEnabled(key in USES_MOMENTUM)
        self._write_control(optimizer=key)

    def _on_pause_clicked(self) -> None:
        if self._state == "paused":
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()

    # -- settings -------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The run settings, named as ``TrainingConfig``'s fields."""
        return {
            "epochs": self.epochs_spin.value(),
            "batch_size": self.batch_spin.value(),
            "optimizer": self.optimizer_combo.currentData(),
            "lr": self.lr.value(),
            "momentum": self.momentum.value(),
            "weight_decay": self.weight_decay.value(),
        }

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Show saved settings (e.g. from a project file) without emitting live changes."""
        if "epochs" in settings:
            self.epochs_spin.setValue(int(settings["epochs"]))
        if "batch_size" in settings:
            self.batch_spin.blockSignals(True)
            self.batch_spin.setValue(int(settings["batch_size"]))
            self.batch_spin.blockSignals(False)
        if "optimizer" in settings:
            i = self.optimizer_combo.findData(settings["optimizer"])
            if i < 0:
                raise ValueError(f"unknown optimizer {settings['optimizer']!r}")
            self.optimizer_combo.blockSignals(True)
            self.optimizer_combo.setCurrentIndex(i)
            self.optimizer_combo.blockSignals(False)
            self.momentum.setEnabled(settings["optimizer"] in USES_MOMENTUM)
        for name, w in (("lr", self.lr), ("momentum", self.momentum)):
            if name in settings:
                w.set_value(float(settings[name]), emit=False)
        if "weight_decay" in settings:
            self.weight_decay.set_value(float(settings["weight_decay"]), emit=False)

    def set_loss_name(self, name: str) -> None:
        self.loss_label.setText(name)

    # -- state and progress ---------------------------------------------------------------
    def set_state(self, state: str, message: str = "") -> None:
        """Enable the buttons that make sense in ``state`` and show ``message``.

        States: idle, running, paused, finished, stopped, diverged, failed.
        """
        self._state = state
        active = state in ("running", "paused")
        self.train_button.setEnabled(not active)
        self.pause_button.setEnabled(active)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        pix = QStyle.StandardPixmap.SP_MediaPlay if state == "paused" else None
        self.pause_button.setIcon(
            self.style().standardIcon(pix or QStyle.StandardPixmap.SP_MediaPause)
        )
        self.stop_button.setEnabled(active)
        self.step_button.setEnabled(state != "running")
        self.reset_button.setEnabled(not active or state == "paused")
        self.epochs_spin.setEnabled(not active)
        colour = {"diverged": "#d55e00", "failed": "#d55e00"}.get(state)
        self.status_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.status_label.setText(message)
        if state in ("idle",):
            self.progress.setValue(0)
            self.progress.setFormat("Ready")
            self.progress_label.setText("")

    def state(self) -> str:
        return self._state

    def update_progress(self, snap: Any) -> None:
        """Show a snapshot's position: epoch, step, speed and time left.

        While running, at most every ``PROGRESS_INTERVAL_S``: a progress bar repaints at once,
        and the GUI thread's time is taken from the training thread (they share the GIL).
        """
        now = time.monotonic()
        if snap.state == "running" and now - self._progress_shown_at < PROGRESS_INTERVAL_S:
            return
        self._progress_shown_at = now
        total = max(int(snap.total_steps), 1)
        self.progress.setValue(round(1000 * min(snap.step / total, 1.0)))
        epochs = self.epochs_spin.value()
        epoch = min(int(snap.epoch) + (0 if snap.state == "finished" else 1), epochs)
        self.progress.setFormat(f"Epoch {epoch}/{epochs} · %p%")
        self.progress_label.setText(
            f"step {snap.step:,}/{snap.total_steps:,} · {snap.samples_per_s:,.0f} samples/s · "
            f"{format_duration(snap.eta_s)} left"
        )
        if snap.state != self._state and snap.state in ("running", "paused"):
            self.set_state(snap.state)
