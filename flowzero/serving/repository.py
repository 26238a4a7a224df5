"""The model repository: `BASE/NAME/<int version>/` directories -> loaded Servables.

For each configured model name the highest version directory that holds a SavedModel is
served. A poller re-scans every `poll_interval_s` seconds; a new highest version is loaded
beside the old one, then requests switch to it and the old one drains (it is closed when its
last request finishes). A version that fails to load is logged and skipped (until its
descriptor changes); the old version keeps serving. If every version directory disappears, the
loaded one keeps serving (and a warning is logged), so a bad `rm` does not take the service down.

Names and versions are checked strictly before they touch the file system: names match
`[A-Za-z0-9_.-]{1,128}` (not "." or ".."), versions are decimal integers. A request can only
name a configured model, so no request path ever becomes a file path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flowzero.framework import errors
from flowzero.framework.serialization import read_limits
from flowzero.saved_model.format import DESCRIPTOR_FILENAME, model_file
from flowzero.serving.servable import Servable, ServingError

log = logging.getLogger("flowzero.serving")

NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
VERSION_RE = re.compile(r"^[0-9]{1,18}$")


def check_model_name(name: Any) -> str:
    """`name` if it is a valid model name; ValueError otherwise."""
    if not isinstance(name, str) or not NAME_RE.match(name) or name in (".", ".."):
        raise ValueError(
            f"invalid model name {name!r}: use 1-128 of A-Z a-z 0-9 _ . - (not '.' or '..')"
        )
    return name


def parse_version(text: Any) -> int | None:
    """The integer version for a path segment, or None if it is not one."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if text >= 0 else None
    if not isinstance(text, str) or not VERSION_RE.match(text):
        return None
    return int(text)


@dataclass
class VersionState:
    version: int
    state: str  # TF Serving's: START, LOADING, AVAILABLE, UNLOADING, END
    error: str = ""
    error_code: str = ""  # TF's canonical code name of a failed load, e.g. DATA_LOSS


class _Model:
    def __init__(self, name: str, directory: str) -> None:
        self.name = name
        self.directory = directory
        self.current: Servable | None = None
        self.draining: list[Servable] = []
        self.loading: int | None = None
        # version -> (descriptor mtime, error, error code)
        self.failed: dict[int, tuple[float, str, str]] = {}


