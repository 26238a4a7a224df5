"""Graph serialization: a Graph <-> a JSON document + a dict of arrays (an `.npz`), never pickle.

The document lists every node in creation order (a topological order) with its op type, name,
inputs, control inputs, attrs and output dtypes/shapes, plus the graph seed and the collections
(tensors, ops and variables by name). Array-valued attrs (Const values) live in the arrays dict,
written next to the JSON as an `.npz`; the document names that file and its SHA-256. Loading
re-creates each node through `Graph.create_op` with the registered OpDef class, so shapes are
re-inferred and checked against the saved ones. docs/checkpoints.md describes the format.

Attr values are encoded with explicit type tags (`{"$type": "dtype", "name": "float32"}`);
anything the encoder does not know is a TypeError naming the op and the attr.

This module also holds the file helpers checkpoints share: atomic writes (temp file in the same
directory, fsync, os.replace) and an `.npz` writer/reader that refuses object arrays.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import hashlib
import json
import math
import os
import re
import secrets
import stat
import warnings
import zipfile
from collections.abc import Callable
from typing import IO, Any, NamedTuple

import numpy as np

from flowzero.framework import dtypes as _dtypes
from flowzero.framework import errors
from flowzero.framework.function import Body
from flowzero.framework.graph import (
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    _hook,
    _Hooks,
    get_default_graph,
)
from flowzero.framework.registry import get_op_class
from flowzero.framework.shapes import Dimension, TensorShape

GRAPH_FORMAT = "flowzero.graph"
GRAPH_VERSION = 1
_TAG = "$type"


class GraphDocument(NamedTuple):
    """A serialized graph: the JSON-able document and the arrays its attrs refer to."""

    doc: dict[str, Any]
    arrays: dict[str, np.ndarray]


# -- files ----------------------------------------------------------------------------------
_TMP_RE = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-[0-9a-f]{8}$")


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened; rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, write: Callable[[IO[bytes]], object]) -> None:
    """Writes `path` all-or-nothing: `write(f)` fills a temp file in the same directory, which is
    flushed, fsynced and renamed over `path` (os.replace); the directory is fsynced after.

    A crash at any point leaves either the old file or the new one, plus at most a hidden temp
    file `.<name>.tmp-<pid>-<random>` that nothing reads (see remove_stale_temp_files).
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(
        directory, f".{os.path.basename(path)}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    )
    # NOTE: os.open with 0o666 (not mkstemp's 0o600) so the umask decides who may read the
    # file, e.g. a serving process in a shared group.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def remove_stale_temp_files(directory: str, target_prefix: str = "") -> list[str]:
    """Deletes temp files left by atomic_write in processes that no longer run.

    Only files `.<target>.tmp-<pid>-<hex>` whose target starts with `target_prefix` and whose
    pid is not a live process are removed. Returns the removed paths.
    """
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        m = _TMP_RE.match(name)
        if not m or not m.group("target").startswith(target_prefix):
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            os.unlink(os.path.join(directory, name))
            removed.append(os.path.join(directory, name))
        except OSError:
            pass
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


# -- reading files from strangers --------------------------------------------------------------
class ReadLimits(NamedTuple):
    """What reading a checkpoint, graph or SavedModel file accepts (see read_limits)."""

    max_file_bytes: int | None = None  # any one file, and the arrays unpacked from an .npz
    root: str | None = None  # a symlink must resolve to a file inside this directory


_LIMITS: contextvars.ContextVar[ReadLimits] = contextvars.ContextVar(
    "flowzero_read_limits",
    default=ReadLimits(),  # noqa: B039 (a NamedTuple: immutable)
)


@contextlib.contextmanager
def read_limits(max_file_bytes: int | None = None, root: str | None = None) -> Any:
    """Within the block (this thread), files are read only under these limits: at most
    `max_file_bytes` per file and per unpacked `.npz`, and symlinks only to files in `root`.

    Every read refuses what is not a regular file (a FIFO would block the reader forever, a
    device such as /dev/zero never ends) whatever the limits.
    """
    token = _LIMITS.set(
        ReadLimits(max_file_bytes, None if root is None else os.path.realpath(root))
    )
    try:
        yield
    finally:
        _LIMITS.reset(token)


def open_regular(path: str, what: str = "file") -> IO[bytes]:
    """`path` opened for reading in binary, once known to be a regular file within the limits.

    Raises:
        tf.errors.NotFoundError: it does not exist.
        tf.errors.DataLossError: it is a FIFO, a device, a directory or a symlink leaving the
            limits' root, or it is larger than their max_file_bytes.
    """
    limits = _LIMITS.get()
    path = os.fspath(path)
    if limits.root is not None:  # (a symlinked file, or a symlinked directory on its way)
        real = os.path.realpath(path)
        if os.path.commonpath([real, limits.root]) != limits.root:
            raise errors.DataLossError(
                None, None, f"{what} {path} resolves to {real}, outside {limits.root}; refused."
            )
    # NOTE: O_NONBLOCK so that opening a FIFO returns at once (fstat then refuses it) instead
    # of waiting for a writer; it changes nothing for a regular file.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{what} {path} does not exist.") from None
    except OSError as e:
        raise errors.DataLossError(
            None, None, f"{what} {path} cannot be opened: {e.strerror}."
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(st.st_mode)
                else "a directory"
                if stat.S_ISDIR(st.st_mode)
                else "a device or special file"
            )
            raise errors.DataLossError(
                None, None, f"{what} {path} is {kind}, not a regular file; refused."
            )
        if limits.max_file_bytes is not None and st.st_size > limits.max_file_bytes:
            raise errors.DataLossError(
                None,
                None,
                f"{what} {path} has {st.st_size} bytes, "
                f"more than the limit of {limits.max_file_bytes}.",
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_npz(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Writes `arrays` as an `.npz` (a zip of `<key>.npy` members, stored), as np.savez does.

    NOTE: not np.savez itself: savez pickles object arrays silently and its keyword arguments
    clash with keys named `file` or `allow_pickle`. Object arrays raise ValueError here.
    """
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            arr = np.asanyarray(arr)
            if arr.dtype.hasobject:
                raise ValueError(
                    f"Cannot store '{key}' (dtype {arr.dtype}): object arrays would need pickle."
                )
            with zf.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)


def read_npz(
    path: str,
    expected_sha256: str | None = None,
    what: str = "file",
    declared: dict[str, tuple[Any, list[int]]] | None = None,
) -> dict[str, np.ndarray]:
    """Reads every array of an `.npz` (no pickle), checking its SHA-256 first.

    Nothing is allocated before it is checked: each member's `.npy` header must describe
    exactly the bytes the zip directory declares for it, the total must stay within the
    read limits (read_limits), and with `declared` ({key: (dtype, shape)}, from the index that
    names the file) every member must be one of those keys with that dtype and shape.

    Raises:
        tf.errors.NotFoundError: the file does not exist.
        tf.errors.DataLossError: its checksum differs, it cannot be parsed, or it holds
            members or sizes its index does not declare.
    """
    if not os.path.lexists(path):
        raise errors.NotFoundError(None, None, f"{what} {path} does not exist.")
    if expected_sha256 is not None:
        got = sha256_file(path)
        if got != expected_sha256:
            raise errors.DataLossError(
                None,
                None,
                f"{what} {path} is corrupted or truncated: its SHA-256 is {got}, "
                f"the index recorded {expected_sha256}.",
            )
    try:
        with open_regular(path, what) as f, zipfile.ZipFile(f) as zf:
            return _read_members(zf, path, what, declared)
    except errors.OpError:
        raise
    except (
        zipfile.BadZipFile,
        ValueError,
        OSError,
        EOFError,
        KeyError,
        TypeError,
        OverflowError,
        NotImplementedError,
    ) as e:
        raise errors.DataLossError(
            None, None, f"{what} {path} cannot be read as an .npz: {type(e).__name__}: {e}"
        ) from None


def _read_members(
    zf: zipfile.ZipFile, path: str, what: str, declared: dict[str, tuple[Any, list[int]]] | None
) -> dict[str, np.ndarray]:
    limit = _LIMITS.get().max_file_bytes
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if limit is not None and total > limit:
        raise errors.DataLossError(
            None, None, f"{what} {path} unpacks to {total} bytes, more than the limit of {limit}."
        )
    out: dict[str, np.ndarray] = {}
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        where = f"{what} {path}: member {info.filename!r}"
        if declared is not None and key not in declared:
            raise errors.DataLossError(None, None, f"{where} is not listed in its index.")
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise errors.DataLossError(
                    None, None, f"{where}: unsupported .npy version {version}."
                )
            if dtype.hasobject:
                raise errors.DataLossError(
                    None, None, f"{where} holds Python objects (would need pickle); refused."
                )
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes != info.file_size - member.tell():
                raise errors.DataLossError(
                    None,
                    None,
                    f"{where}: its header describes "
                    f"{nbytes} bytes of data, the zip declares "
                    f"{info.file_size - member.tell()}.",
                )
            if declared is not None:
                want_dtype, want_shape = declared[key]
                if dtype != np.dtype(want_dtype) or list(shape) != list(want_shape):
                    raise errors.DataLossError(
                        None,
                        None,
                        f"{where} holds {dtype.str} "
                        f"{list(shape)}; its index declares "
                        f"{np.dtype(want_dtype).str} {list(want_shape)}.",
                    )
            data = member.read(nbytes)
            if len(data) != nbytes:
                raise errors.DataLossError(None, None, f"{where} is truncated.")
        arr = np.frombuffer(data, dtype=dtype)
        out[key] = (
            (arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)).copy()
            if arr.size
            else np.zeros(shape, dtype)
        )
    return out


def _json_bytes(doc: Any, as_text: bool = True) -> bytes:
    if as_text:
        return (json.dumps(doc, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()
    return json.dumps(doc, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()


def read_json(path: str, what: str = "file") -> Any:
    """Parses a JSON file; DataLossError (naming the file) if it is not valid JSON."""
    with open_regular(path, what) as f:
        raw = f.read()
    try:
        return json.loads(
            raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float
        )
    except (UnicodeDecodeError, ValueError) as e:
        raise errors.DataLossError(
            None, None, f"{what} {path} is not valid JSON (corrupted?): {e}"
        ) from None
    except RecursionError:
        raise errors.DataLossError(
            None, None, f"{what} {path} nests its JSON too deeply (corrupted or crafted)."
        ) from None


def _no_constant(name: str) -> Any:
    # flowzero never writes NaN/Infinity literals (non-finite floats are tagged strings).
    raise ValueError(f"non-standard JSON constant {name}")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number {text[:30]} is out of range")
    return v


def _safe_sibling(json_path: str, name: Any, what: str) -> str:
    # A sidecar is named by its bare file name next to the JSON: never a path elsewhere.
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
    ):
        raise errors.DataLossError(
            None, None, f"{what} {json_path} names an invalid array file {name!r}."
        )
    return os.path.join(os.path.dirname(os.path.abspath(json_path)), name)


def _sidecar_names(json_path: str, sidecar_base: str | None) -> list[str]:
    base = os.path.basename(sidecar_base if sidecar_base is not None else json_path)
    return [base + ".npz", base + ".alt.npz"]


def write_json_with_arrays(
    json_path: str,
    doc: dict[str, Any],
    arrays: dict[str, np.ndarray],
    as_text: bool = True,
    sidecar_base: str | None = None,
) -> None:
    """Writes `doc` to `json_path` and `arrays` to a sidecar `.npz` in the same directory.

    The sidecar is `<sidecar_base>.npz` (default base: `json_path`), written atomically first;
    the JSON, which names the sidecar and its SHA-256, is written last and is the commit. When
    `json_path` already exists, the arrays go to whichever of `<base>.npz` / `<base>.alt.npz`
    the current JSON does not name, so the old pair stays valid until the new JSON replaces it;
    the other one is removed after.
    """
    names = _sidecar_names(json_path, sidecar_base)
    current = None
    if os.path.exists(json_path):
        try:
            current = read_json(json_path).get("arrays_file")
        except (errors.OpError, AttributeError):
            current = None
    name = names[1] if current == names[0] else names[0]
    directory = os.path.dirname(os.path.abspath(json_path))
    sidecar = os.path.join(directory, name)
    atomic_write(sidecar, lambda f: write_npz(f, arrays))
    try:
        doc = dict(
            doc,
            arrays_file=name,
            arrays_sha256=sha256_file(sidecar),
            arrays_bytes=os.path.getsize(sidecar),
        )
        atomic_write(json_path, lambda f: f.write(_json_bytes(doc, as_text)))
    except BaseException:
        # (e.g. a full disk) the JSON still names the previous sidecar, or nothing: this one
        # belongs to no committed pair
        with contextlib.suppress(OSError):
            os.unlink(sidecar)
        raise
    other = os.path.join(directory, names[1] if name == names[0] else names[0])
    with contextlib.suppress(FileNotFoundError):
        os.unlink(other)


def read_json_with_arrays(
    json_path: str, what: str = "file", declared: Callable[[dict[str, Any]], Any] | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Reads a pair written by write_json_with_arrays, verifying the sidecar's SHA-256.

    If the sidecar is missing or does not match and the JSON meanwhile names another one (a
    concurrent overwrite committed), the read is retried (a few times).
    """
    for attempt in range(_READ_ATTEMPTS):
        doc = read_json(json_path, what)
        if not isinstance(doc, dict):
            raise errors.DataLossError(None, None, f"{what} {json_path} is not a JSON object.")
        name = doc.get("arrays_file")
        if name is None:
            return doc, {}
        sidecar = _safe_sibling(json_path, name, what)
        try:
            if not os.path.exists(sidecar):
                raise errors.DataLossError(
                    None, None, f"{what} {json_path} names array file {name}, which is missing."
                )
            return doc, read_npz(
                sidecar,
                doc.get("arrays_sha256"),
                f"array file of {what}",
                (declared or declared_arrays)(doc),
            )
        except (errors.DataLossError, errors.NotFoundError):
            again = read_json(json_path, what)
            if (
                attempt == _READ_ATTEMPTS - 1
                or not isinstance(again, dict)
                or (again.get("arrays_file"), again.get("arrays_sha256"))
                == (name, doc.get("arrays_sha256"))
            ):
                raise  # not a concurrent overwrite: the pair itself is damaged
    raise AssertionError("unreachable")


def declared_arrays(doc: Any) -> dict[str, tuple[Any, list[int]]] | None:
    """{key: (dtype, shape)} of every `{"$type": "ndarray"}` value in a graph document (the
    arrays its `.npz` must hold, and only those); None when they are malformed."""
    out: dict[str, tuple[Any, list[int]]] = {}
    stack = [doc]
    while stack:  # no recursion: a crafted document may nest deeply
        x = stack.pop()
        if isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, dict):
            if x.get(_TAG) == "ndarray":
                key, dtype, shape = x.get("key"), x.get("dtype"), x.get("shape")
                if (
                    not isinstance(key, str)
                    or not isinstance(shape, list)
                    or not all(type(d) is int and d >= 0 for d in shape)
                ):
                    return None
                try:
                    out[key] = (np.dtype(dtype), shape)
                except TypeError:
                    return None
            else:
                stack.extend(x.values())
    return out


_READ_ATTEMPTS = 5


@contextlib.contextmanager
def directory_lock(directory: str, name: str) -> Any:
    """Holds an exclusive lock on `directory/.<name>.lock` (flock) for the block, so that
    writers of one directory (threads or processes) take turns. A no-op where there is no
    flock (Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(os.path.join(directory, f".{name}.lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (closing releases the lock)


def delete_json_with_arrays(json_path: str, sidecar_base: str | None = None) -> None:
    """Deletes a JSON + sidecar pair, the JSON first (so no half pair ever looks complete)."""
    path = os.path.abspath(json_path)
    directory = os.path.dirname(path)
    for p in [path] + [os.path.join(directory, n) for n in _sidecar_names(path, sidecar_base)]:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


# -- attr values ----------------------------------------------------------------------------
class _Encoder:
    """Encodes attr values to JSON with type tags; arrays go to `self.arrays` by key."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.bodies: dict[Body, int] = {}  # control-flow bodies, numbered as met

    def body_id(self, b: Body) -> int:
        if b not in self.bodies:
            if b.parent is not None:
                self.body_id(b.parent)
            self.bodies[b] = len(self.bodies)
        return self.bodies[b]

    def encode(self, v: Any, where: tuple[str, str, str]) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, np.generic):
            return {_TAG: "np_scalar", "dtype": v.dtype.str, "value": self.encode(v.item(), where)}
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return v if math.isfinite(v) else {_TAG: "float", "value": repr(v)}
        if isinstance(v, complex):
            return {
                _TAG: "complex",
                "real": self.encode(v.real, where),
                "imag": self.encode(v.imag, where),
            }
        if isinstance(v, bytes):
            return {_TAG: "bytes", "b64": base64.b64encode(v).decode("ascii")}
        if isinstance(v, _dtypes.DType):
            return {_TAG: "dtype", "name": v.name}
        if isinstance(v, TensorShape):
            return {_TAG: "shape", "dims": None if v.known is None else list(v.known)}
        if isinstance(v, Dimension):
            return {_TAG: "dimension", "value": v.value}
        if isinstance(v, np.dtype):
            return {_TAG: "np_dtype", "str": v.str}
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject:
                return {
                    _TAG: "object_array",
                    "shape": list(v.shape),
                    "items": [self.encode(x, where) for x in v.reshape(-1).tolist()],
                }
            key = f"{where[1]}:{where[2]}"
            if key in self.arrays:
                key = f"{key}#{len(self.arrays)}"
            self.arrays[key] = v
            return {_TAG: "ndarray", "key": key, "dtype": v.dtype.str, "shape": list(v.shape)}
        if isinstance(v, Tensor):
            return {_TAG: "tensor", "name": v.name}
        if isinstance(v, Body):
            return {_TAG: "body", "id": self.body_id(v)}
        if isinstance(v, list):
            return [self.encode(x, where) for x in v]
        if isinstance(v, tuple):
            return {_TAG: "tuple", "items": [self.encode(x, where) for x in v]}
        if isinstance(v, dict):
            return {
                _TAG: "dict",
                "items": [[self.encode(k, where), self.encode(x, where)] for k, x in v.items()],
            }
        op_type, node, attr = where
        raise TypeError(
            f"{op_type} '{node}': attr '{attr}' holds a {type(v).__module__}."
            f"{type(v).__qualname__}, which the graph format cannot store (it stores None, bool, "
            "int, float, complex, str, bytes, DType, TensorShape, NumPy arrays and scalars, and "
            "lists/tuples/dicts of those)."
        )


def _decode(v: Any, arrays: dict[str, np.ndarray], where: str, refs: Any = None) -> Any:
    if isinstance(v, list):
        return [_decode(x, arrays, where, refs) for x in v]
    if not isinstance(v, dict):
        return v
    tag = v.get(_TAG)
    if tag == "float":
        return float(v["value"])
    if tag == "complex":
        return complex(
            _decode(v["real"], arrays, where, refs), _decode(v["imag"], arrays, where, refs)
        )
    if tag == "bytes":
        return base64.b64decode(v["b64"])
    if tag == "dtype":
        return _dtypes.as_dtype(v["name"])
    if tag == "shape":
        dims = v["dims"]
        if dims is not None:
            for d in dims:
                _check_dim(d, where)
        return TensorShape(dims)
    if tag == "dimension":
        return Dimension(_check_dim(v["value"], where))
    if tag == "np_dtype":
        return np.dtype(v["str"])
    if tag == "np_scalar":
        return np.dtype(v["dtype"]).type(_decode(v["value"], arrays, where, refs))
    if tag == "object_array":
        out = np.empty(len(v["items"]), dtype=object)
        out[:] = [_decode(x, arrays, where, refs) for x in v["items"]]
        return out.reshape(v["shape"])
    if tag == "ndarray":
        arr = arrays.get(v["key"])
        if arr is None:
            raise errors.DataLossError(
                None, None, f"{where}: array '{v['key']}' is missing from the graph's .npz."
            )
        if arr.dtype.str != v["dtype"] or list(arr.shape) != v["shape"]:
            raise errors.DataLossError(
                None,
                None,
                f"{where}: array '{v['key']}' has dtype {arr.dtype.str} shape "
                f"{list(arr.shape)} in the .npz; the graph recorded {v['dtype']} {v['shape']}.",
            )
        return arr.copy()
    if tag == "tuple":
        return tuple(_decode(x, arrays, where, refs) for x in v["items"])
    if tag in ("tensor", "body"):
        if refs is None:
            raise errors.DataLossError(None, None, f"{where}: a {tag} reference outside a graph.")
        return refs.tensor(v["name"], where) if tag == "tensor" else refs.body(v["id"], where)
    if tag == "dict":
        return {
            _decode(k, arrays, where, refs): _decode(x, arrays, where, refs) for k, x in v["items"]
        }
    raise errors.DataLossError(
        None,
        None,
        f"{where}: unknown value tag {tag!r} in the graph document (written by a newer flowzero?).",
    )


_MAX_DIM = 2**62  # no dimension a graph can hold (its element count must fit int64 too)


def _check_dim(d: Any, where: str) -> Any:
    # flowzero writes None for an unknown dimension, never a negative number.
    if d is not None and (type(d) is not int or not 0 <= d < _MAX_DIM):
        raise errors.DataLossError(
            None,
            None,
            f"{where}: invalid shape dimension {d!r:.40} "
            f"(a graph file holds integers in [0, 2**62) or null).",
        )
    return d


def _decode_checked(v: Any, arrays: dict[str, np.ndarray], where: str, refs: Any = None) -> Any:
    try:
        return _decode(v, arrays, where, refs)
    except errors.OpError:
        raise
    except RecursionError:
        raise errors.DataLossError(
            None, None, f"{where}: the value nests too deeply (corrupted or crafted)."
        ) from None
    except (KeyError, TypeError, ValueError, OverflowError, MemoryError) as e:
        raise errors.DataLossError(
            None, None, f"{where}: malformed value {v!r:.120} ({type(e).__name__}: {e})."
        ) from None


def _shape_json(s: TensorShape) -> list[int | None] | None:
    return None if s.known is None else list(s.known)


# -- variables ------------------------------------------------------------------------------
def _is_variable(obj: Any) -> bool:
    cls = _Hooks.variable_type
    return cls is not None and isinstance(obj, cls)


def _variable_json(v: Any) -> dict[str, Any]:
    return {
        "kind": "variable",
        "name": v.op.name,
        "initializer": v.initializer.name,
        "snapshot": v.value().name,
        "initial_value": v.initial_value.name,
        "trainable": bool(v.trainable),
    }


def variable_from_nodes(
    storage: Tensor,
    initializer: Operation,
    snapshot: Tensor,
    initial_value: Tensor,
    trainable: bool = True,
) -> Any:
    """A tf.Variable wrapping existing nodes (VariableV2, its Assign, its read), adding no ops."""
    if storage.op.type != "VariableV2":
        raise ValueError(f"'{storage.op.name}' is a {storage.op.type}, not a VariableV2 node.")
    return _hook("variable_from_nodes")(storage, initializer, snapshot, initial_value, trainable)


# -- graphs ---------------------------------------------------------------------------------
def _collection_item(key: str, item: Any) -> dict[str, Any] | None:
    if _is_variable(item):
        return _variable_json(item)
    if isinstance(item, Tensor):
        return {"kind": "tensor", "name": item.name}
    if isinstance(item, Operation):
        return {"kind": "operation", "name": item.name}
    try:
        return {"kind": "value", "value": _Encoder().encode(item, ("collection", key, "item"))}
    except TypeError:
        warnings.warn(
            f"Graph serialization skips an item of collection '{key}': a "
            f"{type(item).__qualname__} cannot be stored.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None


def graph_to_dict(graph: Graph | None = None, collection_list: Any = None) -> GraphDocument:
    """Serializes `graph` (default graph) to a JSON-able document and its arrays.

    Args:
        graph: the graph to serialize.
        collection_list: names of the collections to include (default: all with string keys).

    Returns:
        GraphDocument(doc, arrays): `doc` is plain JSON (no NaN); `arrays` maps the keys that
        `{"$type": "ndarray", "key": ...}` attr values name to NumPy arrays.

    Raises:
        TypeError: an attr holds a value of a type the format cannot store (names op and attr).
    """
    g = graph if graph is not None else get_default_graph()
    enc = _Encoder()
    nodes = []
    # A body's capture args are made when the body closes, after the ops that read them: emit
    # every _Arg (they have no inputs) first, so each node's inputs precede it.
    all_ops = g.get_operations()
    ops = [o for o in all_ops if o.type == "_Arg"] + [o for o in all_ops if o.type != "_Arg"]
    for op in ops:
        attrs = {
            k: enc.encode(v, (op.type, op.name, k))
            for k, v in op.opdef.attrs.items()
            if not k.startswith("_")
        }
        node: dict[str, Any] = {
            "name": op.name,
            "op": op.type,
            "inputs": [t.name for t in op.inputs],
            "control_inputs": [c.name for c in op.control_inputs],
            "attrs": attrs,
            "outputs": [{"dtype": t.dtype.name, "shape": _shape_json(t.shape)} for t in op.outputs],
        }
        if op._body is not None:
            node["body"] = enc.body_id(op._body)
        nodes.append(node)
    keys = g.get_all_collection_keys() if collection_list is None else list(collection_list)
    collections: dict[str, list[Any]] = {}
    for key in keys:
        if not isinstance(key, str):
            warnings.warn(
                f"Graph serialization skips collection {key!r}: its key is not a string.",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        items = [_collection_item(key, x) for x in g.get_collection(key)]
        collections[key] = [x for x in items if x is not None]
    doc = {
        "format": GRAPH_FORMAT,
        "version": GRAPH_VERSION,
        "seed": g.seed,
        "nodes": nodes,
        "collections": collections,
    }
    if enc.bodies:
        doc["bodies"] = [
            {
                "scope": b.scope,
                "parent": None if b.parent is None else enc.bodies[b.parent],
                "args": [t.name for t in b.args],
                "n_explicit": b.n_explicit,
                "captures": [t.name for t in b.captures],
                "outputs": [t.name for t in b.outputs],
                "control_captures": [c.name for c in b.control_captures],
            }
            for b in enc.bodies
        ]
    return GraphDocument(doc, enc.arrays)


def _check_format(doc: Any, fmt: str, version: int, what: str) -> None:
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise errors.DataLossError(
            None,
            None,
            f"{what} is not a {fmt} document (format "
            f"{doc.get('format') if isinstance(doc, dict) else None!r}).",
        )
    if not isinstance(doc.get("version"), int) or doc["version"] > version:
        raise errors.UnimplementedError(
            None,
            None,
            f"{what} has {fmt} version "
            f"{doc.get('version')!r}; this flowzero reads up to "
            f"version {version}.",
        )


def graph_from_dict(
    doc: dict[str, Any],
    arrays: dict[str, np.ndarray] | None = None,
    graph: Graph | None = None,
    import_scope: str | None = None,
) -> Graph:
    """Re-creates a serialized graph's ops (and collections) in `graph` (default: a new Graph).

    Every node goes through `Graph.create_op` with its registered OpDef class: shapes and
    dtypes are inferred again and must agree with the saved ones (saved static shapes that
    were refined with set_shape are re-applied). Variables come back as tf.Variable objects in
    their collections.

    Args:
        doc, arrays: what graph_to_dict returned (or read_graph read).
        graph: the graph to add the nodes to; a new Graph if None.
        import_scope: prefix `scope/` for every imported name.

    Returns:
        The graph.

    Raises:
        tf.errors.NotFoundError: an op type is not registered.
        ValueError: a name is already taken in `graph`, or a re-inferred shape/dtype differs.
        tf.errors.DataLossError: the document is malformed or an array is missing.
    """
    _check_format(doc, GRAPH_FORMAT, GRAPH_VERSION, "graph document")
    arrays = arrays or {}
    g = graph if graph is not None else Graph()
    prefix = f"{import_scope.rstrip('/')}/" if import_scope else ""

    def scoped(name: str) -> str:
        return prefix + name

    if g.seed is None and doc.get("seed") is not None:
        seed = doc["seed"]
        if type(seed) is not int or not -(2**63) <= seed < 2**63:
            raise errors.DataLossError(None, None, f"graph document: invalid seed {seed!r:.40}.")
        g.seed = seed
    late_controls: list[tuple[Operation, str]] = []
    refs = _Refs(g, scoped, doc.get("bodies", []))
    for i, node in enumerate(_field(doc, "nodes", list, "graph document")):
        where = f"node #{i}"
        if not isinstance(node, dict):
            raise errors.DataLossError(None, None, f"graph document: {where} is not an object.")
        name = scoped(_field(node, "name", str, where))
        op_type = _field(node, "op", str, where)
        where = f"{op_type} '{name}'"
        try:
            g.get_operation_by_name(name)
        except KeyError:
            pass
        else:
            raise ValueError(
                f"Cannot import node '{name}': the graph already has an op of "
                "that name. Import into a new tf.Graph or pass import_scope."
            )
        cls = get_op_class(op_type)
        attrs = {
            k: _decode_checked(v, arrays, f"{where} attr '{k}'", refs)
            for k, v in _field(node, "attrs", dict, where).items()
        }
        inputs = []
        for t in _field(node, "inputs", list, where):
            try:
                inputs.append(g.get_tensor_by_name(scoped(t)))
            except (KeyError, ValueError, TypeError):
                raise errors.DataLossError(
                    None,
                    None,
                    f"graph document: {where} has input {t!r}, which no earlier node produces.",
                ) from None
        controls, late = [], []
        for c in _field(node, "control_inputs", list, where):
            try:
                controls.append(g.get_operation_by_name(scoped(c)))
            except (KeyError, TypeError):
                late.append(c)
        body = refs.body(node["body"], where) if node.get("body") is not None else None
        with (
            g.control_dependencies(None),
            g.control_dependencies(controls),
            g._building_body(body) if body is not None else contextlib.nullcontext(),
        ):
            try:
                op = g.create_op(cls, inputs, attrs, name + "/")
            except (OverflowError, RecursionError, MemoryError) as e:
                raise errors.DataLossError(
                    None,
                    None,
                    f"graph document: {where} cannot be re-created: {type(e).__name__}: {e}",
                ) from None
        late_controls.extend((op, c) for c in late)
        try:
            _check_outputs(op, _field(node, "outputs", list, where), where)
        except (KeyError, TypeError) as e:
            raise errors.DataLossError(
                None,
                None,
                f"graph document: {where} has malformed outputs ({type(e).__name__}: {e}).",
            ) from None
        _mark_scopes_used(g, name)
    for op, c in late_controls:
        try:
            target = g.get_operation_by_name(scoped(c))
        except (KeyError, TypeError):
            raise errors.DataLossError(
                None,
                None,
                f"graph document: '{op.name}' has control input {c!r}, which is not in the graph.",
            ) from None
        op._add_control_input(target)
    refs.fill_bodies()
    _import_collections(g, doc.get("collections", {}), scoped)
    return g


class _Refs:
    """Resolves tensor and body references in attrs while a graph is imported."""

    def __init__(self, g: Graph, scoped: Callable[[str], str], table: Any) -> None:
        self.g = g
        self.scoped = scoped
        if not isinstance(table, list):
            raise errors.DataLossError(None, None, "graph document: 'bodies' is not a list.")
        self.table = table
        self.bodies: list[Body] = []
        for k, entry in enumerate(table):
            where = f"graph document body #{k}"
            b = Body(g, scoped(_field(entry, "scope", str, where)))
            parent = entry.get("parent")
            if parent is not None:
                if not isinstance(parent, int) or not 0 <= parent < k:
                    raise errors.DataLossError(None, None, f"{where}: bad parent {parent!r}.")
                b.parent = self.bodies[parent]
            self.bodies.append(b)

    def body(self, i: Any, where: str) -> Body:
        if not isinstance(i, int) or not 0 <= i < len(self.bodies):
            raise errors.DataLossError(None, None, f"{where}: no body #{i!r} in the document.")
        return self.bodies[i]

    def tensor(self, name: Any, where: str) -> Tensor:
        try:
            return self.g.get_tensor_by_name(self.scoped(name))
        except (KeyError, ValueError, TypeError):
            raise errors.DataLossError(
                None, None, f"{where}: refers to tensor {name!r}, which no earlier node produces."
            ) from None

    def fill_bodies(self) -> None:
        for k, (b, entry) in enumerate(zip(self.bodies, self.table)):
            where = f"graph document body #{k}"
            b.args = [self.tensor(n, where) for n in _field(entry, "args", list, where)]
            b.n_explicit = _field(entry, "n_explicit", int, where)
            b.captures = [self.tensor(n, where) for n in _field(entry, "captures", list, where)]
            b.outputs = [self.tensor(n, where) for n in _field(entry, "outputs", list, where)]
            b.control_captures = [
                self.g.get_operation_by_name(self.scoped(n))
                for n in _field(entry, "control_captures", list, where)
            ]


def _field(d: dict[str, Any], key: str, kind: type, where: str) -> Any:
    v = d.get(key)
    if not isinstance(v, kind):
        raise errors.DataLossError(
            None,
            None,
            f"graph document: {where} has no valid '{key}' ({kind.__name__}); got {v!r:.80}.",
        )
    return v


def _check_outputs(op: Operation, saved: list[dict[str, Any]], where: str) -> None:
    outs = op.outputs
    if len(outs) != len(saved):
        raise ValueError(
            f"{where}: re-created op has {len(outs)} outputs; the saved graph had {len(saved)}."
        )
    for t, s in zip(outs, saved):
        want_dtype = _dtypes.as_dtype(s["dtype"])
        if t.dtype is not want_dtype:
            raise ValueError(
                f"{where}: output {t.value_index} re-inferred as dtype "
                f"{t.dtype.name}; the saved graph had {want_dtype.name}."
            )
        want = TensorShape(s["shape"])
        if not t.shape.is_compatible_with(want):
            raise ValueError(
                f"{where}: output {t.value_index} re-inferred with shape "
                f"{t.shape}; the saved graph had {want}."
            )
        t.set_shape(want)


def _mark_scopes_used(g: Graph, name: str) -> None:
    # New name scopes opened after an import must not reuse an imported scope's name (they
    # would mix with its ops), so every prefix of an imported name counts as used.
    parts = name.split("/")
    for i in range(1, len(parts)):
        key = "/".join(parts[:i]).lower()
        g._names_in_use.setdefault(key, 1)


def _import_collections(
    g: Graph, collections: dict[str, Any], scoped: Callable[[str], str]
) -> None:
    made: dict[str, Any] = {
        v.op.name: v
        for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES)
        + g.get_collection(GraphKeys.LOCAL_VARIABLES)
        if _is_variable(v)
    }
    if not isinstance(collections, dict):
        raise errors.DataLossError(None, None, "graph document: 'collections' is not an object.")
    for key, items in collections.items():
        for item in items:
            try:
                _import_item(g, key, item, made, scoped)
            except (KeyError, TypeError, AttributeError) as e:
                raise errors.DataLossError(
                    None,
                    None,
                    f"graph document: collection '{key}' has "
                    f"a malformed or dangling item {item!r:.120} "
                    f"({type(e).__name__}: {e}).",
                ) from None


def _import_item(
    g: Graph, key: str, item: dict[str, Any], made: dict[str, Any], scoped: Callable[[str], str]
) -> None:
    kind = item.get("kind")
    if kind == "variable":
        name = scoped(item["name"])
        v = made.get(name)
        if v is None:
            v = made[name] = variable_from_nodes(
                g.get_tensor_by_name(name + ":0"),
                g.get_operation_by_name(scoped(item["initializer"])),
                g.get_tensor_by_name(scoped(item["snapshot"])),
                g.get_tensor_by_name(scoped(item["initial_value"])),
                item.get("trainable", True),
            )
        g.add_to_collection(key, v)
    elif kind == "tensor":
        g.add_to_collection(key, g.get_tensor_by_name(scoped(item["name"])))
    elif kind == "operation":
        g.add_to_collection(key, g.get_operation_by_name(scoped(item["name"])))
    elif kind == "value":
        g.add_to_collection(key, _decode_checked(item["value"], {}, f"collection '{key}'"))
    else:
        raise errors.DataLossError(None, None, f"collection '{key}': unknown item kind {kind!r}.")


def variables_by_name(graph: Graph) -> dict[str, Any]:
    """The graph's Variable objects (global, local, trainable collections) by op name."""
    out: dict[str, Any] = {}
    for key in (
        GraphKeys.GLOBAL_VARIABLES,
        GraphKeys.LOCAL_VARIABLES,
        GraphKeys.TRAINABLE_VARIABLES,
        GraphKeys.MODEL_VARIABLES,
    ):
        for v in graph.get_collection(key):
            if _is_variable(v):
                out.setdefault(v.op.name, v)
    return out


# -- files: tf.train.write_graph ------------------------------------------------------------
def _as_document(graph_or_graph_def: Any) -> GraphDocument:
    if isinstance(graph_or_graph_def, Graph):
        return graph_to_dict(graph_or_graph_def)
    if isinstance(graph_or_graph_def, tuple) and len(graph_or_graph_def) == 2:
        return GraphDocument(*graph_or_graph_def)
    if isinstance(graph_or_graph_def, dict):
        return GraphDocument(graph_or_graph_def, {})
    raise TypeError(
        f"Expected a tf.Graph or a (doc, arrays) GraphDocument; got "
        f"{type(graph_or_graph_def).__name__}."
    )


def write_graph(graph_or_graph_def: Any, logdir: str, name: str, as_text: bool = True) -> str:
    """Writes a graph to `logdir/name` (JSON) and its arrays to `logdir/name.npz`.

    As TF's `tf.train.write_graph`; `as_text=False` writes compact JSON instead of indented.
    Directories are created as needed; the write is atomic.

    Returns:
        The path of the JSON file.
    """
    doc = _as_document(graph_or_graph_def)
    path = os.path.join(os.fspath(logdir), os.fspath(name))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_json_with_arrays(path, doc.doc, doc.arrays, as_text=as_text)
    return path


def read_graph(path: str) -> GraphDocument:
    """Reads a graph written by write_graph (checks the arrays' SHA-256)."""
    doc, arrays = read_json_with_arrays(os.fspath(path), "graph file")
    doc = {k: v for k, v in doc.items() if not k.startswith("arrays_")}
    return GraphDocument(doc, arrays)


def load_graph(path: str, graph: Graph | None = None, import_scope: str | None = None) -> Graph:
    """read_graph + graph_from_dict: the graph written at `path`, in `graph` (default: new)."""
    doc = read_graph(path)
    return graph_from_dict(doc.doc, doc.arrays, graph=graph, import_scope=import_scope)


__all__ = [
    "GraphDocument",
    "graph_to_dict",
    "graph_from_dict",
    "write_graph",
    "read_graph",
    "load_graph",
    "variable_from_nodes",
    "atomic_write",
    "write_npz",
    "read_npz",
    "write_json_with_arrays",
    "read_json_with_arrays",
]
