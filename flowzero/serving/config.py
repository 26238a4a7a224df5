"""Server configuration: one dataclass, filled from command-line flags or environment variables.

The environment is how gunicorn workers get their settings (deploy/gunicorn.conf.py and the
systemd unit set them):

| variable | setting | default |
|---|---|---|
| FLOWZERO_MODEL_BASE_PATH | model_base_path | (required) |
| FLOWZERO_MODEL_NAME | model_names (comma-separated) | (required) |
| FLOWZERO_POLL_INTERVAL | poll_interval_s | 2 |
| FLOWZERO_MAX_BODY_BYTES | max_body_bytes | 16777216 |
| FLOWZERO_INFERENCE_THREADS | inference_threads | 2 |
| FLOWZERO_SESSIONS_PER_MODEL | sessions_per_model | 1 |
| FLOWZERO_DEMO | enable_demo (0/1) | 1 |
| FLOWZERO_BLAS_THREADS | blas_threads (0: leave BLAS alone) | 1 |
| FLOWZERO_INLINE_MAX_BYTES | inline_max_bytes | 1048576 |
| FLOWZERO_MAX_INFLIGHT_BYTES | max_inflight_bytes | 134217728 |
| FLOWZERO_MAX_PARSE_BYTES | max_parse_bytes | 134217728 |
| FLOWZERO_BODY_TIMEOUT | body_timeout_s | 60 |
| FLOWZERO_LOAD_TIMEOUT | load_timeout_s | 300 |
| FLOWZERO_MAX_MODEL_FILE_BYTES | max_model_file_bytes | 4294967296 |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from flowzero.serving.repository import check_model_name

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_INFLIGHT_BYTES = 128 * 1024 * 1024
DEFAULT_MAX_PARSE_BYTES = 128 * 1024 * 1024
DEFAULT_MAX_MODEL_FILE_BYTES = 4 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class ServingConfig:
    """What the app serves and its limits.

    Attributes:
        model_base_path: the directory holding `NAME/<version>/` exports.
        model_names: the models to serve (each a directory under model_base_path).
        poll_interval_s: seconds between scans for new versions (0 = never re-scan).
        max_body_bytes: request bodies larger than this get 413 (checked while reading).
        inference_threads: the thread pool that parses, runs and encodes requests, so the
            event loop stays free.
        sessions_per_model: Sessions per loaded version (requests running at once per model).
        enable_demo: serve the drawing demo at GET /.
        blas_threads: BLAS threads per process (threadpoolctl; None leaves BLAS alone).
        inline_max_bytes: requests with bodies up to this size run on the event loop
            instead of the thread pool when requests like them took under 5 ms of CPU
            (0: every request goes to the pool).
        max_inflight_bytes: the request bodies held at once (being received, waiting for a
            thread, being answered), counted by their Content-Length as they start; a request
            that would take the total past this gets 503 with Retry-After.
        max_parse_bytes: the most memory one request's parsed JSON may take, bounded from
            above before parsing (from the number of objects, arrays, strings and commas in
            the body); a body that could take more gets 413. A process parses at most
            inference_threads + 1 bodies at once, so this bounds the parsing memory.
        body_timeout_s: a request body not received within this many seconds gets 408.
        load_timeout_s: a model version still loading after this many seconds is given up
            and reported as failed (state END with its error); older or newer versions load.
        max_model_file_bytes: the largest file (and decompressed array data) a model version
            may hold; larger ones fail the version's load.
    """

    model_base_path: str
    model_names: tuple[str, ...]
    poll_interval_s: float = 2.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    inference_threads: int = 2
    sessions_per_model: int = 1
    enable_demo: bool = True
    blas_threads: int | None = 1
    inline_max_bytes: int = 1 << 20
    max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES
    max_parse_bytes: int = DEFAULT_MAX_PARSE_BYTES
    body_timeout_s: float = 60.0
    load_timeout_s: float = 300.0
    max_model_file_bytes: int = DEFAULT_MAX_MODEL_FILE_BYTES
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.model_names:
            raise ValueError("at least one model name is needed")
        for n in self.model_names:
            check_model_name(n)
        if not self.poll_interval_s >= 0:
            raise ValueError(f"poll_interval_s must be >= 0; got {self.poll_interval_s}")
        if self.max_body_bytes < 1024:
            raise ValueError(f"max_body_bytes must be at least 1024; got {self.max_body_bytes}")
        if self.inference_threads < 1 or self.sessions_per_model < 1:
            raise ValueError("inference_threads and sessions_per_model must be >= 1")
        if self.max_inflight_bytes < self.max_body_bytes:
            raise ValueError(
                f"max_inflight_bytes ({self.max_inflight_bytes}) must be at least "
                f"max_body_bytes ({self.max_body_bytes})"
            )
        for key in ("body_timeout_s", "load_timeout_s"):
            if not getattr(self, key) > 0:
                raise ValueError(f"{key} must be > 0; got {getattr(self, key)}")
        if self.max_parse_bytes < 1024:
            raise ValueError(f"max_parse_bytes must be at least 1024; got {self.max_parse_bytes}")
        if self.max_model_file_bytes < 1024:
            raise ValueError(
                f"max_model_file_bytes must be at least 1024; got {self.max_model_file_bytes}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServingConfig:
        """The configuration in FLOWZERO_* environment variables (table above)."""
        e = os.environ if env is None else env
        base = e.get("FLOWZERO_MODEL_BASE_PATH")
        names = e.get("FLOWZERO_MODEL_NAME", "")
        if not base or not names:
            raise ValueError(
                "set FLOWZERO_MODEL_BASE_PATH and FLOWZERO_MODEL_NAME (the models "
                "to serve: BASE/NAME/<version>/)"
            )

        def num(key: str, default: float, kind: type = int) -> float:
            raw = e.get(key)
            if raw is None or raw == "":
                return default
            try:
                return kind(raw)
            except ValueError:
                raise ValueError(f"{key}={raw!r} is not a number") from None

        return cls(
            model_base_path=base,
            model_names=tuple(n.strip() for n in names.split(",") if n.strip()),
            poll_interval_s=float(num("FLOWZERO_POLL_INTERVAL", 2.0, float)),
            max_body_bytes=int(num("FLOWZERO_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            inference_threads=int(num("FLOWZERO_INFERENCE_THREADS", 2)),
            sessions_per_model=int(num("FLOWZERO_SESSIONS_PER_MODEL", 1)),
            enable_demo=e.get("FLOWZERO_DEMO", "1") not in ("0", "false", "no"),
            blas_threads=int(num("FLOWZERO_BLAS_THREADS", 1)) or None,
            inline_max_bytes=int(num("FLOWZERO_INLINE_MAX_BYTES", 1 << 20)),
            max_inflight_bytes=int(num("FLOWZERO_MAX_INFLIGHT_BYTES", DEFAULT_MAX_INFLIGHT_BYTES)),
            max_parse_bytes=int(num("FLOWZERO_MAX_PARSE_BYTES", DEFAULT_MAX_PARSE_BYTES)),
            body_timeout_s=float(num("FLOWZERO_BODY_TIMEOUT", 60.0, float)),
            load_timeout_s=float(num("FLOWZERO_LOAD_TIMEOUT", 300.0, float)),
            max_model_file_bytes=int(
                num("FLOWZERO_MAX_MODEL_FILE_BYTES", DEFAULT_MAX_MODEL_FILE_BYTES)
            ),
        )

    def to_env(self) -> dict[str, str]:
        """The environment variables that from_env reads back as this configuration."""
        return {
            "FLOWZERO_MODEL_BASE_PATH": os.path.abspath(self.model_base_path),
            "FLOWZERO_MODEL_NAME": ",".join(self.model_names),
            "FLOWZERO_POLL_INTERVAL": repr(self.poll_interval_s),
            "FLOWZERO_MAX_BODY_BYTES": str(self.max_body_bytes),
            "FLOWZERO_INFERENCE_THREADS": str(self.inference_threads),
            "FLOWZERO_SESSIONS_PER_MODEL": str(self.sessions_per_model),
            "FLOWZERO_DEMO": "1" if self.enable_demo else "0",
            "FLOWZERO_BLAS_THREADS": str(self.blas_threads or 0),
            "FLOWZERO_INLINE_MAX_BYTES": str(self.inline_max_bytes),
            "FLOWZERO_MAX_INFLIGHT_BYTES": str(self.max_inflight_bytes),
            "FLOWZERO_MAX_PARSE_BYTES": str(self.max_parse_bytes),
            "FLOWZERO_BODY_TIMEOUT": repr(self.body_timeout_s),
            "FLOWZERO_LOAD_TIMEOUT": repr(self.load_timeout_s),
            "FLOWZERO_MAX_MODEL_FILE_BYTES": str(self.max_model_file_bytes),
        }
