"""Panels that look inside the network while it learns (issue 13): per-node previews,
histograms over time, the learning-rate finder and the one-batch stepper. The canvas's own
drawing of training health lives in ``widgets/canvas/health_overlay.py``."""
