"""Graph ops that print or check at run time: tf.Print, tf.print, tf.Assert."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Operation, Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec


def _elem(x: Any, v2: bool) -> str:
    """One element as TF prints it: shortest round-trip %g digits (6 or 9 for float32 and
    smaller, 15 or 17 for float64), bools as 1/0, strings raw (quoted by tf.print)."""
    if isinstance(x, (bytes, str)):
        t = x.decode("utf-8", "replace") if isinstance(x, bytes) else x
        return f'"{t}"' if v2 else t
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    if isinstance(x, np.complexfloating):
        return f"({_elem(x.real, v2)},{_elem(x.imag, v2)})"
    if isinstance(x, (float, np.floating)):
        if isinstance(x, (float, np.float64)):
            t = f"{x:.15g}"
            return t if float(t) == x or x != x else f"{x:.17g}"
        f = np.float32(x)
        t = f"{f:.6g}"
        return t if np.float32(t) == f or f != f else f"{f:.9g}"
    return str(x)


def _summarize(a: np.ndarray, summarize: int) -> str:
    """TF's Tensor::SummarizeValue (tf.Print, tf.Assert): the first `summarize` elements in
    row-major order, nested in brackets without separators between rows ("[[1 2][3...]...]")."""
    n = a.size
    limit = n if summarize is None or summarize < 0 else min(summarize, n)
    flat = a.reshape(-1)
    if a.ndim == 0:
        return (_elem(flat[0], False) if limit else "") + ("..." if n > limit else "")
    out: list[str] = []
    pos = [0]

    def dim(d: int) -> None:
        if pos[0] >= limit:
            return
        count = a.shape[d]
        if d == a.ndim - 1:
            for i in range(count):
                if pos[0] >= limit:
                    if d != 0:
                        out.append("...")
                    return
                if i > 0:
                    out.append(" ")
                out.append(_elem(flat[pos[0]], False))
                pos[0] += 1
            return
        for _ in range(count):
            opened = pos[0] < limit
            if opened:
                out.append("[")
            dim(d + 1)
            if pos[0] < limit or opened:
                out.append("]")

    dim(0)
    return "".join(out) + ("..." if n > limit else "")


def _summarize_v2(a: np.ndarray, summarize: int) -> str:
    """tf.print's format: NumPy-like, `summarize` elements at each end of every dimension."""
    if a.ndim == 0:
        return _elem(a[()], True)
    ends = a.size if summarize is None or summarize < 0 else summarize
    out: list[str] = []

    def spacing(d: int) -> None:
        if d == a.ndim - 1:
            out.append(" ")
        else:
            out.append("\n" * (a.ndim - d - 1) + " " * (d + 1))

    def dim(d: int, idx: tuple[int, ...]) -> None:
        if d == a.ndim:
            out.append(_elem(a[idx], True))
            return
        out.append("[")
        count = a.shape[d]
        for i in range(min(ends, count)):
            if i > 0:
                spacing(d)
            dim(d + 1, idx + (i,))
        if count > 2 * ends:
            spacing(d)
            out.append("...")
        for i in range(max(ends, count - ends), count):
            spacing(d)
            dim(d + 1, idx + (i,))
        out.append("]")

    dim(0, ())
    return "".join(out)


def _data_tensors(data: Any) -> list[Tensor]:
    return [convert_to_tensor(d) for d in (data or [])]


@register_op("Print")
class PrintOp(OpDef):
    """y = input; prints `message` and the data tensors to stderr when it runs."""

    stateful = True
    forwards_input = True

    def infer(self, x: Tensor, *data: Tensor) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, *data: Any) -> np.ndarray:
        a = self.attrs
        n = a.get("first_n", -1)
        printed = getattr(self, "_printed", 0)
        if n is None or n < 0 or printed < n:
            self._printed = printed + 1
            parts = ["[" + _summarize(np.asarray(d), a.get("summarize", 3)) + "]" for d in data]
            print((a.get("message") or "") + "".join(parts), file=sys.stderr)
        return x

    def gradient(self, op: Any, dy: Tensor, *rest: Any) -> list[Any]:
        return [dy] + [None] * (len(op.inputs) - 1)


