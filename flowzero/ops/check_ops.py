"""Assertions on tensors (tf.debugging, and TF1's root aliases): tf.assert_equal and friends,
rank/type/shape checks, tf.check_numerics (an op) and what is built on it.

TF 1.15's rule, followed throughout: a check whose outcome is known when the graph is built
(constant values, a static rank, a dtype) raises there and then (InvalidArgumentError for values,
ValueError for ranks and shapes, TypeError for dtypes); otherwise it becomes an Assert op that
fails the run with InvalidArgumentError listing `data`. A rank/type check that passes statically
returns a NoOp, an element-wise check returns its Assert op (as TF's graph mode does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import (
    Operation,
    Tensor,
    control_dependencies,
    convert_to_tensor,
)
from flowzero.ops.common import DTypeError, _graph_for, static_value


# -- helpers -----------------------------------------------------------------------------------
def _message_prefix(message: Any) -> str:
    return f"{message}.  " if message else ""


def _dtype_str(dt: dtypes.DType) -> str:
    return f"<dtype: '{dt.name}'>"


def _static_str(item: Any) -> str:
    if not isinstance(item, Tensor):
        return str(item)
    v = static_value(item)
    return str(item) if v is None else str(v)


def _assert_static(condition: Any, data: list[Any]) -> None:
    """Raises InvalidArgumentError with `data` (constants shown by value) unless `condition`."""
    if not condition:
        raise errors.InvalidArgumentError(None, None, "\n".join(_static_str(d) for d in data))


def _scope(name: str | None, default: str, *values: Any) -> Any:
    """The graph of `values` as default, inside a name scope `name` (or `default`)."""
    import contextlib

    @contextlib.contextmanager
    def cm() -> Any:
        with _graph_for(*values) as g:
            with g.name_scope(name or default):
                yield g

    return cm()


def _flat_values(*values: Any) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(_flat_values(*v))
        elif isinstance(v, Tensor):
            out.append(v)
        elif hasattr(v, "_components"):  # a SparseTensor
            out.extend(v._components())
    return out


def _subject(x: Any) -> tuple[Any, str]:
    """x as a Tensor (a SparseTensor stays one) and the name messages give it ("" if sparse)."""
    from flowzero.framework.sparse_tensor import SparseTensor

    if isinstance(x, SparseTensor):
        return x, ""
    t = convert_to_tensor(x, name="x")
    return t, t.name


def _shape_of(x: Any) -> Tensor:
    from flowzero.ops.array_ops import shape
    from flowzero.ops.cast_ops import cast

    return cast(x.dense_shape, dtypes.int32) if hasattr(x, "dense_shape") else shape(x)


def _rank_of(x: Any) -> Tensor:
    from flowzero.ops.array_ops import rank, size

    return size(x.dense_shape) if hasattr(x, "dense_shape") else rank(x)


def _assert(condition: Tensor, data: list[Any], summarize: int | None) -> Operation:
    from flowzero.ops.logging_ops import Assert

    return Assert(condition, data, summarize=summarize, name="Assert")


# -- element-wise comparisons ------------------------------------------------------------------
def _binary_assert(
    sym: str,
    opname: str,
    op_func: Any,
    np_func: Any,
    x: Any,
    y: Any,
    data: Any,
    summarize: int | None,
    message: Any,
    name: str | None,
) -> Operation:
    from flowzero.ops.reduction_ops import reduce_all

    with _scope(name, opname, *_flat_values(x, y)):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y")
        if data is None:
            data = [
                f"Condition x {sym} y did not hold element-wise:",
                f"x ({x.name}) = ",
                x,
                f"y ({y.name}) = ",
                y,
            ]
        if message is not None:
            data = [message, *data]
        condition = reduce_all(op_func(x, y))
        xs, ys = static_value(x), static_value(y)
        if xs is not None and ys is not None:
            _assert_static(np.all(np_func(xs, ys)), data)
        return _assert(condition, data, summarize)


def _make_binary(sym: str, opname: str, compare: str, np_func: Any) -> Any:
    def check(
        x: Any,
        y: Any,
        data: Any = None,
        summarize: int | None = None,
        message: str | None = None,
        name: str | None = None,
    ) -> Operation:
        from flowzero.ops import logic_ops

        op_func = getattr(logic_ops, compare)
        if opname == "assert_equal":
            from flowzero.ops.control_ops import no_op

            # TF opens this scope once for its short cut (the same object is equal to
            # itself), so the check proper lands in the next one ("assert_equal_1").
            with _scope(name, opname, *_flat_values(x, y)):
                if x is y:
                    return no_op()
        return _binary_assert(sym, opname, op_func, np_func, x, y, data, summarize, message, name)

    check.__name__ = check.__qualname__ = opname
    xv, yv = _EXAMPLE_VALUES[sym]
    check.__doc__ = f"""An op that fails the run (InvalidArgumentError listing `data`) unless
    x {sym} y holds for every (broadcast) pair of elements.

    Raises InvalidArgumentError at once when x and y are both constants and the check fails.
    `message` is prefixed to the default `data`; `summarize` is how many entries to show.

    Example:
        >>> x = tf.placeholder(tf.float32, [2])
        >>> y = tf.placeholder(tf.float32, [2])
        >>> with tf.control_dependencies([tf.{opname}(x, y)]):
        ...     out = tf.identity(x)
        >>> sess = tf.Session()
        >>> sess.run(out, {{x: {xv}, y: {yv}}})
        array({xv}, dtype=float32)
    """
    return check


# Values for which each generated docstring's example check holds (x first).
_EXAMPLE_VALUES = {
    "==": ("[1., 2.]", "[1., 2.]"),
    "!=": ("[1., 2.]", "[3., 4.]"),
    "<": ("[1., 2.]", "[3., 4.]"),
    "<=": ("[1., 2.]", "[1., 4.]"),
    ">": ("[3., 4.]", "[1., 2.]"),
    ">=": ("[3., 4.]", "[3., 2.]"),
}

assert_equal = _make_binary("==", "assert_equal", "equal", np.equal)
assert_none_equal = _make_binary("!=", "assert_none_equal", "not_equal", np.not_equal)
assert_less = _make_binary("<", "assert_less", "less", np.less)
assert_less_equal = _make_binary("<=", "assert_less_equal", "less_equal", np.less_equal)
assert_greater = _make_binary(">", "assert_greater", "greater", np.greater)
assert_greater_equal = _make_binary(">=", "assert_greater_equal", "greater_equal", np.greater_equal)


def _make_unary(sym: str, opname: str, zero_first: bool, binary: Any) -> Any:
    def check(
        x: Any,
        data: Any = None,
        summarize: int | None = None,
        message: str | None = None,
        name: str | None = None,
    ) -> Operation:
        prefix = _message_prefix(message)
        with _scope(name, opname, *_flat_values(x)):
            x = convert_to_tensor(x, name="x")
            if data is None:
                cond = f"Condition x {sym} 0 did not hold element-wise:"
                if sym == "<=":
                    # NOTE: TF's assert_non_positive runs these two strings together (a
                    # missing comma in check_ops.py); kept so that messages match TF's.
                    data = [prefix, cond + f"x ({x.name}) = ", x]
                else:
                    data = [prefix, cond, f"x ({x.name}) = ", x]
            zero = convert_to_tensor(0, dtype=x.dtype)
            a, b = (zero, x) if zero_first else (x, zero)
            return binary(a, b, data=data, summarize=summarize)

    check.__name__ = check.__qualname__ = opname
    check.__doc__ = f"""An op that fails the run unless every element of x is {sym} 0
    (InvalidArgumentError at once when x is a constant that fails)."""
    return check


assert_negative = _make_unary("<", "assert_negative", False, assert_less)
assert_positive = _make_unary(">", "assert_positive", True, assert_less)
assert_non_negative = _make_unary(">=", "assert_non_negative", True, assert_less_equal)
assert_non_positive = _make_unary("<=", "assert_non_positive", False, assert_less_equal)


def assert_near(
    x: Any,
    y: Any,
    rtol: Any = None,
    atol: Any = None,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> Operation:
    """An op that fails unless |x - y| < atol + rtol * |y| element-wise (both tolerances
    default to 10 * eps of x's dtype). Like TF, always checked at run time."""
    from flowzero.ops.logic_ops import less
    from flowzero.ops.reduction_ops import reduce_all
    from flowzero.ops.unary_ops import abs as abs_

    prefix = _message_prefix(message)
    with _scope(name, "assert_near", *_flat_values(x, y, rtol, atol)):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=None if isinstance(y, Tensor) else x.dtype)
        if y.dtype is not x.dtype:
            raise DTypeError(
                None,
                None,
                f"assert_near: y must have x's dtype {x.dtype.name}; got {y.dtype.name}.",
            )
        dt = x.dtype.real_dtype if x.dtype.is_complex else x.dtype
        if not dt.is_floating:
            raise TypeError(f"assert_near: x must be floating or complex; got {x.dtype.name}.")
        eps = float(np.finfo(dt.np).eps)
        rtol_t = convert_to_tensor(10 * eps if rtol is None else rtol, name="rtol", dtype=dt)
        atol_t = convert_to_tensor(10 * eps if atol is None else atol, name="atol", dtype=dt)
        if data is None:
            data = [
                prefix,
                f"x and y not equal to tolerance rtol = {rtol_t}, atol = {atol_t}",
                f"x ({x.name}) = ",
                x,
                f"y ({y.name}) = ",
                y,
            ]
        tol = atol_t + rtol_t * abs_(y)
        diff = abs_(x - y)
        return _assert(reduce_all(less(diff, tol)), data, summarize)


