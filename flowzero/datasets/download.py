"""Fetching data files: mirrors tried in order, SHA-256 and size checks, atomic writes.

urllib and tqdm are imported only when a download actually happens, so `import flowzero` stays
light. Nothing here ever leaves a partial file under a final name: bytes go to a temporary file
in the same directory and are moved into place with `os.replace` once verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flowzero.datasets.idx import DataIntegrityError

DEFAULT_TIMEOUT = 30.0  # seconds per connection attempt / socket read
_CHUNK = 1 << 16


class DataUnavailableError(OSError):
    """A data file is not on disk and could not be downloaded from any mirror."""


@dataclass(frozen=True)
class FileSpec:
    """A file we know: its name, exact size in bytes and SHA-256 of its bytes."""

    name: str
    size: int
    sha256: str


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path: Path, spec: FileSpec, label: str | None = None) -> None:
    """Checks a file's size and SHA-256 against `spec`.

    Args:
        path: the file to check.
        spec: what it must be.
        label: how the error names the file (default: its path).

    Raises:
        DataIntegrityError: naming the file, what was expected and what was found.
    """
    size = path.stat().st_size
    digest = sha256_of(path)
    if size != spec.size or digest != spec.sha256:
        raise DataIntegrityError(
            f"{label or path}: checksum mismatch: expected {spec.size} bytes with sha256 "
            f"{spec.sha256}; got {size} bytes with sha256 {digest}. The file is corrupt, "
            "truncated or a different file; delete it so that it is fetched again."
        )


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yields a temporary path next to `dest`; on a clean exit it replaces `dest`.

    On any exception the temporary file is removed and `dest` is left as it was.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _progress_bar(total: int | None, desc: str, enabled: bool) -> Any:
    """A tqdm bar when tqdm is installed and wanted, else None (no bar)."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        leave=False,
    )


def _stream(url: str, out: IO[bytes], timeout: float, progress: bool, spec: FileSpec) -> None:
    import urllib.request

    req = urllib.request.Request(url, headers={"User-Agent": "flowzero"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total != spec.size:
            raise DataIntegrityError(
                f"the server announces {total} bytes; {spec.name} has {spec.size}"
            )
        bar = _progress_bar(total, spec.name, progress)
        got = 0
        try:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                got += len(chunk)
                if got > spec.size:  # never stream an unexpectedly huge body to disk
                    raise DataIntegrityError(f"more than the {spec.size} bytes {spec.name} has")
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        if total is not None and got < total:
            raise DataIntegrityError(f"the connection closed after {got} of {total} bytes")


def fetch(
    spec: FileSpec,
    dest_dir: Path,
    mirrors: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Downloads `spec.name` into `dest_dir`, trying each mirror (a base URL) in order.

    A mirror that fails (unreachable, HTTP error, timeout, wrong size or checksum) is reported
    and the next is tried. The file appears under its final name only once verified.

    Returns:
        The path of the verified file.

    Raises:
        DataUnavailableError: every mirror failed; the message lists each URL and why.
    """
    import http.client

    dest = dest_dir / spec.name
    failures: list[str] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + spec.name
        if log is not None:
            log(f"downloading {url}")
        try:
            with atomic_path(dest) as tmp:
                with open(tmp, "wb") as f:
                    _stream(url, f, timeout, progress, spec)
                    f.flush()
                    os.fsync(f.fileno())
                verify_file(tmp, spec, label=f"downloaded {spec.name}")
            return dest
        except (OSError, ValueError, http.client.HTTPException) as e:
            # URLError, HTTPError, timeouts and refused connections are OSErrors; a body cut
            # short is an HTTPException (IncompleteRead); size/checksum errors are ValueErrors.
            failures.append(f"{url}: {type(e).__name__}: {e}")
            if log is not None:
                log(f"failed ({type(e).__name__}: {e}); trying the next mirror")
    tried = "\n".join(f"    {f}" for f in failures) or "    (no mirrors configured)"
    raise DataUnavailableError(f"could not download {spec.name}; every mirror failed:\n{tried}")
