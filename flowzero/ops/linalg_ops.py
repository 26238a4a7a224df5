"""Linear algebra: matmul (batched, with transpose flags) and tensordot."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, Unfusable, register_op, spec
from flowzero.framework.shapes import TensorShape, broadcast_shapes
from flowzero.ops import fastpaths, reshape_ops
from flowzero.ops.common import DTypeError, binary_operands


# -- matmul ------------------------------------------------------------------------------------
@register_op("MatMul")
class MatMul(OpDef):
    """z = op(a) @ op(b), op = transpose where transpose_a / transpose_b (batched over leading
    dims)."""

    def exact_input_gradients(self, op: Any) -> bool:
        # Plain matrices never broadcast; batched operands may (then autodiff sums them back).
        return all(t.shape.ndims == 2 for t in op.inputs)

    def infer(self, a: Tensor, b: Tensor) -> TensorSpec:
        ta, tb = self.attrs["transpose_a"], self.attrs["transpose_b"]
        if a.dtype is not b.dtype:
            raise self.error(
                f"a and b must have the same dtype; got a: {a.dtype.name}, "
                f"b: {b.dtype.name}. Use tf.cast.",
                cls=DTypeError,
            )
        if a.dtype.np.kind not in "fic":
            raise self.error(f"a must be numeric; got {a.dtype.name}.", cls=DTypeError)
        sa, sb = a.shape.known, b.shape.known
        for nm, s in (("a", sa), ("b", sb)):
            if s is not None and len(s) < 2:
                raise self.error(
                    f"{nm} must be at least rank 2; got {nm}: {TensorShape(s)}. "
                    "Use tf.reshape or tf.expand_dims to make a matrix."
                )
        if sa is None or sb is None:
            return spec(TensorShape(None), a.dtype)
        m, ka = (sa[-1], sa[-2]) if ta else (sa[-2], sa[-1])
        kb, n = (sb[-1], sb[-2]) if tb else (sb[-2], sb[-1])
        if ka is not None and kb is not None and ka != kb:
            hint = ""
            if not tb and (sb[-1] == ka):
                hint = " Did you mean transpose_b=True?"
            elif not ta and sa[-2] == kb:
                hint = " Did you mean transpose_a=True?"
            raise self.error(
                f"inner dimensions must match; got a: {a.shape}, b: {b.shape}"
                f"{' (transpose_a)' if ta else ''}{' (transpose_b)' if tb else ''}.{hint}"
            )
        batch = broadcast_shapes(TensorShape(sa[:-2]), TensorShape(sb[:-2]))
        if batch is None:
            raise self.error(f"batch dimensions must broadcast; got a: {a.shape}, b: {b.shape}.")
        return spec(TensorShape(tuple(batch.known or ()) + (m, n)), a.dtype)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.attrs["transpose_a"]:
            a = np.swapaxes(a, -1, -2)
        if self.attrs["transpose_b"]:
            b = np.swapaxes(b, -1, -2)
        if a.ndim == 2 and b.ndim == 2:
            # NOTE: np.dot is np.matmul for matrices (the same BLAS call, bitwise-equal results,
            # tests/ops/test_linalg_kernels.py) at about half the call overhead, which is most of
            # a tiny product's time (an eager op on small operands).
            return np.dot(a, b)
        return np.matmul(a, b)

    def fuse(self, ops: list[Any]) -> tuple[list[Any], Any] | None:
        """MatMul -> Add/AddV2/BiasAdd with a per-column bias [-> Relu] (TF's _FusedMatMul):
        the bias and the relu are applied in place on the matmul's fresh output."""
        mm, add = ops[0], ops[1]
        y = mm._outputs[0]
        if add.type == "BiasAdd":
            if add._inputs[0] is not y or add._opdef.attrs["axis"] not in (-1, 1):
                return None
            bias = add._inputs[1]
        else:
            a0, a1 = add._inputs
            bias = a1 if a0 is y else a0
            if bias is y:
                return None
        if bias.dtype is not y.dtype or bias.shape.ndims is None or bias.shape.ndims > 1:
            return None  # only a per-column bias (a vector or a scalar) folds in place
        with_relu = len(ops) > 2

        def kernel(a: np.ndarray, b: np.ndarray, bias_v: np.ndarray) -> np.ndarray:
            out = self.compute(a, b)
            if (
                out.ndim != 2
                or bias_v.ndim > 1
                or bias_v.dtype != out.dtype
                or (bias_v.ndim == 1 and bias_v.shape[0] != out.shape[1])
            ):
                raise Unfusable  # broadcasting would grow the output: the ops decide
            if bias_v.ndim == 1:
                fastpaths.add_channel_bias(out, bias_v, out=out)
            else:
                np.add(out, bias_v, out=out)
            if with_relu:
                fastpaths.relu(out, out=out)
            return out

        return [mm._inputs[0], mm._inputs[1], bias], kernel

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a, b = op.inputs
        ta, tb = self.attrs["transpose_a"], self.attrs["transpose_b"]
        if not ta and not tb:
            return [matmul(dy, b, transpose_b=True), matmul(a, dy, transpose_a=True)]
        if not ta and tb:
            return [matmul(dy, b), matmul(dy, a, transpose_a=True)]
        if ta and not tb:
            return [matmul(b, dy, transpose_b=True), matmul(a, dy)]
        return [
            matmul(b, dy, transpose_a=True, transpose_b=True),
            matmul(dy, a, transpose_a=True, transpose_b=True),
        ]


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
) -> Tensor:
    """Matrix product `a @ b` (batched over leading dimensions).

    Raises:
        InvalidArgumentError: at build time, when the inner dimensions do not match.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.matmul(tf.constant([[3., 3.]]), tf.constant([[2.], [2.]])))
        array([[12.]], dtype=float32)
    """
    if a.__class__ is not b.__class__ or not isinstance(a, Tensor):
        a, b = binary_operands(a, b, "MatMul")
    return apply_op(
        MatMul,
        [a, b],
        {  # (bools, as bool() would make them, without its two calls per eager op)
            "transpose_a": True if transpose_a or adjoint_a else False,
            "transpose_b": True if transpose_b or adjoint_b else False,
        },
        name=name,
    )


