"""The node editor: a scene mirroring the core graph, its items, gestures and view."""

from neurocanvas.widgets.canvas.clipboard import SUBGRAPH_MIME
from neurocanvas.widgets.canvas.node_canvas import NodeCanvas
from neurocanvas.widgets.canvas.scene import CanvasScene
from neurocanvas.widgets.canvas.view import CanvasView

__all__ = ["CanvasScene", "CanvasView", "NodeCanvas", "SUBGRAPH_MIME"]
