"""``neurocanvas validate``: each layer's output shape, or the errors."""

from __future__ import annotations

import argparse
import json
import sys

from neurocanvas.core.cli._common import EXIT_ERROR, EXIT_OK, load_source
from neurocanvas.core.network.graph import Graph

NAME = "validate"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="print each layer's output shape, or the errors")
    p.add_argument("project", help="a .ncproj or .onnx file, or an example name")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    from neurocanvas.core.network.catalogue import fmt_shape

    loaded = load_source(args.project, use_saved_weights=False, build=False)
    graph, report = loaded.project.graph, loaded.report
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "total_params": report.total_params,
                    "total_macs": report.total_macs,
                    "nodes": {
                        graph.nodes[nid].name: {
                            "type": graph.nodes[nid].type,
                            "shape": None if info.out_shape is None else ["N", *info.out_shape],
                            "params": info.params,
                        }
                        for nid, info in report.nodes.items()
                    },
                    "problems": [
                        {
                            "node": graph.nodes[p.node_id].name if p.node_id else None,
                            "message": p.message,
                            "severity": p.severity,
                        }
                        for p in report.problems
                    ],
                }
            )
        )
        return EXIT_OK if report.ok else EXIT_ERROR
    rows = []
    for nid in _display_order(graph):
        node, info = graph.nodes[nid], report.nodes.get(nid)
        shape = fmt_shape(info.out_shape) if info and info.out_shape is not None else "?"
        rows.append((node.name, node.type, shape, f"{info.params:,}" if info else ""))
    widths = [
        max(len(r[i]) for r in rows + [("name", "type", "output", "params")]) for i in range(4)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(("name", "type", "output", "params"), widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(
        f"total: {report.total_params:,} parameters, {report.total_macs:,} multiply-adds per sample"
    )
    for p in report.warnings:
        print(f"warning: {p.message}", file=sys.stderr)
    for note in loaded.dataset.notes if loaded.dataset is not None else ():
        print(f"data: {note}", file=sys.stderr)
    if not report.ok:
        for p in report.errors:
            print(f"error: {p.message}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _display_order(graph: Graph) -> list[str]:
    try:
        return graph.topological_order()
    except Exception:  # a cycle: validation reports it; list the nodes anyway
        return list(graph.nodes)