def _tensordot_axes(axes: Any, ra: int, rb: int) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(ra, rb):
            raise ValueError(
                f"tensordot: axes must be in [0, {min(ra, rb)}] for inputs of rank "
                f"{ra} and {rb}; got {axes}."
            )
        return list(range(ra - axes, ra)), list(range(axes))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise ValueError(
            f"tensordot: axes must be an int or a pair of axis lists; got {axes!r}."
        ) from None
    a_axes = [int(a_axes)] if np.ndim(a_axes) == 0 else [int(i) for i in a_axes]
    b_axes = [int(b_axes)] if np.ndim(b_axes) == 0 else [int(i) for i in b_axes]
    if len(a_axes) != len(b_axes):
        raise ValueError(
            f"tensordot: the two axis lists must have the same length; got {a_axes} and {b_axes}."
        )
    for axs, r in ((a_axes, ra), (b_axes, rb)):
        if any(not -r <= i < r for i in axs):
            raise ValueError(f"tensordot: axis out of range in {axs} for a rank-{r} input.")
    return [i % ra for i in a_axes], [i % rb for i in b_axes]


def _flat_dims(dims: list[int | None]) -> int:
    """The product of `dims`, or -1 (for reshape to infer) when one is unknown."""
    known = [d for d in dims if d is not None]
    if len(known) < len(dims):
        return -1
    return int(np.prod(known, dtype=np.int64))


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Contracts `a` and `b` over the given axes (as numpy.tensordot), via one matmul.

    Args:
        a: a float or integer Tensor of known rank.
        b: a Tensor of a's dtype and known rank.
        axes: an int N (the last N axes of a with the first N of b), or a pair of axis lists
            `[a_axes, b_axes]`.
        name: optional name scope.

    Returns:
        A Tensor of shape a's free dims + b's free dims.

    Raises:
        ValueError: bad axes, unknown ranks, or more than one unknown dimension in a flattened
            group (the reshapes need all but one of them).

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 10, 8])   # (batch, t, d)
        >>> w = tf.ones([8, 4])                             # (d, k)
        >>> tf.tensordot(x, w, axes=1).shape                # (batch, t, k)
        TensorShape([None, 10, 4])
    """
    a, b = binary_operands(a, b, "tensordot")
    sa, sb = a.shape.known, b.shape.known
    if sa is None or sb is None:
        raise ValueError(
            f"tensordot: inputs must have known ranks; got a: {a.shape}, b: {b.shape}."
        )
    a_axes, b_axes = _tensordot_axes(axes, len(sa), len(sb))
    for i, j in zip(a_axes, b_axes):
        if sa[i] is not None and sb[j] is not None and sa[i] != sb[j]:
            raise ValueError(
                f"tensordot: contracted dimensions must match; got a: {a.shape} "
                f"axis {i}, b: {b.shape} axis {j}."
            )
    free_a = [i for i in range(len(sa)) if i not in a_axes]
    free_b = [i for i in range(len(sb)) if i not in b_axes]
    k_dims = [sa[i] if sa[i] is not None else sb[j] for i, j in zip(a_axes, b_axes)]
    out_dims = [sa[i] for i in free_a] + [sb[i] for i in free_b]
    groups = ([sa[i] for i in free_a], k_dims, [sb[i] for i in free_b], out_dims)
    if any(sum(d is None for d in g) > 1 for g in groups) or (
        None in k_dims and (None in groups[0] or None in groups[2])
    ):
        raise ValueError(
            f"tensordot: too many unknown dimensions to flatten statically; got "
            f"a: {a.shape}, b: {b.shape}. Give the placeholders more static dims."
        )
    with a.graph.name_scope(name or "Tensordot"):
        perm_a, perm_b = free_a + a_axes, b_axes + free_b
        at = a if perm_a == list(range(len(sa))) else reshape_ops.transpose(a, perm_a)
        bt = b if perm_b == list(range(len(sb))) else reshape_ops.transpose(b, perm_b)
        k = _flat_dims(k_dims)  # when unknown (-1), both free groups are fully known
        a2 = reshape_ops.reshape(at, [_flat_dims(groups[0]), k])
        b2 = reshape_ops.reshape(bt, [k, _flat_dims(groups[2])])
        return reshape_ops.reshape(matmul(a2, b2), [-1 if d is None else d for d in out_dims])


__all__ = ["matmul", "tensordot"]
