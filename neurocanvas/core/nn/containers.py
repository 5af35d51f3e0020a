"""Containers: ``Sequential`` (chain) and ``ModuleList`` (indexable holder)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, ValuesView
from typing import Any, cast

from neurocanvas.core.nn.module import Module

__all__ = ["ModuleList", "Sequential"]


def _index(i: int, n: int, owner: str) -> int:
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a {owner} of length {n}")
    return i + n if i < 0 else i


def _children(owner: Module) -> ValuesView[Module]:
    """``owner._modules.values()`` (the live view), typed as the Modules a container's
    constructor and ``append`` put there; a None child fails where PyTorch's does."""
    return cast(ValuesView[Module], owner._modules.values())


class Sequential(Module):
    """Apply modules in order; keys are ``"0.weight"``, ... (or the names of an OrderedDict)."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                if not isinstance(module, Module):
                    raise TypeError(
                        f"Sequential argument {i} is a {type(module).__name__}, not a Module"
                    )
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        for module in _children(self):
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(_children(self))

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """Hold submodules in a list so that their parameters are registered."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or ():
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.append expects a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(_children(self))

    def __getitem__(self, idx: int) -> Module:
        return list(_children(self))[_index(idx, len(self), "ModuleList")]
