"""`torch.distributions`: the distributions tutorials and RL examples use, built from the kernel's
differentiable ops (so `rsample` and `log_prob` carry gradients to the parameters)."""

from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "MultivariateNormal", "Normal", "Uniform", "kl_divergence",
           "register_kl"]
