"""The catalogue's help for a layer as rich text, for "What's This?" and the node menu.

One function, so the palette, the canvas and the layer list show the same words as the
inspector (all read the catalogue entry).
"""

from __future__ import annotations

from html import escape

from neurocanvas.core.network.catalogue import get_layer


def layer_help_html(layer_type: str) -> str:
    """Name, category, what the layer does and what each parameter means."""
    spec = get_layer(layer_type)
    rows = "".join(
        f"<li><b>{escape(p.label or p.name)}</b>: {escape(p.help)}</li>"
        for p in spec.params
        if p.help
    )
    params = f"<ul>{rows}</ul>" if rows else ""
    return (
        f"<b>{escape(spec.display_name)}</b> ({escape(spec.category)})"
        f"<p>{escape(spec.help)}</p>{params}"
    )