# -- ranks -------------------------------------------------------------------------------------
def _rank_value(rank: Any, what: str) -> tuple[Tensor, np.ndarray | None]:
    t = convert_to_tensor(rank, name="rank")
    if t.dtype is not dtypes.int32:
        raise TypeError(f"{what}: rank must be of type tf.int32; got {t.dtype!r}")
    v = static_value(t)
    if v is not None and np.ndim(v) != 0:
        raise ValueError("Rank must be a scalar.")
    return t, v


def _rank_check(
    opname: str,
    want: str,
    x: Any,
    ranks: list[Any],
    static_ok: Any,
    dynamic: Any,
    data: Any,
    summarize: int | None,
    message: str | None,
    name: str | None,
    sparse_ok: bool = True,
) -> Operation:
    """The rank checks' common body: x must have rank `want` (words: "rank", "rank at least",
    "rank in") `ranks`. A NoOp when the static rank settles it (ValueError when it fails),
    else an Assert; `static_ok(rank, ranks)` and `dynamic(rank_t, ranks_t)` state the test."""
    from flowzero.ops.control_ops import identity, no_op

    with _scope(name, opname, *_flat_values(x, ranks, data)):
        if sparse_ok:
            x, label = _subject(x)
        else:
            x = convert_to_tensor(x, name="x")
            label = x.name
        rs = [_rank_value(r, opname) for r in ranks]
        prefix = _message_prefix(message)
        if data is None:
            data = [
                prefix,
                f"Tensor {label} must have {want}",
                *[t for t, _ in rs],
                "Received shape: ",
                _shape_of(x),
            ]
        values = [v for _, v in rs]
        if all(v is not None for v in values) and x.shape.ndims is not None:
            given = [int(v) for v in values]  # type: ignore[arg-type]
            if not static_ok(x.shape.ndims, given):
                shown = tuple(given) if want == "rank in" else given[0]
                raise ValueError(
                    f"{prefix}Tensor {label} must have {want} {shown}.  "
                    f"Received rank {x.shape.ndims}, shape {x.shape}"
                )
            return no_op(name="static_checks_determined_all_ok")
        condition = dynamic(_rank_of(x), [t for t, _ in rs])
        for t, v in rs:
            if v is None:
                check = assert_rank(t, 0, data=["Rank must be a scalar. Received rank: ", t])
                with control_dependencies([check]):
                    condition = identity(condition)
        return _assert(condition, data, summarize)


