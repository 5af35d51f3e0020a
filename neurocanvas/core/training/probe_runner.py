"""Runs the probes around one step, in the order ``core.training.probes`` documents.

Probes may be added or removed from any thread at any time (the app does it from the GUI
thread); the change takes effect at the start of the next step, so a probe never sees half a
step.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from neurocanvas.core.training.probes import Probe, StepContext


class ProbeRunner:
    """The loop's probes, their latest results, and the queue of changes between steps."""

    def __init__(self, probes: Iterable[Probe] = ()) -> None:
        self.probes: list[Probe] = []
        self.results: dict[str, Any] = {}
        self._ops: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        for probe in probes:
            self._add(probe)

    # --- any thread
    def add(self, probe: Probe) -> None:
        """Call ``probe`` from the next step on (replacing one of the same name)."""
        with self._lock:
            self._ops.append(("add", probe))

    def remove(self, name: str) -> None:
        """Stop calling the probe named ``name`` from the next step on; its result goes too."""
        with self._lock:
            self._ops.append(("remove", name))

    # --- the loop
    def apply_changes(self) -> None:
        """Apply queued adds and removes (the loop calls this before each step)."""
        if not self._ops:  # (read without the lock: a list's truth value is atomic)
            return
        with self._lock:
            ops, self._ops = self._ops, []
        for op, item in ops:
            if op == "add":
                self._add(item)
            else:
                self.probes = [p for p in self.probes if p.name != item]
                self.results.pop(item, None)

    def _add(self, probe: Probe) -> None:
        probe.reset()
        self.probes = [p for p in self.probes if p.name != probe.name] + [probe]

    def wanting(self, step: int) -> list[Probe]:
        """The probes taking part in ``step`` (asked before its forward pass)."""
        return [p for p in self.probes if p.wants(step)]

    @staticmethod
    def before_forward(active: list[Probe], ctx: StepContext) -> None:
        for probe in active:
            probe.before_forward(ctx)

    @staticmethod
    def after_backward(active: list[Probe], ctx: StepContext) -> None:
        for probe in active:
            probe.after_backward(ctx)

    def collect(self, active: list[Probe], ctx: StepContext) -> None:
        """Keep each probe's result (None means nothing new: the last one stays)."""
        for probe in active:
            result = probe.collect(ctx)
            if result is not None:
                self.results[probe.name] = result

    def latest(self) -> dict[str, Any]:
        """The latest result of each probe (a new dict; the results themselves are not copied:
        a probe returns a fresh object each time and never changes one it handed out)."""
        return dict(self.results)
