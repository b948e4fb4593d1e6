"""`torch.utils.hooks.RemovableHandle`: what every register_*_hook returns."""

from __future__ import annotations


class RemovableHandle:
    """`.remove()` (or leaving a `with` block) unregisters the hook."""

    _next = 0

    def __init__(self, store: dict, hook) -> None:
        RemovableHandle._next += 1
        self.store, self.id = store, RemovableHandle._next
        store[self.id] = hook

    def remove(self) -> None:
        self.store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
