"""String ops (tf.strings and TF1's root names): join, reduce_join, length, lower/upper, strip,
substr, regex_full_match / regex_replace, unsorted_segment_join (numbers <-> strings are in
string_convert_ops, hashing in string_hash_ops, ngrams/split/unicode in string_seq_ops).

A tf.string tensor is a NumPy object array of `bytes`; Python `str` values become UTF-8 bytes.
None of these ops has a gradient (TF's NotDifferentiable).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, broadcast_shapes
from flowzero.ops.common import DTypeError, _graph_for, static_value


def _b(x: Any) -> bytes:
    return x.encode() if isinstance(x, str) else bytes(x)


def _strings(a: Any) -> np.ndarray:
    """An object array of bytes with a's shape (fed arrays may hold str)."""
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    for idx, v in np.ndenumerate(a):
        out[idx] = _b(v)
    return out


def _map(a: np.ndarray, fn: Any, dtype: Any = object) -> np.ndarray:
    out = np.empty(a.shape, dtype=dtype)
    for idx, v in np.ndenumerate(a):
        out[idx] = fn(_b(v))
    return out


class _StringOp(OpDef):
    differentiable = False

    def _need_string(self, t: Tensor, what: str) -> None:
        if t.dtype is not dtypes.string:
            raise self.error(f"{what} must be a string tensor; got {t.dtype.name}.", cls=DTypeError)


def _string_input(x: Any) -> Tensor:
    return convert_to_tensor(x, dtype=None if isinstance(x, Tensor) else dtypes.string)


# -- join --------------------------------------------------------------------------------------
@register_op("StringJoin")
class StringJoin(_StringOp):
    """y = inputs joined element-wise with `separator` (scalars are repeated)."""

    def infer(self, *inputs: Tensor) -> TensorSpec:
        shape = TensorShape([])
        for i, t in enumerate(inputs):
            self._need_string(t, f"inputs[{i}]")
            if t.shape.ndims == 0:
                continue
            try:
                merged = shape.merge_with(t.shape) if shape.ndims != 0 else t.shape
            except ValueError:
                raise self.error(
                    "inputs must be scalars or all have the same shape; got "
                    + ", ".join(str(x.shape) for x in inputs)
                    + "."
                ) from None
            shape = merged
        if any(t.shape.ndims is None for t in inputs):
            shape = TensorShape(None)
        return spec(shape, dtypes.string)

    def compute(self, *inputs: np.ndarray) -> np.ndarray:
        arrays = [_strings(a) for a in inputs]
        shapes = {a.shape for a in arrays if a.ndim}
        if len(shapes) > 1:
            raise self.error(f"inputs must be scalars or have one shape; got {sorted(shapes)}.")
        shape = shapes.pop() if shapes else ()
        sep = _b(self.attrs["separator"])
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(*shape):
            out[idx] = sep.join(a[idx] if a.ndim else a[()] for a in arrays)
        return out


def string_join(inputs: Any, separator: str = "", name: str | None = None) -> Tensor:
    """Joins the strings of `inputs` (same shapes, or scalars) element-wise with `separator`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.join([["a", "b"], "x"], separator="-"))
        array([b'a-x', b'b-x'], dtype=object)
    """
    with _graph_for(*inputs):
        ts = [_string_input(x) for x in inputs]
        return apply_op(StringJoin, ts, {"separator": separator}, name=name)


