"""One loaded model version: its Sessions and signatures, and the checks on what is fed.

A Servable knows nothing about HTTP: it takes NumPy arrays keyed by signature input names and
returns NumPy arrays keyed by output names. Bad input is a ServingError carrying the HTTP status
a route should answer with (400 / 404), and a message that names the input and both shapes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Graph
from flowzero.runtime.session import Session
from flowzero.saved_model import loader
from flowzero.saved_model.signature_constants import DEFAULT_SERVING_SIGNATURE_DEF_KEY
from flowzero.saved_model.signature_def_utils import SignatureDef, TensorInfo
from flowzero.saved_model.tag_constants import SERVING

log = logging.getLogger("flowzero.serving")


class ServingError(Exception):
    """A request the server refuses: `status` is the HTTP status, the message is for the
    client (TF Serving's {"error": "..."})."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers  # e.g. Retry-After on a 503


def shape_str(shape: Any) -> str:
    """(-1, 784) style, as TF Serving writes shapes (-1 for an unknown dim)."""
    if shape is None:
        return "<unknown rank>"
    dims = ["-1" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def check_input(key: str, info: TensorInfo, value: np.ndarray) -> np.ndarray:
    """`value` as the dtype of `info`, if its shape fits; ServingError(400) otherwise."""
    want = info.dtype.np
    arr = value
    if arr.dtype != want:
        if want.kind == "O":
            if arr.dtype.kind not in "OSU":
                raise ServingError(
                    400,
                    f"Input '{key}' expects strings (dtype "
                    f"{info.dtype.name}); got {arr.dtype.name} values.",
                )
            arr = arr.astype(object)
        else:
            kind = arr.dtype.kind
            if kind in "OSU":
                raise ServingError(
                    400,
                    f"Input '{key}' expects {info.dtype.name} values; got "
                    'strings (a {"b64": ...} value is only for string '
                    "inputs).",
                )
            if want.kind in "iub" and kind == "f":
                if arr.size and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
                    raise ServingError(
                        400,
                        f"Input '{key}' expects {info.dtype.name} values; "
                        "got non-integral numbers.",
                    )
            if (
                want.kind == "b"
                and kind in "iuf"
                and arr.size
                and not np.all((arr == 0) | (arr == 1))
            ):
                raise ServingError(
                    400, f"Input '{key}' expects bool values; got numbers other than 0 and 1."
                )
            if want.kind in "iu" and kind in "iuf" and arr.size:
                lo, hi = np.iinfo(want).min, np.iinfo(want).max
                if arr.min() < lo or arr.max() > hi:
                    raise ServingError(
                        400,
                        f"Input '{key}' expects {info.dtype.name} values; "
                        f"got values outside [{lo}, {hi}].",
                    )
            if want.kind in "iuf" and kind == "c":
                raise ServingError(
                    400, f"Input '{key}' expects {info.dtype.name} values; got complex numbers."
                )
            with np.errstate(over="ignore", invalid="ignore"):
                cast = arr.astype(want)
            if want.kind == "f" and kind in "iuf":
                check_finite(key, info.dtype.name, cast, arr)
            arr = cast
    dims = info.shape
    if dims is not None and (
        arr.ndim != len(dims) or any(d is not None and d != s for d, s in zip(dims, arr.shape))
    ):
        raise ServingError(
            400,
            f"Input '{key}' has shape {shape_str(arr.shape)}, but the "
            f"signature expects {shape_str(dims)} (-1: any size).",
        )
    return arr


def element_index(shape: tuple[int, ...], flat_index: int) -> str:
    """`[i, j, ...]` of the element at `flat_index` in a row-major array of `shape`."""
    if not shape:
        return "[]"
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat_index, shape)) + "]"


def check_finite(
    key: str, dtype_name: str, arr: np.ndarray, source: np.ndarray | None = None
) -> None:
    """ServingError(400) naming the first element of `arr` that is not finite: a null (NaN)
    or a number beyond the range of `dtype_name` (1e39 as float32). JSON has no NaN or
    infinity, so neither was ever a value the client meant."""
    if not arr.size:
        return
    finite = np.isfinite(arr)
    if finite.all():
        return
    i = int(np.flatnonzero(~finite.reshape(-1))[0])
    was = (source if source is not None else arr).reshape(-1)[i]
    what = (
        "null or not a number"
        if np.isnan(was)
        else f"{float(was):g}, out of range for {dtype_name}"
    )
    raise ServingError(
        400,
        f"Input '{key}' expects finite {dtype_name} values; element "
        f"{element_index(arr.shape, i)} is {what}.",
    )