def Print(  # noqa: N802 - TF's public name
    input_: Any,
    data: Any,
    message: str | None = None,
    first_n: int | None = None,  # noqa: N802
    summarize: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Returns `input_` unchanged; printing `message` and `data` (to stderr) each time it runs.

    Example:
        >>> x = tf.constant([1., 2.])
        >>> x = tf.Print(x, [tf.shape(x), x], message="x: ")
        >>> sess = tf.Session()
        >>> sess.run(x * 2)   # stderr shows: x: [2][1 2]
        array([2., 4.], dtype=float32)
    """
    return apply_op(
        PrintOp,
        [input_, *_data_tensors(data)],
        {
            "message": message,
            "first_n": -1 if first_n is None else first_n,
            "summarize": 3 if summarize is None else summarize,
        },
        name=name,
    )


@register_op("PrintV2")
class PrintV2(OpDef):
    """Prints its inputs (separated by `sep`, ended by `end`) to `output_stream`."""

    stateful = True
    differentiable = False

    def infer(self, *data: Tensor) -> list[TensorSpec]:
        return []

    def compute(self, *data: Any) -> None:
        a = self.attrs
        texts = iter(a["template"])
        parts = []
        vals = iter(data)
        for kind in a["kinds"]:
            parts.append(
                next(texts)
                if kind == "s"
                else _summarize_v2(np.asarray(next(vals)), a["summarize"])
            )
        stream = sys.stdout if a["output_stream"] in ("stdout", sys.stdout) else sys.stderr
        print(a["sep"].join(parts), end=a["end"], file=stream)
        return None


def print_v2(
    *inputs: Any,
    output_stream: Any = sys.stderr,
    summarize: int = 3,
    sep: str = " ",
    end: str = "\n",
    name: str | None = None,
) -> Operation:
    """`tf.print`: an op that prints Python strings and tensor values when it runs."""
    kinds: list[str] = []
    texts: list[str] = []
    tensors: list[Tensor] = []
    for x in inputs:
        if isinstance(x, str):
            kinds.append("s")
            texts.append(x)
        else:
            kinds.append("t")
            tensors.append(convert_to_tensor(x))
    stream = "stdout" if output_stream is sys.stdout else "stderr"
    return apply_op(
        PrintV2,
        tensors,
        {
            "kinds": kinds,
            "template": texts,
            "summarize": summarize,
            "sep": sep,
            "end": end,
            "output_stream": stream,
        },
        name=name,
    )


@register_op("Assert")
class AssertOp(OpDef):
    """Raises InvalidArgumentError with the data tensors when `condition` is false."""

    stateful = True
    differentiable = False

    def infer(self, condition: Tensor, *data: Tensor) -> list[TensorSpec]:
        if condition.dtype is not dtypes.bool:
            raise self.error(f"condition must be a bool tensor; got {condition.dtype.name}.")
        return []

    def compute(self, condition: np.ndarray, *data: Any) -> None:
        if not np.all(condition):
            shown = " ".join(
                "[" + _summarize(np.asarray(d), self.attrs.get("summarize", 3)) + "]" for d in data
            )
            raise errors.InvalidArgumentError(None, None, f"assertion failed: {shown}")
        return None


def Assert(  # noqa: N802 - TF's public name
    condition: Any,
    data: Any,
    summarize: int | None = None,  # noqa: N802
    name: str | None = None,
) -> Operation:
    """An op that fails the run with `data` in its message when `condition` is false."""
    return apply_op(
        AssertOp,
        [convert_to_tensor(condition), *_data_tensors(data)],
        {"summarize": 3 if summarize is None else summarize},
        name=name,
    )
