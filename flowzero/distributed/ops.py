"""Collective ops: allreduce, grouped (fused) allreduce, allgather, broadcast, and the broadcast
of variables, each an op in the graph that `Session.run` drives.

With one rank every kernel is the identity (or does nothing). With several, each kernel first
checks with one tiny allreduce that every rank passes tensors of the same shape and dtype (an
error on every rank, instead of MPI's undefined behaviour), then runs one MPI collective on the
arrays' buffers (no pickling) under the watchdog of comm.py.

NOTE: every rank must run the same collective ops in the same order. Plans run ops in creation
order, so building the same graph on every rank and running the same fetches is enough.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Operation, Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops import array_ops, manip_ops, reduction_ops, reshape_ops, slicing_ops
from flowzero.ops.common import DTypeError
from flowzero.runtime.state import VarCell
from flowzero.variables import Variable, global_variables

from . import comm

Average = "average"
Sum = "sum"
_REDUCE_OPS = (Average, Sum)


def _reduce_op(average: bool | None, op: str | None) -> str:
    if op is None:
        return Average if average is None or average else Sum
    if op not in _REDUCE_OPS:
        raise ValueError(f"op must be flowzero.distributed.Average or Sum; got {op!r}.")
    if average is not None and (op == Average) != bool(average):
        raise ValueError(f"average={average!r} contradicts op={op!r}; pass one of them.")
    return op


def _sig(*parts: Any) -> int:
    return comm._sig_hash(*parts)


def _check_agree(self: OpDef, what: str, signature: tuple[int, ...], mine: str) -> None:
    if not comm.agree(f"{self.type} '{self.node_name}'", signature):
        raise self.error(
            f"ranks disagree on {what}; this rank (rank {comm.rank()}) has "
            f"{mine}. Every rank must pass tensors of the same shape and dtype "
            "to each collective, in the same order."
        )


def _check_reducible(self: OpDef, x: Tensor, reduce_op: str) -> None:
    dt = x.dtype
    ok = dt.is_floating or dt.is_complex or (reduce_op == Sum and dt.is_integer)
    if not ok:
        raise self.error(
            f"{reduce_op} needs a floating point tensor (integers: sum only); "
            f"got {dt.name} '{x.op.name}'.",
            cls=DTypeError,
        )


# -- allreduce -----------------------------------------------------------------------------------
@register_op("MpiAllreduce")
class MpiAllreduce(OpDef):
    """y = sum over ranks of x (reduce_op "average": that sum / number of ranks)."""

    stateful = True  # a collective: never constant-folded, never skipped
    forwards_input = True  # one rank: y is x itself

    def infer(self, x: Tensor) -> TensorSpec:
        _check_reducible(self, x, self.attrs["reduce_op"])
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if comm.size() == 1:
            return x
        buf = np.array(x, copy=True, order="C")
        _check_agree(
            self,
            "the tensor",
            (buf.size, _sig(buf.shape, buf.dtype.str)),
            f"{buf.dtype} {buf.shape}",
        )
        return comm.allreduce_inplace(
            buf, self.attrs["reduce_op"] == Average, f"{self.type} '{self.node_name}'"
        )

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # d(sum_r x_r)/dx_r = 1 for every rank's output: the gradient is the same reduction
        # of every rank's upstream gradient (Horovod's rule).
        return [allreduce(dy, op=self.attrs["reduce_op"])]


def allreduce(
    tensor: Any, average: bool | None = None, name: str | None = None, op: str | None = None
) -> Tensor:
    """The elementwise average (default) or sum of `tensor` over all ranks.

    Args:
        tensor: a Tensor (any float dtype; integers with op=Sum), the same shape on every rank.
        average: True (default) to average, False to sum; or pass `op`.
        name: the op's name.
        op: flowzero.distributed.Average or flowzero.distributed.Sum.

    Returns:
        A Tensor of the same shape and dtype; identical on every rank once run.

    Example:
        >>> import flowzero.distributed as dist   # run alone (no mpirun): size() == 1
        >>> loss, count = tf.constant(2.5), tf.constant(4)   # this rank's
        >>> mean_loss = dist.allreduce(loss)           # what every rank sees
        >>> total = dist.allreduce(count, op=dist.Sum)
        >>> sess = tf.Session()
        >>> print(sess.run(mean_loss), sess.run(total))   # one rank: unchanged
        2.5 4
    """
    t = convert_to_tensor(tensor)
    return apply_op(
        MpiAllreduce, [t], {"reduce_op": _reduce_op(average, op)}, name=name or "MpiAllreduce"
    )


# -- grouped (fused) allreduce -------------------------------------------------------------------
@register_op("MpiGroupedAllreduce")
class MpiGroupedAllreduce(OpDef):
    """y_i = sum over ranks of x_i (or average) for every input i, in ONE flat buffer per dtype."""

    stateful = True
    forwards_input = True

    def infer(self, *xs: Tensor) -> list[TensorSpec]:
        if not xs:
            raise self.error("needs at least one tensor; got none.")
        for x in xs:
            _check_reducible(self, x, self.attrs["reduce_op"])
        return [spec(x.shape, x.dtype) for x in xs]

    def compute(self, *xs: np.ndarray) -> list[np.ndarray]:
        if comm.size() == 1:
            return list(xs)
        what = f"{self.type} '{self.node_name}'"
        groups: dict[np.dtype, list[int]] = {}
        for i, x in enumerate(xs):
            groups.setdefault(x.dtype, []).append(i)
        total = sum(x.size for x in xs)
        _check_agree(
            self,
            "the tensors",
            (len(xs), total, _sig([(x.shape, x.dtype.str) for x in xs])),
            f"{len(xs)} tensors of {total} elements",
        )
        outs: list[Any] = [None] * len(xs)
        for idx in groups.values():
            # Packing costs one copy (which the allreduce needs anyway: inputs are never
            # modified); the outputs are views into the reduced buffer.
            flat = (
                np.concatenate([xs[i].reshape(-1) for i in idx])
                if len(idx) > 1
                else np.array(xs[idx[0]], copy=True, order="C").reshape(-1)
            )
            comm.allreduce_inplace(flat, self.attrs["reduce_op"] == Average, what)
            off = 0
            for i in idx:
                n = xs[i].size
                outs[i] = flat[off : off + n].reshape(xs[i].shape)
                off += n
        return outs

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return grouped_allreduce(list(dys), op=self.attrs["reduce_op"])


def grouped_allreduce(
    tensors: list[Any], average: bool | None = None, name: str | None = None, op: str | None = None
) -> list[Tensor]:
    """Allreduces every tensor of `tensors` with ONE collective per dtype (a fused buffer).

    Same arguments as `allreduce`; returns a list of Tensors in the order given. This is what
    DistributedOptimizer uses for the gradients: one MPI call per step, not one per variable.
    """
    ts = [convert_to_tensor(t) for t in tensors]
    out = apply_op(
        MpiGroupedAllreduce,
        ts,
        {"reduce_op": _reduce_op(average, op)},
        name=name or "MpiGroupedAllreduce",
    )
    return list(out)


# -- allgather -----------------------------------------------------------------------------------
@register_op("MpiAllgather")
class MpiAllgather(OpDef):
    """y = concat([x on rank 0, x on rank 1, ...], axis 0); counts = each rank's dim 0."""

    stateful = True
    forwards_input = True  # one rank: y is x itself

    def infer(self, x: Tensor) -> list[TensorSpec]:
        dims = x.shape.known
        if dims is not None and len(dims) == 0:
            raise self.error("needs a tensor of rank >= 1; got a scalar. Reshape it to [1].")
        out = None if dims is None else [None, *dims[1:]]
        return [spec(out, x.dtype), spec([None], dtypes.int32)]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        if x.ndim == 0:
            raise self.error("needs a tensor of rank >= 1; got a scalar. Reshape it to [1].")
        try:
            out, counts = comm.allgather_rows(x, f"{self.type} '{self.node_name}'")
        except ValueError as e:
            raise self.error(str(e)) from None
        return [out if comm.size() > 1 else x, counts.astype(np.int32)]

    def gradient(self, op: Any, dy: Tensor, dcounts: Tensor) -> list[Any]:
        # Every rank's loss may depend on every rank's rows: sum the upstream gradients over
        # ranks, then keep this rank's rows (Horovod's rule).
        x, counts = op.inputs[0], op.outputs[1]
        total = allreduce(dy, op=Sum)
        offset = reduction_ops.reduce_sum(slicing_ops.slice(counts, [0], [comm.rank()]))
        shp = array_ops.shape(x)
        begin = manip_ops.concat(
            [reshape_ops.reshape(offset, [1]), array_ops.zeros_like(shp[1:])], 0
        )
        return [slicing_ops.slice(total, begin, shp)]


