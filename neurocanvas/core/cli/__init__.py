"""The headless command line: list examples, validate, train and export projects.

Same entry point as the app (``neurocanvas``): a subcommand runs here, anything else opens the
window. Every failure is one line on stderr and a non-zero exit status, an unexpected one
included (its traceback goes to a log file, see :mod:`.crash`); nothing is written unless an
option asks for it.

Each subcommand is a module of this package with ``NAME``, ``register(subparsers)`` and the
function it sets as ``func``; adding one is a new module and one entry in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import NoReturn

from neurocanvas.core.cli import examples, export, lr_find, new, train, validate
from neurocanvas.core.cli._common import EXIT_ERROR, EXIT_USAGE, CliError, load_source
from neurocanvas.core.cli.crash import unexpected_error_line

COMMANDS = (examples, new, validate, train, export, lr_find)
SUBCOMMANDS = tuple(c.NAME for c in COMMANDS)

__all__ = [
    "COMMANDS",
    "SUBCOMMANDS",
    "CliError",
    "build_parser",
    "load_source",
    "main",
    "unknown_command_line",
]


def unknown_command_line(word: str) -> str:
    """The one-line error for a word that is neither a subcommand, a file nor an example,
    suggesting the closest subcommand (difflib's ratio, as git and pip suggest)."""
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else f"; commands: {', '.join(SUBCOMMANDS)}"
    return f"neurocanvas: error: '{word}' is not a command, a project file or an example{hint}"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the default prints the usage block too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"neurocanvas: error: {message} (see 'neurocanvas --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from neurocanvas import __version__

    parser = _Parser(
        prog="neurocanvas",
        description="Build neural networks by drag-and-drop and watch them learn. Without a "
        "subcommand, opens the app (on FILE.ncproj if given).",
    )
    parser.add_argument("--version", action="version", version=f"neurocanvas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in SUBCOMMANDS:
        print(unknown_command_line(argv[0]), file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"neurocanvas: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("neurocanvas: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line here, the traceback in the log
        doing = f"running 'neurocanvas {' '.join(argv)}'"
        print(f"neurocanvas: error: {unexpected_error_line(doing, exc)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
