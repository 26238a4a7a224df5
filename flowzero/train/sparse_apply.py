"""The sparse update ops' shared part (SparseApplyMomentum, SparseApplyAdagrad, ...: each is
defined next to its dense op and optimizer) and the optimizers' sparse gradients.

A sparse update op takes, besides the variable refs and the scalars, `grad` [N] + var.shape[1:]
and `indices` [N]: row indices[i] of var (and of each slot) is updated with grad[i] by the
dense rule, the other rows are left alone (an accumulator is not decayed where no gradient
came). A repeated index updates its row once per occurrence, in order, as TF's kernels do.

TF's Optimizer applies an IndexedSlices gradient (a gather's) with these ops after summing the
rows of repeated indices. flowzero's tf.gradients gives a dense gradient for a gather (a
GatherGrad op), so `sparse_gradient` below recognises one (or a sum of several) and hands the
optimizer TF's IndexedSlices instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import TensorSpec
from flowzero.ops.common import DTypeError
from flowzero.train.optimizer import ApplyOp


class SparseApplyOp(ApplyOp):
    """Base of the sparse update ops: ApplyOp's inputs with `indices` among `args` (right
    after the gradient in TF's orders); see the module docstring."""

    def infer(self, *inputs: Tensor) -> TensorSpec:
        out = super().infer(*inputs)
        grad = inputs[self.n_refs + self.args.index(self.grad_arg)]
        indices = inputs[self.n_refs + self.args.index("indices")]
        n, rows = indices.shape.known, grad.shape.known
        if n and rows and n[0] is not None and rows[0] is not None and n[0] != rows[0]:
            raise self.error(
                f"grad must have as many rows as indices has entries; got grad: "
                f"{grad.shape}, indices: {indices.shape}."
            )
        return out

    def infer_grad(self, var: Tensor, grad: Tensor) -> None:
        vs, gs = var.shape.known, grad.shape.known
        if vs is not None and len(vs) == 0:
            raise self.error(f"var must be at least 1-D; got var '{var.op.name}': {var.shape}.")
        if vs is None or gs is None:
            return
        ok = len(gs) == len(vs) and all(
            a is None or b is None or a == b for a, b in zip(gs[1:], vs[1:])
        )
        if not ok:
            raise self.error(
                f"grad must have shape [N] + var.shape[1:]; got var '{var.op.name}': "
                f"{var.shape}, grad: {grad.shape}."
            )

    def infer_indices(self, indices: Tensor) -> None:
        if not indices.dtype.is_integer or indices.dtype.np.itemsize < 4:
            raise self.error(
                f"indices must be int32 or int64; got {indices.dtype.name}.", cls=DTypeError
            )
        if indices.shape.ndims not in (None, 1):
            raise self.error(f"indices must be a vector; got shape {indices.shape}.")

    def rounds(
        self, var: np.ndarray, grad: np.ndarray, indices: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Run-time checks, then (rows, positions in grad) per round: each round's rows are
        distinct, and round k holds the k-th occurrence of each index (so applying the rounds
        in order applies a repeated index once per occurrence, in order). positions None:
        all of grad in order."""
        if var.ndim == 0:
            raise self.error("var must be at least 1-D; got a scalar.")
        if indices.ndim != 1:
            raise self.error(f"indices must be a vector; got shape {indices.shape}.")
        if grad.ndim != var.ndim or grad.shape[1:] != var.shape[1:]:
            raise self.error(
                f"grad must have shape [N] + var.shape[1:]; got var: {var.shape}, grad: "
                f"{grad.shape}."
            )
        n = indices.shape[0]
        if grad.shape[0] != n:
            raise self.error(
                f"grad must have as many rows as indices has entries; got grad: "
                f"{grad.shape}, indices: {indices.shape}."
            )
        if n == 0:
            return []
        rows = var.shape[0]
        bad = (indices < 0) | (indices >= rows)
        if bad.any():
            at = int(np.argmax(bad))
            raise self.error(
                f"Index {int(indices[at])} at offset {at} in indices is out of range: var "
                f"has {rows} rows (shape {var.shape})."
            )
        order = np.argsort(indices, kind="stable")
        s = indices[order]
        first = np.empty(n, bool)
        first[0] = True
        np.not_equal(s[1:], s[:-1], out=first[1:])
        if first.all():
            return [(indices, None)]
        pos = np.arange(n)
        rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
        out: list[tuple[np.ndarray, np.ndarray | None]] = []
        for k in range(int(rank.max()) + 1):
            at = np.sort(order[rank == k])
            out.append((indices[at], at))
        return out

    def apply_rows(
        self,
        step: Callable[..., Any],
        arrays: list[np.ndarray],
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> None:
        """step(*rows of each array, grad rows) updates copies of the rows in place; they are
        written back. `arrays` are var and its slots, in TF's order."""
        for rows, at in self.rounds(arrays[0], grad, indices):
            parts = [a[rows] for a in arrays]
            step(*parts, grad if at is None else grad[at])
            for a, p in zip(arrays, parts):
                a[rows] = p


def sparse_gradient(grad: Any, var: Any) -> Any:
    """The IndexedSlices form of `var`'s gradient where TF's would be one (None where it would
    be dense): an IndexedSlices as given, or a gradient built by flowzero's tf.gradients from
    gathers (axis 0) of the variable — one GatherGrad, or a sum of them (TF concatenates the
    rows then). A sum with any dense part is dense, as in TF."""
    from flowzero.ops.indexed_slices import IndexedSlices

    if isinstance(grad, IndexedSlices):
        return grad
    if not isinstance(grad, Tensor):
        return None
    gates: list[Any] = []
    parts = _gather_grads(grad, gates)
    if not parts:
        return None
    from flowzero.framework import dtypes
    from flowzero.ops import array_ops, cast_ops, manip_ops, reshape_ops, slicing_ops

    g = grad.graph
    with g.as_default(), g.control_dependencies(gates):
        vals, idxs = [], []
        dense_shape = parts[0].inputs[2]
        for op in parts:
            dy, indices, shape_ = op.inputs
            if var.shape.is_fully_defined():
                values_shape: Any = [-1] + var.shape.as_list()[1:]
            else:
                tail = slicing_ops.strided_slice(shape_, [1], [0], end_mask=1)
                minus_one = array_ops.constant([-1], dtype=shape_.dtype)
                values_shape = manip_ops.concat([minus_one, tail], 0)
            vals.append(reshape_ops.reshape(dy, values_shape))
            idxs.append(reshape_ops.reshape(indices, [-1]))
        if len(parts) == 1:
            return IndexedSlices(vals[0], idxs[0], dense_shape)
        if len({i.dtype for i in idxs}) > 1:
            idxs = [cast_ops.cast(i, dtypes.int64) for i in idxs]
        return IndexedSlices(manip_ops.concat(vals, 0), manip_ops.concat(idxs, 0), dense_shape)


def _gather_grads(t: Tensor, gates: list[Any]) -> list[Any]:
    """The GatherGrad ops (axis 0) whose sum `t` is, or [] if it is anything else. Identities
    are looked through (tf.identity, GATE_GRAPH's tuple), their control inputs kept in
    `gates` for the sparse form to wait on."""
    op = t.op
    if op.type == "Identity":
        gates.extend(c for c in op.control_inputs if c not in gates)
        return _gather_grads(op.inputs[0], gates)
    if op.type == "GatherGrad":
        return [op] if op.opdef.attrs.get("axis", 0) == 0 else []
    if op.type in ("Add", "AddN", "AddV2"):
        out: list[Any] = []
        for x in op.inputs:
            sub = _gather_grads(x, gates)
            if not sub:
                return []
            out.extend(sub)
        return out
    return []


__all__: list[str] = []
