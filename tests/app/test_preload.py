"""The first ONNX export does not import onnx in the GUI thread: the Export menu starts it."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import sys, tempfile
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from neurocanvas.app import heap
from neurocanvas.app.main_window import MainWindow
from neurocanvas.app.settings import AppSettings
ini = tempfile.mkdtemp() + "/s.ini"
w = MainWindow(AppSettings(QSettings(ini, QSettings.Format.IniFormat)))
before = "onnx" in sys.modules
w.export_menu.aboutToShow.emit()  # what opening File > Export does
thread = heap._PRELOADING["onnx"]
thread.join(120)
print(before, thread.is_alive(), "onnx" in sys.modules)
"""


def test_opening_the_export_menu_imports_onnx_off_the_gui_thread():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=180
    )
    assert out.returncode == 0, out.stderr
    # not at start-up (it costs 0.1-0.2 s), and loaded by a thread of its own once asked
    assert out.stdout.split()[-3:] == ["False", "False", "True"]