class ModelRepository:
    """Loads and hot-swaps the configured models found under `base_path`.

    Args:
        base_path: the directory holding one subdirectory per model.
        model_names: the models to serve.
        poll_interval_s: seconds between scans for new versions (0: no polling thread; call
            `poll()` yourself).
        sessions_per_model: Sessions per loaded version (how many requests run at once).
        load_timeout_s: a version still loading after this many seconds is given up (failed,
            with a DEADLINE_EXCEEDED error in its status) and the scan goes on; None: no limit.
        max_file_bytes: the largest file (and unpacked array data) a version may hold.

    A version is read as a stranger's files: only regular files (never a FIFO or a device),
    symlinks only to files inside its own directory, sizes checked before reading.
    """

    def __init__(
        self,
        base_path: str,
        model_names: list[str] | tuple[str, ...],
        poll_interval_s: float = 2.0,
        sessions_per_model: int = 1,
        load_timeout_s: float | None = None,
        max_file_bytes: int | None = None,
    ) -> None:
        if not model_names:
            raise ValueError("no model names to serve")
        self.base_path = os.path.abspath(base_path)
        self.poll_interval_s = float(poll_interval_s)
        self.sessions_per_model = int(sessions_per_model)
        self.load_timeout_s = load_timeout_s
        self.max_file_bytes = max_file_bytes
        self._models = {
            n: _Model(n, os.path.join(self.base_path, check_model_name(n))) for n in model_names
        }
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listeners: list[Any] = []  # called as f(name, version) after a switch

    @property
    def model_names(self) -> list[str]:
        return list(self._models)

    # -- scanning and loading -----------------------------------------------------------------
    def available_versions(self, name: str) -> list[int]:
        """Version directories of `name` on disk that hold a SavedModel, ascending."""
        m = self._models[name]
        found = []
        try:
            entries = list(os.scandir(m.directory))
        except OSError:
            return []
        for e in entries:
            v = parse_version(e.name)
            if v is None or not e.is_dir():
                continue  # temp dirs (.1.tmp-...), files, anything not an integer
            if model_file(e.path) is not None:  # flowzero's or TensorFlow's SavedModel
                found.append(v)
        return sorted(found)

    def poll(self) -> None:
        """One scan of every model: load a new highest version and switch to it."""
        with self._poll_lock:
            for name in self._models:
                try:
                    self._poll_model(name)
                except Exception:  # never let a scan kill the poller
                    log.exception("model %s: scan failed", name)

    def _poll_model(self, name: str) -> None:
        m = self._models[name]
        versions = self.available_versions(name)
        current = m.current.version if m.current else None
        if not versions:
            if current is not None and not getattr(m, "_warned_empty", False):
                log.warning(
                    "model %s: no version directories left under %s; keeps serving version %d",
                    name,
                    m.directory,
                    current,
                )
                m._warned_empty = True  # type: ignore[attr-defined]
            return
        m._warned_empty = False  # type: ignore[attr-defined]
        for v in reversed(versions):
            if v == current:
                return
            path = os.path.join(m.directory, str(v))
            try:
                mtime = os.stat(
                    model_file(path) or os.path.join(path, DESCRIPTOR_FILENAME)
                ).st_mtime
            except OSError:
                continue
            failed = m.failed.get(v)
            if failed is not None and failed[0] == mtime:
                continue  # this export failed before and has not changed: try an older one
            if current is not None and v < current:
                # NOTE: the served version is gone from disk: fall back to the newest left.
                log.warning("model %s: version %d disappeared; switching to %d", name, current, v)
            if self._load(m, v, path, mtime):
                return

    def _load(self, m: _Model, version: int, path: str, mtime: float) -> bool:
        m.loading = version
        log.info("model %s: loading version %d from %s", m.name, version, path)
        try:
            servable = self._load_servable(m.name, version, path)
        except Exception as e:
            msg = f"{type(e).__name__}: {e}"
            m.failed[version] = (mtime, msg, _error_code(e))
            log.error("model %s: version %d failed to load: %s", m.name, version, msg)
            return False
        finally:
            m.loading = None
        with self._lock:
            old = m.current
            m.current = servable
            if old is not None:
                m.draining.append(old)
        if old is not None:
            old.retire()
        log.info(
            "model %s: serving version %d%s",
            m.name,
            version,
            f" (version {old.version} draining)" if old else "",
        )
        for f in self.listeners:
            f(m.name, version)
        return True

    def _load_servable(self, name: str, version: int, path: str) -> Servable:
        """Servable(...) under the read limits, given up after load_timeout_s.

        NOTE: a load that hangs cannot be interrupted from outside its thread; it is left
        behind (a daemon thread), and should it ever finish, what it loaded is closed.
        """
        done = threading.Event()
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                with read_limits(self.max_file_bytes, root=path):
                    box["servable"] = Servable(name, version, path, self.sessions_per_model)
            except BaseException as e:  # handed to the waiting thread
                box["error"] = e
            done.set()
            if box.get("abandoned") and "servable" in box:
                box["servable"].close()

        t = threading.Thread(target=work, name=f"flowzero-load-{name}-{version}", daemon=True)
        t.start()
        if not done.wait(self.load_timeout_s):
            box["abandoned"] = True
            raise errors.DeadlineExceededError(
                None,
                None,
                f"loading {path} took longer than {self.load_timeout_s:g} s "
                "(load_timeout_s); given up",
            )
        if "error" in box:
            raise box["error"]
        return box["servable"]

    # -- polling thread ------------------------------------------------------------------------
    def start(self) -> None:
        """Loads every model once, then starts the poller (unless poll_interval_s is 0)."""
        self.poll()
        if self.poll_interval_s > 0 and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="flowzero-model-poller", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval_s):
            self.poll()

    def stop(self) -> None:
        """Stops the poller and unloads everything (requests in flight finish first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            servables = []
            for m in self._models.values():
                if m.current is not None:
                    servables.append(m.current)
                    m.current = None
        for s in servables:
            s.retire()

    # -- requests ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def acquire(self, name: str, version: int | None = None) -> Iterator[Servable]:
        """The Servable for `name` (and `version`, if given), held until the block exits.

        Raises:
            ServingError(404): an unknown model, or a version that is not being served.
        """
        m = self._models.get(name)
        if m is None:
            raise ServingError(
                404,
                f"Servable not found for request: Latest({name})"
                if version is None
                else f"Servable not found for request: Specific({name}, {version})",
            )
        with self._lock:
            s = m.current
            if s is None or (version is not None and s.version != version) or not s.acquire():
                if version is None:
                    raise ServingError(
                        404,
                        f"Servable not found for request: Latest({name}) (no version loaded yet)",
                    )
                raise ServingError(
                    404, f"Servable not found for request: Specific({name}, {version})"
                )
        try:
            yield s
        finally:
            s.release()
            if s.closed:
                with self._lock:
                    if s in m.draining:
                        m.draining.remove(s)

    def has_model(self, name: str) -> bool:
        return name in self._models

    def ready(self, name: str | None = None) -> bool:
        """True when `name` (default: every model) has a version being served."""
        names = [name] if name is not None else list(self._models)
        return all(n in self._models and self._models[n].current is not None for n in names)

    def current_version(self, name: str) -> int | None:
        m = self._models.get(name)
        return None if m is None or m.current is None else m.current.version

    def states(self, name: str) -> list[VersionState]:
        """TF Serving's model_version_status: the served version and any loading/draining."""
        m = self._models[name]
        out = []
        with self._lock:
            draining = [s for s in m.draining if not s.closed]
            m.draining = draining
            if m.loading is not None:
                out.append(VersionState(m.loading, "LOADING"))
            if m.current is not None:
                out.append(VersionState(m.current.version, "AVAILABLE"))
            out += [VersionState(s.version, "UNLOADING") for s in draining]
            for v, (_, err, code) in sorted(m.failed.items(), reverse=True)[:3]:
                if all(s.version != v for s in out):
                    out.append(VersionState(v, "END", err, code))
        return out


def _error_code(e: BaseException) -> str:
    """TF's canonical error code name for a failed load (UNKNOWN for a non-TF error)."""
    if isinstance(e, errors.OpError):
        names = {
            getattr(errors, n): n
            for n in dir(errors)
            if n.isupper() and isinstance(getattr(errors, n), int)
        }
        return names.get(e.error_code, "UNKNOWN")
    return "UNKNOWN"
