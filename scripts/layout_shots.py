"""Screenshots of the main window at 1366x768, 1440x810 and 1920x1080, light and dark,
idle (digits-cnn after a short run) and after a long divergence message.

Run under a real X server: ``xvfb-run -a -s "-screen 0 1920x1080x24" python
scripts/layout_shots.py OUTDIR``. The layout tests (tests/app/test_layout_sizes.py) check the
same states with geometry assertions; these images are for a person to look at.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QSize
from PySide6.QtTest import QTest

from neurocanvas.app.main import dark_palette, make_application
from neurocanvas.app.main_window import MainWindow
from neurocanvas.app.settings import AppSettings

SIZES = [QSize(1366, 768), QSize(1440, 810), QSize(1920, 1080)]
DIVERGED = (
    "Training stopped at epoch 12: the loss became NaN (the learning rate 3.2 is too high "
    "for this network; the last good weights were restored). Lower the learning rate by a "
    "factor of 10, or choose Adam, and press Train again."
)


def shoot(out: Path) -> None:
    app = make_application([])
    settings = Path(tempfile.mkdtemp()) / "settings.ini"
    for scheme in ("light", "dark"):
        app.setPalette(dark_palette() if scheme == "dark" else app.style().standardPalette())
        for size in SIZES:
            w = MainWindow(AppSettings(QSettings(str(settings), QSettings.Format.IniFormat)))
            w.open_example("digits-cnn", ask=False)
            w.resize(size)
            w.show()
            QTest.qWaitForWindowExposed(w)
            QTest.qWait(400)
            w.training_panel.epochs_spin.setValue(1)
            w.controller.train()
            for _ in range(600):
                QTest.qWait(100)
                if w.controller.state not in ("running", "paused"):
                    break
            QTest.qWait(300)
            tag = f"{size.width()}x{size.height()}-{scheme}"
            w.grab().save(str(out / f"{tag}-trained.png"))
            w.training_panel.set_state("diverged", DIVERGED)
            w.dataset_dock.raise_()
            QTest.qWait(200)
            w.grab().save(str(out / f"{tag}-diverged-dataset.png"))
            w.document.undo_stack.setClean()
            w.document.settings_modified = False
            w.controller.shutdown()
            w.close()
            w.deleteLater()
            QTest.qWait(100)


if __name__ == "__main__":
    shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
