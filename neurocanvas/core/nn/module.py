"""``Module`` and ``Parameter``: the containers every layer is built from.

Registration follows PyTorch (assigning a ``Parameter`` or ``Module`` to an attribute records it),
so ``state_dict()`` keys, ``parameters()`` order and ``repr`` match what a PyTorch user expects.
Registered objects are also kept in the instance ``__dict__`` so that reading ``self.weight`` in a
``forward`` is a plain attribute lookup: these tiny models are bound by Python overhead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from neurocanvas.core.backend import normalize_device, to_device, to_numpy
from neurocanvas.core.tensor import Tensor

__all__ = ["Module", "Parameter"]


def _array_device(arr: Any) -> str:
    """Device name of a raw array, without importing CuPy for numpy arrays."""
    return "cpu" if isinstance(arr, np.ndarray) else "cuda"


def zero_grads(params: Iterator[Tensor] | list[Tensor], set_to_none: bool = True) -> None:
    """Drop (or zero in place) the gradients of ``params``: shared by Module and Optimizer."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.array[...] = 0


class Parameter(Tensor):
    """A leaf tensor that a ``Module`` registers as trainable (``requires_grad=True``)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class RemovableHandle:
    """Removes the hook it was returned for (``torch.utils.hooks.RemovableHandle``)."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict[int, Any]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match (PyTorch returns the same pair)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of all layers and models.

    Subclasses call ``super().__init__()`` first, assign parameters, buffers and submodules as
    attributes, and define ``forward``.
    """

    training: bool
    # Set with object.__setattr__ in __init__ (our __setattr__ files attributes into them).
    _parameters: OrderedDict[str, Parameter | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent: set[str]
    _modules: OrderedDict[str, Module | None]

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(
                f"cannot assign '{name}' before {type(self).__name__}.__init__ called "
                "super().__init__()"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' of "
                    f"{type(self).__name__} (nn.Parameter or None expected)"
                )
            params[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' of "
                    f"{type(self).__name__} (nn.Module or None expected)"
                )
            self._modules[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' of "
                    f"{type(self).__name__} (Tensor or None expected)"
                )
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._forget(name)
        object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (``None`` keeps the slot, like an absent bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}') expects a Parameter or None")
        self._forget(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register non-trainable state (e.g. BatchNorm running statistics).

        Buffers move with ``to()`` and, when persistent, are saved in ``state_dict()``.
        """
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer('{name}') expects a Tensor or None")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}') expects a Module or None")
        self._forget(name)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooks = self.__dict__.get("_forward_hooks")
        if not hooks:  # the common case stays one dict lookup
            return self.forward(*args, **kwargs)
        out = self.forward(*args, **kwargs)
        for hook in list(hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(
        self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
    ) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward pass (PyTorch's signature).

        A hook that returns a value replaces the output. Returns a handle whose ``remove()``
        detaches the hook. Probes use this to see activations of the training step itself.
        """
        hooks = self.__dict__.get("_forward_hooks")
        if hooks is None:
            hooks = OrderedDict()
            object.__setattr__(self, "_forward_hooks", hooks)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, Module]]:
        """Yield ``(qualified name, module)`` for this module and all descendants, once each."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, get: Callable[[Module], Mapping[str, Any]], prefix: str, recurse: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mod_prefix, mod in mods:
            for name, value in get(mod).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(key, parameter)`` in registration order; a shared parameter appears once."""
        yield from self._named_members(lambda m: m._parameters, prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members(lambda m: m._buffers, prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and grads
    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self, e.g. to initialise."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its descendants to training (or, with ``False``, eval) mode."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients; ``None`` (the default) avoids touching memory."""
        zero_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------------ dtype / device
    def _apply(self, fn: Callable[[Any], Any], floating_only: bool) -> Module:
        """Replace every parameter's and buffer's array (and gradient) by ``fn(array)`` in place.

        The Tensor objects keep their identity, so an optimizer built before ``to()`` still
        updates the same parameters.
        """
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is None:
                    continue
                if floating_only and t.array.dtype.kind != "f":
                    continue
                t.array = fn(t.array)
                if t.grad is not None:
                    t.grad.array = fn(t.grad.array)
        return self

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64 (e.g. for gradient checks)."""
        return self._apply(lambda a: a.astype(np.float64, copy=False), floating_only=True)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self._apply(lambda a: a.astype(np.float32, copy=False), floating_only=True)

    def to(self, device: str | None = None, dtype: Any = None) -> Module:
        """Move parameters and buffers to ``device`` (``"cpu"``/``"cuda"``) and/or cast them."""
        if device is not None and not isinstance(device, str):
            dtype, device = device, None
        if device is not None:
            dev = normalize_device(device)
            self._apply(lambda a: to_device(a, dev), floating_only=False)
        if dtype is not None:
            dt = np.dtype(dtype)
            self._apply(lambda a: a.astype(dt, copy=False), floating_only=True)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    # ------------------------------------------------------------------ state dict
    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """Parameters then persistent buffers of each module, depth first (PyTorch's order)."""
        for prefix, m in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, p in m._parameters.items():
                if p is not None:
                    yield dot + name, p
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    yield dot + name, b

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Host copies of all parameters and persistent buffers, keyed like PyTorch."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for key, t in self._state_items():
            out[key] = np.array(to_numpy(t.array), copy=True)
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> _IncompatibleKeys:
        """Copy values (numpy arrays or Tensors) into this module, cast to each target's dtype.

        Raises
        ------
        RuntimeError
            For a shape mismatch (naming the key and both shapes), and, when ``strict``, for
            missing or unexpected keys.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a mapping, got {type(state_dict).__name__}")
        own = dict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors: list[str] = []
        if strict:
            if missing:
                errors.append("missing key(s): " + ", ".join(repr(k) for k in missing))
            if unexpected:
                errors.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        staged: list[tuple[Tensor, Any]] = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if isinstance(value, Tensor):
                value = to_numpy(value.array)
            elif not isinstance(value, np.ndarray):
                value = to_numpy(value) if hasattr(value, "__cuda_array_interface__") else value
                value = np.asarray(value)
            if tuple(value.shape) != tuple(target.array.shape):
                errors.append(
                    f"size mismatch for {key!r}: the checkpoint has shape {tuple(value.shape)}, "
                    f"the model has shape {tuple(target.array.shape)}"
                )
                continue
            staged.append((target, value))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                + "\n  ".join(errors)
            )
        # Copy only after every check passed, so a failed load leaves the model untouched.
        for target, value in staged:
            arr = value.astype(target.array.dtype, copy=False)
            target.array[...] = to_device(arr, _array_device(target.array))
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """One line of constructor arguments shown by ``repr`` (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [(n, m) for n, m in self._modules.items() if m is not None]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [extra] if extra else []
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
