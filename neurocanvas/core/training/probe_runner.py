"""Runs the probes around one step, in the order ``core.training.probes`` documents.

Probes may be added or removed from any thread at any time (the app does it from the GUI
thread); the change takes effect at the start of the next step, so a probe never sees half a
step.

A probe is a view of training, never part of it: one that raises is turned off (its hooks
dropped through ``reset``) and reported in :attr:`ProbeRunner.errors`; the run goes on.
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
        #: one plain-words line per probe turned off because it raised, in order
        self.errors: list[str] = []
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
        active = []
        for probe in list(self.probes):
            try:
                if probe.wants(step):
                    active.append(probe)
            except Exception as exc:  # a view's bug must never end the run
                self._disable(probe, "wants", step, exc)
        return active

    def before_forward(self, active: list[Probe], ctx: StepContext) -> None:
        self._call(active, "before_forward", ctx)

    def after_backward(self, active: list[Probe], ctx: StepContext) -> None:
        self._call(active, "after_backward", ctx)

    def collect(self, active: list[Probe], ctx: StepContext) -> None:
        """Keep each probe's result (None means nothing new: the last one stays)."""
        for probe in active:
            if probe not in self.probes:  # turned off earlier in this step
                continue
            try:
                result = probe.collect(ctx)
            except Exception as exc:
                self._disable(probe, "collect", ctx.step, exc)
                continue
            if result is not None:
                self.results[probe.name] = result

    def _call(self, active: list[Probe], stage: str, ctx: StepContext) -> None:
        for probe in active:
            if probe not in self.probes:
                continue
            try:
                getattr(probe, stage)(ctx)
            except Exception as exc:
                self._disable(probe, stage, ctx.step, exc)

    def _disable(self, probe: Probe, stage: str, step: int, exc: Exception) -> None:
        """Turn ``probe`` off for the rest of the run, drop its hooks, and say so in one line."""
        self.probes = [p for p in self.probes if p is not probe]
        self.results.pop(probe.name, None)
        try:
            probe.reset()  # every probe drops the forward hooks it installed here
        except Exception:  # noqa: S110 - already reported below; a second fault adds nothing
            pass
        self.errors.append(
            f"The {probe.name} view failed at step {step} ({stage}: "
            f"{type(exc).__name__}: {exc}) and was turned off; training goes on."
        )

    def latest(self) -> dict[str, Any]:
        """The latest result of each probe (a new dict; the results themselves are not copied:
        a probe returns a fresh object each time and never changes one it handed out)."""
        return dict(self.results)
