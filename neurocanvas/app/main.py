"""Start the desktop app: ``neurocanvas [FILE.ncproj]`` or ``python -m neurocanvas``.

Fusion is the one Qt style that looks the same on every platform and takes its colours from
the palette, so the app can follow the system's light or dark scheme everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from neurocanvas.app.heap import freeze_startup_heap
from neurocanvas.app.settings import APPLICATION, ORGANIZATION, data_dir

STYLE_SHEET = Path(__file__).resolve().parent.parent / "resources" / "style.qss"


def dark_palette() -> QPalette:
    """A calm dark palette for Fusion (Qt's Fusion palette is light unless the platform says)."""
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#2b2d31",
        role.WindowText: "#e6e6e6",
        role.Base: "#1f2023",
        role.AlternateBase: "#26282c",
        role.ToolTipBase: "#34363b",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8a8d93",
        role.Text: "#e6e6e6",
        role.Button: "#33353a",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b",
        role.Highlight: "#3d7bd9",
        role.HighlightedText: "#ffffff",
        role.Link: "#6aa7ff",
        role.Light: "#45474d",
        role.Midlight: "#3a3c41",
        role.Mid: "#2f3135",
        role.Dark: "#18191b",
        role.Shadow: "#000000",
    }
    for r, c in colours.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7d83"))
    return p


def system_is_dark(app: QGuiApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_look(app: QApplication) -> None:
    """Fusion, the system's light or dark colours, and the app's small style sheet."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if system_is_dark(app) else app.style().standardPalette())
    try:
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
    except OSError:  # the look degrades gracefully if the sheet is missing
        pass


def make_application(argv: list[str]) -> QApplication:
    """The QApplication (or the existing one), named for QSettings and set up for high DPI."""
    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (125 %, 150 %) render crisply instead of being rounded.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication([sys.argv[0] if sys.argv else "neurocanvas", *argv])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QGuiApplication.setApplicationDisplayName(APPLICATION)
    QGuiApplication.setDesktopFileName("neurocanvas")
    apply_look(app)
    app.styleHints().colorSchemeChanged.connect(lambda *_: apply_look(app))
    app.setWindowIcon(
        QIcon.fromTheme(
            "applications-science", app.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
        )
    )
    return app


def main(argv: list[str] | None = None) -> int:
    """Open the file or example named on the command line (as every CLI command accepts
    them), else the ``general-fit`` example, and run."""
    args = list(sys.argv[1:] if argv is None else argv)
    files = [a for a in args if not a.startswith("-")]
    app = make_application(args)
    from neurocanvas.app.main_window import MainWindow

    window = MainWindow()
    if not window.offer_recovery(data_dir()):  # after a crash: the work comes back first
        open_argument(window, files[0] if files else None)
    freeze_startup_heap()  # no full garbage collection walks the start-up objects again
    window.show()
    return int(app.exec())


def open_argument(window: Any, word: str | None) -> bool:
    """Open ``word`` in ``window``: a project file, else an example's name; the default
    example when there is none or it cannot be opened. True when ``word`` was opened."""
    from neurocanvas.core.io.examples import default_example, list_examples

    opened = False
    if word:
        is_example = word in {e.name for e in list_examples()} and not Path(word).exists()
        if is_example:
            opened = window.open_example(word, ask=False)
        else:
            opened = window.open_file(word, ask=False)
    if not opened:
        window.open_example(default_example(), ask=False)
    return opened


if __name__ == "__main__":
    sys.exit(main())
