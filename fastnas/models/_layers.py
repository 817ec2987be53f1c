"""Small torch building blocks shared by the image-network builders (NB201, NB101, DARTS).

Definitions follow the benchmarks' papers: NAS-Bench-201 (Dong & Yang 2020, ``ReLUConvBN``, residual
reduction block), DARTS (Liu et al. 2019, ``SepConv``, ``DilConv``, ``FactorizedReduce``).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["ReLUConvBN", "ConvBNReLU", "Zero", "ResidualReduction"]


class ReLUConvBN(nn.Sequential):
    """ReLU -> Conv2d (no bias) -> BatchNorm2d (the NB201 / DARTS conv op)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, affine: bool = True):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class ConvBNReLU(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d -> ReLU (the NB101 conv op)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1):
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=False),
        )


class Zero(nn.Module):
    """The ``none`` op: zeros of the output shape (stride 1 keeps the shape; stride 2 halves it)."""

    def __init__(self, stride: int = 1):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class ResidualReduction(nn.Module):
    """NB201's reduction block: a ResNet basic block with stride 2 (ReLU-Conv3x3-BN twice) plus a
    shortcut of 2x2 average pooling and a 1x1 convolution (NATS-Bench ``ResNetBasicblock``)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 2):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        if stride == 2:
            self.downsample: nn.Module = nn.Sequential(
                nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False),
            )
        elif c_in != c_out:
            self.downsample = ReLUConvBN(c_in, c_out, 1, 1, 0)
        else:
            self.downsample = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))
