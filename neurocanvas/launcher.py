"""The ``neurocanvas`` entry point: a subcommand runs the headless CLI, anything else opens the app.

It lives outside ``core`` so that core never imports Qt, and outside ``app`` so that the CLI
works on machines without a screen or without Qt's system libraries.
"""

from __future__ import annotations

import sys

from neurocanvas.core.cli import SUBCOMMANDS


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        from neurocanvas.core.cli import main as cli_main

        return cli_main(args)
    from neurocanvas.app.main import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
