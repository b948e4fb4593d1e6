"""nn.Module: parameters, buffers and submodules registered by attribute assignment.

Follows PyTorch's structure (`_parameters`, `_buffers`, `_modules` dicts), key names,
repr and error messages, so user code and saved state dicts behave the same.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict, namedtuple

from .. import grad_mode, meta
from ..device import check_device, device as Device
from ..hooks import RemovableHandle
from . import backward_hooks
from ..tensor import Tensor
from .parameter import Parameter, zero_grads


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


def _type_name(value) -> str:
    if isinstance(value, Tensor):
        return value.type()
    return f"{type(value).__module__}.{type(value).__qualname__}" if type(value).__module__ != "builtins" else type(value).__name__


class Module:
    """Base class for all neural network modules."""

    training: bool
    _version = 1

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")  # the kernel's own layers (a user's `device` argument is theirs)
        if init is not None and cls.__module__.startswith(_KERNEL) and "device" in inspect.signature(init).parameters:
            cls.__init__ = _made_on_device(init)

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = OrderedDict()  # PyTorch's hook stores are OrderedDicts (programs print them)
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()

    # ---- calling ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if not d.get("_forward_hooks") and not d.get("_forward_pre_hooks"):
            if d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
                return backward_hooks.call(self, args, kwargs)
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            r = hook(self, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
        if d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
            out = backward_hooks.call(self, args, kwargs)
        else:
            out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            r = hook(self, args, out)
            if r is not None:
                out = r
        return out

    def register_forward_hook(self, hook):
        return RemovableHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) during backward; may return a new grad_input."""
        return backward_hooks.register(self, hook, True, "_backward_hooks", prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) before the module's input gradients are computed; may return a new grad_output."""
        return backward_hooks.register(self, hook, True, "_backward_pre_hooks", prepend)

    def register_backward_hook(self, hook):
        """The deprecated form: sees the gradients of the inputs of the module's last op (exact for one-op modules)."""
        return backward_hooks.register(self, hook, False, "_backward_hooks")

    # ---- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(self, name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as parameter '{name}' (torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = d.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(self, name)
            modules[name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as child module '{name}' (torch.nn.Module or None expected)")
            d["_modules"][name] = value
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_type_name(value)}' as buffer '{name}' (torch.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            s = self.__dict__.get(store)
            if s is not None and name in s:
                del s[name]
                self.__dict__["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def _check_name(self, name, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name: str, param) -> None:
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_type_name(param)}' object to parameter '{name}' (torch.nn.Parameter or None required)")
        if param is not None and param._ctx is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' (torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> "Module":
        mod = self
        for item in target.split(".") if target else []:
            if item not in mod._modules:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        return mod._parameters[name]

    # ---- traversal --------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:  # iterative pre-order (deep models, shallow Pyodide stack)
            pre, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield pre, mod
            children = [(pre + ("." if pre else "") + n, m) for n, m in mod._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for pre, mod in mods:
            for name, v in getattr(mod, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield pre + ("." if pre else "") + name, v

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- state --------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        if args:  # the old positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        for pre, mod in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            dot = pre + "." if pre else ""
            if hasattr(destination, "_metadata"):
                destination._metadata[pre] = {"version": type(mod)._version}
            for name, p in mod._parameters.items():
                if p is not None:
                    destination[dot + name] = p if keep_vars else p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent_buffers_set:
                    destination[dot + name] = b if keep_vars else b.detach()
            extra = type(mod).get_extra_state is not Module.get_extra_state
            if extra:
                destination[dot + "_extra_state"] = mod.get_extra_state()
        return destination

    def get_extra_state(self):
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug."
        )

    def set_extra_state(self, state) -> None:
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug."
        )

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        expected = set()
        with grad_mode.no_grad():
            for pre, mod in self.named_modules(remove_duplicate=False):
                dot = pre + "." if pre else ""
                local = [(n, p, True) for n, p in mod._parameters.items() if p is not None]
                local += [(n, b, False) for n, b in mod._buffers.items()
                          if b is not None and n not in mod._non_persistent_buffers_set]
                for name, current, is_param in local:
                    key = dot + name
                    expected.add(key)
                    if key not in state_dict:
                        missing.append(key)
                        continue
                    value = state_dict[key]
                    if not isinstance(value, Tensor):
                        errors.append(
                            f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object '
                            f"from checkpoint but received {type(value)}"
                        )
                        continue
                    if value.array.shape != current.array.shape:
                        errors.append(
                            f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, "
                            f"the shape in current model is {current.shape}."
                        )
                        continue
                    if assign:
                        new = Parameter(value, current.requires_grad) if is_param and not isinstance(value, Parameter) else value
                        (mod._parameters if is_param else mod._buffers)[name] = new
                    else:
                        current.copy_(value)
                if type(mod).set_extra_state is not Module.set_extra_state:
                    key = dot + "_extra_state"
                    expected.add(key)
                    if key in state_dict:
                        mod.set_extra_state(state_dict[key])
                    else:
                        missing.append(key)
        unexpected = [k for k in state_dict.keys() if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # ---- modes, grads, conversion --------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn) -> "Module":
        stack = [(self, False)]  # iterative post-order: each module after its children, as PyTorch
        while stack:
            mod, expanded = stack.pop()
            if expanded:
                fn(mod)
                continue
            stack.append((mod, True))
            stack.extend((c, False) for c in reversed(list(mod.children())))
        return self

    def _apply(self, convert) -> "Module":
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for name, t in store.items():
                    if t is None:
                        continue
                    new = convert(t)
                    if new is not t and (new.array.dtype != t.array.dtype or new.is_meta != t.is_meta):
                        t.array = new.array
                        if t._grad is not None:
                            t._grad.array = (meta.like(t._grad.array, new.array.dtype) if new.is_meta
                                             else t._grad.array.astype(new.array.dtype))
        return self

    def to(self, *args, **kwargs) -> "Module":
        from ..tensor import to_args_device, to_args_dtype

        dtype, target = to_args_dtype(args, kwargs), to_args_device(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")
        if target is not None and target.type != "meta" and any(t.is_meta for t in self._tensors()):
            raise NotImplementedError(meta.NO_DATA + " Please use torch.nn.Module.to_empty() instead of "
                                      "torch.nn.Module.to() when moving module from meta to a different device.")
        if dtype is not None:
            self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)
        if target is not None and target.type == "meta":
            self._apply(lambda t: t.to(target))
        return self

    def to_empty(self, *, device, recurse: bool = True) -> "Module":
        """Parameters and buffers moved to `device` with uninitialised (here: zero) values, as PyTorch."""
        from .. import creation

        modules = self.modules() if recurse else [self]
        for m in modules:
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None:
                        t.array = creation.empty(t.array.shape, dtype=t.dtype, device=device).array
        return self

    def _tensors(self):
        return [t for m in self.modules() for store in (m._parameters, m._buffers) for t in store.values() if t is not None]

    def cpu(self) -> "Module":
        if any(t.is_meta for t in self._tensors()):
            raise NotImplementedError(meta.NO_DATA)
        return self

    def cuda(self, device=None) -> "Module":
        check_device("cuda")
        return self

    def float(self) -> "Module":
        from .. import dtypes

        return self._apply(lambda t: t.to(dtypes.float32) if t.is_floating_point() else t)

    def double(self) -> "Module":
        from .. import dtypes

        return self._apply(lambda t: t.to(dtypes.float64) if t.is_floating_point() else t)

    def half(self) -> "Module":
        from .. import dtypes

        return self._apply(lambda t: t.to(dtypes.float16) if t.is_floating_point() else t)

    def type(self, dst_type) -> "Module":
        return self._apply(lambda t: t.to(dst_type))

    def share_memory(self) -> "Module":
        return self

    # ---- repr ---------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): {_addindent(repr(m), 2)}" for k, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_forward_hooks", {})
        self.__dict__.setdefault("_forward_pre_hooks", {})
        self.__dict__.setdefault("_non_persistent_buffers_set", set())


def _remove_from(module: Module, name: str) -> None:
    d = module.__dict__
    d.pop(name, None)
    for store in ("_parameters", "_buffers", "_modules"):
        s = d.get(store)
        if s is not None and name in s:
            del s[name]
    if "_non_persistent_buffers_set" in d:
        d["_non_persistent_buffers_set"].discard(name)


_KERNEL = __name__.rsplit(".", 2)[0] + "."  # torchpad.kernel.


def _made_on_device(init):
    """A layer's __init__ that takes `device=`: its parameters and buffers are made there (that device is
    the default while it runs, as PyTorch's factory_kwargs put them), e.g. shape-only on 'meta'."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def made_on(self, *args, **kwargs):
        d = signature.bind_partial(self, *args, **kwargs).arguments.get("device")
        if d is None:
            return init(self, *args, **kwargs)
        with Device(d) if not isinstance(d, int) else Device("cuda", d):
            return init(self, *args, **kwargs)

    return made_on
