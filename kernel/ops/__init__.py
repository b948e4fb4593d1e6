"""The differentiable ops, grouped by kind. Each module lists the Tensor methods it provides in
`METHODS`; `install_methods` puts them on Tensor (one table, no per-method boilerplate)."""

from . import bitwise, decomp, elementwise, index, index_update, inplace, linalg, reduce, shape
from .bitwise import *  # noqa: F401,F403
from .decomp import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .index_update import *  # noqa: F401,F403
from .inplace import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403

_MODULES = (elementwise, reduce, shape, index, linalg, bitwise, index_update, inplace, decomp)


def install_methods(cls, *extra_tables: dict) -> None:
    for table in [m.METHODS for m in _MODULES] + list(extra_tables):
        for name, fn in table.items():
            setattr(cls, name, fn)
