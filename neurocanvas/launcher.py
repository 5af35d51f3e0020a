"""The ``neurocanvas`` entry point: a subcommand runs the headless CLI, anything else opens the app.

It lives outside ``core`` so that core never imports Qt, and outside ``app`` so that the CLI
works on machines without a screen or without Qt's system libraries. Before the app starts it
checks what would otherwise abort inside Qt with a page of plugin errors: a word that is no
command, file or example (a typo: one line suggesting the closest command), a missing
display (one line saying how to run headless), and a Qt binding known to crash (one line with
the command that installs a good one), all before any window opens.
"""

from __future__ import annotations

import difflib
import logging
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from neurocanvas.core.cli import SUBCOMMANDS, unknown_command_line

EXIT_USAGE = 2

NO_DISPLAY = (
    "neurocanvas: no display to open the window on ({why}); without a screen use a "
    "command, e.g. 'neurocanvas train PROJECT.ncproj' (see 'neurocanvas --help'), or set "
    "QT_QPA_PLATFORM=offscreen"
)


# PySide6 releases that crash the app. 6.12.0 drops a reference to None on every Python
# override Qt calls (paint, boundingRect): the process aborts with "deallocating None" after
# 18 s to 2 min of use, taking unsaved work with it. The pin in pyproject.toml excludes it, but
# a person may already have it installed.
BAD_BINDINGS = {"6.12.0": 'it aborts with "deallocating None" within minutes'}
BINDING_FIX = 'pip install "PySide6-Essentials<6.12"'


def installed_binding() -> str | None:
    """The installed PySide6 version, read from the package metadata (Qt is not imported)."""
    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def binding_problem(version: str | None = None) -> str | None:
    """Why the installed Qt binding must not be used, with the command that fixes it, or None."""
    version = installed_binding() if version is None else version
    if version is None or version not in BAD_BINDINGS:
        return None
    return (
        f"neurocanvas: PySide6 {version} is installed, and with it {BAD_BINDINGS[version]}, "
        f"losing unsaved work; install a working version with: {BINDING_FIX}"
    )


def _is_example(word: str) -> bool:
    from neurocanvas.core.io.examples import list_examples

    return word in {e.name for e in list_examples()}


def app_argument_problem(args: list[str]) -> str | None:
    """Why the app's file argument cannot be opened as a project, a file or an example."""
    files = [a for a in args if not a.startswith("-")]
    if not files:
        return None
    word = files[0]
    if Path(word).suffix or os.sep in word or "/" in word or Path(word).exists():
        return None  # a path: the app reports a file it cannot open in its own dialog
    if _is_example(word):
        return None
    from neurocanvas.core.io.examples import list_examples

    names = [e.name for e in list_examples()]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if close and not difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6):
        return f"neurocanvas: error: no project or example '{word}'; did you mean '{close[0]}'?"
    return unknown_command_line(word)


def display_problem(
    environ: dict[str, str] | None = None, platform: str | None = None
) -> str | None:
    """Why Qt will find no screen, or None. Only Linux and the BSDs need DISPLAY or
    WAYLAND_DISPLAY; Windows and macOS always have one; QT_QPA_PLATFORM picks its own."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get("QT_QPA_PLATFORM"):
        return None
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY.format(why="neither DISPLAY nor WAYLAND_DISPLAY is set")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        from neurocanvas.core.cli import main as cli_main

        return cli_main(args)
    problem = binding_problem() or app_argument_problem(args) or display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    try:
        from neurocanvas.app.main import main as app_main
    except ImportError as exc:  # Qt's system libraries missing (libGL, libxkbcommon...)
        print(
            f"neurocanvas: the app cannot start: {exc}; the commands work without it "
            "(see 'neurocanvas --help')",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return end_process(app_main(args))


def end_process(code: int) -> NoReturn:
    """End the process as soon as the app's window has closed, with exit status ``code``.

    Everything kept is written by then: the window saved its settings (synced), finished its
    autosave and joined the training thread in its ``closeEvent``. What Python would still do
    is tear down ~1,000 modules and every Qt object one by one, which took 1.4-2.3 s on a busy
    2-core machine after the window had gone (the issue asks for under 0.5 s). So the streams
    are flushed and logging shut down, and the process ends here; the exit status is kept.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
