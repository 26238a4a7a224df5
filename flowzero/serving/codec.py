"""JSON <-> NumPy for the two REST dialects, with no HTTP and no ML in here.

TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest):
- row format: {"signature_name": ..., "instances": [...]} -> {"predictions": [...]}; each
  instance is one value (a single-input signature) or an object {input: value};
- columnar format: {"inputs": value or {input: value}} -> {"outputs": value or {output: value}};
- {"b64": "..."} stands for bytes (string inputs); string outputs whose name ends in "_bytes"
  come back as {"b64": ...}.

The KServe v2 / Open Inference Protocol is in kserve.py.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from flowzero.saved_model.signature_def_utils import SignatureDef, TensorInfo
from flowzero.serving.servable import ServingError, check_finite, check_input

try:  # optional (the serving extra installs it): numbers parsed straight into a buffer
    import simdjson as _simdjson
except ImportError:  # pragma: no cover - depends on the environment
    _simdjson = None  # type: ignore[assignment]

_NUMPY = orjson.OPT_SERIALIZE_NUMPY

TF_DTYPES = {
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
    "float16": "DT_HALF",
    "int8": "DT_INT8",
    "int16": "DT_INT16",
    "int32": "DT_INT32",
    "int64": "DT_INT64",
    "uint8": "DT_UINT8",
    "uint16": "DT_UINT16",
    "bool": "DT_BOOL",
    "string": "DT_STRING",
    "complex64": "DT_COMPLEX64",
    "complex128": "DT_COMPLEX128",
}


def parse_json(body: bytes) -> Any:
    """orjson.loads; malformed JSON is a 400 in TF Serving's words."""
    if not body:
        raise ServingError(400, "JSON Parse error: The document is empty.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise ServingError(400, f"JSON Parse error: {e}") from None


# Upper bounds, in bytes, of what orjson builds per JSON token on 64-bit CPython: a dict with
# its first keys (184 bytes with one key) or a list, a number or a list slot, a str object.
_COST_CONTAINER = 128
_COST_ITEM = 32
_COST_STRING = 64
# No JSON text takes more than this many bytes of Python objects per byte ("{}," is three
# bytes for a 64-byte dict and its 8-byte list slot; '{"a":1},' eight for 184 + 8 + 28).
_COST_PER_BYTE = 27


def parse_cost(body: bytes) -> int:
    """An upper bound of the memory orjson.loads(body) takes, in bytes (~2 ms per MB).

    NOTE: counted from the structural characters, the ones inside strings included (which can
    only raise the bound): one object or array per '{' / '[', one item per ',' or ':', one
    string per two '"'.
    """
    a = np.frombuffer(body, np.uint8)
    containers = np.count_nonzero(a == ord("{")) + np.count_nonzero(a == ord("["))
    items = np.count_nonzero(a == ord(",")) + np.count_nonzero(a == ord(":")) + 1
    quotes = np.count_nonzero(a == ord('"'))
    return (
        len(body)
        + _COST_CONTAINER * int(containers)
        + _COST_ITEM * int(items)
        + _COST_STRING * (int(quotes) + 1) // 2
    )


class ParseCostMeter:
    """parse_cost, counted chunk by chunk as a body arrives: ServingError(413) as soon as the
    bound passes `limit` (ServingConfig.max_parse_bytes), before the rest is even received.

    Only the first `json_bytes` bytes count (KServe's binary tensors follow the JSON); None:
    all of them. A body whose declared length (`expected`) cannot reach the limit even at the
    worst ratio of memory to text is not scanned at all.
    """

    def __init__(
        self, limit: int, expected: int | None = None, json_bytes: int | None = None
    ) -> None:
        self.limit = limit
        self.json_bytes = json_bytes
        size = expected if json_bytes is None or expected is None else min(expected, json_bytes)
        self.active = size is None or size * _COST_PER_BYTE > limit
        self.seen = 0
        self.cost = 0

    def feed(self, chunk: bytes) -> None:
        if not self.active:
            return
        if self.json_bytes is not None:
            chunk = chunk[: max(0, self.json_bytes - self.seen)]
        self.seen += len(chunk)
        if chunk:
            self.cost += parse_cost(chunk)
            self.check()

    def check(self) -> None:
        if self.cost > self.limit:
            raise ServingError(
                413,
                f"The request body could take more than {self.limit} bytes "
                "once parsed (max_parse_bytes): send fewer or larger values "
                "per request.",
            )


def check_parse_cost(body: bytes, limit: int) -> None:
    """ServingError(413) when parsing `body` could take more than `limit` bytes of memory
    (the whole-body form of ParseCostMeter)."""
    if len(body) * _COST_PER_BYTE > limit:
        meter = ParseCostMeter(limit, len(body))
        meter.feed(body)
        meter.check()


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=_NUMPY)


