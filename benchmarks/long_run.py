"""A long run of ``general-fit`` in the real window: does anything grow?

    python benchmarks/long_run.py [--steps 1000000] [--every 100000] [--json] [--tracemalloc]
                                  [--threads]
    python benchmarks/long_run.py --default-speed [--minutes 60] [--sample-minutes 5]

Unthrottled (the default mode): opens the main window, ticks "until I stop it" (the epochs
box stops at 100,000, i.e. 800,000 steps of general-fit), moves the speed slider to
"unthrottled", presses Train, and stops the run once it has made ``--steps`` steps; the worker
thread runs at full speed with the live plots drawing as in normal use. A 250 ms timer in the
GUI thread reads the trainer's step counter; each time it passes a multiple of ``--every`` it
prints one row.

``--default-speed``: starts the example exactly as a person would (the speed slider left at
its default pace), ticks "until I stop it" so the run lasts the whole ``--minutes``, and
prints one row every ``--sample-minutes``.

Each row: samples/s of that stretch, the process's CPU time per step (all threads: the work
a step costs, whatever share of the machine the process got), resident memory (RSS,
/proc/self/statm), the Python heap (``sys.getallocatedblocks()``: objects allocated by
Python's allocator; with ``--tracemalloc``
also the bytes traced, which slows the run), the gc's object count, the points held by the
loss plot's curves, the GUI thread's longest stall in that stretch (5 ms heartbeat) and the
machine's 1-minute load average. Flat columns mean nothing grows with the run's length. With
``--tracemalloc`` the run ends with the ten source lines whose memory grew most between the
first and the last row. With ``--threads`` each row also splits the CPU time per step by
thread (the training thread, the GUI thread, the rest: /proc/self/task/<tid>/stat), counts the
frames drawn and gives the GUI thread's CPU per frame, and the gc's collections per generation
with the time they took (``gc.callbacks``): the CPU per step of the whole process mixes the
trainer's work per step with the GUI's work per frame (about 25 frames/s whatever the speed).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _cpu_s() -> float:
    """CPU seconds (user + system) this process has used, all threads."""
    t = os.times()
    return t.user + t.system


def _thread_cpu_s() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of each live thread of this process, by thread id, with
    its role: ``gui`` (the main thread), ``trainer`` (the QThread named ``trainingThread``) or
    ``other`` (BLAS, Qt's helpers); from /proc/self/task/<tid>/stat (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    pid = os.getpid()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        role = "gui" if int(tid) == pid else "trainer" if name == "trainingThread" else "other"
        out[int(tid)] = (role, cpu)
    return out


def _spent_by_role(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds per role between two readings (threads that ended count for nothing)."""
    spent = {"gui": 0.0, "trainer": 0.0, "other": 0.0}
    for tid, (role, cpu) in after.items():
        spent[role] += cpu - before.get(tid, (role, 0.0))[1]
    return spent


