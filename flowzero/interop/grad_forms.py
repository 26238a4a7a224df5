"""TF's gradient kernels that appear in TF1 training graphs (`gradients/...`), imported as
flowzero arithmetic: the elementwise activation gradients (RsqrtGrad, SqrtGrad,
ReciprocalGrad, Relu6Grad, EluGrad, SeluGrad, SoftplusGrad, SoftsignGrad, LeakyReluGrad) and
FusedBatchNormGrad (V1-V3). flowzero differentiates its own graphs with its own gradient ops;
these forms let a TF1 `.meta` with its training op be resumed."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor

_SELU_SCALE = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772


class _Maker:
    """Builds named flowzero ops under the imported node's name."""

    def __init__(self, ctx: Any) -> None:
        self.ctx, self.k = ctx, 0

    def __call__(self, op_type: str, inputs: list[Tensor], attrs: Any = None) -> Tensor:
        self.k += 1
        name = f"{self.ctx.name}/{op_type.lower()}_{self.k}"
        return self.ctx.make(op_type, inputs, attrs or {}, name).outputs[0]

    def const(self, value: Any, like: Tensor) -> Tensor:
        arr = np.asarray(value, like.dtype.np)
        return self("Const", [], {"value": arr, "dtype": like.dtype})

    def select(self, cond: Tensor, a: Tensor, b: Tensor) -> Tensor:
        """cond ? a : b, elementwise (all of one shape), as arithmetic on a 0/1 mask."""
        m = self("Cast", [cond], {"SrcT": dtypes.bool, "DstT": a.dtype})
        return self("Add", [b, self("Mul", [m, self("Sub", [a, b])])])


def _elementwise(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    m = _Maker(ctx)
    t = ctx.tf_type
    if t in ("RsqrtGrad", "SqrtGrad", "ReciprocalGrad", "InvGrad"):
        y, dy = inputs
        if t == "RsqrtGrad":  # d rsqrt(x) = -0.5 y^3
            out = m("Mul", [dy, m("Mul", [m.const(-0.5, y), m("Mul", [y, m("Square", [y])])])])
        elif t == "SqrtGrad":  # 0.5 / y
            out = m("RealDiv", [m("Mul", [dy, m.const(0.5, y)]), y])
        else:  # -y^2
            out = m("Neg", [m("Mul", [dy, m("Square", [y])])])
        return [out]
    g, x = inputs  # (gradients, features or outputs)
    zero = m.const(0.0, x)
    if t == "Relu6Grad":
        inside = m("LogicalAnd", [m("Greater", [x, zero]), m("Less", [x, m.const(6.0, x)])])
        return [m("Mul", [g, m("Cast", [inside], {"SrcT": dtypes.bool, "DstT": g.dtype})])]
    if t == "EluGrad":  # outputs < 0: g * (outputs + 1)
        return [m.select(m("Less", [x, zero]), m("Mul", [g, m("Add", [x, m.const(1, x)])]), g)]
    if t == "SeluGrad":
        neg = m("Mul", [g, m("Add", [x, m.const(_SELU_SCALE * _SELU_ALPHA, x)])])
        return [m.select(m("Less", [x, zero]), neg, m("Mul", [g, m.const(_SELU_SCALE, x)]))]
    if t == "SoftplusGrad":
        return [m("Mul", [g, m("Sigmoid", [x])])]
    if t == "SoftsignGrad":
        return [m("RealDiv", [g, m("Square", [m("Add", [m.const(1, x), m("Abs", [x])])])])]
    # LeakyReluGrad: features > 0: g, else alpha * g
    alpha = float(ctx.attrs.get("alpha", 0.2))
    return [m.select(m("Greater", [x, zero]), g, m("Mul", [g, m.const(alpha, x)]))]


def _fused_batch_norm_grad(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    """(x_backprop, scale_backprop, offset_backprop, reserve_space_3, reserve_space_4) of
    TF's FusedBatchNormGrad*. In training the batch statistics are recomputed from x (biased
    variance, as the forward normalized with); else reserve_space_1 / _2 are the population
    mean and variance the forward used."""
    dy, x, scale, r1, r2 = inputs[:5]
    m = _Maker(ctx)
    fmt = ctx.attrs.get("data_format", b"NHWC")
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    rank = x.shape.ndims if x.shape.ndims is not None else len(fmt)
    axis = fmt.index("C")
    axes = tuple(i for i in range(rank) if i != axis)
    eps = m.const(float(ctx.attrs.get("epsilon", 1e-4)), scale)

    def per_channel(t: Tensor) -> Tensor:
        if axis == rank - 1:
            return t
        shape = np.array([-1] + [1] * (rank - 1 - axis), np.int32)
        return m("Reshape", [t, m("Const", [], {"value": shape, "dtype": dtypes.int32})])

    def total(t: Tensor) -> Tensor:
        return m("Sum", [t], {"axis": axes, "keepdims": False})

    if ctx.attrs.get("is_training", True):
        mean = m("Mean", [x], {"axis": axes, "keepdims": False})
        centered = m("Sub", [x, per_channel(mean)])
        var = m("Mean", [m("Square", [centered])], {"axis": axes, "keepdims": False})
    else:
        centered = m("Sub", [x, per_channel(r1)])
        var = r2
    inv = m("Rsqrt", [m("Add", [var, eps])])
    x_hat = m("Mul", [centered, per_channel(inv)])
    d_offset = total(dy)
    d_scale = total(m("Mul", [dy, x_hat]))
    if ctx.attrs.get("is_training", True):
        count = m(
            "Cast",
            [m("Size", [x], {"out_type": dtypes.int32})],
            {"SrcT": dtypes.int32, "DstT": x.dtype},
        )
        n = m(
            "RealDiv",
            [
                count,
                m(
                    "Cast",
                    [m("Size", [mean], {"out_type": dtypes.int32})],
                    {"SrcT": dtypes.int32, "DstT": x.dtype},
                ),
            ],
        )
        inner = m(
            "Sub",
            [
                m("Sub", [m("Mul", [dy, n]), per_channel(d_offset)]),
                m("Mul", [x_hat, per_channel(d_scale)]),
            ],
        )
        dx = m("Mul", [inner, per_channel(m("RealDiv", [m("Mul", [scale, inv]), n]))])
    else:
        dx = m("Mul", [dy, per_channel(m("Mul", [scale, inv]))])
    empty = m("Const", [], {"value": np.zeros(0, scale.dtype.np), "dtype": scale.dtype})
    return [dx, d_scale, d_offset, empty, empty]


ELEMENTWISE = (
    "RsqrtGrad",
    "SqrtGrad",
    "ReciprocalGrad",
    "InvGrad",
    "Relu6Grad",
    "EluGrad",
    "SeluGrad",
    "SoftplusGrad",
    "SoftsignGrad",
    "LeakyReluGrad",
)
IMPORTERS = {
    **{t: _elementwise for t in ELEMENTWISE},
    **{
        t: _fused_batch_norm_grad
        for t in ("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3")
    },
}