def error_body(message: str) -> bytes:
    return orjson.dumps({"error": message})


# -- values -> arrays ---------------------------------------------------------------------------
def _is_b64(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and "b64" in v


def _decode_strings(key: str, v: Any) -> Any:
    if isinstance(v, list):
        return [_decode_strings(key, x) for x in v]
    if _is_b64(v):
        if not isinstance(v["b64"], str):
            raise ServingError(400, f"Input '{key}': a \"b64\" value must be a string.")
        try:
            return base64.b64decode(v["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise ServingError(400, f"Input '{key}': invalid base64 in a \"b64\" value.") from None
    if isinstance(v, str):
        return v.encode("utf-8")
    raise ServingError(400, f"Input '{key}' expects strings; got a {type(v).__name__} value.")


def _string_array(key: str, value: Any) -> np.ndarray:
    items = _decode_strings(key, value)
    shape: list[int] = []
    probe = items
    while isinstance(probe, list):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    arr = np.empty(tuple(shape), dtype=object)
    try:
        if shape:
            flat = _flatten(items, shape, key)
            arr.reshape(-1)[:] = flat
        else:
            arr[()] = items
    except ValueError:
        raise ServingError(
            400, f"Input '{key}': ragged lists (sub-lists of unequal length)."
        ) from None
    return arr


def _flatten(items: Any, shape: list[int], key: str) -> list[Any]:
    out: list[Any] = []

    def walk(x: Any, depth: int) -> None:
        if depth == len(shape):
            if isinstance(x, list):
                raise ValueError
            out.append(x)
            return
        if not isinstance(x, list) or len(x) != shape[depth]:
            raise ValueError
        for y in x:
            walk(y, depth + 1)

    walk(items, 0)
    return out


def _contains_b64(v: Any, depth: int = 0) -> bool:
    if _is_b64(v):
        return True
    if isinstance(v, list) and v and depth < 64:
        return _contains_b64(v[0], depth + 1)
    return False


def first_leaf(value: Any, bad: Callable[[Any], bool]) -> tuple[list[int], Any] | None:
    """(index path, leaf) of the first non-list leaf of nested lists for which `bad` is true,
    depth first, without recursion; None if there is none."""
    stack: list[tuple[list[int], Any]] = [([], value)]
    while stack:
        path, x = stack.pop()
        if isinstance(x, list):
            stack.extend((path + [i], y) for i, y in reversed(list(enumerate(x))))
        elif bad(x):
            return path, x
    return None


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool)


def to_array(key: str, info: TensorInfo, value: Any, scan_bools: bool = True) -> np.ndarray:
    """A JSON value for input `key` as a checked array of the signature's dtype and shape.

    Numeric inputs refuse true/false (NumPy would take them as 1/0); `scan_bools=False` skips
    that walk when the caller knows the body holds no such literal.
    """
    want = info.dtype.np
    if want.kind == "O":
        return check_input(key, info, _string_array(key, value))
    if scan_bools and want.kind in "iuf":
        found = first_leaf(value, _is_bool)
        if found is not None:
            raise ServingError(
                400,
                f"Input '{key}' expects {info.dtype.name} values; element "
                f"{found[0]} is {_json_text(found[1])}.",
            )
    try:
        if want.kind == "f":
            with np.errstate(over="ignore", invalid="ignore"):
                arr = np.asarray(value, dtype=want)  # fast path: straight to float32
            # NOTE: JSON has no NaN or infinity: either was a null, or a number out of range.
            if arr.size and not np.isfinite(arr).all():
                with np.errstate(over="ignore", invalid="ignore"):
                    check_finite(key, info.dtype.name, arr, np.asarray(value, np.float64))
        else:
            arr = np.asarray(value)
    except OverflowError:
        raise ServingError(
            400, f"Input '{key}' expects {info.dtype.name} values; got an integer out of range."
        ) from None
    except (ValueError, TypeError) as e:
        if _contains_b64(value):
            raise ServingError(
                400,
                f"Input '{key}' is {info.dtype.name}: {{\"b64\": ...}} "
                "values are only for string inputs.",
            ) from None
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ServingError(
                400,
                f"Input '{key}': ragged lists (sub-lists of unequal length) cannot form a tensor.",
            ) from None
        raise ServingError(
            400,
            f"Input '{key}' expects {info.dtype.name} values; got "
            f"values that are not numbers ({e}).",
        ) from None
    if arr.dtype.kind == "O":
        raise ServingError(
            400, f"Input '{key}' expects {info.dtype.name} values; got mixed or non-numeric values."
        )
    return check_input(key, info, arr)


def _json_text(x: Any) -> str:
    try:
        return orjson.dumps(x).decode()[:40]
    except TypeError:
        return repr(x)[:40]


# -- TF Serving predict ------------------------------------------------------------------------
_DENSE_MIN_BYTES = 4096  # below this, orjson's parse costs less than the checks here
_OPEN = ord("[")


def parse_dense(body: bytes) -> tuple[str | None, str, np.ndarray] | None:
    """(signature_name, "row" | "columnar", float64 array) when the :predict body's one tensor
    is a rank-1 or rank-2 array of plain numbers; None for anything else.

    orjson builds one Python float per number and NumPy then walks them: for a 100x784 request
    that is ~4 ms of a worker's time (2.4 ms parse, 1.6 ms conversion). simdjson parses the
    numbers straight into one float64 buffer (~1.7 ms). The buffer is flat, so the nesting is
    checked here: every row an array of the first row's length, and no other '[' in the body
    than those rows and the outer list (strings, which could hold one, are refused). Anything
    that does not fit returns None and goes through the general parser, which words the errors.
    """
    if _simdjson is None or len(body) < _DENSE_MIN_BYTES or body.startswith(b"\xef\xbb\xbf"):
        return None  # (a UTF-8 BOM: orjson refuses it, and its error is the one to give)
    try:
        doc = _simdjson.Parser().parse(body)
        if not isinstance(doc, _simdjson.Object):
            return None
        keys = list(doc.keys())
        fields = [k for k in keys if k in ("instances", "inputs")]
        if (
            len(fields) != 1
            or len(keys) != len(set(keys))
            or not set(keys) <= {"instances", "inputs", "signature_name"}
        ):
            return None
        sig_name = doc.get("signature_name")
        if sig_name is not None and (not isinstance(sig_name, str) or "[" in sig_name):
            return None
        value = doc[fields[0]]
        if not isinstance(value, _simdjson.Array) or not len(value):
            return None
        n, arrays, shape = len(value), 1, None
        if isinstance(value[0], _simdjson.Array):
            width = len(value[0])
            for row in value:
                if not isinstance(row, _simdjson.Array) or len(row) != width:
                    return None  # ragged or mixed: the general parser says so
            arrays, shape = 1 + n, (n, width)
        flat = np.frombuffer(value.as_buffer(of_type="d"), dtype=np.float64)
        if (
            flat.size != (n if shape is None else n * shape[1])
            or np.count_nonzero(np.frombuffer(body, np.uint8) == _OPEN) != arrays
        ):
            return None  # (counted by NumPy: 0.07 ms for 833 KB, bytes.count 0.30 ms)
    except (ValueError, TypeError, RuntimeError, KeyError, IndexError):
        return None
    return (
        sig_name,
        "row" if fields[0] == "instances" else "columnar",
        flat if shape is None else flat.reshape(shape),
    )


def decode_dense(arr: np.ndarray, sig: SignatureDef) -> dict[str, np.ndarray] | None:
    """The feeds for `sig` from parse_dense's array, when `sig` takes one floating-point input
    (None otherwise: the general path decides)."""
    if len(sig.inputs) != 1:
        return None
    ((key, info),) = sig.inputs.items()
    if info.dtype.np.kind != "f":
        return None
    return {key: check_input(key, info, arr)}


def decode_predict(
    doc: Any, sig: SignatureDef, scan_bools: bool = True
) -> tuple[dict[str, np.ndarray], str, int]:
    """({input: array}, "row" | "columnar", batch size) of a parsed :predict body
    (`scan_bools`: see to_array)."""
    if not isinstance(doc, dict):
        raise ServingError(
            400, 'The request body must be a JSON object with "instances" or "inputs".'
        )
    has_rows, has_cols = "instances" in doc, "inputs" in doc
    if has_rows == has_cols:
        raise ServingError(
            400,
            "Missing 'inputs' or 'instances' key"
            if not has_rows
            else "Not both 'inputs' and 'instances' may be given.",
        )
    keys = list(sig.inputs)
    if has_rows:
        rows = doc["instances"]
        if not isinstance(rows, list) or not rows:
            raise ServingError(400, '"instances" must be a non-empty list.')
        named = isinstance(rows[0], dict) and not _is_b64(rows[0])
        if len(keys) > 1 and not named:
            raise ServingError(
                400,
                f"The signature takes several inputs {sorted(keys)}: each "
                "instance must be an object {input: value}.",
            )
        if named:
            cols: dict[str, list[Any]] = {k: [] for k in keys}
            for i, row in enumerate(rows):
                if not isinstance(row, dict) or set(row) != set(keys):
                    got = sorted(row) if isinstance(row, dict) else type(row).__name__
                    raise ServingError(
                        400,
                        f"Instance {i} must be an object with exactly the "
                        f"inputs {sorted(keys)}; got {got}.",
                    )
                for k in keys:
                    cols[k].append(row[k])
            feeds = {k: to_array(k, sig.inputs[k], v, scan_bools) for k, v in cols.items()}
        else:
            feeds = {keys[0]: to_array(keys[0], sig.inputs[keys[0]], rows, scan_bools)}
        return feeds, "row", len(rows)
    value = doc["inputs"]
    if isinstance(value, dict) and not _is_b64(value):
        unknown = [k for k in value if k not in sig.inputs]
        missing = [k for k in keys if k not in value]
        if unknown or missing:
            raise ServingError(
                400,
                f'"inputs" must name exactly the signature\'s inputs '
                f"{sorted(keys)}; unknown: {unknown}, missing: {missing}.",
            )
        feeds = {k: to_array(k, sig.inputs[k], v, scan_bools) for k, v in value.items()}
    else:
        if len(keys) > 1:
            raise ServingError(
                400,
                f"The signature takes several inputs {sorted(keys)}: "
                '"inputs" must be an object {input: value}.',
            )
        feeds = {keys[0]: to_array(keys[0], sig.inputs[keys[0]], value, scan_bools)}
    batch = max((a.shape[0] for a in feeds.values() if a.ndim), default=1)
    return feeds, "columnar", batch


def _jsonable(key: str, arr: np.ndarray) -> Any:
    if arr.dtype.kind == "O":
        enc = (
            (lambda b: {"b64": base64.b64encode(b).decode()})
            if key.endswith("_bytes")
            else (lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b))
        )
        return np.vectorize(enc, otypes=[object])(arr).tolist() if arr.size else arr.tolist()
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype.kind == "c":
        return np.stack([arr.real, arr.imag], axis=-1).tolist()
    if arr.ndim == 0:
        return arr.item()
    return np.ascontiguousarray(arr)