def allgather(tensor: Any, name: str | None = None) -> Tensor:
    """Concatenates every rank's `tensor` along axis 0, in rank order.

    Dimension 0 may differ between ranks; the other dimensions and the dtype must agree.

    Example:
        >>> import flowzero.distributed as dist   # run alone (no mpirun): size() == 1
        >>> preds = tf.constant([[1.0], [2.0]])   # this rank's batch
        >>> all_preds = dist.allgather(preds)   # (sum of every rank's batch, ...) everywhere
        >>> tf.Session().run(all_preds).shape
        (2, 1)
    """
    t = convert_to_tensor(tensor)
    return apply_op(MpiAllgather, [t], name=name or "MpiAllgather")[0]


# -- broadcast -----------------------------------------------------------------------------------
def _check_root(root_rank: Any) -> int:
    if (
        not isinstance(root_rank, (int, np.integer))
        or isinstance(root_rank, bool)
        or not 0 <= int(root_rank) < comm.size()
    ):
        raise ValueError(
            f"root_rank must be an int in [0, {comm.size()}) (the number of "
            f"ranks); got {root_rank!r}."
        )
    return int(root_rank)


@register_op("MpiBroadcast")
class MpiBroadcast(OpDef):
    """y = x of rank `root_rank`, on every rank."""

    stateful = True
    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if comm.size() == 1:
            return x
        buf = np.array(x, copy=True, order="C")
        if buf.dtype.kind == "O":
            raise self.error(f"cannot broadcast {buf.dtype} tensors; only numeric and bool.")
        _check_agree(
            self,
            "the tensor",
            (buf.size, _sig(buf.shape, buf.dtype.str)),
            f"{buf.dtype} {buf.shape}",
        )
        return comm.bcast_bytes(buf, self.attrs["root_rank"], f"{self.type} '{self.node_name}'")

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # Only the root's x reaches any output: it gets every rank's upstream gradient summed.
        total = allreduce(dy, op=Sum)
        if comm.rank() == self.attrs["root_rank"]:
            return [total]
        return [array_ops.zeros_like(total)]


