"""Training in the app versus headless: throughput, GUI stalls and plot frame rate.

    python benchmarks/gui.py [--epochs 40] [--repeat 3] [--json] [--profile] [--insight]

Runs ``general-fit`` twice with the same settings: once with the core ``Trainer`` alone, once
through the main window (worker thread, live plots, progress bar). It reports

* throughput in the app as a share of the headless one (goal >= 85 %),
* the longest stall of the GUI event loop while training, measured with a 5 ms QTimer
  heartbeat: the largest gap between two ticks beyond the interval (goal < 50 ms),
* plot frames per second: coalesced snapshots drawn per second of training (goal >= 20),
* the GUI thread's CPU time as a share of the run's wall time: the time it holds the GIL the
  trainer needs, and unlike the throughput hardly moved by other work on the machine.

These three are measured unthrottled (the speed control at its right end). A fourth figure is
the default speed's pace (``--pace``; goal >= 10 s): pressing Train at the app's default
settings, the seconds until the per-epoch training loss is within 2x of where the run settles
(the mean of its last 10 epochs, taken from a headless run with the same seed, which computes
the very same losses), and the plot frames per second meanwhile.

With ``--insight`` the app run also shows everything issue 13 adds at once: training health
on the canvas (on by default anyway), the "Node output" tab open on a selected layer (its
one-sample preview every 0.1 s) and the histograms recorded; the goal is then >= 80 %.

Both runs are timed on the wall clock from start to the final snapshot. Like with like: the
same example, epochs, batch size and seed, checked by comparing the two runs' step losses
(``same_losses``). The headless run hands out no live snapshots at all (no callback), so every
cost of the live view counts against the app.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5
TIMEOUT_S = 300


def headless(epochs: int) -> dict[str, float]:
    from neurocanvas.core.datasets import make_dataset
    from neurocanvas.core.io.examples import load_example
    from neurocanvas.core.network.compiler import compile_graph
    from neurocanvas.core.random import manual_seed
    from neurocanvas.core.training import Trainer, TrainingConfig

    project = load_example("general-fit")
    ds = make_dataset(project.dataset_key, project.dataset_params, seed=project.dataset_seed)
    manual_seed(0)
    model = compile_graph(project.graph, ds.data_spec())
    config = TrainingConfig(**{**project.config.to_dict(), "epochs": epochs})
    trainer = Trainer(model, ds, config)
    t0 = time.perf_counter()
    final = trainer.run()
    wall = time.perf_counter() - t0
    return {
        "samples": trainer.samples_done,
        "wall_s": wall,
        "steps": final.step,
        "step_loss": np.asarray(final.step_loss),
        "train_loss": final.train_loss,
    }


def in_app(epochs: int, profile: bool = False, insight: bool = False) -> dict[str, float]:
    import tempfile

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
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
    if insight:  # health on, a layer selected, its live preview showing
        window.insight.health_action.setChecked(True)
        window.canvas.select_nodes([window.document.graph.node_by_name("linear2").id])
        window.results_tabs.setCurrentWidget(window.insight.preview_panel)
        for _ in range(20):
            app.processEvents()
    window.training_panel.epochs_spin.setValue(epochs)
    window.training_panel.speed.set_pace(None)  # unthrottled: today's throughput
    ctl = window.controller

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heart = QTimer()
    heart.setInterval(HEARTBEAT_MS)
    heart.timeout.connect(beat)
    frames = [0]
    ctl.coalescer.updated.connect(lambda *_: frames.__setitem__(0, frames[0] + 1))

    t0 = time.perf_counter()
    last[0] = t0
    heart.start()
    loop = QEventLoop()
    ctl.state_changed.connect(lambda s: loop.quit() if s not in ("running", "paused") else None)
    # A run that never ends (a bug, a dialog) must fail the benchmark, not hang it.
    QTimer.singleShot(TIMEOUT_S * 1000, loop.quit)
    profiler = cProfile.Profile() if profile else None
    cpu0 = time.thread_time()
    ctl.train()
    if profiler is not None:
        profiler.enable()  # only the GUI thread: that is where the plots hold the GIL
    loop.exec()  # the app's own event loop, idle between events as in real use
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("NC_SORT", "cumulative")).print_stats(35)
    wall = time.perf_counter() - t0
    gui_cpu = time.thread_time() - cpu0
    heart.stop()
    trainer = ctl.trainer
    result = {
        "samples": trainer.samples_done,
        "wall_s": wall,
        "steps": trainer.global_step,
        "max_stall_ms": max(0.0, (max(gaps) - HEARTBEAT_MS / 1000) * 1000) if gaps else 0.0,
        "frames": frames[0],
        "fps": frames[0] / wall,
        "gui_cpu_share": gui_cpu / wall,
        "step_loss": trainer.step_loss.view().recent(),
    }
    if ctl.state in ("running", "paused"):
        raise RuntimeError(f"training did not end within {TIMEOUT_S} s")
    # Changing the epochs marked the project modified; a benchmark has nothing to save, and
    # the "Save changes?" dialog would wait forever for a click.
    window.maybe_save = lambda *_args, **_kwargs: True
    window.close()
    return result


def settled_loss() -> float:
    """Where the default example's per-epoch training loss settles (its last 10 epochs)."""
    from neurocanvas.core.io.examples import load_example

    epochs = load_example("general-fit").config.epochs
    base = headless(epochs)
    return float(np.mean(base["train_loss"][-10:]))