def encode_predict(outputs: dict[str, np.ndarray], fmt: str) -> bytes:
    """The :predict response body for `outputs` in the request's format."""
    if fmt == "columnar":
        if len(outputs) == 1:
            ((k, v),) = outputs.items()
            return dumps({"outputs": _jsonable(k, v)})
        return dumps({"outputs": {k: _jsonable(k, v) for k, v in outputs.items()}})
    sizes = {k: (v.shape[0] if v.ndim else None) for k, v in outputs.items()}
    if len(set(sizes.values())) != 1 or None in sizes.values():
        raise ServingError(
            400,
            f"The row format needs every output to have the same 0th "
            f"(batch) dimension; got {sizes}. Use the columnar format "
            '("inputs") for this signature.',
        )
    if len(outputs) == 1:
        ((k, v),) = outputs.items()
        return dumps({"predictions": _jsonable(k, v)})
    cols = {k: _jsonable(k, v) for k, v in outputs.items()}
    n = next(iter(sizes.values()))
    assert n is not None  # checked above: every output has the same batch dimension
    fast = _rows_of_numeric_columns(cols, n)
    if fast is not None:
        return fast
    rows = [
        {
            k: (c[i] if not isinstance(c, np.ndarray) or c.ndim > 1 else c[i].item())
            for k, c in cols.items()
        }
        for i in range(n)
    ]
    return dumps({"predictions": rows})


