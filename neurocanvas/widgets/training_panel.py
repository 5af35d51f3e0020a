"""Training controls: buttons, run settings, live sliders and progress.

The panel holds no training logic. Buttons emit ``*_requested`` signals that the main window
wires to the worker; the live sliders write straight into a ``TrainingControl`` (thread-safe,
read by the trainer between steps) so that a change acts at the very next step, and also emit
``live_setting_changed`` so the app can record it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.widgets.number_control import LinearScale, LogScale, NumberControl
from neurocanvas.widgets.panel_sections import (
    CollapsibleSection,
    MessageWithDetails,
    WheelOnlyWhenFocused,
)
from neurocanvas.widgets.speed_control import SpeedControl
from neurocanvas.widgets.training_progress import TrainingProgress

__all__ = ["POLICIES", "TrainingPanel"]

OPTIMIZERS: tuple[tuple[str, str], ...] = (
    ("adam", "Adam"),
    ("adamw", "AdamW"),
    ("sgd", "SGD"),
    ("rmsprop", "RMSprop"),
)
# What a divergence does (core.training.guard.POLICIES), in words.
POLICIES: tuple[tuple[str, str], ...] = (
    ("stop", "Stop and restore"),
    ("pause", "Restore and pause"),
    ("continue", "Keep going"),
)
UNTIL_PAUSED_EPOCHS = 1_000_000  # "until I stop it": more epochs than anyone waits for
# Optimizers whose update reads the momentum setting (Adam's betas do not come from it).
USES_MOMENTUM = frozenset({"sgd", "rmsprop"})


# What the panel says when a message's first sentence is too long for its three lines.
SHORT_MESSAGES = {
    "diverged": "Training diverged.",
    "failed": "Training failed.",
    "paused": "Paused.",
    "finished": "Finished.",
    "stopped": "Stopped.",
}


class TrainingPanel(QWidget):
    """Buttons, settings, live sliders and a progress bar for one training run."""

    train_requested = Signal()
    continue_requested = Signal()
    compare_requested = Signal()
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
        style = self.style()

        def button(name: str, text: str, icon: QStyle.StandardPixmap, tip: str) -> QPushButton:
            b = QPushButton(QIcon(style.standardIcon(icon)), text)
            b.setObjectName(name)
            b.setToolTip(tip)
            return b

        sp = QStyle.StandardPixmap
        self.train_button = button(
            "trainButton",
            "Train",
            sp.SP_MediaPlay,
            "Start a new run from the project's initial weights (its seed), so runs compare fairly",
        )
        self.continue_button = button(
            "continueButton",
            "Continue",
            sp.SP_MediaSkipForward,
            "Go on training from the current weights, as a new run",
        )
        self.compare_button = button(
            "compareButton",
            "Compare rates",
            sp.SP_FileDialogContentsView,
            "Train the same initial weights at lr 0.01, 0.1, 1 and 10, unthrottled, and "
            "overlay the runs",
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
        self.continue_button.clicked.connect(self.continue_requested)
        self.compare_button.clicked.connect(self.compare_requested)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.step_button.clicked.connect(self.step_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.reset_button.clicked.connect(self.reset_requested)
        buttons = QGridLayout()
        buttons.addWidget(self.train_button, 0, 0)
        buttons.addWidget(self.continue_button, 0, 1)
        buttons.addWidget(self.pause_button, 0, 2)
        buttons.addWidget(self.stop_button, 1, 0)
        buttons.addWidget(self.step_button, 1, 1)
        buttons.addWidget(self.reset_button, 1, 2)
        buttons.addWidget(self.compare_button, 2, 0)
        self.speed = SpeedControl()
        self.speed.pace_changed.connect(self._on_pace)
        buttons.addWidget(self.speed, 2, 1, 1, 2)

        # Run settings: fixed when a run starts (batch size and optimizer may also change live).
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setObjectName("epochsSpin")
        self.epochs_spin.setRange(1, 100_000)
        self.epochs_spin.setValue(100)
        self.epochs_spin.setToolTip("Full passes over the training data")
        self.until_paused_check = QCheckBox("until I stop it")
        self.until_paused_check.setObjectName("untilPausedCheck")
        self.until_paused_check.setToolTip("Train on until you press Pause or Stop")
        self.until_paused_check.toggled.connect(lambda on: self.epochs_spin.setEnabled(not on))
        epochs_row = QHBoxLayout()
        epochs_row.addWidget(self.epochs_spin, 1)
        epochs_row.addWidget(self.until_paused_check)
        self.policy_combo = QComboBox()
        self.policy_combo.setObjectName("policyCombo")
        for key, name in POLICIES:
            self.policy_combo.addItem(name, key)
        self.policy_combo.setToolTip(
            "What a diverging loss does: stop and put back the best weights, put them back "
            "and pause, or keep going to watch it blow up"
        )
        self.policy_combo.currentIndexChanged.connect(self._on_policy)
        self.batch_spin = QSpinBox()
        self.batch_spin.setObjectName("batchSpin")
        self.batch_spin.setRange(1, 65_536)
        self.batch_spin.setValue(32)
        self.batch_spin.setSuffix(" samples")
        self.batch_spin.setToolTip("Samples per optimizer step; acts at the next step")
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

        # Learning rate first: the one setting people move while watching. The other run
        # settings fold into a section with a summary line, so that on a 768 px high screen
        # the panel leaves the inspector its room (panel_sections.py says why).
        self.lr = NumberControl("learning rate", LogScale(1e-5, 100.0), 1e-3)
        self.lr.slider.setObjectName("lrSlider")
        self.lr.label.setObjectName("lrLabel")
        self.lr.entry.setObjectName("lrEntry")
        self.lr.slider.setToolTip(
            "Learning rate, log scale 1e-5 … 100 (ticks at decades); arrow keys and the wheel "
            "step by x1.26; acts at the next step"
        )
        self.momentum = NumberControl("momentum", LinearScale(0.0, 0.99, steps=99), 0.0)
        self.momentum.slider.setObjectName("momentumSlider")
        self.momentum.slider.setToolTip(
            "Momentum (SGD) / smoothing α (RMSprop); PyTorch's default 0; acts at the next step"
        )
        self.weight_decay = NumberControl("weight decay", LogScale(1e-6, 1.0, zero=True), 0.0)
        self.weight_decay.slider.setObjectName("weightDecaySlider")
        self.weight_decay.slider.setToolTip(
            "L2 penalty on the weights; far left is off; acts at the next step"
        )
        self.lr.value_changed.connect(self._on_lr)
        self.momentum.value_changed.connect(lambda v: self._on_live("momentum", v))
        self.weight_decay.value_changed.connect(lambda v: self._on_live("weight_decay", v))
        lr_form = QFormLayout()
        lr_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        lr_form.addRow("Learning rate", self.lr)

        body = QWidget()
        body.setObjectName("runSettings")
        form = QFormLayout(body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)  # ticked sliders are taller: keep the panel short
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Epochs", epochs_row)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Momentum", self.momentum)
        form.addRow("Weight decay", self.weight_decay)
        form.addRow("Loss", self.loss_label)
        form.addRow("If it diverges", self.policy_combo)
        self.settings_section = CollapsibleSection("Run settings", body, self)
        for signal in (
            self.epochs_spin.valueChanged,
            self.until_paused_check.toggled,
            self.batch_spin.valueChanged,
            self.optimizer_combo.currentIndexChanged,
        ):
            signal.connect(self._update_summary)

        self.progress_view = TrainingProgress(self)
        self.progress, self.progress_label = self.progress_view.bar, self.progress_view.detail
        self.status = MessageWithDetails(lines=3, parent=self)
        self.status_label = self.status.label  # the first sentence of the message
        self.status_label.setObjectName("trainingStatus")
        self.status.details_button.setObjectName("statusDetails")

        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addLayout(lr_form)
        layout.addWidget(self.progress_view)
        layout.addWidget(self.status)
        layout.addWidget(self.settings_section)
        layout.addStretch(1)
        self._update_summary()
        self._on_optimizer()
        self.set_state("idle")
        self.wheel_guard = WheelOnlyWhenFocused(self)

    # -- wiring ---------------------------------------------------------------------------
    def set_control(self, control: Any) -> None:
        """Write live settings into ``control`` (a ``TrainingControl``; ``None`` detaches)."""
        self._control = control

    def _write_control(self, **changes: Any) -> None:
        if self._control is not None:
            self._control.set(**changes)

    def _on_pace(self, pace: Any) -> None:
        if self._control is not None:
            self._control.set_pace(pace)

    def _on_policy(self, *_: Any) -> None:
        if self._control is not None:
            self._control.set_divergence_policy(self.divergence_policy())

    def pace(self) -> float | None:
        """Steps per second chosen, or None for unthrottled."""
        return self.speed.pace()

    def divergence_policy(self) -> str:
        return str(self.policy_combo.currentData())

    def until_paused(self) -> bool:
        return self.until_paused_check.isChecked()

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
        self.continue_button.setEnabled(not active)
        self.compare_button.setEnabled(not active)
        self.pause_button.setEnabled(active)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        pix = QStyle.StandardPixmap.SP_MediaPlay if state == "paused" else None
        self.pause_button.setIcon(
            self.style().standardIcon(pix or QStyle.StandardPixmap.SP_MediaPause)
        )
        self.stop_button.setEnabled(active)
        self.step_button.setEnabled(state != "running")
        self.reset_button.setEnabled(not active or state == "paused")
        self.epochs_spin.setEnabled(not active and not self.until_paused())
        self.until_paused_check.setEnabled(not active)
        colour = {"diverged": "#d55e00", "failed": "#d55e00"}.get(state)
        self.status.set_message(message, colour, SHORT_MESSAGES.get(state, ""))
        if state == "idle":
            self.progress_view.reset()

    def state(self) -> str:
        return self._state

    def message(self) -> str:
        """The whole status message (the panel shows its first sentence, the rest on demand)."""
        return self.status.message()

    def _update_summary(self, *_: Any) -> None:
        epochs = "until stopped" if self.until_paused() else f"{self.epochs_spin.value()} epochs"
        self.settings_section.set_summary(
            f"{epochs} · batch {self.batch_spin.value()} · {self.optimizer_combo.currentText()}"
        )

    def update_progress(self, snap: Any) -> None:
        """Show a snapshot's position: epoch, step, speed and time left (TrainingProgress)."""
        epochs = None if self.until_paused() else self.epochs_spin.value()
        self.progress_view.show_snapshot(snap, epochs)
        if snap.state != self._state and snap.state in ("running", "paused"):
            self.set_state(snap.state)