class _Runner:
    """One Session with the signature tensors resolved once (no name lookups per request)."""

    def __init__(self, sess: Session, signatures: Mapping[str, SignatureDef]) -> None:
        self.sess = sess
        g = sess.graph
        self.inputs = {
            name: {k: g.get_tensor_by_name(v.name) for k, v in sig.inputs.items()}
            for name, sig in signatures.items()
        }
        self.outputs = {
            name: {k: g.get_tensor_by_name(v.name) for k, v in sig.outputs.items()}
            for name, sig in signatures.items()
        }


class Servable:
    """A model version loaded for serving.

    Args:
        name, version: the model's name and integer version.
        path: the SavedModel directory.
        sessions: how many independent Sessions (each with its own copy of the graph and the
            variables) may run at once; requests beyond that wait for one. A Session is never
            run by two threads at once.

    The repository counts the requests using it (`acquire` / `release`), so a retired version
    is closed only once the last of them has finished (draining).
    """

    def __init__(self, name: str, version: int, path: str, sessions: int = 1) -> None:
        self.name = name
        self.version = version
        self.path = path
        self.loaded_at = time.time()
        self._pool: queue.SimpleQueue[_Runner] = queue.SimpleQueue()
        self._runners: list[_Runner] = []
        self.signatures: dict[str, SignatureDef] = {}
        try:
            for _ in range(max(1, sessions)):
                sess = Session(graph=Graph())
                meta = loader.load(sess, [SERVING], path)
                self.signatures = dict(meta.signature_def)
                runner = _Runner(sess, self.signatures)
                self._runners.append(runner)
                self._pool.put(runner)
        except BaseException:
            self.close()
            raise
        if not self.signatures:
            self.close()
            raise errors.NotFoundError(
                None,
                None,
                f"The SavedModel {path} has no signatures under the 'serve' tag: nothing to serve.",
            )
        self._lock = threading.Lock()
        self._in_flight = 0
        self._retired = False
        self.closed = False

    # -- lifetime (the repository's side) ------------------------------------------------------
    def acquire(self) -> bool:
        with self._lock:
            if self._retired:
                return False
            self._in_flight += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            done = self._retired and self._in_flight == 0
        if done:
            self.close()

    def retire(self) -> None:
        """No new requests; closes once the ones in flight are done."""
        with self._lock:
            self._retired = True
            done = self._in_flight == 0
        if done:
            self.close()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def retired(self) -> bool:
        return self._retired

    def close(self) -> None:
        for r in self._runners:
            r.sess.close()
        self._runners = []
        self.closed = True
        log.info("model %s version %d unloaded", self.name, self.version)

    # -- running -------------------------------------------------------------------------------
    def signature(self, name: str | None) -> tuple[str, SignatureDef]:
        key = name or DEFAULT_SERVING_SIGNATURE_DEF_KEY
        sig = self.signatures.get(key)
        if sig is None:
            raise ServingError(
                404,
                f'Serving signature name: "{key}" not found in signature '
                f"def. Available: {sorted(self.signatures)}.",
            )
        return key, sig

    def run(
        self,
        signature_name: str,
        feeds: Mapping[str, np.ndarray],
        output_keys: list[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Runs signature `signature_name` on already-checked `feeds` ({input key: array}).

        Returns {output key: array} for `output_keys` (default: all outputs).
        """
        runner = self._pool.get()
        try:
            ins = runner.inputs[signature_name]
            outs = runner.outputs[signature_name]
            keys = list(outs) if output_keys is None else output_keys
            fetches = [outs[k] for k in keys]
            values = runner.sess.run(fetches, {ins[k]: v for k, v in feeds.items()})
        except errors.OpError as e:
            raise ServingError(400, f"Running the model failed: {e.message}") from None
        finally:
            self._pool.put(runner)
        return {k: np.asarray(v) for k, v in zip(keys, values)}

    def check_feeds(self, sig: SignatureDef, feeds: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The feeds converted and checked against `sig`: every input present, no others."""
        missing = [k for k in sig.inputs if k not in feeds]
        if missing:
            raise ServingError(
                400, f"Missing input(s) {missing}; the signature takes {sorted(sig.inputs)}."
            )
        extra = [k for k in feeds if k not in sig.inputs]
        if extra:
            raise ServingError(
                400, f"Unknown input(s) {extra}; the signature takes {sorted(sig.inputs)}."
            )
        return {k: check_input(k, sig.inputs[k], v) for k, v in feeds.items()}