def _rows_of_numeric_columns(cols: dict[str, Any], n: int) -> bytes | None:
    """{"predictions": [{name: row i of each column}, ...]} for numeric array columns, by
    serializing each column once and cutting its text into rows; None for anything else.

    NOTE: one orjson call per row and column cost ~0.2 ms for 100 rows of the TwoLayerNet's two
    outputs, 9 % of a serving worker's time. A number's text holds no bracket or comma, so a
    column's rows are exactly the pieces between the separators "],[" (one bracket more on each
    side per extra dimension).
    """
    if not all(
        isinstance(c, np.ndarray) and c.dtype.kind in "biuf" and c.ndim and c.size
        for c in cols.values()
    ):
        return None  # (an empty dimension shortens the text's nesting: the general path)
    pieces, slots = [], []
    for c in cols.values():
        d = c.ndim
        opened, closed = b"[" * (d - 1), b"]" * (d - 1)
        part = dumps(c)[d:-d].split(closed + b"," + opened)
        if len(part) != n:
            return None
        pieces.append(part)
        slots.append(opened + b"%b" + closed)
    row = (
        b"{"
        + b",".join(dumps(k).replace(b"%", b"%%") + b":" + slot for k, slot in zip(cols, slots))
        + b"}"
    )
    return b'{"predictions":[' + b",".join([row % r for r in zip(*pieces)]) + b"]}"


