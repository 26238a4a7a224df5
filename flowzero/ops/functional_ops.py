"""Higher-order functions over the first axis: tf.map_fn, tf.scan, tf.foldl, tf.foldr.

As in TF, each is a while_loop that reads its inputs from TensorArrays (one element per
iteration) and writes its results to TensorArrays stacked after the loop, so gradients come
from the loop's and the TensorArrays' own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.ops import array_ops
from flowzero.ops.control_flow_ops import while_loop
from flowzero.ops.tensor_array_ops import TensorArray


def _inputs(elems: Any, what: str) -> tuple[list[Tensor], Any, Tensor, int | None]:
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if not flat:
        raise ValueError(f"{what}: elems must not be empty.")
    for e in flat:
        if e.shape.ndims == 0:
            raise ValueError(
                f"{what}: elements in elems must be 1+ dimensional; got "
                f"'{e.name}' of shape {e.shape}."
            )
    static_n = next(
        (
            e.shape.known[0]
            for e in flat
            if e.shape.known is not None and e.shape.known[0] is not None
        ),
        None,
    )
    n = (
        array_ops.constant(static_n, dtype=dtypes.int32)
        if static_n is not None
        else array_ops.shape(flat[0])[0]
    )
    return flat, elems, n, static_n


def _first_element(flat: list[Tensor], n: Tensor, reverse: bool) -> list[Tensor]:
    """The element scan/fold start from without an initializer (the last one if reverse)."""
    first = n - 1 if reverse else array_ops.constant(0, dtype=dtypes.int32)
    return [ta.read(first) for ta in _unstacked(flat, n)]


def _unstacked(flat: list[Tensor], n: Tensor) -> list[TensorArray]:
    tas = []
    for k, e in enumerate(flat):
        ta = TensorArray(
            e.dtype,
            size=n,
            element_shape=TensorShape(None if e.shape.known is None else e.shape.known[1:]),
            name=f"elems_ta_{k}",
        )
        tas.append(ta.unstack(e))
    return tas


def map_fn(
    fn: Callable[..., Any],
    elems: Any,
    dtype: Any = None,
    parallel_iterations: Any = None,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    name: str | None = None,
) -> Any:
    """`fn` applied to each slice `elems[i]` (of every tensor in a nested `elems`), stacked.

    Args:
        fn: takes one element (in the structure of `elems`) and returns a structure of tensors.
        elems: a tensor or a (nested) structure of tensors sharing their first dimension.
        dtype: the structure of fn's output dtypes when it differs from elems'.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.map_fn(lambda x: x * x, tf.constant([1.0, 2.0, 3.0])))  # [1., 4., 9.]
        array([1., 4., 9.], dtype=float32)
    """
    g = get_default_graph()
    with g.name_scope(name or "map"):
        flat, structure, n, static_n = _inputs(elems, "map_fn")
        out_dtypes = nest.flatten(dtype) if dtype is not None else [e.dtype for e in flat]
        out_struct = dtype if dtype is not None else structure
        in_tas = _unstacked(flat, n)
        out_tas = [
            TensorArray(d, size=n, infer_shape=infer_shape, name=f"result_ta_{k}")
            for k, d in enumerate(out_dtypes)
        ]

        def body(i: Tensor, *tas: TensorArray) -> Any:
            x = nest.pack_sequence_as(structure, [ta.read(i) for ta in in_tas])
            y = fn(x)
            ys = nest.flatten(y)
            if len(ys) != len(tas):
                raise ValueError(
                    f"map_fn: fn returned {len(ys)} tensors ({nest.structure_string(y)}) but "
                    f"{len(tas)} were expected from dtype/elems "
                    f"({nest.structure_string(out_struct)}); pass dtype= with fn's output "
                    "structure."
                )
            return (i + 1, *[ta.write(i, v) for ta, v in zip(tas, ys)])

        i0 = array_ops.constant(0, dtype=dtypes.int32)
        res = while_loop(
            lambda i, *_: i < n, body, (i0, *out_tas), back_prop=back_prop, swap_memory=swap_memory
        )
        outs = [ta.stack() for ta in res[1:]]
        for o in outs:
            if static_n is not None and o.shape.known is not None:
                o.set_shape([static_n, *o.shape.known[1:]])
        return nest.pack_sequence_as(out_struct, outs)


def scan(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    reverse: bool = False,
    name: str | None = None,
) -> Any:
    """The running results of `acc = fn(acc, elems[i])`, stacked (TF's tf.scan).

    Without `initializer`, the first element is the first accumulator (and first output).
    """
    g = get_default_graph()
    with g.name_scope(name or "scan"):
        flat, structure, n, static_n = _inputs(elems, "scan")
        in_tas = _unstacked(flat, n)
        if initializer is None:
            acc_struct = structure
            acc0 = _first_element(flat, n, reverse)
            start = 1
        else:
            acc_struct = initializer
            acc0 = [convert_to_tensor(a) for a in nest.flatten(initializer)]
            start = 0
        out_tas = [
            TensorArray(a.dtype, size=n, infer_shape=infer_shape, name=f"result_ta_{k}")
            for k, a in enumerate(acc0)
        ]
        if start == 1:
            idx0 = n - 1 if reverse else 0
            out_tas = [ta.write(idx0, a) for ta, a in zip(out_tas, acc0)]
        nacc = len(acc0)

        def body(i: Tensor, *rest: Any) -> Any:
            accs, tas = list(rest[:nacc]), list(rest[nacc:])
            k = n - 1 - i if reverse else i
            x = nest.pack_sequence_as(structure, [ta.read(k) for ta in in_tas])
            a = fn(nest.pack_sequence_as(acc_struct, accs), x)
            new = [convert_to_tensor(v) for v in nest.flatten(a)]
            if len(new) != nacc:
                raise ValueError(
                    f"scan: fn returned {len(new)} tensors but the accumulator "
                    f"has {nacc} ({nest.structure_string(acc_struct)})."
                )
            return (i + 1, *new, *[ta.write(k, v) for ta, v in zip(tas, new)])

        i0 = array_ops.constant(start, dtype=dtypes.int32)
        res = while_loop(
            lambda i, *_: i < n,
            body,
            (i0, *acc0, *out_tas),
            back_prop=back_prop,
            swap_memory=swap_memory,
        )
        outs = [ta.stack() for ta in res[1 + nacc :]]
        for o in outs:
            if static_n is not None and o.shape.known is not None:
                o.set_shape([static_n, *o.shape.known[1:]])
        return nest.pack_sequence_as(acc_struct, outs)


def _fold(
    fn: Callable[..., Any], elems: Any, initializer: Any, back_prop: bool, reverse: bool, name: str
) -> Any:
    g = get_default_graph()
    with g.name_scope(name):
        flat, structure, n, _ = _inputs(elems, name)
        in_tas = _unstacked(flat, n)
        if initializer is None:
            acc_struct = structure
            acc0 = _first_element(flat, n, reverse)
            start = 1
        else:
            acc_struct = initializer
            acc0 = [convert_to_tensor(a) for a in nest.flatten(initializer)]
            start = 0

        def body(i: Tensor, *accs: Tensor) -> Any:
            k = n - 1 - i if reverse else i
            x = nest.pack_sequence_as(structure, [ta.read(k) for ta in in_tas])
            a = fn(nest.pack_sequence_as(acc_struct, list(accs)), x)
            return (i + 1, *[convert_to_tensor(v) for v in nest.flatten(a)])

        i0 = array_ops.constant(start, dtype=dtypes.int32)
        res = while_loop(lambda i, *_: i < n, body, (i0, *acc0), back_prop=back_prop)
        return nest.pack_sequence_as(acc_struct, list(res[1:]))


def foldl(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
) -> Any:
    """`acc = fn(acc, elems[i])` for i = 0, 1, ...; returns the last acc."""
    return _fold(fn, elems, initializer, back_prop, False, name or "foldl")


def foldr(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
) -> Any:
    """`acc = fn(acc, elems[i])` for i = n-1, ..., 0; returns the last acc."""
    return _fold(fn, elems, initializer, back_prop, True, name or "foldr")