def assert_rank(
    x: Any,
    rank: Any,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> Operation:
    """A check that x has rank `rank`: ValueError now if x's static rank differs, a NoOp if it
    matches, else an op that fails at run time."""
    from flowzero.ops.logic_ops import equal

    return _rank_check(
        "assert_rank",
        "rank",
        x,
        [rank],
        lambda a, g: a == g[0],
        lambda a, g: equal(a, g[0]),
        data,
        summarize,
        message,
        name,
    )


def assert_rank_at_least(
    x: Any,
    rank: Any,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> Operation:
    """A check that x has rank >= `rank` (static ValueError, NoOp, or a run-time Assert)."""
    from flowzero.ops.logic_ops import greater_equal

    return _rank_check(
        "assert_rank_at_least",
        "rank at least",
        x,
        [rank],
        lambda a, g: a >= g[0],
        lambda a, g: greater_equal(a, g[0]),
        data,
        summarize,
        message,
        name,
        sparse_ok=False,  # as TF: a SparseTensor is converted (and refused)
    )


def assert_rank_in(
    x: Any,
    ranks: Any,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> Operation:
    """A check that x's rank is one of `ranks` (static ValueError, NoOp, or run-time Assert)."""
    from flowzero.ops.logic_ops import equal, logical_or

    def dynamic(actual: Tensor, given: list[Tensor]) -> Tensor:
        if not given:
            return convert_to_tensor(False)
        out = equal(given[0], actual)
        for g in given[1:]:
            out = logical_or(out, equal(g, actual))
        return out

    return _rank_check(
        "assert_rank_in",
        "rank in",
        x,
        list(ranks),
        lambda a, g: a in g,
        dynamic,
        data,
        summarize,
        message,
        name,
    )


# -- static facts ------------------------------------------------------------------------------
def assert_integer(x: Any, message: str | None = None, name: str | None = None) -> Operation:
    """TypeError unless x has an integer dtype; else a NoOp."""
    from flowzero.ops.control_ops import no_op

    with _scope(name, "assert_integer", *_flat_values(x)):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(
                f'{_message_prefix(message)}Expected "x" to be integer type.  Found: {x.name} '
                f"of dtype {_dtype_str(x.dtype)}"
            )
        return no_op("statically_determined_was_integer")


def assert_type(
    tensor: Any, tf_type: Any, message: str | None = None, name: str | None = None
) -> Operation:
    """TypeError unless `tensor` has dtype `tf_type`; else a NoOp."""
    from flowzero.ops.control_ops import no_op

    want = dtypes.as_dtype(tf_type)
    with _scope(name, "assert_type", *_flat_values(tensor)):
        t = tensor if hasattr(tensor, "dense_shape") else convert_to_tensor(tensor, name="tensor")
        if t.dtype is not want:
            label = getattr(t, "name", "tensor")
            raise TypeError(
                f"{_message_prefix(message)}{label} must be of type {want!r}; got {t.dtype!r}"
            )
        return no_op("statically_determined_correct_type")


def assert_scalar(tensor: Any, name: str | None = None, message: str | None = None) -> Tensor:
    """`tensor` (converted) if its static shape is a scalar; ValueError otherwise (also when
    the rank is unknown)."""
    with _scope(name, "assert_scalar", *_flat_values(tensor)):
        t = convert_to_tensor(tensor, name=name or "assert_scalar")
        if t.shape.ndims != 0:
            raise ValueError(
                f"{_message_prefix(message)}Expected scalar shape for {t.name}, saw shape: "
                f"{t.shape}."
            )
        return t


def assert_proper_iterable(values: Any) -> None:
    """TypeError if `values` is a Tensor, ndarray, string or bytes (iterables by accident) or
    not iterable at all."""
    if isinstance(values, (Tensor, np.ndarray, bytes, str)) or hasattr(values, "_as_tensor"):
        raise TypeError(
            f'Expected argument "values" to be a "proper" iterable.  Found: {type(values)}'
        )
    if not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be iterable.  Found: {type(values)}')


def assert_same_float_dtype(tensors: Any = None, dtype: Any = None) -> dtypes.DType:
    """The common float dtype of `tensors` (and `dtype`, if given); float32 if there is none.

    Raises:
        ValueError: the dtypes differ, or the common one is not floating.
    """
    expected = dtypes.as_dtype(dtype) if dtype is not None else None
    first = None
    for t in tensors or []:
        if t is None:
            continue
        dt = t.dtype.base_dtype
        if expected is None:
            expected, first = dt, getattr(t, "name", str(t))
        elif dt is not expected:
            as_first = f" as {first}" if first else ""
            raise ValueError(
                f"{getattr(t, 'name', str(t))}, type={_dtype_str(dt)}, must be of the same "
                f"type ({_dtype_str(expected)}){as_first}."
            )
    if expected is None:
        return dtypes.float32
    if not expected.is_floating:
        raise ValueError(f"Expected floating point type, got {_dtype_str(expected)}.")
    return expected


def is_numeric_tensor(tensor: Any) -> bool:
    """Whether `tensor` is a Tensor of a numeric dtype (not bool, not string)."""
    return isinstance(tensor, Tensor) and tensor.dtype.np.kind in "fiuc"


# -- shapes ------------------------------------------------------------------------------------
def _known_int(v: Any) -> bool:
    if v is None or isinstance(v, Tensor):
        return False
    try:
        int(v)
    except (TypeError, ValueError):
        return False
    return True


def assert_shapes(
    shapes: Any,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> Operation:
    """Checks tensors against symbolic shapes: `[(x, ("N", "D")), (y, ("N",))]` or a dict.

    A symbol is an int (that size), a string naming a size shared by every tensor it appears
    in, None or "." (any size), and "..." / "*" first (any number of leading dimensions). What
    static shapes settle raises ValueError now; the rest is checked when the op runs.
    """
    from flowzero.ops.array_ops import shape as shape_
    from flowzero.ops.logic_ops import equal

    items = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    prefix = _message_prefix(message)
    with _scope(name, "assert_shapes", *_flat_values([t for t, _ in items])) as g:
        entries = []
        for tensor, symbolic in items:
            x = convert_to_tensor(tensor)
            if not (hasattr(symbolic, "__iter__") or hasattr(symbolic, "__getitem__")):
                raise ValueError(
                    f"{prefix}Tensor {x.name}.  Specified shape must be an iterable.  An "
                    "iterable has the attribute `__iter__` or `__getitem__`.  Received "
                    f"specified shape: {symbolic}"
                )
            sym = tuple(symbolic)
            leading = False
            for i, s in enumerate(sym):
                if s is Ellipsis or (isinstance(s, str) and s in ("*", "...")):
                    if i != 0:
                        raise ValueError(
                            f"{prefix}Tensor {x.name} specified shape index {i}.  Symbol `...` "
                            "or `*` for a variable number of unspecified dimensions is only "
                            "allowed as the first entry"
                        )
                    leading = True
            if leading:
                sym = sym[1:]
            # A scalar counts as shape (1,), as in TF.
            if x.shape.ndims == 0:
                sizes: Any = [1]
            elif x.shape.ndims is not None:
                dyn = None
                sizes = []
                for i, d in enumerate(x.shape.as_list()):
                    if d is None:
                        dyn = shape_(x) if dyn is None else dyn
                        sizes.append(dyn[i])
                    else:
                        sizes.append(d)
            else:
                sizes = None  # resolved below, after the rank check
            entries.append((x, leading, sym if sym else (1,), sizes))

        rank_checks = []
        for x, leading, sym, _ in entries:
            r = len(sym)
            if leading:
                if r <= 1:
                    continue
                rank_checks.append(
                    assert_rank_at_least(x, r, data=data, summarize=summarize, message=message)
                )
            elif r <= 1:
                rank_checks.append(
                    assert_rank_in(x, [0, 1], data=data, summarize=summarize, message=message)
                )
            else:
                rank_checks.append(
                    assert_rank(x, r, data=data, summarize=summarize, message=message)
                )

        size_checks = []
        named: dict[Any, tuple[Any, Tensor, int]] = {}
        for x, leading, sym, sizes in entries:
            for i, s in enumerate(sym):
                if s is None or s == ".":
                    continue
                dim = i - len(sym) if leading else i
                with g.control_dependencies(rank_checks):
                    if sizes is None:
                        # Unknown rank: a scalar's "size" is 1, as in TF.
                        from flowzero.ops.manip_ops import concat

                        one = convert_to_tensor([1])
                        parts = [shape_(x), one] if dim >= 0 else [one, shape_(x)]
                        actual: Any = concat(parts, 0)[dim]
                    else:
                        actual = sizes[dim]
                if s in named or _known_int(s):
                    if _known_int(s):
                        want: Any = int(s)
                        how = "Specified explicitly"
                    else:
                        want, by, at = named[s]
                        how = f"Specified by tensor {by.name} dimension {at}"
                    if _known_int(actual) and _known_int(want):
                        if int(actual) != int(want):
                            raise ValueError(
                                f"{prefix}{how}.  Tensor {x.name} dimension {dim} must have "
                                f"size {want}.  Received size {actual}, shape {x.shape}"
                            )
                        continue
                    cond = equal(
                        convert_to_tensor(actual, dtype=dtypes.int32),
                        convert_to_tensor(want, dtype=dtypes.int32),
                    )
                    shown = data
                    if shown is None:
                        shown = [
                            prefix,
                            how,
                            f"Tensor {x.name} dimension",
                            dim,
                            "must have size",
                            want,
                            "Received shape: ",
                            shape_(x),
                        ]
                    size_checks.append(_assert(cond, shown, summarize))
                else:
                    named[s] = (actual, x, dim)
    from flowzero.ops.control_ops import group

    with g.control_dependencies(rank_checks):
        return group(size_checks)


__all__ = [
    "assert_equal",
    "assert_none_equal",
    "assert_less",
    "assert_less_equal",
    "assert_greater",
    "assert_greater_equal",
    "assert_near",
    "assert_negative",
    "assert_positive",
    "assert_non_negative",
    "assert_non_positive",
    "assert_integer",
    "assert_type",
    "assert_scalar",
    "assert_rank",
    "assert_rank_at_least",
    "assert_rank_in",
    "assert_proper_iterable",
    "assert_same_float_dtype",
    "is_numeric_tensor",
]