def broadcast(tensor: Any, root_rank: int, name: str | None = None) -> Tensor:
    """`tensor`'s value on rank `root_rank`, on every rank (same shape and dtype everywhere)."""
    t = convert_to_tensor(tensor)
    return apply_op(
        MpiBroadcast, [t], {"root_rank": _check_root(root_rank)}, name=name or "MpiBroadcast"
    )


@register_op("MpiBroadcastVariables")
class MpiBroadcastVariables(OpDef):
    """Every input variable = its value on rank `root_rank` (one broadcast of one packed buffer)."""

    stateful = True
    differentiable = False

    def infer(self, *refs: Tensor) -> list[TensorSpec]:
        for r in refs:
            if r.op.type != "VariableV2":
                raise self.error(
                    f"inputs must be Variables' refs; got {r.op.type} '{r.op.name}'.",
                    cls=DTypeError,
                )
            if r.dtype.np.kind == "O":
                raise self.error(
                    f"cannot broadcast {r.dtype.name} variable '{r.op.name}'.", cls=DTypeError
                )
        return []

    def compute(self, *cells: VarCell) -> None:
        if comm.size() == 1 or not cells:
            return None
        values = [np.ascontiguousarray(c.read()) for c in cells]
        total = sum(v.nbytes for v in values)
        _check_agree(
            self,
            "the variables",
            (
                len(values),
                total,
                _sig([(c.name, v.shape, v.dtype.str) for c, v in zip(cells, values)]),
            ),
            f"{len(values)} variables of {total} bytes",
        )
        buf = np.concatenate([v.reshape(-1).view(np.uint8) for v in values])
        root = self.attrs["root_rank"]
        comm.bcast_bytes(buf, root, f"{self.type} '{self.node_name}'")
        if comm.rank() != root:
            off = 0
            for c, v in zip(cells, values):
                chunk = buf[off : off + v.nbytes].view(v.dtype).reshape(v.shape)
                np.copyto(c.value, chunk)  # in place: reads that alias the storage see it
                off += v.nbytes
        return None


def broadcast_variables(
    variables: list[Variable], root_rank: int, name: str | None = None
) -> Operation:
    """An op that assigns each of `variables` its value on rank `root_rank` (one broadcast)."""
    variables = list(variables)
    root = _check_root(root_rank)
    for v in variables:
        if not isinstance(v, Variable):
            raise TypeError(f"broadcast_variables: expected tf.Variable objects; got {v!r}.")
    if not variables:
        from flowzero.ops import control_ops

        return control_ops.no_op(name=name or "MpiBroadcastVariables")
    return apply_op(
        MpiBroadcastVariables,
        [v._ref() for v in variables],
        {"root_rank": root},
        name=name or "MpiBroadcastVariables",
    )


def broadcast_global_variables(root_rank: int = 0) -> Operation:
    """An op that assigns every global variable (weights, optimizer slots, global_step) of the
    default graph its value on rank `root_rank`. Run it once after the initializer (or after
    restoring a checkpoint on the root), so every rank starts from the same weights.

    Example:
        >>> import flowzero.distributed as dist   # run alone (no mpirun): size() == 1
        >>> w = tf.Variable([1.0, 2.0])
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(dist.broadcast_global_variables(0))
        >>> sess.run(w)
        array([1., 2.], dtype=float32)
    """
    return broadcast_variables(global_variables(), root_rank, name="broadcast_global_variables")


__all__ = [
    "Average",
    "Sum",
    "allgather",
    "allreduce",
    "broadcast",
    "broadcast_global_variables",
    "broadcast_variables",
    "grouped_allreduce",
]