def pace_run() -> dict[str, float]:
    """Train at the app's default speed and settings; seconds until the loss is within 2x."""
    import tempfile

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from neurocanvas.app.main_window import MainWindow
    from neurocanvas.app.settings import AppSettings

    target = 2 * settled_loss()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = tempfile.mkdtemp()
    window = MainWindow(AppSettings(QSettings(f"{tmp}/s.ini", QSettings.Format.IniFormat)))
    window.open_example("general-fit", ask=False)
    window.show()
    for _ in range(20):
        app.processEvents()
    ctl = window.controller
    frames, reached = [0], [None]
    loop = QEventLoop()
    t0 = time.perf_counter()

    def on_frame(snap) -> None:
        frames[0] += 1
        if reached[0] is None and len(snap.train_loss) and snap.train_loss[-1] <= target:
            reached[0] = (time.perf_counter() - t0, int(snap.step), frames[0])
            loop.quit()

    ctl.coalescer.updated.connect(on_frame)
    QTimer.singleShot(TIMEOUT_S * 1000, loop.quit)
    window.training_panel.train_button.click()
    loop.exec()
    pace = window.training_panel.pace()
    ctl.stop()
    window.maybe_save = lambda *_args, **_kwargs: True
    window.close()
    if reached[0] is None:
        raise RuntimeError(f"the loss did not come within 2x of {target / 2:.3g} in {TIMEOUT_S} s")
    seconds, steps, n_frames = reached[0]
    return {
        "default_pace_steps_per_s": pace,
        "pace_seconds_to_2x": round(seconds, 2),
        "pace_steps_to_2x": steps,
        "pace_fps": round(n_frames / seconds, 1),
        "settled_loss": round(target / 2, 5),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians reported")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the GUI thread of the app runs"
    )
    parser.add_argument(
        "--insight",
        action="store_true",
        help="app run with health, a selected layer's live preview and histograms (goal 80 %%)",
    )
    parser.add_argument(
        "--pace",
        action="store_true",
        help="instead: the default speed's pace (seconds until the loss is within 2x)",
    )
    parser.add_argument(
        "--stalls",
        action="store_true",
        help="instead: the longest GUI-thread stall of everyday actions (gui_stalls.py)",
    )
    args = parser.parse_args(argv)
    if args.pace:
        figures = pace_run()
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            ok = figures["pace_seconds_to_2x"] >= 10
            print(
                f"general-fit at the default {figures['default_pace_steps_per_s']:g} steps/s: "
                f"the loss is within 2x of where it settles ({figures['settled_loss']:.4g}) "
                f"after {figures['pace_seconds_to_2x']:.1f} s ({figures['pace_steps_to_2x']} "
                f"steps), plots at {figures['pace_fps']:.1f} frames/s   goal >= 10 s "
                f"{'ok' if ok else 'MISSED'}"
            )
        return 0
    if args.stalls:
        from gui_stalls import main as stalls_main  # the same folder (run as a script)

        return stalls_main([])
    # Interleaved runs, medians: the machine may be busy with other work.
    base_rates, gui_rates, runs, same = [], [], [], True
    for _ in range(args.repeat):
        base = headless(args.epochs)
        base_rates.append(base["samples"] / base["wall_s"])
        run = in_app(args.epochs, args.profile, args.insight)
        same = same and bool(np.array_equal(base["step_loss"], run["step_loss"]))
        gui_rates.append(run["samples"] / run["wall_s"])
        runs.append(run)
    base_rate, gui_rate = statistics.median(base_rates), statistics.median(gui_rates)
    gui = {
        "max_stall_ms": statistics.median(r["max_stall_ms"] for r in runs),
        "fps": statistics.median(r["fps"] for r in runs),
        "frames": int(statistics.median(r["frames"] for r in runs)),
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "gui_cpu_share": statistics.median(r["gui_cpu_share"] for r in runs),
    }
    goal = 0.80 if args.insight else 0.85
    figures = {
        "epochs": args.epochs,
        "insight": args.insight,
        "repeat": args.repeat,
        "headless_samples_per_s": round(base_rate),
        "app_samples_per_s": round(gui_rate),
        "throughput_ratio": round(gui_rate / base_rate, 3),
        "max_gui_stall_ms": round(gui["max_stall_ms"], 1),
        "plot_fps": round(gui["fps"], 1),
        "plot_frames": gui["frames"],
        "app_wall_s": round(gui["wall_s"], 2),
        "gui_cpu_share": round(gui["gui_cpu_share"], 3),
        "same_losses": same,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    goals = (
        (
            "throughput in the app vs headless",
            f"{figures['throughput_ratio']:.0%}",
            f">= {goal:.0%}",
            figures["throughput_ratio"] >= goal,
        ),
        (
            "longest GUI stall",
            f"{figures['max_gui_stall_ms']:.1f} ms",
            "< 50 ms",
            figures["max_gui_stall_ms"] < 50,
        ),
        (
            "plot frames per second",
            f"{figures['plot_fps']:.1f}",
            ">= 20",
            figures["plot_fps"] >= 20,
        ),
    )
    print(
        f"general-fit, {args.epochs} epochs: headless {base_rate:,.0f} samples/s, "
        f"app {gui_rate:,.0f} samples/s"
    )
    for name, value, goal, ok in goals:
        print(f"  {name:36} {value:>10}   goal {goal:8} {'ok' if ok else 'MISSED'}")
    print(f"  {'GUI thread CPU / wall':36} {figures['gui_cpu_share']:>10.0%}")
    if not same:
        print("  WARNING: the two runs' step losses differ: they did not do the same work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
