"""Fixtures for the dataset tests: an isolated data directory, tiny generated MNIST-shaped IDX
files, and HTTP mirrors on 127.0.0.1. No test here ever reaches the real internet: the built-in
mirror list is replaced by a closed local port for every test."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from flowzero.datasets import mnist
from flowzero.datasets.download import FileSpec
from flowzero.datasets.idx import to_idx_bytes

N_TRAIN, N_TEST = 12, 5


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own empty data directory and no way to reach a real mirror."""
    d = tmp_path / "flowzero-data"
    monkeypatch.setenv("FLOWZERO_DATA_DIR", str(d))
    for var in ("FLOWZERO_DOWNLOAD", "FLOWZERO_MNIST_MIRRORS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(mnist, "MIRRORS", (closed_port_url(),))
    monkeypatch.setattr(mnist, "last_source", None)
    return d


@dataclass
class TinyMNIST:
    """Generated MNIST-shaped data and its four gzip IDX files (bytes), with matching specs."""

    arrays: dict[str, np.ndarray]
    blobs: dict[str, bytes]  # file name -> gz bytes
    specs: dict[str, FileSpec] = field(default_factory=dict)

    def write(self, d: Path, names: list[str] | None = None) -> Path:
        d.mkdir(parents=True, exist_ok=True)
        for name, blob in self.blobs.items():
            if names is None or name in names:
                (d / name).write_bytes(blob)
        return d


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> TinyMNIST:
    """Tiny MNIST (12 train / 5 test) whose sizes and digests replace the real ones."""
    rng = np.random.default_rng(123)
    arrays = {
        "x_train": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(N_TRAIN) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(N_TEST)[::-1] % 10).astype(np.uint8),
    }
    blobs, specs = {}, {}
    for key, real in mnist.FILES.items():
        blob = gzip.compress(to_idx_bytes(arrays[key]), mtime=0)
        blobs[real.name] = blob
        specs[key] = FileSpec(real.name, len(blob), hashlib.sha256(blob).hexdigest())
    monkeypatch.setattr(mnist, "FILES", specs)
    monkeypatch.setattr(mnist, "COUNTS", {"train": N_TRAIN, "test": N_TEST})
    return TinyMNIST(arrays, blobs, specs)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


@dataclass
class LocalServer:
    root: Path
    url: str
    requests: list[str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    """An HTTP server on 127.0.0.1 serving `root` (empty at first); logs request paths."""
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(_Quiet):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, directory=str(root), **kw)  # type: ignore[arg-type]

        def do_GET(self) -> None:  # noqa: N802 - stdlib's name
            requests.append(self.path)
            if self.path.startswith("/cut/"):  # announce the whole file, send half, hang up
                body = (root / self.path[len("/cut/") :]).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            super().do_GET()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    t.start()
    try:
        yield LocalServer(root, f"http://127.0.0.1:{httpd.server_address[1]}", requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(5)


@pytest.fixture
def silent_port() -> Iterator[str]:
    """A base URL whose server accepts connections but never answers (for timeouts)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}/mnist/"
    finally:
        s.close()
