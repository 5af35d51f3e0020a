"""The clipboard format of the node editor: chosen nodes and the wires between them as JSON.

Copy, paste and duplicate all go through this one shape, so a copy from one window pastes
into another (or into a text editor, where it reads as plain JSON).
"""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from neurocanvas.core.network.graph import Graph

SUBGRAPH_MIME = "application/x-neurocanvas-subgraph"


def subgraph_dict(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The chosen nodes and the wires between them as JSON-able data (the clipboard format)."""
    wanted = set(node_ids)
    chosen = [n for n in graph.nodes if n in wanted]
    nodes = []
    for node_id in chosen:
        node = graph.nodes[node_id]
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in node.params.items()}
        nodes.append(
            {
                "id": node.id,
                "type": node.type,
                "name": node.name,
                "params": params,
                "pos": [float(node.pos[0]), float(node.pos[1])],
            }
        )
    inside = set(chosen)
    edges = [
        {"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
        for e in graph.edges
        if e.src in inside and e.dst in inside
    ]
    return {"format": "neurocanvas-subgraph", "version": 1, "nodes": nodes, "edges": edges}


def write_clipboard(data: dict[str, Any]) -> str:
    """Put ``data`` on the system clipboard (our format, and as text); the JSON text."""
    text = json.dumps(data)
    mime = QMimeData()
    mime.setData(SUBGRAPH_MIME, text.encode())
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)
    _release_clipboard_at_exit()
    return text


def read_clipboard() -> str | None:
    """The JSON text of copied nodes on the system clipboard, or None."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is not None and mime.hasFormat(SUBGRAPH_MIME):
        return bytes(mime.data(SUBGRAPH_MIME)).decode()
    return None


def parse_subgraph(text: str) -> dict[str, Any] | None:
    """Clipboard text as subgraph data, or None when it is not (a person's own text)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    return data


_clipboard_release_registered = False


def _release_clipboard_at_exit() -> None:
    """Empty the clipboard while Python still runs, once, at interpreter exit.

    The clipboard owns the QMimeData we gave it, a Python-made object. Qt frees it from its
    own C++ exit handlers, after Python has shut down, and shiboken then crashes the process
    (seen with PySide6 6.11: a segfault after the last test passed). Clearing it from an
    ``atexit`` handler frees the object while the interpreter is alive.
    """
    global _clipboard_release_registered
    if _clipboard_release_registered:
        return
    _clipboard_release_registered = True

    def release() -> None:
        if QGuiApplication.instance() is not None:
            QGuiApplication.clipboard().clear()

    atexit.register(release)