# -- metadata / status ------------------------------------------------------------------------
def tensor_info_json(info: TensorInfo) -> dict[str, Any]:
    shape = info.shape
    return {
        "dtype": TF_DTYPES.get(info.dtype.name, "DT_INVALID"),
        "tensor_shape": {
            "dim": []
            if shape is None
            else [{"size": str(-1 if d is None else d), "name": ""} for d in shape],
            "unknown_rank": shape is None,
        },
        "name": info.name,
    }


def signature_json(sig: SignatureDef) -> dict[str, Any]:
    return {
        "inputs": {k: tensor_info_json(v) for k, v in sig.inputs.items()},
        "outputs": {k: tensor_info_json(v) for k, v in sig.outputs.items()},
        "method_name": sig.method_name,
    }


def metadata_json(name: str, version: int, signatures: dict[str, SignatureDef]) -> bytes:
    return dumps(
        {
            "model_spec": {"name": name, "signature_name": "", "version": str(version)},
            "metadata": {
                "signature_def": {
                    "signature_def": {k: signature_json(s) for k, s in signatures.items()}
                }
            },
        }
    )


def status_json(states: list[Any]) -> bytes:
    return dumps(
        {
            "model_version_status": [
                {
                    "version": str(s.version),
                    "state": s.state,
                    "status": {
                        "error_code": "OK" if not s.error else (s.error_code or "UNKNOWN"),
                        "error_message": s.error,
                    },
                }
                for s in states
            ]
        }
    )
