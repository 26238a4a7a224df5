"""Decoding string tensors: tf.io.decode_raw, decode_csv, decode_base64 / encode_base64
(web-safe, as TF), decode_compressed, serialize_tensor / parse_tensor (TensorProto bytes).

Strings are NumPy object arrays of bytes. None of these ops has a gradient (TF's neither).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError, _graph_for


def _bytes(x: Any) -> bytes:
    return x.encode() if isinstance(x, str) else bytes(x)


def _strings(self: OpDef, t: Tensor, what: str) -> None:
    if t.dtype is not dtypes.string:
        raise self.error(f"{what} must be a string tensor; got {t.dtype.name}.", cls=DTypeError)


class _StringMap(OpDef):
    """An elementwise string -> string op."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        _strings(self, x, "input")
        return spec(x.shape, dtypes.string)

    def _one(self, s: bytes) -> bytes:
        raise NotImplementedError

    def compute(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape, dtype=object)
        flat = out.reshape(-1)
        for i, s in enumerate(x.reshape(-1)):
            flat[i] = self._one(_bytes(s))
        return out


# -- raw bytes ----------------------------------------------------------------------------------
_RAW_TYPES = (
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "complex64",
    "complex128",
    "bool",
)


@register_op("DecodeRaw")
class DecodeRaw(OpDef):
    """Each string's bytes reinterpreted as a vector of out_type: out = input.shape + [n]."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        _strings(self, x, "bytes")
        dt = dtypes.as_dtype(self.attrs["out_type"])
        if dt.name not in _RAW_TYPES:
            raise self.error(f"out_type {dt.name} is not supported.", cls=DTypeError)
        return spec(x.shape.concatenate([None]), dt)

    def compute(self, x: np.ndarray) -> np.ndarray:
        dt = dtypes.as_dtype(self.attrs["out_type"])
        np_dt = dt.np.newbyteorder("<" if self.attrs["little_endian"] else ">")
        size = np_dt.itemsize
        flat = [_bytes(s) for s in x.reshape(-1)]
        n = len(flat[0]) if flat else 0
        for i, s in enumerate(flat):
            if len(s) % size:
                raise self.error(
                    f"Input to DecodeRaw has length {len(s)} that is not a multiple of "
                    f"{size}, the size of {dt.name}."
                )
            if len(s) != n:
                raise self.error(
                    f"DecodeRaw requires input strings to all be the same size, but element "
                    f"{i} has size {len(s)} != {n}."
                )
        data = np.frombuffer(b"".join(flat), dtype=np_dt).astype(dt.np)
        return data.reshape(*x.shape, n // size)


def decode_raw(
    input_bytes: Any = None,
    out_type: Any = None,
    little_endian: bool = True,
    name: str | None = None,
    bytes: Any = None,  # noqa: A002 - TF's (deprecated) argument name
) -> Tensor:
    """Reinterprets the bytes of each string as a vector of `out_type`; every string must
    have the same length, a multiple of the type's size.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.decode_raw(tf.constant(b"\\x01\\x02"), tf.uint8))
        array([1, 2], dtype=uint8)
    """
    if input_bytes is None:
        input_bytes = bytes
    if input_bytes is None or out_type is None:
        raise ValueError("decode_raw needs input_bytes (or bytes) and out_type.")
    with _graph_for(input_bytes):
        x = convert_to_tensor(input_bytes, dtype=dtypes.string)
        attrs = {"out_type": dtypes.as_dtype(out_type), "little_endian": bool(little_endian)}
        return apply_op(DecodeRaw, [x], attrs, name=name or "DecodeRaw")


# -- CSV ----------------------------------------------------------------------------------------
_CSV_TYPES = ("float32", "float64", "int32", "int64", "string")


def _split_csv(self: OpDef, rec: bytes, delim: int, quote: bool, r: int) -> list[bytes]:
    """The fields of one record (TF's rules: a quoted field is whole, "" inside is a quote)."""
    fields: list[bytes] = []
    i, n = 0, len(rec)
    while True:
        if quote and i < n and rec[i] == 0x22:
            buf = bytearray()
            j = i + 1
            while True:
                if j >= n:
                    raise self.error(
                        f"Quoted field has to end with quote followed by delim or end in "
                        f"record {r}: {rec!r}"
                    )
                if rec[j] == 0x22:
                    if j + 1 < n and rec[j + 1] == 0x22:
                        buf.append(0x22)
                        j += 2
                        continue
                    j += 1
                    break
                buf.append(rec[j])
                j += 1
            if j < n and rec[j] != delim:
                raise self.error(
                    f"Quoted field has to end with quote followed by delim or end in "
                    f"record {r}: {rec!r}"
                )
            fields.append(bytes(buf))
            i = j
        else:
            j = rec.find(delim, i)
            j = n if j < 0 else j
            fields.append(rec[i:j])
            i = j
        if i >= n:
            return fields
        i += 1  # past the delimiter
        if i == n:
            fields.append(b"")
            return fields


def _csv_value(self: OpDef, s: bytes, dt: dtypes.DType, f: int, r: int) -> Any:
    if dt is dtypes.string:
        return s
    try:
        if dt.is_integer:
            return dt.np.type(int(s))
        v = float(s)
    except (ValueError, OverflowError):
        word = {"float32": "float", "float64": "double"}.get(dt.name, dt.name)
        raise self.error(f"Field {f} in record {r} is not a valid {word}: {s.decode()!r}") from None
    return dt.np.type(v)


@register_op("DecodeCSV")
class DecodeCSV(OpDef):
    """Splits each CSV record into its fields, one output per (selected) column."""

    differentiable = False

    def infer(self, records: Tensor, *defaults: Tensor) -> list[TensorSpec]:
        _strings(self, records, "records")
        out = []
        for k, d in enumerate(defaults):
            if d.dtype.name not in _CSV_TYPES:
                raise self.error(
                    f"record_defaults[{k}] must be float32, float64, int32, int64 or string; "
                    f"got {d.dtype.name}.",
                    cls=DTypeError,
                )
            if d.shape.ndims is not None and d.shape.ndims > 1:
                raise self.error(
                    f"record_defaults[{k}] must have at most one value; got shape {d.shape}."
                )
            out.append(spec(records.shape, d.dtype))
        return out

    def compute(self, records: np.ndarray, *defaults: np.ndarray) -> list[np.ndarray]:
        a = self.attrs
        delim, quote, na = a["field_delim"], a["use_quote_delim"], a["na_value"]
        cols = a["select_cols"]
        outs = [
            np.empty(records.shape, dtype=object if d.dtype.kind == "O" else d.dtype)
            for d in defaults
        ]
        for k, d in enumerate(defaults):
            if d.size > 1:
                raise self.error(f"record_defaults[{k}] must have at most one value; got {d.size}.")
        flats = [o.reshape(-1) for o in outs]
        want = len(defaults) if cols is None else cols[-1] + 1
        for r, rec in enumerate(records.reshape(-1)):
            fields = _split_csv(self, _bytes(rec), delim, quote, r)
            if (cols is None and len(fields) != want) or len(fields) < want:
                raise self.error(f"Expect {want} fields but have {len(fields)} in record {r}")
            picked = fields if cols is None else [fields[c] for c in cols]
            for k, (s, d) in enumerate(zip(picked, defaults)):
                col = k if cols is None else cols[k]
                if s == b"" or s == na:
                    if d.size == 0:
                        raise self.error(f"Field {col} is required but missing in record {r}!")
                    flats[k][r] = d.reshape(-1)[0]
                else:
                    flats[k][r] = _csv_value(self, s, dtypes.as_dtype(d.dtype), col, r)
        return outs


def decode_csv(
    records: Any,
    record_defaults: Any,
    field_delim: str = ",",
    use_quote_delim: bool = True,
    name: str | None = None,
    na_value: str = "",
    select_cols: Any = None,
) -> list[Tensor]:
    """Parses CSV records (a string tensor of any shape) into one tensor per column.

    Args:
        records: string tensor; each element one CSV line.
        record_defaults: one entry per column read: [value] gives the column's type and its
            default for an empty field; [] (or a typed empty tensor) makes the column required.
        field_delim: the one-character field separator.
        use_quote_delim: treat double-quoted fields as whole (with "" for a quote).
        na_value: a field equal to this is missing (takes the default).
        select_cols: sorted column indices to read (record_defaults then has one per index).

    Returns:
        A list of tensors, each with the shape of `records`.

    Raises:
        ValueError: a bad field_delim or select_cols.
        InvalidArgumentError (at run time): a wrong field count, a missing required field or
            a value that does not parse, naming the field and the record.

    Example:
        >>> a, b = tf.decode_csv(["1,x", "2,y"], [[0], [""]])
    """
    if not isinstance(field_delim, (str, bytes)) or len(field_delim) != 1:
        raise ValueError(f"decode_csv: field_delim must be one character; got {field_delim!r}.")
    cols = None
    if select_cols is not None:
        cols = [int(c) for c in select_cols]
        if any(c < 0 for c in cols) or any(b <= a for a, b in zip(cols, cols[1:])):
            raise ValueError(
                f"decode_csv: select_cols must be non-negative and strictly increasing; got {cols}."
            )
        if len(cols) != len(record_defaults):
            raise ValueError(
                f"decode_csv: select_cols has {len(cols)} columns but record_defaults has "
                f"{len(record_defaults)}; they must match."
            )
    with _graph_for(records, list(record_defaults)):
        recs = convert_to_tensor(records, dtype=dtypes.string)
        defaults = []
        for d in record_defaults:
            if isinstance(d, Tensor):
                defaults.append(d)
            elif isinstance(d, (list, tuple)) and len(d) == 0:
                raise ValueError(
                    "decode_csv: an empty record default needs a type: use a typed empty "
                    "tensor, e.g. tf.constant([], tf.float32)."
                )
            else:
                defaults.append(convert_to_tensor(d))
        attrs = {
            "field_delim": ord(field_delim),
            "use_quote_delim": bool(use_quote_delim),
            "na_value": _bytes(na_value),
            "select_cols": cols,
        }
        out = apply_op(DecodeCSV, [recs, *defaults], attrs, name=name or "DecodeCSV")
    return out if isinstance(out, list) else [out]


# -- base64 and compression ----------------------------------------------------------------------
@register_op("EncodeBase64")
class EncodeBase64(_StringMap):
    """Web-safe base64 (- and _ for + and /) of each string; '=' padding only if pad."""

    def _one(self, s: bytes) -> bytes:
        out = base64.urlsafe_b64encode(s)
        return out if self.attrs["pad"] else out.rstrip(b"=")


@register_op("DecodeBase64")
class DecodeBase64(_StringMap):
    """The bytes of each web-safe base64 string (padded or not)."""

    def _one(self, s: bytes) -> bytes:
        body = s.rstrip(b"=")
        if len(body) % 4 == 1 or not all(
            c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in body
        ):
            raise self.error(f"Invalid character found in base64: {s[:40]!r}")
        try:
            return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))
        except binascii.Error as e:
            raise self.error(f"Invalid base64 {s[:40]!r}: {e}") from None


