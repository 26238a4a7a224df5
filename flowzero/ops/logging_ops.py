"""Graph ops that print or check at run time: tf.Print, tf.print, tf.Assert."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Operation, Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec


def _fmt(v: Any, summarize: int) -> str:
    a = np.asarray(v)
    if a.dtype.kind == "O" and a.ndim == 0:
        x = a[()]
        return x.decode() if isinstance(x, bytes) else str(x)
    if summarize is not None and summarize >= 0 and a.size > summarize:
        flat = a.reshape(-1)[:summarize]
        return "[" + " ".join(str(x) for x in flat) + "...]"
    return np.array2string(a, separator=" ", threshold=max(summarize or 3, 3)) \
        if a.ndim else str(a)


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
            parts = [_fmt(d, a.get("summarize", 3)) for d in data]
            print((a.get("message") or "") + "".join(parts), file=sys.stderr)
        return x

    def gradient(self, op: Any, dy: Tensor, *rest: Any) -> list[Any]:
        return [dy] + [None] * (len(op.inputs) - 1)


def Print(input_: Any, data: Any, message: str | None = None, first_n: int | None = None,  # noqa: N802
          summarize: int | None = None, name: str | None = None) -> Tensor:
    """Returns `input_` unchanged; printing `message` and `data` (to stderr) each time it runs.

    Example:
        >>> x = tf.Print(x, [tf.shape(x), x], message="x: ")
    """
    return apply_op(PrintOp, [input_, *_data_tensors(data)], {
        "message": message, "first_n": -1 if first_n is None else first_n,
        "summarize": 3 if summarize is None else summarize}, name=name)


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
            parts.append(next(texts) if kind == "s" else _fmt(next(vals), a["summarize"]))
        stream = sys.stdout if a["output_stream"] in ("stdout", sys.stdout) else sys.stderr
        print(a["sep"].join(parts), end=a["end"], file=stream)
        return None


def print_v2(*inputs: Any, output_stream: Any = sys.stderr, summarize: int = 3,
             sep: str = " ", end: str = "\n", name: str | None = None) -> Operation:
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
    return apply_op(PrintV2, tensors, {"kinds": kinds, "template": texts, "summarize": summarize,
                                       "sep": sep, "end": end, "output_stream": stream},
                    name=name)


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
            shown = ", ".join(_fmt(d, self.attrs.get("summarize", 3)) for d in data)
            raise errors.InvalidArgumentError(
                None, None, f"assertion failed: [{shown}]")
        return None


def Assert(condition: Any, data: Any, summarize: int | None = None,  # noqa: N802
           name: str | None = None) -> Operation:
    """An op that fails the run with `data` in its message when `condition` is false."""
    return apply_op(AssertOp, [convert_to_tensor(condition), *_data_tensors(data)],
                    {"summarize": 3 if summarize is None else summarize}, name=name)
