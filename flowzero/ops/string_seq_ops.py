"""String ops over sequences: tf.strings.ngrams and unicode_encode (TF's StringNGrams and
UnicodeEncode ops, on ragged (values, row splits), applied to the rows of a dense tensor), and
unicode_transcode."""

from __future__ import annotations

import codecs
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.string_ops import _b, _map, _string_input, _StringOp


# -- ngrams ------------------------------------------------------------------------------------
@register_op("StringNGrams")
class StringNGrams(_StringOp):
    """(ngrams, splits) = the ngrams of each row of the ragged (data, data_splits): for each
    width in `ngram_widths`, the windows of that many items joined by `separator`, over the row
    padded with `left_pad` / `right_pad` (pad_width of each, or width - 1 when -1)."""

    def infer(self, data: Tensor, splits: Tensor) -> list[TensorSpec]:
        self._need_string(data, "data")
        if data.shape.ndims not in (None, 1) or splits.shape.ndims not in (None, 1):
            raise self.error(
                f"data and data_splits must be vectors; got {data.shape}, {splits.shape}."
            )
        if not splits.dtype.is_integer:
            raise self.error(
                f"data_splits must be int32/int64; got {splits.dtype.name}.", cls=DTypeError
            )
        return [spec([None], dtypes.string), spec([None], splits.dtype)]

    def _pad(self, width: int) -> int:
        p = self.attrs["pad_width"]
        return min(width - 1 if p < 0 else p, width - 1)

    def compute(self, data: np.ndarray, splits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.attrs
        sep, left, right = _b(a["separator"]), _b(a["left_pad"]), _b(a["right_pad"])
        bounds = [int(v) for v in np.asarray(splits).reshape(-1)]
        if bounds and (bounds[0] != 0 or bounds[-1] != data.shape[0] or bounds != sorted(bounds)):
            raise self.error(
                f"data_splits must start at 0, be sorted and end at {data.shape[0]}; got {bounds}."
            )
        out: list[bytes] = []
        out_splits = [0]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            row = [_b(v) for v in data[lo:hi]]
            made = 0
            for w in a["ngram_widths"]:
                p = self._pad(w)
                padded = [left] * p + row + [right] * p
                for i in range(max(0, len(padded) - w + 1)):
                    out.append(sep.join(padded[i : i + w]))
                    made += 1
            if made == 0 and a["preserve_short_sequences"] and row:
                p = self._pad(len(row) + 1) if a["pad_width"] >= 0 else 0
                out.append(sep.join([left] * p + row + [right] * p))
            out_splits.append(len(out))
        arr = np.empty(len(out), dtype=object)
        arr[:] = out
        return arr, np.array(out_splits, dtype=np.asarray(splits).dtype)


def ngrams(
    data: Any,
    ngram_width: Any,
    separator: str = " ",
    pad_values: Any = None,
    padding_width: int | None = None,
    preserve_short_sequences: bool = False,
    name: str | None = None,
) -> Tensor:
    """The ngrams of each row (last axis) of a dense string tensor: for each width in
    `ngram_width` (an int or a list), the windows of that many items joined by `separator`,
    over the row padded with `pad_values` ((left, right) or one string; `padding_width` of
    each, width - 1 by default). With `preserve_short_sequences`, a row too short for any
    ngram gives one ngram of the whole row.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.ngrams([["a", "b", "c"]], 2))
        array([[b'a b', b'b c']], dtype=object)
    """
    from flowzero.ops.array_ops import shape as shape_
    from flowzero.ops.manip_ops import concat
    from flowzero.ops.range_ops import range as range_
    from flowzero.ops.reduction_ops import reduce_prod
    from flowzero.ops.reshape_ops import reshape

    widths = [int(ngram_width)] if np.ndim(ngram_width) == 0 else [int(w) for w in ngram_width]
    if any(w < 1 for w in widths):
        raise ValueError(f"ngrams: ngram_width must be >= 1; got {widths}.")
    if pad_values is None:
        if padding_width is not None:
            raise ValueError("ngrams: padding_width is set, but pad_values is not.")
        left = right = ""
        pad = 0
    else:
        if isinstance(pad_values, (list, tuple)):
            if len(pad_values) != 2:
                raise ValueError(
                    f"ngrams: pad_values must be a string or a pair; got {pad_values}."
                )
            left, right = pad_values
        else:
            left = right = pad_values
        pad = -1 if padding_width is None else int(padding_width)
        if padding_width is not None and pad < 1:
            raise ValueError(f"ngrams: padding_width must be >= 1; got {padding_width}.")
    with _graph_for(data):
        x = _string_input(data)
        with x.graph.name_scope(name or "StringNGrams"):
            if x.shape.ndims == 0:
                raise ValueError(f"ngrams: data must have rank >= 1; got shape {x.shape}.")
            s = shape_(x)
            n = s[-1]
            flat = reshape(x, [-1])
            count = reduce_prod(s[:-1])  # 1 for a vector
            splits = range_(count + 1) * n
            attrs = {
                "separator": separator,
                "ngram_widths": widths,
                "left_pad": left,
                "right_pad": right,
                "pad_width": pad,
                "preserve_short_sequences": bool(preserve_short_sequences),
            }
            grams, _ = apply_op(StringNGrams, [flat, splits], attrs)
            if x.shape.ndims == 1:
                return grams
            return reshape(grams, concat([s[:-1], [-1]], 0))


# -- split -------------------------------------------------------------------------------------
class _Split(_StringOp):
    def infer(self, x: Tensor, sep: Tensor) -> list[TensorSpec]:
        self._need_string(x, "input")
        self._need_string(sep, "delimiter")
        if x.shape.ndims not in (None, 1):
            raise self.error(f"input must be a vector of strings; got shape {x.shape}.")
        if sep.shape.ndims not in (None, 0):
            raise self.error(f"delimiter must be a scalar; got shape {sep.shape}.")
        return [spec([None, 2], dtypes.int64), spec([None], dtypes.string), spec([2], dtypes.int64)]

    def tokens(self, s: bytes, sep: bytes) -> list[bytes]:
        raise NotImplementedError

    def compute(self, x: np.ndarray, sep: np.ndarray) -> tuple[np.ndarray, ...]:
        d = _b(np.asarray(sep)[()])
        rows = [self.tokens(_b(v), d) for v in np.asarray(x).reshape(-1)]
        idx = [(i, j) for i, r in enumerate(rows) for j in range(len(r))]
        values = np.empty(len(idx), dtype=object)
        values[:] = [t for r in rows for t in r]
        indices = np.array(idx, dtype=np.int64).reshape(-1, 2)
        width = max((len(r) for r in rows), default=0)
        return indices, values, np.array([len(rows), width], dtype=np.int64)


@register_op("StringSplit")
class StringSplit(_Split):
    """(indices, values, shape) = the tokens of each string split at any byte of `delimiter`
    (into single bytes when it is empty), empty tokens dropped if `skip_empty`."""

    def tokens(self, s: bytes, sep: bytes) -> list[bytes]:
        if not s:
            return []
        if not sep:
            return [s[i : i + 1] for i in range(len(s))]
        out, start = [], 0
        for i, c in enumerate(s):
            if c in sep:
                out.append(s[start:i])
                start = i + 1
        out.append(s[start:])
        return [t for t in out if t] if self.attrs["skip_empty"] else out


@register_op("StringSplitV2")
class StringSplitV2(_Split):
    """(indices, values, shape) = the tokens of each string split at the string `sep` (runs of
    whitespace when it is empty), at most `maxsplit` times (-1: no limit); Python's str.split."""

    def tokens(self, s: bytes, sep: bytes) -> list[bytes]:
        return s.split(sep or None, self.attrs["maxsplit"])


def _sparse(cls: Any, source: Any, sep: Any, attrs: dict[str, Any], name: str | None) -> Any:
    from flowzero.framework.sparse_tensor import SparseTensor

    with _graph_for(source):
        x = _string_input(source)
        d = _string_input(sep)
        ind, vals, shp = apply_op(cls, [x, d], attrs, name=name)
        return SparseTensor(ind, vals, shp)


def string_split(
    source: Any,
    sep: str | None = None,
    skip_empty: bool = True,
    delimiter: str | None = None,
    result_type: str = "SparseTensor",
    name: str | None = None,
) -> Any:
    """Splits each string of the vector `source` at any character of `delimiter` (default
    " "; "" splits into bytes): a SparseTensor of shape [len(source), most tokens].

    Example:
        >>> sess = tf.Session()
        >>> sp = sess.run(tf.string_split(["a b", "c"]))
        >>> sp.values, sp.dense_shape   # [b'a', b'b', b'c'], [2, 2]
        (array([b'a', b'b', b'c'], dtype=object), array([2, 2]))
    """
    if result_type != "SparseTensor":
        raise ValueError(
            f"string_split: result_type {result_type!r} is not supported (flowzero has no "
            "RaggedTensor); use 'SparseTensor'."
        )
    d = delimiter if delimiter is not None else (sep if sep is not None else " ")
    return _sparse(StringSplit, source, d, {"skip_empty": bool(skip_empty)}, name)


def strings_split(
    input: Any = None,  # noqa: A002
    sep: str | None = None,
    maxsplit: int = -1,
    result_type: str = "SparseTensor",
    source: Any = None,
    name: str | None = None,
) -> Any:
    """`tf.strings.split` (TF 1.15): each string of a vector split at `sep` (a whole string;
    None or "": runs of whitespace), at most `maxsplit` times, as Python's str.split: a
    SparseTensor of shape [len(input), most tokens]."""
    if result_type != "SparseTensor":
        raise ValueError(
            f"strings.split: result_type {result_type!r} is not supported (flowzero has no "
            "RaggedTensor); use 'SparseTensor'."
        )
    x = source if input is None else input
    if x is None:
        raise ValueError("strings.split: input (or source) is required.")
    return _sparse(StringSplitV2, x, sep or "", {"maxsplit": int(maxsplit)}, name)


# -- unicode -----------------------------------------------------------------------------------
_ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def _codec(name: str, what: str) -> str:
    if name not in _ENCODINGS:
        raise ValueError(f"{what} must be one of {sorted(_ENCODINGS)}; got {name!r}.")
    return _ENCODINGS[name]


def _errors_mode(errors: str) -> None:
    if errors not in ("replace", "ignore", "strict"):
        raise ValueError(f"errors must be 'replace', 'ignore' or 'strict'; got {errors!r}.")


@register_op("UnicodeTranscode")
class UnicodeTranscode(_StringOp):
    """y = each string decoded from `input_encoding` and encoded in `output_encoding`."""

    def infer(self, x: Tensor) -> TensorSpec:
        self._need_string(x, "input")
        return spec(x.shape, dtypes.string)

    def _decode(self, s: bytes) -> str:
        a = self.attrs
        enc, mode, rep = _ENCODINGS[a["input_encoding"]], a["errors"], a["replacement_char"]
        if mode == "strict":
            try:
                return s.decode(enc)
            except UnicodeDecodeError as e:
                raise self.error(f"Invalid formatting on input string {s!r}: {e.reason}.") from None
        if mode == "ignore":
            return s.decode(enc, "ignore")
        return s.decode(enc, "fzreplace" + str(rep))

    def compute(self, x: np.ndarray) -> np.ndarray:
        rep = int(self.attrs["replacement_char"])
        _register_replace(rep)
        out_enc = _ENCODINGS[self.attrs["output_encoding"]]
        return _map(x, lambda s: self._decode(s).encode(out_enc, "surrogatepass"))


def _register_replace(rep: int) -> None:
    name = "fzreplace" + str(rep)
    try:
        codecs.lookup_error(name)
    except LookupError:

        def replace(e: UnicodeError) -> tuple[str, int]:
            if not isinstance(e, (UnicodeDecodeError, UnicodeEncodeError, UnicodeTranslateError)):
                raise e
            return chr(rep), e.end

        codecs.register_error(name, replace)


def unicode_transcode(
    input: Any,  # noqa: A002
    input_encoding: str,
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    replace_control_characters: bool = False,
    name: str | None = None,
) -> Tensor:
    """Each string re-encoded from `input_encoding` to `output_encoding` ("UTF-8",
    "UTF-16-BE", "UTF-32-BE"); invalid input replaced by `replacement_char`, dropped
    (errors="ignore") or an error (errors="strict")."""
    _codec(input_encoding, "input_encoding")
    _codec(output_encoding, "output_encoding")
    _errors_mode(errors)
    if replace_control_characters:
        raise ValueError("unicode_transcode: replace_control_characters=True is not supported.")
    with _graph_for(input):
        attrs = {
            "input_encoding": input_encoding,
            "output_encoding": output_encoding,
            "errors": errors,
            "replacement_char": int(replacement_char),
        }
        return apply_op(UnicodeTranscode, [_string_input(input)], attrs, name=name)


@register_op("UnicodeEncode")
class UnicodeEncode(_StringOp):
    """y[i] = the code points input_values[splits[i]:splits[i + 1]] encoded as one string in
    `output_encoding`; invalid code points become `replacement_char` (errors="replace"), are
    dropped ("ignore") or fail the run ("strict")."""

    def infer(self, values: Tensor, splits: Tensor) -> TensorSpec:
        if values.dtype is not dtypes.int32:
            raise self.error(
                f"input must be int32 code points; got {values.dtype.name}.", cls=DTypeError
            )
        if values.shape.ndims not in (None, 1) or splits.shape.ndims not in (None, 1):
            raise self.error(
                "input_values and input_splits must be vectors; got "
                f"{values.shape}, {splits.shape}."
            )
        n = splits.shape.as_list()[0] if splits.shape.ndims == 1 else None
        return spec([None if n is None else max(n - 1, 0)], dtypes.string)

    def compute(self, values: np.ndarray, splits: np.ndarray) -> np.ndarray:
        a = self.attrs
        enc = _ENCODINGS[a["output_encoding"]]
        bounds = [int(v) for v in np.asarray(splits).reshape(-1)]
        out = np.empty(max(len(bounds) - 1, 0), dtype=object)
        for r, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            chars = []
            for c in values[lo:hi].tolist():
                if 0 <= c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF:
                    chars.append(chr(c))
                elif a["errors"] == "strict":
                    raise self.error(f"Invalid code point {c}.")
                elif a["errors"] == "replace":
                    chars.append(chr(a["replacement_char"]))
            out[r] = "".join(chars).encode(enc)
        return out


def unicode_encode(
    input: Any,  # noqa: A002
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Tensor:
    """Each row (last axis) of int32 code points encoded as one string ("UTF-8", "UTF-16-BE"
    or "UTF-32-BE"): a tensor of rank one less. Dense input only (no RaggedTensor here), so
    every code point of a row counts (-1 is invalid, replaced as TF does).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.unicode_encode([[104, 105]], "UTF-8"))
        array([b'hi'], dtype=object)
    """
    from flowzero.ops.array_ops import shape as shape_
    from flowzero.ops.range_ops import range as range_
    from flowzero.ops.reduction_ops import reduce_prod
    from flowzero.ops.reshape_ops import reshape

    _codec(output_encoding, "output_encoding")
    _errors_mode(errors)
    with _graph_for(input):
        x = convert_to_tensor(input)
        if x.shape.ndims == 0:
            raise ValueError(f"unicode_encode: input must have rank >= 1; got shape {x.shape}.")
        attrs = {
            "output_encoding": output_encoding,
            "errors": errors,
            "replacement_char": int(replacement_char),
        }
        with x.graph.name_scope(name or "UnicodeEncode"):
            s = shape_(x)
            count = reduce_prod(s[:-1])
            splits = range_(count + 1) * s[-1]
            out = apply_op(UnicodeEncode, [reshape(x, [-1]), splits], attrs)
            return reshape(out, s[:-1])


__all__ = ["string_split"]
