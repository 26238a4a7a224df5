"""Numbers to and from strings: tf.string_to_number (tf.strings.to_number), tf.as_string and
tf.strings.format (tensors printed into a template as tf.print does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.string_ops import _map, _string_input, _StringMap, _StringOp

# -- numbers <-> strings -----------------------------------------------------------------------
_NUMBER_OUT = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def _parse(s: bytes, dt: dtypes.DType) -> Any:
    t = s.decode("ascii").strip()
    if "_" in t or not t:
        raise ValueError(t)
    if dt.is_integer:
        v = int(t, 10)
        info = np.iinfo(dt.np)
        if not info.min <= v <= info.max:
            raise ValueError(t)
        return v
    try:
        x = float(t)
    except ValueError:
        body = t.lstrip("+-")
        if not body.lower().startswith("0x"):
            raise
        x = float.fromhex(t)
    if dt is dtypes.float32 and np.isfinite(x) and abs(x) > np.finfo(np.float32).max:
        return np.inf if x > 0 else -np.inf
    return x


@register_op("StringToNumber")
class StringToNumber(_StringMap):
    """y = each string parsed as a number of `out_type` (float32, float64, int32, int64)."""

    def infer(self, x: Tensor) -> TensorSpec:
        self._need_string(x, "string_tensor")
        dt = dtypes.as_dtype(self.attrs["out_type"])
        if dt not in _NUMBER_OUT:
            raise self.error(
                f"out_type must be float32, float64, int32 or int64; got {dt.name}.",
                cls=DTypeError,
            )
        return spec(x.shape, dt)

    def compute(self, x: np.ndarray) -> np.ndarray:
        dt = dtypes.as_dtype(self.attrs["out_type"])

        def fn(s: bytes) -> Any:
            try:
                return _parse(s, dt)
            except (ValueError, UnicodeDecodeError, OverflowError):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    "StringToNumberOp could not correctly convert string: "
                    + s.decode("utf-8", "replace"),
                ) from None

        return _map(x, fn, dt.np)


def string_to_number(
    string_tensor: Any,
    out_type: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """Each string parsed as a number of `out_type` (float32 by default).

    Raises:
        InvalidArgumentError (at run time): a string that is not a number of that type,
            named in the message.
    """
    with _graph_for(string_tensor):
        x = _string_input(string_tensor)
        return apply_op(StringToNumber, [x], {"out_type": dtypes.as_dtype(out_type)}, name=name)


@register_op("AsString")
class AsString(_StringOp):
    """y = each number formatted as a string (printf-style: precision, scientific, shortest,
    width, fill)."""

    def _format(self, dt: dtypes.DType) -> str:
        a = self.attrs
        prec, sci, short, width, fill = (
            a["precision"],
            a["scientific"],
            a["shortest"],
            a["width"],
            a["fill"],
        )
        if len(fill) > 1:
            raise self.error("Fill string must be one or fewer characters")
        if sci and short:
            raise self.error("Cannot select both scientific and shortest notation")
        if fill and fill not in " +-0#":
            raise self.error(f"Fill argument not supported: {fill!r}")
        kind = dt.np.kind
        if kind not in "fc" and (prec > -1 or sci or short):
            what = "precision" if prec > -1 else ("scientific" if sci else "shortest")
            raise self.error(f"{what} not supported for datatype {dt.name}")
        spec_ = "%" + fill + (str(width) if width > -1 else "")
        if kind in "fc":
            spec_ += (f".{prec}" if prec > -1 else "") + ("e" if sci else "g" if short else "f")
        elif kind in "iu":
            spec_ += "d"
        else:
            spec_ += "s"
        return spec_

    def infer(self, x: Tensor) -> TensorSpec:
        if x.dtype.np.kind not in "fciub":
            raise self.error(f"input must be a number or bool; got {x.dtype.name}.", cls=DTypeError)
        self._format(x.dtype)
        return spec(x.shape, dtypes.string)

    def compute(self, x: np.ndarray) -> np.ndarray:
        fmt = self._format(dtypes.as_dtype(x.dtype))
        kind = x.dtype.kind
        out = np.empty(x.shape, dtype=object)
        for idx, v in np.ndenumerate(x):
            if kind == "b":
                s = fmt % ("true" if v else "false")
            elif kind == "c":
                s = "(" + fmt % float(v.real) + "," + fmt % float(v.imag) + ")"
            elif kind == "f":
                s = fmt % float(v)
            else:
                s = fmt % int(v)
            out[idx] = s.encode()
        return out


def as_string(
    input: Any,  # noqa: A002
    precision: int = -1,
    scientific: bool = False,
    shortest: bool = False,
    width: int = -1,
    fill: str = "",
    name: str | None = None,
) -> Tensor:
    """Each number (or bool) formatted as a string: floats as printf's %f (%e if `scientific`,
    %g if `shortest`) with `precision` digits, padded to `width` with `fill` (" " or "0")."""
    with _graph_for(input):
        attrs = {
            "precision": int(precision),
            "scientific": bool(scientific),
            "shortest": bool(shortest),
            "width": int(width),
            "fill": fill,
        }
        return apply_op(AsString, [convert_to_tensor(input)], attrs, name=name)


# -- format ------------------------------------------------------------------------------------
@register_op("StringFormat")
class StringFormat(_StringOp):
    """y = `template` with each `placeholder` replaced by the next input, printed as tf.print
    does (`summarize` entries at each end of every dimension)."""

    def infer(self, *inputs: Tensor) -> TensorSpec:
        return spec([], dtypes.string)

    def compute(self, *inputs: np.ndarray) -> np.ndarray:
        from flowzero.ops.logging_ops import _summarize_v2

        a = self.attrs
        pieces = a["template"].split(a["placeholder"])
        out = [pieces[0]]
        for v, rest in zip(inputs, pieces[1:]):
            out.append(_summarize_v2(np.asarray(v), a["summarize"]))
            out.append(rest)
        return np.array("".join(out).encode(), dtype=object)


def format(  # noqa: A001 - TF's public name
    template: str,
    inputs: Any,
    placeholder: str = "{}",
    summarize: int = 3,
    name: str | None = None,
) -> Tensor:
    """A scalar string: `template` with each "{}" replaced by the next tensor of `inputs`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.format("x={} y={}", [tf.constant([1, 2]), 3.5]))
        b'x=[1 2] y=3.5'
    """
    if isinstance(inputs, (list, tuple)):
        items = list(inputs)
    else:
        items = [inputs]
    need = template.count(placeholder)
    if need != len(items):
        raise ValueError(
            f"The template expects {need} tensors, but the inputs only has {len(items)}. "
            "Please ensure the number of placeholders in template matches inputs length."
        )
    with _graph_for(*items):
        ts = [convert_to_tensor(v) for v in items]
        attrs = {"template": template, "placeholder": placeholder, "summarize": int(summarize)}
        return apply_op(StringFormat, ts, attrs, name=name)


__all__ = ["string_to_number", "as_string"]
