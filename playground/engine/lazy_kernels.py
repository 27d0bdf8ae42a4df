"""``kernels``, the compiled training kernels, imported when first used: importing them imports
Numba (about a third of a second), which the app's window, the config and the NumPy backend
never need. The trainer and the dynamics recorder call them only on the fused backend."""

from __future__ import annotations

import importlib
from typing import Any


class LazyKernels:
    """Stands for ``playground.engine.kernels``: the first read of a name imports the module
    (under Python's import lock, so two threads import it once) and keeps the name here, so
    later reads cost what a module attribute costs."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(importlib.import_module("playground.engine.kernels"), name)
        setattr(self, name, value)
        return value


kernels = LazyKernels()
