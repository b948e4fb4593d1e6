"""3-D layers: Conv3d, MaxPool3d, AvgPool3d (PyTorch's parameters, defaults, init and repr)."""

from __future__ import annotations

from ..ops import volumetric as V
from .conv import _ForwardConvNd
from .pooling import _AvgPoolNd, _MaxPoolNd

__all__ = ["Conv3d", "MaxPool3d", "AvgPool3d"]


class Conv3d(_ForwardConvNd):
    _nd, _conv = 3, staticmethod(V.conv3d)


class MaxPool3d(_MaxPoolNd):
    def forward(self, input):
        return V.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool3d(_AvgPoolNd):
    def forward(self, input):
        return V.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)
