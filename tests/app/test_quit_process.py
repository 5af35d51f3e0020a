"""Closing the window ends the app's process, idle and in the middle of a training run: no
thread, pool or autosave keeps it alive (the launcher ends it once the window has closed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs the real entry point; once the window shows, optionally starts training with F5 as a
# person would, then closes the window (Ctrl+Q's action) and prints what it saw on the way.
DRIVER = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QMessageBox
    import neurocanvas.app.main_window as mw
    from neurocanvas import launcher

    train = sys.argv[1] == "training"
    shown = mw.MainWindow.show

    def quit_window(w):
        print("state at quit:", w.controller.state, flush=True)
        w.quit_action.trigger()

    def show(w):
        shown(w)
        if train:
            QTimer.singleShot(300, lambda: QTest.keyClick(w, Qt.Key.Key_F5))
        QTimer.singleShot(2500, lambda: quit_window(w))

    def question(parent, title, text, *args, **kwargs):
        print("asked:", text, flush=True)  # quitting mid-run asks first; the person discards
        return QMessageBox.StandardButton.Discard

    QMessageBox.question = question
    mw.MainWindow.show = show
    launcher.main(["general-fit"])
    print("launcher.main returned", flush=True)  # never: the process ends in the launcher
    """
)


@pytest.mark.parametrize("mode", ["idle", "training"])
def test_the_process_exits_after_the_window_closes(tmp_path, mode):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
        "NEUROCANVAS_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, str(driver), mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a process kept alive by a thread would hang here
    )
    assert done.returncode == 0, done.stderr
    wanted = "running" if mode == "training" else "idle"
    assert f"state at quit: {wanted}" in done.stdout
    assert ("is training" in done.stdout) == (mode == "training")  # asked before a run is lost
    assert "launcher.main returned" not in done.stdout
    assert "Traceback" not in done.stderr
    # A clean exit leaves no autosave behind to be offered for recovery.
    assert not list((tmp_path / "data").rglob("*.ncproj"))