class GcTimer:
    """Collections per generation and the seconds they took (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._t0 = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            g = info["generation"]
            self.count[g] += 1
            self.seconds[g] += time.perf_counter() - self._t0

    def take(self) -> tuple[list[int], list[float]]:
        """Counts and seconds since the last call."""
        out = (self.count, self.seconds)
        self.count, self.seconds = [0, 0, 0], [0.0, 0.0, 0.0]
        return out


def _points(curve: object) -> int:
    x = curve.getData()[0]  # type: ignore[attr-defined]
    return 0 if x is None else len(x)


def _open_window() -> tuple[Any, Any]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = tempfile.mkdtemp()
    window = MainWindow(AppSettings(QSettings(f"{tmp}/s.ini", QSettings.Format.IniFormat)))
    window.open_example("general-fit", ask=False)
    window.show()
    for _ in range(20):
        app.processEvents()
    return app, window


class Sampler:
    """Rows of the figures above, taken in the GUI thread."""

    def __init__(self, window: Any, traced: bool, split: bool = False) -> None:
        self.window, self.traced, self.split = window, traced, split
        self.rows: list[dict[str, float]] = []
        self.t0 = time.perf_counter()
        self.mark = {"step": 0.0, "samples": 0.0, "t": self.t0, "stall": 0.0, "cpu": _cpu_s()}
        self._threads = _thread_cpu_s()
        self._frames = 0
        self._gc = GcTimer() if split else None
        self._last_beat = self.t0
        self.first_trace: tracemalloc.Snapshot | None = None

    def beat(self) -> None:
        now = time.perf_counter()
        gap = now - self._last_beat - HEARTBEAT_MS / 1000
        self.mark["stall"] = max(self.mark["stall"], gap)
        self._last_beat = now

    def take(self) -> dict[str, float]:
        trainer = self.window.controller.trainer
        now = time.perf_counter()
        step = trainer.global_step if trainer is not None else 0
        samples = trainer.samples_done if trainer is not None else 0
        plot = self.window.loss_plot
        cpu = _cpu_s()
        steps_done = max(step - self.mark["step"], 1)
        row = {
            "minute": (now - self.t0) / 60,
            # the process's CPU time (all threads) per 1,000 steps: the work a step costs,
            # whatever share of the machine the process got
            "cpu_ms_per_step": (cpu - self.mark["cpu"]) * 1000 / steps_done,
            "step": step,
            "samples_per_s": (samples - self.mark["samples"]) / max(now - self.mark["t"], 1e-9),
            "rss_mb": rss_mb(),
            "heap_blocks": sys.getallocatedblocks(),
            "gc_objects": len(gc.get_objects()),
            "traced_mb": tracemalloc.get_traced_memory()[0] / 1e6 if self.traced else -1.0,
            "max_stall_ms": self.mark["stall"] * 1000,
            "step_curve_points": _points(plot.step_curve),
            "epoch_curve_points": _points(plot.train_curve),
            "load_1min": os.getloadavg()[0],
        }
        if self.split:
            row.update(self._split(steps_done))
        if self.rows and self.traced and self.first_trace is None:
            self.first_trace = tracemalloc.take_snapshot()
        self.rows.append(row)
        print(
            f"{row['minute']:6.1f} min  step {step:>9,d}  {row['samples_per_s']:>9,.0f} samples/s"
            f"  RSS {row['rss_mb']:7.1f} MB  heap {row['heap_blocks']:>9,d} blocks"
            f"  gc {row['gc_objects']:>8,d}"
            + (f"  traced {row['traced_mb']:6.1f} MB" if self.traced else "")
            + f"  cpu {row['cpu_ms_per_step']:6.3f} ms/step"
            + f"  stall {row['max_stall_ms']:6.1f} ms  points {row['step_curve_points']:4d} step"
            f" / {row['epoch_curve_points']:4d} epoch  load {row['load_1min']:.1f}",
            flush=True,
        )
        if self.split:
            print(
                f"{'':10s}trainer {row['trainer_ms_per_step']:6.3f} ms/step"
                f"  gui {row['gui_ms_per_step']:6.3f} ms/step"
                f" ({row['frames']:,d} frames, {row['gui_ms_per_frame']:5.2f} ms/frame)"
                f"  other {row['other_ms_per_step']:6.3f} ms/step"
                f"  gc {row['gc_counts']} in {row['gc_ms']} ms",
                flush=True,
            )
        self.mark.update(step=step, samples=samples, t=now, stall=0.0, cpu=cpu)
        return row

    def _split(self, steps_done: float) -> dict[str, Any]:
        """CPU per step by thread, the frames drawn, the gc's collections in this stretch."""
        threads = _thread_cpu_s()
        spent = _spent_by_role(self._threads, threads)
        self._threads = threads
        frames = self.window.controller.coalescer.emitted
        n_frames, self._frames = frames - self._frames, frames
        counts, seconds = self._gc.take() if self._gc is not None else ([], [])
        return {
            "trainer_ms_per_step": spent["trainer"] * 1000 / steps_done,
            "gui_ms_per_step": spent["gui"] * 1000 / steps_done,
            "other_ms_per_step": spent["other"] * 1000 / steps_done,
            "frames": n_frames,
            "gui_ms_per_frame": spent["gui"] * 1000 / max(n_frames, 1),
            "gc_counts": counts,
            "gc_ms": [round(s * 1000) for s in seconds],
        }

    def growth(self, top: int = 10) -> list[str]:
        """The source lines whose traced memory grew most since the second row."""
        if self.first_trace is None:
            return []
        stats = tracemalloc.take_snapshot().compare_to(self.first_trace, "lineno")
        return [str(s) for s in stats[:top]]


