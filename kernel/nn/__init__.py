"""torch.nn: modules, parameters, losses, init and functional forms."""

from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