def encode_base64(input: Any, pad: bool = False, name: str | None = None) -> Tensor:  # noqa: A002
    """Web-safe base64 of each string (TF's alphabet: - and _), unpadded unless `pad`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.encode_base64(b"hi?"))
        b'aGk_'
    """
    with _graph_for(input):
        x = convert_to_tensor(input, dtype=dtypes.string)
        return apply_op(EncodeBase64, [x], {"pad": bool(pad)}, name=name or "EncodeBase64")


def decode_base64(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The bytes of each web-safe base64 string (with or without '=' padding).

    Raises:
        InvalidArgumentError (at run time): a character outside the web-safe alphabet.
    """
    with _graph_for(input):
        x = convert_to_tensor(input, dtype=dtypes.string)
        return apply_op(DecodeBase64, [x], {}, name=name or "DecodeBase64")


@register_op("DecodeCompressed")
class DecodeCompressed(_StringMap):
    """Each string decompressed (ZLIB or GZIP; '' leaves it as it is)."""

    def _one(self, s: bytes) -> bytes:
        kind = self.attrs["compression_type"]
        try:
            if kind == "GZIP":
                return gzip.decompress(s)
            if kind == "ZLIB":
                return zlib.decompress(s)
        except (OSError, EOFError, zlib.error) as e:
            raise self.error(f"cannot decompress a {kind} string: {e}") from None
        return s


def decode_compressed(
    bytes: Any,  # noqa: A002 - TF's argument name
    compression_type: str = "",
    name: str | None = None,
) -> Tensor:
    """Decompresses each string of `bytes` (compression_type "", "ZLIB" or "GZIP")."""
    kind = (compression_type or "").upper()
    if kind not in ("", "ZLIB", "GZIP"):
        raise ValueError(
            f"decode_compressed: compression_type must be '', 'ZLIB' or 'GZIP'; "
            f"got {compression_type!r}."
        )
    with _graph_for(bytes):
        x = convert_to_tensor(bytes, dtype=dtypes.string)
        attrs = {"compression_type": kind}
        return apply_op(DecodeCompressed, [x], attrs, name=name or "DecodeCompressed")


# -- TensorProto bytes ---------------------------------------------------------------------------
@register_op("SerializeTensor")
class SerializeTensor(OpDef):
    """The tensor as a serialized TensorProto (a scalar string)."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        return spec([], dtypes.string)

    def compute(self, x: np.ndarray) -> np.ndarray:
        from flowzero.interop.convert import tensor_proto

        dt = dtypes.as_dtype(self.attrs["T"])
        out = np.empty((), dtype=object)
        out[()] = tensor_proto(x, dt).SerializeToString()
        return out


@register_op("ParseTensor")
class ParseTensor(OpDef):
    """The tensor a serialized TensorProto holds (its dtype must be out_type)."""

    differentiable = False

    def infer(self, s: Tensor) -> TensorSpec:
        _strings(self, s, "serialized")
        if s.shape.ndims not in (None, 0):
            raise self.error(f"serialized must be a scalar; got shape {s.shape}.")
        return spec(TensorShape(None), self.attrs["out_type"])

    def compute(self, s: np.ndarray) -> np.ndarray:
        from flowzero.interop.convert import array_from_tensor_proto
        from flowzero.proto import tensor_pb2

        proto = tensor_pb2.TensorProto()
        try:
            proto.ParseFromString(_bytes(s[()]))
            arr = array_from_tensor_proto(proto, f"ParseTensor '{self.node_name}'")
        except errors.OpError:
            raise
        except Exception:  # protobuf's DecodeError
            raise self.error("Could not parse `serialized` as TensorProto.") from None
        want = dtypes.as_dtype(self.attrs["out_type"])
        got = dtypes.as_dtype(arr.dtype) if arr.dtype.kind != "O" else dtypes.string
        if got is not want:
            raise self.error(
                f"Type mismatch between parsed tensor ({got.name}) and dtype ({want.name})"
            )
        return arr


def serialize_tensor(tensor: Any, name: str | None = None) -> Tensor:
    """`tensor` as a serialized TensorProto (TF's bytes, readable by parse_tensor and TF)."""
    with _graph_for(tensor):
        x = convert_to_tensor(tensor)
        return apply_op(SerializeTensor, [x], {"T": x.dtype}, name=name or "SerializeTensor")


def parse_tensor(serialized: Any, out_type: Any, name: str | None = None) -> Tensor:
    """The tensor in a serialized TensorProto; its dtype must be `out_type`.

    Raises:
        InvalidArgumentError (at run time): bytes that are not a TensorProto, or a dtype
            other than out_type.
    """
    with _graph_for(serialized):
        s = convert_to_tensor(serialized, dtype=dtypes.string)
        attrs = {"out_type": dtypes.as_dtype(out_type)}
        return apply_op(ParseTensor, [s], attrs, name=name or "ParseTensor")


__all__ = [
    "decode_base64",
    "decode_compressed",
    "decode_csv",
    "decode_raw",
    "encode_base64",
    "parse_tensor",
    "serialize_tensor",
]
