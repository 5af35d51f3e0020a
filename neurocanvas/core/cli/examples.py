"""``neurocanvas examples``: list the example projects."""

from __future__ import annotations

import argparse
import json

from neurocanvas.core.cli._common import EXIT_OK

NAME = "examples"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="list the example projects")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=cmd_examples)


def cmd_examples(args: argparse.Namespace) -> int:
    from neurocanvas.core.io.examples import list_examples

    examples = list_examples()
    if args.json:
        print(
            json.dumps([{"name": e.name, "title": e.title, "result": e.result} for e in examples])
        )
        return EXIT_OK
    width = max(len(e.name) for e in examples)
    for e in examples:
        print(f"{e.name:<{width}}  {e.title}")
    return EXIT_OK
