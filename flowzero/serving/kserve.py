"""The KServe v2 / Open Inference Protocol (REST), with the binary tensor data extension.

Request: {"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype", "data"?,
"parameters"?: {"binary_data_size": n}}], "outputs"?: [{"name", "parameters"?:
{"binary_data": bool}}]}. With the binary extension the body is that JSON (its length in the
`Inference-Header-Content-Length` header) followed by the raw little-endian bytes of each input
that declares a `binary_data_size`, in order; BYTES elements are each a 4-byte little-endian
length and the bytes. Outputs asked for with `binary_data: true` (or all, with the request
parameter `binary_data_output: true`) come back the same way.

Input and output names are the signature's keys (`x`, `probabilities`, ...); the signature is
`serving_default` unless the request parameters name another (`signature_name`).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from flowzero.saved_model.signature_def_utils import SignatureDef, TensorInfo
from flowzero.serving.codec import dumps, parse_json
from flowzero.serving.servable import ServingError, check_input, element_index, shape_str

HEADER = "inference-header-content-length"

V2_DTYPES = {
    "float32": "FP32",
    "float64": "FP64",
    "float16": "FP16",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "bool": "BOOL",
    "string": "BYTES",
}
NP_OF_V2: dict[str, np.dtype[Any]] = {
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "FP16": np.dtype("<f2"),
    "INT8": np.dtype("i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "UINT8": np.dtype("u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "BOOL": np.dtype("?"),
}


def v2_dtype(info: TensorInfo) -> str:
    return V2_DTYPES.get(info.dtype.name, "UNSUPPORTED")


def _tensor_meta(key: str, info: TensorInfo) -> dict[str, Any]:
    return {
        "name": key,
        "datatype": v2_dtype(info),
        "shape": [] if info.shape is None else [-1 if d is None else d for d in info.shape],
    }


def model_metadata(name: str, versions: list[int], sig: SignatureDef) -> bytes:
    return dumps(
        {
            "name": name,
            "versions": [str(v) for v in versions],
            "platform": "flowzero",
            "inputs": [_tensor_meta(k, v) for k, v in sig.inputs.items()],
            "outputs": [_tensor_meta(k, v) for k, v in sig.outputs.items()],
        }
    )


def json_length(header_length: str | None) -> int | None:
    """The JSON part's length an infer request declares (None: all of it, or not a length,
    which split_body refuses)."""
    if header_length is None:
        return None
    try:
        n = int(header_length)
    except ValueError:
        return None
    return n if n >= 0 else None


def split_body(body: bytes, header_length: str | None) -> tuple[Any, bytes]:
    """(parsed JSON header, the binary rest) of an infer request body."""
    if header_length is None:
        return parse_json(body), b""
    try:
        n = int(header_length)
    except ValueError:
        n = -1
    if n < 0 or n > len(body):
        raise ServingError(
            400,
            f"Inference-Header-Content-Length {header_length!r} is not a "
            f"length within the {len(body)}-byte body.",
        )
    return parse_json(body[:n]), body[n:]


def _shape(key: str, shape: Any) -> tuple[int, ...]:
    if (
        not isinstance(shape, list)
        or not all(type(d) is int and 0 <= d < 2**31 for d in shape)
        or len(shape) > 32
    ):
        raise ServingError(
            400, f"Input '{key}': 'shape' must be a list of non-negative integers; got {shape!r}."
        )
    # An empty tensor (a 0 dim) still needs its other dims to multiply to an array NumPy can
    # describe: [2**31 - 1, 0, 2**31 - 1] is refused here, not by NumPy deep in the decoding.
    if 0 in shape and math.prod(d for d in shape if d) > _MAX_DESCRIBED:
        raise ServingError(
            400,
            f"Input '{key}': 'shape' {shape!r} is empty, but its other dimensions describe "
            "more elements than a tensor can hold.",
        )
    return tuple(shape)


_MAX_DESCRIBED = 2**48  # elements (x 16 bytes at most) within NumPy's 63-bit size


def _bytes_elements(key: str, raw: bytes, count: int) -> np.ndarray:
    out = np.empty(count, dtype=object)
    pos = 0
    for i in range(count):
        if pos + 4 > len(raw):
            raise ServingError(400, f"Input '{key}': binary BYTES data ends early.")
        (n,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        if pos + n > len(raw):
            raise ServingError(400, f"Input '{key}': binary BYTES data ends early.")
        out[i] = bytes(raw[pos : pos + n])
        pos += n
    if pos != len(raw):
        raise ServingError(
            400, f"Input '{key}': binary BYTES data has {len(raw) - pos} bytes left over."
        )
    return out


def _flat_data(key: str, data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ServingError(400, f"Input '{key}': 'data' must be a list.")
    if data and isinstance(data[0], list):  # nested row-major lists are allowed too
        flat: list[Any] = []
        stack = [data]
        while stack:  # bounded by the body size
            x = stack.pop()
            if isinstance(x, list):
                stack.extend(reversed(x))
            else:
                flat.append(x)
        return flat
    return data


# The JSON types the v2 protocol allows in 'data' for each datatype (bool is not a number).
_JSON_TYPES = {"BOOL": ((bool,), "true or false"), "BYTES": ((str,), "strings")}
_INTEGERS = ((int,), "integers")
_NUMBERS = ((int, float), "numbers")


def _data_array(key: str, datatype: str, flat: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    """'data' as an array of `datatype`, every element checked: its JSON type, and its range
    (INT8 300, or FP32 1e39, which would become inf) -> 400 naming the element."""
    allowed, what = _JSON_TYPES.get(datatype) or (
        _NUMBERS if datatype.startswith("FP") else _INTEGERS
    )
    if not set(map(type, flat)) <= set(allowed):
        i = next(i for i, x in enumerate(flat) if type(x) not in allowed)
        raise ServingError(
            400,
            f"Input '{key}': element {element_index(shape, i)} of 'data' "
            f"is {_json_text(flat[i])}; datatype {datatype} takes {what}.",
        )
    if datatype == "BYTES":
        arr = np.empty(len(flat), dtype=object)
        arr[:] = [x.encode("utf-8") for x in flat]
        return arr
    dt = NP_OF_V2[datatype]
    if dt.kind in "iu":
        info = np.iinfo(dt)
        bad = (
            next((i for i, x in enumerate(flat) if not info.min <= x <= info.max), None)
            if flat and not info.min <= min(flat) <= max(flat) <= info.max
            else None
        )
        if bad is not None:
            raise ServingError(
                400,
                f"Input '{key}': element {element_index(shape, bad)} of "
                f"'data' is {flat[bad]}, outside {datatype}'s range "
                f"[{info.min}, {info.max}].",
            )
        return np.asarray(flat, dtype=dt)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.asarray(flat, dtype=dt)
    except OverflowError:  # an integer beyond any float
        i = next(i for i, x in enumerate(flat) if isinstance(x, int) and abs(x) > 2**1000)
        raise ServingError(
            400,
            f"Input '{key}': element {element_index(shape, i)} of 'data' "
            f"is out of range for {datatype}.",
        ) from None
    if arr.size and not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ServingError(
            400,
            f"Input '{key}': element {element_index(shape, i)} of 'data' "
            f"is {_json_text(flat[i])}, out of range for {datatype}.",
        )
    return arr


def _json_text(x: Any) -> str:
    try:
        return dumps(x).decode()[:40]
    except TypeError:
        return repr(x)[:40]


def decode_infer(
    doc: Any, binary: bytes, sig: SignatureDef
) -> tuple[dict[str, np.ndarray], list[str], set[str], dict[str, Any]]:
    """(feeds, output keys, binary output keys, response extras) of an infer request."""
    if not isinstance(doc, dict):
        raise ServingError(400, "The inference request must be a JSON object.")
    inputs = doc.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ServingError(400, "The inference request needs a non-empty 'inputs' list.")
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        raise ServingError(400, "'parameters' must be an object.")
    feeds: dict[str, np.ndarray] = {}
    pos = 0
    for i, t in enumerate(inputs):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise ServingError(400, f"inputs[{i}] must be an object with a 'name'.")
        key = t["name"]
        info = sig.inputs.get(key)
        if info is None:
            raise ServingError(400, f"Unknown input '{key}'; the model takes {sorted(sig.inputs)}.")
        if key in feeds:
            raise ServingError(400, f"Input '{key}' is given twice.")
        shape = _shape(key, t.get("shape"))
        count = math.prod(shape)  # a Python int: no overflow, compared before allocating
        datatype, want = t.get("datatype"), v2_dtype(info)
        if datatype != want:
            raise ServingError(
                400, f"Input '{key}' has datatype {datatype!r}, but the model expects {want}."
            )
        tparams = t.get("parameters") or {}
        size = tparams.get("binary_data_size") if isinstance(tparams, dict) else None
        if size is not None:
            if type(size) is not int or size < 0 or pos + size > len(binary):
                raise ServingError(
                    400,
                    f"Input '{key}': binary_data_size {size!r} does not "
                    f"fit the {len(binary) - pos} binary bytes left.",
                )
            raw = binary[pos : pos + size]
            pos += size
            if datatype == "BYTES":
                if count > size // 4:  # each element takes at least its 4-byte length
                    raise ServingError(
                        400,
                        f"Input '{key}': shape {shape_str(shape)} needs "
                        f"{count} BYTES elements; {size} bytes cannot "
                        "hold them.",
                    )
                arr = _bytes_elements(key, raw, count)
            else:
                dt = NP_OF_V2[datatype]
                if size != count * dt.itemsize:
                    raise ServingError(
                        400,
                        f"Input '{key}': shape {shape_str(shape)} of "
                        f"{datatype} needs {count * dt.itemsize} bytes; "
                        f"got {size}.",
                    )
                arr = np.frombuffer(raw, dtype=dt).astype(info.dtype.np, copy=False)
        else:
            if "data" not in t:
                raise ServingError(400, f"Input '{key}' has neither 'data' nor binary_data_size.")
            flat = _flat_data(key, t["data"])
            if len(flat) != count:
                raise ServingError(
                    400,
                    f"Input '{key}': shape {shape_str(shape)} needs "
                    f"{count} values; 'data' has {len(flat)}.",
                )
            arr = _data_array(key, datatype, flat, shape)
        feeds[key] = check_input(key, info, arr.reshape(shape))
    if pos != len(binary):
        raise ServingError(
            400,
            f"{len(binary) - pos} bytes of binary data are not claimed by "
            "any input's binary_data_size.",
        )
    missing = [k for k in sig.inputs if k not in feeds]
    if missing:
        raise ServingError(400, f"Missing input(s) {missing}.")
    all_binary = params.get("binary_data_output") is True
    requested = doc.get("outputs")
    if requested is None:
        keys = list(sig.outputs)
        binary_keys = set(keys) if all_binary else set()
    else:
        if not isinstance(requested, list):
            raise ServingError(400, "'outputs' must be a list.")
        keys, binary_keys = [], set()
        for i, o in enumerate(requested):
            if not isinstance(o, dict) or not isinstance(o.get("name"), str):
                raise ServingError(400, f"outputs[{i}] must be an object with a 'name'.")
            if o["name"] not in sig.outputs:
                raise ServingError(
                    400, f"Unknown output '{o['name']}'; the model has {sorted(sig.outputs)}."
                )
            keys.append(o["name"])
            op = o.get("parameters") or {}
            if all_binary or (isinstance(op, dict) and op.get("binary_data") is True):
                binary_keys.add(o["name"])
    extras = {"id": doc["id"]} if isinstance(doc.get("id"), str) else {}
    return feeds, keys, binary_keys, extras


def encode_infer(
    name: str,
    version: int,
    outputs: dict[str, np.ndarray],
    sig: SignatureDef,
    binary_keys: set[str],
    extras: dict[str, Any],
) -> tuple[bytes, int | None]:
    """(body, JSON header length or None) of an infer response."""
    entries = []
    chunks = []
    for key, arr in outputs.items():
        datatype = v2_dtype(sig.outputs[key])
        e: dict[str, Any] = {"name": key, "datatype": datatype, "shape": list(arr.shape)}
        if key in binary_keys:
            if datatype == "BYTES":
                raw = b"".join(
                    struct.pack("<I", len(b)) + b
                    for b in (
                        x if isinstance(x, bytes) else str(x).encode() for x in arr.reshape(-1)
                    )
                )
            else:
                raw = np.ascontiguousarray(arr, dtype=NP_OF_V2[datatype]).tobytes()
            e["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        elif datatype == "BYTES":
            e["data"] = [
                x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)
                for x in arr.reshape(-1)
            ]
        else:
            flat = arr.reshape(-1)
            e["data"] = (
                flat.astype(np.float32) if flat.dtype == np.float16 else np.ascontiguousarray(flat)
            )
        entries.append(e)
    header = dumps(
        {"model_name": name, "model_version": str(version), **extras, "outputs": entries}
    )
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)