@register_op("ReduceJoin")
class ReduceJoin(_StringOp):
    """y = the strings of `inputs` joined (with `separator`) over the `reduction_indices` axes,
    the first axis listed varying fastest."""

    def _axes(self, rank: int, axes: np.ndarray) -> list[int]:
        """The reduced axes in the order given (the first varies fastest, as TF's kernel)."""
        out: list[int] = []
        for a in np.asarray(axes).reshape(-1).tolist():
            if not -rank <= a < max(rank, 1) or (rank == 0 and a != 0):
                raise self.error(
                    f"Invalid reduction dimension {a} for input with {rank} dimensions."
                )
            a = a % rank if rank else 0
            if a in out:
                raise self.error(f"Duplicate reduction dimension {a}.")
            out.append(a)
        return out

    def infer(self, x: Tensor, axes: Tensor) -> TensorSpec:
        self._need_string(x, "inputs")
        keep = self.attrs["keep_dims"]
        v = static_value(axes)
        if x.shape.ndims is None or v is None:
            if x.shape.ndims is not None and keep:
                return spec([None] * x.shape.ndims, dtypes.string)
            return spec(None, dtypes.string)
        rank = x.shape.ndims
        red = self._axes(rank, v) if np.size(v) or rank else []
        dims = x.shape.as_list()
        out = (
            [1 if i in red else d for i, d in enumerate(dims)]
            if keep
            else [d for i, d in enumerate(dims) if i not in red]
        )
        return spec(out, dtypes.string)

    def compute(self, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        x = _strings(x)
        red = self._axes(x.ndim, axes)
        kept = [i for i in range(x.ndim) if i not in red]
        moved = np.transpose(x, kept + red[::-1])
        n = int(np.prod([x.shape[i] for i in red])) if red else 1
        flat = moved.reshape([x.shape[i] for i in kept] + [n])
        sep = _b(self.attrs["separator"])
        out = np.empty(flat.shape[:-1], dtype=object)
        for idx in np.ndindex(*out.shape):
            out[idx] = sep.join(flat[idx])
        if self.attrs["keep_dims"]:
            out = out.reshape([1 if i in red else d for i, d in enumerate(x.shape)])
        return out


def reduce_join(
    inputs: Any,
    axis: Any = None,
    keep_dims: bool | None = None,
    separator: str = "",
    name: str | None = None,
    reduction_indices: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Joins the strings of `inputs` over `axis` (all axes, row-major, when None); with several
    axes the first listed varies fastest ([1, 0] is row-major, as in TF).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.reduce_join([["a", "b"], ["c", "d"]], 0, separator="-"))
        array([b'a-c', b'b-d'], dtype=object)
    """
    if axis is None:
        axis = reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with _graph_for(inputs, axis):
        x = _string_input(inputs)
        if axis is None:
            r = x.shape.ndims
            if r is None:
                from flowzero.ops.array_ops import rank
                from flowzero.ops.range_ops import range as range_

                axes = range_(rank(x) - 1, -1, -1)
            else:
                # Last axis first: the first reduced axis varies fastest, so this is row-major.
                axes = convert_to_tensor(np.arange(r - 1, -1, -1, dtype=np.int32))
        else:
            axes = convert_to_tensor(axis, dtype=None if isinstance(axis, Tensor) else dtypes.int32)
        return apply_op(
            ReduceJoin, [x, axes], {"keep_dims": keep, "separator": separator}, name=name
        )


# -- element-wise ------------------------------------------------------------------------------
class _StringMap(_StringOp):
    out = dtypes.string

    def infer(self, x: Tensor) -> TensorSpec:
        self._need_string(x, "input")
        return spec(x.shape, self.out)

    def fn(self, s: bytes) -> Any:
        raise NotImplementedError

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _map(x, self.fn, self.out.np)


def _utf8_len(s: bytes) -> int:
    return sum(1 for c in s if c & 0xC0 != 0x80)


def _check_unit(unit: str, fn: str) -> None:
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"{fn}: unit must be 'BYTE' or 'UTF8_CHAR'; got {unit!r}.")


@register_op("StringLength")
class StringLength(_StringMap):
    """y = the length of each string, in bytes or (unit="UTF8_CHAR") UTF-8 characters."""

    out = dtypes.int32

    def fn(self, s: bytes) -> int:
        return len(s) if self.attrs.get("unit", "BYTE") == "BYTE" else _utf8_len(s)


def string_length(input: Any, name: str | None = None, unit: str = "BYTE") -> Tensor:  # noqa: A002
    """The int32 length of each string, in bytes or UTF-8 characters ("UTF8_CHAR")."""
    _check_unit(unit, "strings.length")
    with _graph_for(input):
        return apply_op(StringLength, [_string_input(input)], {"unit": unit}, name=name)


_WHITESPACE = b" \t\n\v\f\r"


@register_op("StringLower")
class StringLower(_StringMap):
    """y = each string with ASCII letters lowercased."""

    def fn(self, s: bytes) -> bytes:
        return s.lower()


@register_op("StringUpper")
class StringUpper(_StringMap):
    """y = each string with ASCII letters uppercased."""

    def fn(self, s: bytes) -> bytes:
        return s.upper()


@register_op("StringStrip")
class StringStrip(_StringMap):
    """y = each string without leading and trailing ASCII whitespace."""

    def fn(self, s: bytes) -> bytes:
        return s.strip(_WHITESPACE)


def _encoding(encoding: str, fn: str) -> None:
    if encoding not in ("", "utf-8", "UTF-8"):
        raise ValueError(f"{fn}: encoding must be '' or 'utf-8'; got {encoding!r}.")


def lower(input: Any, encoding: str = "", name: str | None = None) -> Tensor:  # noqa: A002
    """Each string with its ASCII letters lowercased (other bytes unchanged)."""
    _encoding(encoding, "strings.lower")
    with _graph_for(input):
        return apply_op(StringLower, [_string_input(input)], name=name)


def upper(input: Any, encoding: str = "", name: str | None = None) -> Tensor:  # noqa: A002
    """Each string with its ASCII letters uppercased (other bytes unchanged)."""
    _encoding(encoding, "strings.upper")
    with _graph_for(input):
        return apply_op(StringUpper, [_string_input(input)], name=name)


def string_strip(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Each string without leading and trailing whitespace (" \\t\\n\\v\\f\\r")."""
    with _graph_for(input):
        return apply_op(StringStrip, [_string_input(input)], name=name)


# -- substr ------------------------------------------------------------------------------------
@register_op("Substr")
class Substr(_StringOp):
    """y = input[pos : pos + len] per string (bytes or UTF-8 characters); a negative pos counts
    from the end, a pos outside [-length, length] is an error, len is clipped."""

    def infer(self, x: Tensor, pos: Tensor, length: Tensor) -> TensorSpec:
        self._need_string(x, "input")
        if pos.dtype is not length.dtype or not pos.dtype.is_integer:
            raise self.error(
                f"pos and len must be int32 or int64 of one dtype; got {pos.dtype.name} and "
                f"{length.dtype.name}.",
                cls=DTypeError,
            )
        shape = broadcast_shapes(x.shape, pos.shape, length.shape)
        if shape is None:
            raise self.error(
                f"pos and len must broadcast with input; got input: {x.shape}, pos: "
                f"{pos.shape}, len: {length.shape}."
            )
        return spec(shape, dtypes.string)

    def compute(self, x: np.ndarray, pos: np.ndarray, length: np.ndarray) -> np.ndarray:
        x = _strings(x)
        try:
            xb, pb, lb = np.broadcast_arrays(x, pos, length)
        except ValueError:
            raise self.error(
                f"pos and len must broadcast with input; got input: {x.shape}, pos: "
                f"{np.shape(pos)}, len: {np.shape(length)}."
            ) from None
        utf8 = self.attrs.get("unit", "BYTE") == "UTF8_CHAR"
        out = np.empty(xb.shape, dtype=object)
        for flat_i, idx in enumerate(np.ndindex(*xb.shape)):
            s = xb[idx]
            if utf8:
                try:
                    chars: Any = s.decode("utf-8")
                except UnicodeDecodeError:
                    raise self.error(f"invalid UTF-8 in string {s!r}.") from None
            else:
                chars = s
            n, p, k = len(chars), int(pb[idx]), int(lb[idx])
            if not -n <= p <= n:
                raise errors.InvalidArgumentError(
                    None, None, f"pos {p} out of range for string {s!r} at index {flat_i}"
                )
            p = p + n if p < 0 else p
            piece = chars[p:] if k < 0 else chars[p : p + k]
            out[idx] = piece.encode("utf-8") if utf8 else piece
        return out


def substr(
    input: Any,  # noqa: A002
    pos: Any,
    len: Any,  # noqa: A002
    name: str | None = None,
    unit: str = "BYTE",
) -> Tensor:
    """The substring of each string from `pos` (negative: from the end), `len` long (clipped
    at the end; negative: to the end), in bytes or UTF-8 characters ("UTF8_CHAR").

    Raises:
        InvalidArgumentError (at run time): a pos outside [-length, length].

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.substr(["hello"], 1, 3))
        array([b'ell'], dtype=object)
    """
    _check_unit(unit, "strings.substr")
    with _graph_for(input, pos, len):
        x = _string_input(input)
        p = convert_to_tensor(pos)
        k = convert_to_tensor(len, dtype=None if isinstance(len, Tensor) else p.dtype)
        return apply_op(Substr, [x, p, k], {"unit": unit}, name=name)


# -- regular expressions -----------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _compiled(text: bytes) -> re.Pattern:
    # RE2's syntax differs from Python's in corners (no backreferences in patterns, \C,
    # possessive forms); the common subset behaves the same. Matching is on UTF-8 text.
    return re.compile(text.decode("utf-8", "surrogateescape"))


def _compile(pattern: Any) -> re.Pattern:
    text = _b(np.asarray(pattern)[()])
    try:
        return _compiled(text)
    except re.error as e:
        raise errors.InvalidArgumentError(
            None, None, f"Invalid pattern: {text.decode('utf-8', 'replace')}, error: {e}"
        ) from None


def _text(s: bytes) -> str:
    return s.decode("utf-8", "surrogateescape")


@register_op("RegexFullMatch")
class RegexFullMatch(_StringOp):
    """y = whether each whole string matches the regular expression `pattern` (a scalar)."""

    def infer(self, x: Tensor, pattern: Tensor) -> TensorSpec:
        self._need_string(x, "input")
        self._need_string(pattern, "pattern")
        if pattern.shape.ndims not in (None, 0):
            raise self.error(f"pattern must be a scalar; got shape {pattern.shape}.")
        return spec(x.shape, dtypes.bool)

    def compute(self, x: np.ndarray, pattern: np.ndarray) -> np.ndarray:
        rx = _compile(pattern)
        return _map(x, lambda s: rx.fullmatch(_text(s)) is not None, np.bool_)


def regex_full_match(input: Any, pattern: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Whether each string matches `pattern` (RE2 syntax; Python's `re` for the common subset)
    in full.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.regex_full_match(["abc", "ab"], "ab."))
        array([ True, False])
    """
    with _graph_for(input, pattern):
        return apply_op(RegexFullMatch, [_string_input(input), _string_input(pattern)], name=name)


def _rewrite_fn(rewrite: bytes) -> Any:
    """RE2's rewrite string (\\0..\\9 name groups, \\\\ a backslash) as a function of a match."""
    parts: list[Any] = []
    text = _text(rewrite)
    i = 0
    lit = []
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and (text[i + 1].isdigit() or text[i + 1] == "\\"):
            if text[i + 1] == "\\":
                lit.append("\\")
            else:
                parts.append("".join(lit))
                lit = []
                parts.append(int(text[i + 1]))
            i += 2
            continue
        lit.append(c)
        i += 1
    parts.append("".join(lit))

    def fn(m: re.Match) -> str:
        return "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)

    return fn


@register_op("RegexReplace")
class RegexReplace(_StringOp):
    """y = each string with the matches of `pattern` (all, or the first) replaced by `rewrite`."""

    def infer(self, x: Tensor, pattern: Tensor, rewrite: Tensor) -> TensorSpec:
        self._need_string(x, "input")
        for t, what in ((pattern, "pattern"), (rewrite, "rewrite")):
            self._need_string(t, what)
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{what} must be a scalar; got shape {t.shape}.")
        return spec(x.shape, dtypes.string)

    def compute(self, x: np.ndarray, pattern: np.ndarray, rewrite: np.ndarray) -> np.ndarray:
        rx = _compile(pattern)
        groups = rx.groups
        fn = _rewrite_fn(_b(np.asarray(rewrite)[()]))
        for n in re.findall(r"\\(\d)", _text(_b(np.asarray(rewrite)[()]))):
            if int(n) > groups:
                raise self.error(
                    f"Invalid rewrite pattern: rewrite names group \\{n}; the pattern has "
                    f"{groups} group(s)."
                )
        count = 0 if self.attrs.get("replace_global", True) else 1
        return _map(
            x, lambda s: rx.sub(fn, _text(s), count=count).encode("utf-8", "surrogateescape")
        )


def regex_replace(
    input: Any,  # noqa: A002
    pattern: Any,
    rewrite: Any,
    replace_global: bool = True,
    name: str | None = None,
) -> Tensor:
    """Each string with matches of `pattern` replaced by `rewrite` (\\0 is the whole match,
    \\1..\\9 groups); only the first match when `replace_global` is False.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.regex_replace(["a1b22"], r"\\d+", "#"))
        array([b'a#b#'], dtype=object)
    """
    with _graph_for(input, pattern, rewrite):
        ins = [_string_input(v) for v in (input, pattern, rewrite)]
        return apply_op(RegexReplace, ins, {"replace_global": bool(replace_global)}, name=name)


# -- segments ----------------------------------------------------------------------------------
@register_op("UnsortedSegmentJoin")
class UnsortedSegmentJoin(_StringOp):
    """y[j] = the inputs[i] with segment_ids[i] == j joined by `separator`, in index order."""

    def infer(self, x: Tensor, ids: Tensor, num: Tensor) -> TensorSpec:
        self._need_string(x, "inputs")
        if not ids.dtype.is_integer:
            raise self.error(f"segment_ids must be integers; got {ids.dtype.name}.", cls=DTypeError)
        n = static_value(num)
        head = [None if n is None else int(n)]
        if x.shape.ndims is None or ids.shape.ndims is None:
            return spec(None, dtypes.string)
        if not TensorShape(x.shape.as_list()[: ids.shape.ndims]).is_compatible_with(ids.shape):
            raise self.error(
                f"segment_ids.shape must be a prefix of inputs.shape; got segment_ids: "
                f"{ids.shape}, inputs: {x.shape}."
            )
        return spec(head + x.shape.as_list()[ids.shape.ndims :], dtypes.string)

    def compute(self, x: np.ndarray, ids: np.ndarray, num: np.ndarray) -> np.ndarray:
        x = _strings(x)
        n = int(num)
        if x.shape[: ids.ndim] != ids.shape:
            raise self.error(
                f"segment_ids.shape must be a prefix of inputs.shape; got {ids.shape} and "
                f"{x.shape}."
            )
        flat_ids = ids.reshape(-1)
        if flat_ids.size and (flat_ids.min() < 0 or flat_ids.max() >= n):
            raise self.error(
                "segment_ids are not allowed to exceed num_segments or to have negative values."
            )
        inner = x.shape[ids.ndim :]
        rows = x.reshape((flat_ids.size, *inner))
        buckets: list[list[int]] = [[] for _ in range(n)]
        for i, j in enumerate(flat_ids.tolist()):
            buckets[j].append(i)
        sep = _b(self.attrs["separator"])
        out = np.empty((n, *inner), dtype=object)
        for j in range(n):
            for idx in np.ndindex(*inner):
                out[(j,) + idx] = sep.join(rows[(i,) + idx] for i in buckets[j])
        return out


def unsorted_segment_join(
    inputs: Any,
    segment_ids: Any,
    num_segments: Any,
    separator: str = "",
    name: str | None = None,
) -> Tensor:
    """Joins the strings of each segment (in index order); empty segments give b"".

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2, ","))
        array([b'b', b'a,c'], dtype=object)
    """
    with _graph_for(inputs, segment_ids, num_segments):
        x = _string_input(inputs)
        ids = convert_to_tensor(segment_ids)
        n = convert_to_tensor(num_segments)
        return apply_op(UnsortedSegmentJoin, [x, ids, n], {"separator": separator}, name=name)


__all__ = [
    "string_join",
    "reduce_join",
    "string_strip",
    "substr",
    "regex_replace",
]
