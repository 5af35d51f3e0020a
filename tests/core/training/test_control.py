"""The control on its own: pace, pause, single steps, stop and jobs, as the loop sees them."""

from __future__ import annotations

import threading
import time

import pytest

from neurocanvas.core.training.control import (
    StepTask,
    TrainingConfig,
    TrainingControl,
    check_pace,
    check_setting,
)


def test_a_paced_control_lets_steps_through_no_faster_than_its_pace():
    control = TrainingControl(pace=20.0)
    started = time.monotonic()
    for _ in range(5):
        assert control.wait_for_step()
    # the first waits one interval too (the untrained model stays on screen a moment)
    assert time.monotonic() - started >= 5 * (1 / 20) - 1e-3


def test_changing_the_pace_wakes_a_loop_waiting_for_a_slow_slot():
    control = TrainingControl(pace=0.05)  # one step every 20 s
    control.wait_for_step()
    passed = threading.Event()
    waiter = threading.Thread(target=lambda: control.wait_for_step() and passed.set())
    waiter.start()
    time.sleep(0.05)
    assert not passed.is_set()
    control.set_pace(None)  # unthrottled
    waiter.join(5)
    assert passed.is_set() and control.pace is None


def test_stop_ends_a_wait_for_the_next_paced_slot():
    control = TrainingControl(pace=0.05)
    control.wait_for_step()
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(control.wait_for_step()))
    waiter.start()
    control.stop()
    waiter.join(5)
    assert result == [False]


def test_step_once_goes_at_once_whatever_the_pace():
    control = TrainingControl(pace=0.05)
    control.wait_for_step()
    control.step_once()
    started = time.monotonic()
    assert control.wait_for_step()
    assert time.monotonic() - started < 5  # not the 20 s slot
    assert control.paused


def test_jobs_run_in_the_waiting_loop_even_while_paused():
    control = TrainingControl()
    control.pause()
    task = StepTask(lambda: threading.current_thread().name)
    waiter = threading.Thread(target=control.wait_for_step, name="loop")
    waiter.start()
    control.submit(task)
    assert task.done.wait(5)
    assert task.outcome() == "loop"
    control.stop()
    waiter.join(5)
    assert not waiter.is_alive()


def test_a_failing_job_raises_in_the_thread_that_waits_for_it():
    task = StepTask(lambda: 1 / 0)
    assert task.claim() and not task.claim()  # exactly one side runs it
    task.run()
    with pytest.raises(ZeroDivisionError):
        task.outcome()


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "fast", True])
def test_bad_paces_are_refused_naming_the_setting(bad):
    with pytest.raises(ValueError, match="pace"):
        check_pace(bad)


def test_a_huge_pace_means_unthrottled():
    assert check_pace(1e9) is None and check_pace(None) is None and check_pace(30) == 30.0


@pytest.mark.parametrize(
    "key, value", [("lr", "abc"), ("lr", -1), ("momentum", 1.0), ("batch_size", 2.5)]
)
def test_bad_settings_are_refused_naming_them(key, value):
    with pytest.raises(ValueError, match=key):
        check_setting(key, value)


def test_the_divergence_policy_is_one_of_three():
    control = TrainingControl()
    assert control.divergence_policy == "stop"
    control.set_divergence_policy("continue")
    assert control.divergence_policy == "continue"
    with pytest.raises(ValueError, match="stop, pause, continue"):
        control.set_divergence_policy("explode")


def test_sgd_momentum_defaults_to_pytorchs_zero():
    assert TrainingConfig().momentum == 0.0