def run(
    steps: int, every: int, traced: bool = False, shot: str | None = None, split: bool = False
) -> list[dict[str, float]]:
    """The unthrottled run: one row at the start and one per ``every`` steps."""
    from PySide6.QtCore import QEventLoop, QTimer

    if traced:
        tracemalloc.start()
    app, window = _open_window()
    panel = window.training_panel
    # The epochs box stops at 100,000 (800,000 steps of general-fit): train "until I stop
    # it" and stop once ``steps`` are done, as a person would.
    panel.until_paused_check.click()
    panel.speed.set_pace(None)  # the slider's last notch: "unthrottled"
    ctl = window.controller
    sampler = Sampler(window, traced, split)

    def sample() -> None:
        trainer = ctl.trainer
        if trainer is not None and trainer.global_step >= sampler.mark["step"] + every:
            sampler.take()
            sampler.mark["step"] -= sampler.mark["step"] % every
        if trainer is not None and trainer.global_step >= steps:
            ctl.stop()

    heart = QTimer(interval=HEARTBEAT_MS)
    heart.timeout.connect(sampler.beat)
    probe = QTimer(interval=250)
    probe.timeout.connect(sample)
    loop = QEventLoop()
    ctl.state_changed.connect(lambda s: loop.quit() if s not in ("running", "paused") else None)
    sampler.take()
    heart.start()
    probe.start()
    ctl.train()
    loop.exec()
    heart.stop()
    probe.stop()
    if ctl.trainer is not None and ctl.trainer.global_step > sampler.rows[-1]["step"]:
        sampler.take()  # the last stretch, shorter than ``every``
    _shot(window, shot)
    _report_growth(sampler)
    _close(window)
    del app
    return sampler.rows


def run_default_speed(
    minutes: float, sample_minutes: float, traced: bool = False, shot: str | None = None
) -> list[dict[str, float]]:
    """The run as a person starts it (default pace, "until I stop it"), for ``minutes``."""
    from PySide6.QtCore import QEventLoop, QTimer

    if traced:
        tracemalloc.start()
    app, window = _open_window()
    panel = window.training_panel
    print(f"pace: {panel.pace()} steps/s (the default)", flush=True)
    panel.until_paused_check.click()
    sampler = Sampler(window, traced)
    loop = QEventLoop()
    heart = QTimer(interval=HEARTBEAT_MS)
    heart.timeout.connect(sampler.beat)
    probe = QTimer(interval=int(sample_minutes * 60_000))
    probe.timeout.connect(sampler.take)
    QTimer.singleShot(int(minutes * 60_000) + 500, loop.quit)
    window.controller.state_changed.connect(
        lambda s: loop.quit() if s not in ("running", "paused") else None
    )
    sampler.take()
    heart.start()
    probe.start()
    panel.train_button.click()
    loop.exec()
    heart.stop()
    probe.stop()
    print(f"state at the end: {window.controller.state}", flush=True)
    _shot(window, shot)
    window.controller.stop()
    _report_growth(sampler)
    _close(window)
    del app
    return sampler.rows


def _shot(window: Any, path: str | None) -> None:
    if path:
        window.grab().save(path)
        print(f"screenshot: {path}", flush=True)


def _report_growth(sampler: Sampler) -> None:
    for line in sampler.growth():
        print("grew:", line, flush=True)


def _close(window: Any) -> None:
    # Changing the epochs marked the project modified; a benchmark has nothing to save.
    window.maybe_save = lambda *_args, **_kwargs: True
    window.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--default-speed", action="store_true")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sample-minutes", type=float, default=5.0)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--threads",
        action="store_true",
        help="also CPU per step by thread (trainer, GUI, other), frames, gc collections",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--screenshot", metavar="PNG", help="the window at the end of the run")
    args = parser.parse_args(argv)
    if args.default_speed:
        rows = run_default_speed(
            args.minutes, args.sample_minutes, args.tracemalloc, args.screenshot
        )
    else:
        rows = run(args.steps, args.every, args.tracemalloc, args.screenshot, args.threads)
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
