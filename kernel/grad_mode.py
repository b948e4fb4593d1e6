"""Whether operations record the autograd graph: no_grad / enable_grad / set_grad_enabled."""

from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    mode = True

    def __enter__(self):
        global _enabled
        self._prev = _enabled
        _enabled = self.mode
        return None

    def __exit__(self, *exc) -> None:
        global _enabled
        _enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__() if not isinstance(self, set_grad_enabled) else set_grad_enabled(self.mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    mode = False


class enable_grad(_GradMode):
    mode = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode: bool) -> None:
        global _enabled
        self.mode = bool(mode)
        # Like PyTorch, calling it as a function (not in `with`) switches the mode at once.
        self._prev = _enabled
        _enabled = self.mode

    def __enter__(self):
        return None

    def __call__(self, fn):
        global _enabled
        _enabled = self._prev  # used as a decorator: the switch applies inside the function only
        return super().__call__(fn)


class inference_mode(no_grad):
    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode
