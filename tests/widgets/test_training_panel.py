"""The training panel: buttons emit requests, live sliders write to the control."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QSlider

from neurocanvas.core.training import Snapshot, TrainingControl
from neurocanvas.widgets.number_control import LogScale
from neurocanvas.widgets.training_panel import TrainingPanel
from neurocanvas.widgets.training_progress import format_duration


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    return p


def test_panel_has_the_stable_object_names(panel):
    for name in ("trainButton", "pauseButton", "stopButton", "stepButton", "resetButton"):
        assert panel.findChild(QPushButton, name) is not None, name
    assert panel.findChild(QSlider, "lrSlider") is panel.lr.slider


def test_moving_lr_slider_emits_lr_and_updates_label_and_entry(panel, qtbot):
    control = TrainingControl()
    panel.set_control(control)
    pos = panel.lr.scale.to_pos(0.1)
    with qtbot.waitSignal(panel.lr_changed) as blocker:
        panel.lr.slider.setValue(pos)
    lr = blocker.args[0]
    assert lr == 0.1
    assert panel.lr.label.text() == f"{lr:.3g}"
    assert float(panel.lr.entry.text()) == lr
    assert control.snapshot_settings()["lr"] == lr  # acts on the running training


def test_typing_lr_moves_the_slider_and_keeps_the_exact_value(panel, qtbot):
    panel.lr.entry.setText("3e-4")
    with qtbot.waitSignal(panel.lr_changed) as blocker:
        panel.lr.entry.editingFinished.emit()
    assert blocker.args[0] == 3e-4
    assert panel.lr.slider.value() == panel.lr.scale.to_pos(3e-4)
    assert panel.lr.label.text() == "0.0003"
    assert panel.settings()["lr"] == 3e-4


@pytest.mark.parametrize("text", ["fast", "-1", "abc", "100000", "nan"])
def test_bad_typed_values_are_refused_with_a_message_and_the_value_in_use_stays(panel, qtbot, text):
    panel.show()
    before = panel.lr.value()
    with qtbot.assertNotEmitted(panel.lr_changed):
        type_into(qtbot, panel.lr.entry, text)
    assert panel.lr.value() == before
    assert panel.lr.entry.text() == f"{before:.3g}"  # never shows a value not in use
    assert panel.lr.message.isVisible()
    assert ("not a number" in panel.lr.message.text()) or (
        "out of range" in panel.lr.message.text()
    )
    type_into(qtbot, panel.lr.entry, "0.02")  # a good value clears the reason
    assert panel.lr.value() == 0.02 and not panel.lr.message.isVisible()
    type_into(qtbot, panel.lr.entry, text)
    assert panel.lr.message.isVisible()
    type_into(qtbot, panel.lr.entry, "0.02")  # the value in use, typed again: clears it too
    assert panel.lr.value() == 0.02 and not panel.lr.message.isVisible()


def type_into(qtbot, entry, text: str) -> None:
    entry.setFocus()
    entry.selectAll()
    qtbot.keyClicks(entry, text)
    qtbot.keyClick(entry, Qt.Key.Key_Return)


def test_the_lr_control_returns_to_exactly_0_01_after_keys_move_it_away_and_back(panel, qtbot):
    panel.show()
    panel.lr.set_value(0.01)
    slider = panel.lr.slider
    slider.setFocus()
    for _ in range(7):
        qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert panel.lr.value() == 0.05  # 7 steps of x1.26: 10^0.7, shown and used as 0.05
    for _ in range(7):
        qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert panel.lr.value() == 0.01
    assert panel.lr.label.text() == "0.01" and panel.lr.entry.text() == "0.01"


def test_the_wheel_steps_the_lr_by_one_fixed_ratio_a_notch(panel, qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    panel.lr.set_value(0.01)
    slider = panel.lr.slider
    event = QWheelEvent(
        QPointF(5, 5),
        QPointF(5, 5),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    slider.wheelEvent(event)
    assert panel.lr.value() == 0.013  # 10^(1/10) rounded to two digits


def test_lr_slider_spans_decades_with_1_2_5_positions(panel):
    slider = panel.lr.slider
    slider.setValue(slider.minimum())
    assert panel.lr.value() == 1e-5
    slider.setValue(slider.maximum())
    assert panel.lr.value() == 100.0
    values = {panel.lr.scale.to_value(p) for p in range(slider.maximum() + 1)}
    assert {0.001, 0.002, 0.005, 0.01, 0.1, 1.0, 10.0} <= values
    assert slider.tickInterval() == 10  # a tick per decade


def test_dragging_near_a_1_2_5_value_snaps_to_it(panel):
    slider = panel.lr.slider
    pos_002 = panel.lr.scale.to_pos(0.02)
    slider.setSliderDown(True)
    slider.sliderMoved.emit(pos_002 + 1)  # a drag ending one position past 0.02
    slider.setSliderDown(False)
    assert panel.lr.value() == 0.02


def test_log_scale_round_trips_and_zero_position():
    scale = LogScale(1e-6, 1.0, zero=True)
    assert scale.to_value(0) == 0.0
    assert scale.to_pos(0.0) == 0
    assert scale.to_value(1) == 1e-6
    assert scale.to_value(scale.steps) == 1.0
    for v in (1e-6, 2e-4, 0.05):
        assert scale.to_value(scale.to_pos(v)) == v
    with pytest.raises(ValueError, match="0 < lo < hi"):
        LogScale(0.0, 1.0)


def test_momentum_and_weight_decay_sliders_write_to_control(panel, qtbot):
    control = TrainingControl()
    panel.set_control(control)
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    assert panel.momentum.isEnabled()
    panel.momentum.slider.setValue(50)
    panel.weight_decay.slider.setValue(panel.weight_decay.slider.maximum())
    settings = control.snapshot_settings()
    assert settings["momentum"] == pytest.approx(0.5)
    assert settings["weight_decay"] == 1.0
    assert settings["optimizer"] == "sgd"
    panel.weight_decay.slider.setValue(0)
    assert control.snapshot_settings()["weight_decay"] == 0.0


def test_momentum_is_disabled_for_adam(panel):
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    assert not panel.momentum.isEnabled()


def test_buttons_emit_requests_and_pause_toggles_to_resume(panel, qtbot):
    with qtbot.waitSignal(panel.train_requested):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    panel.set_state("running")
    assert not panel.train_button.isEnabled()
    with qtbot.waitSignal(panel.pause_requested):
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    panel.set_state("paused")
    assert panel.pause_button.text() == "Resume"
    with qtbot.waitSignal(panel.resume_requested):
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.step_requested):
        qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.stop_requested):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    panel.set_state("diverged", "Loss became inf at step 40; weights from step 30 restored.")
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    assert "inf" in panel.status_label.text()


def test_settings_match_training_config_fields_and_apply_back(panel):
    from neurocanvas.core.training import TrainingConfig

    panel.apply_settings({"epochs": 7, "batch_size": 8, "optimizer": "rmsprop", "lr": 0.02})
    s = panel.settings()
    cfg = TrainingConfig(**s).validate()
    assert (cfg.epochs, cfg.batch_size, cfg.optimizer, cfg.lr) == (7, 8, "rmsprop", 0.02)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        panel.apply_settings({"optimizer": "lbfgs"})


def test_progress_shows_epoch_step_speed_and_time_left(panel):
    panel.epochs_spin.setValue(10)
    empty = np.zeros(0)
    snap = Snapshot(
        epoch=2, step=30, total_steps=100, samples_per_s=12345.0, elapsed_s=1.0, eta_s=75.0,
        train_loss=empty, val_loss=empty, step_loss=empty, train_acc=None, val_acc=None,
        lr_changes=[], fit=None, confusion=None, state="running",
    )  # fmt: skip
    panel.update_progress(snap)
    assert panel.progress.value() == 300
    assert panel.progress.format().startswith("Epoch 3/10")
    text = panel.progress_label.text()
    assert "step 30/100" in text
    assert "12,345 samples/s" in text and "1:15 left" in text
    for state in ("stopped", "diverged", "paused", "finished"):
        panel.update_progress(replace(snap, state=state, eta_s=281.0))
        assert "left" not in panel.progress_label.text(), state  # nothing counts down


def test_format_duration():
    assert format_duration(7) == "0:07"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(math.inf) == "–"


def test_the_speed_control_writes_the_pace_to_a_running_control(panel, qtbot):
    control = TrainingControl()
    panel.set_control(control)
    assert panel.pace() == 5.0 and panel.speed.label.text() == "5 steps/s"
    panel.speed.slider.setFocus()
    qtbot.keyClick(panel.speed.slider, Qt.Key.Key_Right)
    assert control.pace == 10.0
    panel.speed.slider.setValue(panel.speed.slider.maximum())
    assert control.pace is None and panel.speed.label.text() == "unthrottled"


def test_the_divergence_choice_reaches_the_control(panel):
    control = TrainingControl()
    panel.set_control(control)
    panel.policy_combo.setCurrentIndex(panel.policy_combo.findData("continue"))
    assert control.divergence_policy == "continue"


def test_until_i_stop_it_disables_the_epoch_count(panel, qtbot):
    panel.until_paused_check.setChecked(True)
    assert panel.until_paused() and not panel.epochs_spin.isEnabled()


def wheel_over(widget, notches: int = -1) -> bool:
    """One wheel notch over ``widget``'s middle; True when the widget took it.

    A test cannot send a spontaneous (system) wheel event, and Qt passes only those on to
    the parents; an event the widget leaves unaccepted is the one Qt gives the scroll area.
    """
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    middle = widget.rect().center()
    event = QWheelEvent(
        QPointF(middle),
        QPointF(widget.mapToGlobal(middle)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    event.setAccepted(True)  # as Qt delivers it: a widget that does not want it ignores it
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_passes_over_unfocused_sliders_and_steps_a_focused_one(qtbot):
    from PySide6.QtWidgets import QScrollArea

    area = QScrollArea()
    qtbot.addWidget(area)
    panel = TrainingPanel()
    panel.settings_section.set_expanded(True)
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.resize(400, 200)  # the panel is taller: it scrolls
    area.show()
    qtbot.waitExposed(area)
    panel.lr.set_value(10.0)
    epochs = panel.epochs_spin.value()
    for widget in (panel.lr.slider, panel.epochs_spin, panel.batch_spin, panel.optimizer_combo):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel gives no focus
        assert not wheel_over(widget)  # left for the scroll area to scroll the panel
    assert panel.lr.value() == 10.0 and panel.epochs_spin.value() == epochs
    qtbot.mouseClick(panel.lr.slider, Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    panel.lr.set_value(10.0)
    qtbot.waitUntil(panel.lr.slider.hasFocus)
    assert wheel_over(panel.lr.slider)
    assert panel.lr.value() < 10.0  # a focused slider takes the wheel
