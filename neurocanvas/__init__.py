"""NeuroCanvas: build neural networks by drag-and-drop and watch them learn."""

__version__ = "0.1.0"
