"""MNIST: the full set (standard IDX files, downloaded or put in place) or the bundled subset.

Sources:
    "full"    the four standard gzip IDX files (60,000 train / 10,000 test), verified by size and
              SHA-256, parsed once and cached as `mnist.npz` next to them; downloaded from the
              mirrors when missing (unless downloading is off).
    "subset"  5,000 real MNIST digits bundled with flowzero (4,000 train / 1,000 test, a fixed
              seeded split), so everything works offline and in CI.
    "auto"    "full" when it is already in the data directory, else "subset". It downloads only
              when allowed (`download=True` or FLOWZERO_DOWNLOAD=1), so an offline run never
              waits on the network.

Every load records what it used in `mnist.last_source` (a `Source`: name, location, sizes,
reason), logs it on the "flowzero.datasets.mnist" logger, and `load_mnist(..., with_source=True)`
returns it too. TF1's `read_data_sets` is in `flowzero.datasets.input_data`.

Data directory (`get_data_dir()`): the `data_dir=` argument, else $FLOWZERO_DATA_DIR, else
$XDG_CACHE_HOME/flowzero, else ~/.cache/flowzero. The four .gz files and the cache sit directly
in it.
Environment: FLOWZERO_DATA_DIR, FLOWZERO_DOWNLOAD (1: "auto" may download; 0: never download),
FLOWZERO_MNIST_MIRRORS (comma-separated base URLs replacing the built-in mirrors).

Never a pickle: every .npz is read with allow_pickle=False.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import sys
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from flowzero.datasets.download import (
    DEFAULT_TIMEOUT,
    DataUnavailableError,
    FileSpec,
    atomic_path,
    fetch,
    verify_file,
)
from flowzero.datasets.idx import DataIntegrityError, IDXError, read_idx

__all__ = [
    "COUNTS",
    "FILES",
    "MIRRORS",
    "DataIntegrityError",
    "DataUnavailableError",
    "IDXError",
    "Source",
    "download",
    "get_data_dir",
    "last_source",
    "load_data",
    "load_full",
    "load_mnist",
    "load_subset",
]

logger = logging.getLogger(__name__)

SUBSET_SHA256 = "2d08a2e7b222682d740f8a8720a88f7bfeeacbbdcf4f7927737b279b513ded5a"

# Sizes and SHA-256 digests of the standard files, as TensorFlow Datasets records them for the
# CVDF mirror (tensorflow/datasets: tensorflow_datasets/url_checksums/mnist.txt). The mirrors
# serve the same bytes as LeCun's original site (torchvision pins the same files by MD5).
FILES: dict[str, FileSpec] = {
    "x_train": FileSpec(
        "train-images-idx3-ubyte.gz",
        9912422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "y_train": FileSpec(
        "train-labels-idx1-ubyte.gz",
        28881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "x_test": FileSpec(
        "t10k-images-idx3-ubyte.gz",
        1648877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "y_test": FileSpec(
        "t10k-labels-idx1-ubyte.gz",
        4542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}
COUNTS = {"train": 60000, "test": 10000}
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's mirror
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # CVDF, used by TF / TFDS
)
CACHE_NAME = "mnist.npz"
_CACHE_FORMAT = 1
SOURCES = ("auto", "full", "subset")

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class Source(NamedTuple):
    """Which MNIST a load used, and why."""

    name: str  # "full" or "subset"
    location: str  # the cache file / data directory, or the bundled file
    n_train: int
    n_test: int
    reason: str

    def __str__(self) -> str:
        return (
            f"MNIST {self.name} ({self.n_train} train / {self.n_test} test) from "
            f"{self.location}: {self.reason}"
        )


last_source: Source | None = None


# ---------------------------------------------------------------------------------------------
# Where things are


def get_data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The MNIST data directory: `path`, else $FLOWZERO_DATA_DIR, else the user cache dir."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("FLOWZERO_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "flowzero"


def _mirrors(mirrors: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if mirrors is not None:
        return tuple(mirrors)
    env = os.environ.get("FLOWZERO_MNIST_MIRRORS")
    if env:
        return tuple(m.strip() for m in env.split(",") if m.strip())
    return MIRRORS


def _env_flag(name: str) -> bool | None:
    v = os.environ.get(name, "").strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    return None


def _missing(d: Path) -> list[str]:
    return [s.name for s in FILES.values() if not (d / s.name).is_file()]


def _offline_help(d: Path, mirrors: tuple[str, ...], what: str) -> str:
    files = "\n".join(
        f"    {s.name}  ({s.size:,} bytes, sha256 {s.sha256})" for s in FILES.values()
    )
    return (
        f"full MNIST is not available: {what}\n"
        f"To use it offline, put these four files (the standard gzip IDX files) in {d}:\n"
        f"{files}\n"
        "or point FLOWZERO_DATA_DIR (or data_dir=) at the directory that holds them.\n"
        f"Mirrors: {', '.join(mirrors) or '(none)'}\n"
        "Without them, source='subset' (or 'auto') uses the bundled 5,000-digit subset."
    )


# ---------------------------------------------------------------------------------------------
# The bundled subset


def load_subset() -> Arrays:
    """((x_train, y_train), (x_test, y_test)) of the bundled subset: uint8 (N, 28, 28), (N,).

    Raises:
        OSError: the bundled file is missing or does not match its checksum.
    """
    ref = resources.files("flowzero.datasets") / "data" / "mnist_subset.npz"
    raw = ref.read_bytes()
    if hashlib.sha256(raw).hexdigest() != SUBSET_SHA256:
        raise OSError(
            f"bundled MNIST subset {ref} is corrupt (sha256 mismatch); reinstall "
            "flowzero or rebuild it with scripts/make_mnist_subset.py."
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as d:
        return (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])


# ---------------------------------------------------------------------------------------------
# The full set: files -> verified -> parsed -> cached


def download(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    mirrors: tuple[str, ...] | list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool = True,
) -> Path:
    """Downloads whichever of the four MNIST files are missing; returns the data directory.

    Files already present are left alone (`load_full` verifies them). Each missing file is
    tried from every mirror in order, with a `timeout` per connection and a tqdm progress bar
    when tqdm is installed.

    Raises:
        DataUnavailableError: a file could not be fetched from any mirror; the message names
            the four files, the directory to put them in, and every URL tried.
    """
    return _fetch_missing(get_data_dir(data_dir), mirrors, timeout, progress)


def _fetch_missing(
    d: Path, mirrors: tuple[str, ...] | list[str] | None, timeout: float, progress: bool
) -> Path:
    urls = _mirrors(mirrors)

    def say(msg: str) -> None:
        if progress:
            print(f"flowzero: {msg}", file=sys.stderr)
        logger.info(msg)

    for spec in FILES.values():
        if (d / spec.name).is_file():
            continue
        try:
            fetch(spec, d, urls, timeout=timeout, progress=progress, log=say)
        except DataUnavailableError as e:
            raise DataUnavailableError(_offline_help(d, urls, str(e))) from None
    return d


def _load_cache(path: Path) -> Arrays | None:
    """The cached arrays if the cache exists and was built from the files we expect."""
    if not path.is_file():
        return None
    want = [s.sha256 for s in FILES.values()]
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["format"]) != _CACHE_FORMAT or z["sha256"].tolist() != want:
                return None
            out = (z["x_train"], z["y_train"]), (z["x_test"], z["y_test"])
        _check_arrays(out, str(path))
    except (OSError, ValueError, KeyError, DataIntegrityError) as e:
        logger.warning("ignoring unreadable MNIST cache %s (%s); rebuilding it", path, e)
        return None
    return out


def _save_cache(path: Path, arrays: Arrays) -> None:
    (xtr, ytr), (xte, yte) = arrays
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                format=np.array(_CACHE_FORMAT),
                x_train=xtr,
                y_train=ytr,
                x_test=xte,
                y_test=yte,
                sha256=np.array([s.sha256 for s in FILES.values()]),
            )
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        warnings.warn(
            f"could not write the MNIST cache {path} ({e}); the data loads fine but "
            "will be parsed again next time.",
            RuntimeWarning,
            stacklevel=3,
        )


def _check_arrays(arrays: Arrays, name: str) -> None:
    for (x, y), split in zip(arrays, ("train", "test")):
        n = COUNTS[split]
        if x.shape != (n, 28, 28) or x.dtype != np.uint8:
            raise DataIntegrityError(
                f"{name}: {split} images must be uint8 ({n}, 28, 28); got {x.dtype} {x.shape}."
            )
        if y.shape != (n,) or y.dtype != np.uint8 or (n and int(y.max()) > 9):
            raise DataIntegrityError(
                f"{name}: {split} labels must be uint8 ({n},) in 0..9; got {y.dtype} {y.shape}."
            )


def _parse(d: Path) -> Arrays:
    arrays = {}
    for key, spec in FILES.items():
        path = d / spec.name
        verify_file(path, spec)
        a = read_idx(path)
        images = key.startswith("x")
        if a.dtype != np.uint8 or a.ndim != (3 if images else 1):
            kind = (
                "images (magic 2051: uint8, 3 dims)"
                if images
                else "labels (magic 2049: uint8, 1 dim)"
            )
            raise IDXError(f"{path}: expected MNIST {kind}; got {a.dtype} with {a.ndim} dims.")
        arrays[key] = a
    out = (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    _check_arrays(out, str(d))
    return out


def load_full(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    mirrors: tuple[str, ...] | list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool = True,
) -> Arrays:
    """The full MNIST as uint8 ((x_train (60000, 28, 28), y_train), (x_test, y_test)).

    Uses the cache `mnist.npz` when it was built from the expected files; otherwise verifies
    the four .gz files (size + SHA-256), parses them, and writes the cache atomically.

    Args:
        data_dir: the directory with the files (see `get_data_dir()`).
        download: fetch missing files from the mirrors (False: never touch the network).
        mirrors: base URLs to try in order (default: $FLOWZERO_MNIST_MIRRORS or MIRRORS).
        timeout: seconds per connection attempt.
        progress: a progress bar (tqdm, when installed) and a line per download on stderr.

    Raises:
        DataUnavailableError: files are missing and could not be downloaded (or download is
            off); the message names the files and where to put them.
        DataIntegrityError: a file is corrupt or not what it should be (IDXError for a bad
            IDX structure); the message names it.
    """
    d = get_data_dir(data_dir)
    cache = d / CACHE_NAME
    cached = _load_cache(cache)
    if cached is not None:
        return cached
    missing = _missing(d)
    if missing:
        if not download:
            raise DataUnavailableError(
                _offline_help(
                    d,
                    _mirrors(mirrors),
                    f"missing {', '.join(missing)} in {d}, and downloading is "
                    "off (download=False or FLOWZERO_DOWNLOAD=0).",
                )
            )
        _fetch_missing(d, mirrors, timeout, progress)
    arrays = _parse(d)
    _save_cache(cache, arrays)
    return arrays


# ---------------------------------------------------------------------------------------------
# Choosing a source


def _record(src: Source) -> None:
    global last_source
    last_source = src
    logger.info("%s", src)


def _resolve(
    source: str, data_dir: str | os.PathLike[str] | None, download: bool | None
) -> tuple[Arrays, Source]:
    if source not in SOURCES:
        raise ValueError(
            f"MNIST source must be one of {', '.join(map(repr, SOURCES))}; got "
            f"{source!r}. For files in a directory, pass source='full', "
            "data_dir=DIR."
        )
    d = get_data_dir(data_dir)
    env = _env_flag("FLOWZERO_DOWNLOAD")
    if source == "subset":
        arrays = load_subset()
        why = "source='subset'"
    elif source == "full":
        allow = download if download is not None else env is not False
        arrays = load_full(d, download=allow)
        return arrays, _full_source(d, arrays, "source='full'")
    else:
        missing = _missing(d)
        allow = download if download is not None else env is True
        if not missing or (d / CACHE_NAME).is_file():
            # Files in place: use them (a corrupt file is an error, not a silent fallback).
            # A cache alone may be stale (built from other files): then fall through.
            try:
                arrays = load_full(d, download=False)
                return arrays, _full_source(d, arrays, f"source='auto': found full MNIST in {d}")
            except DataUnavailableError:
                pass
        if allow:
            try:
                arrays = load_full(d, download=True)
                return arrays, _full_source(d, arrays, "source='auto': downloaded full MNIST")
            except DataUnavailableError as e:
                logger.warning("%s", e)
                first = str(e).splitlines()[0].removeprefix("full MNIST is not available: ")
                why = (
                    f"source='auto': full MNIST could not be downloaded into {d} ("
                    f"{first.rstrip(':')}); using the bundled subset"
                )
                arrays = load_subset()
        else:
            why = (
                f"source='auto': full MNIST not in {d} (missing {len(missing)} of "
                f"{len(FILES)} files; set FLOWZERO_DOWNLOAD=1 or use source='full' to "
                "download it); using the bundled subset"
            )
            arrays = load_subset()
    ref = resources.files("flowzero.datasets") / "data" / "mnist_subset.npz"
    (xtr, _), (xte, _) = arrays
    return arrays, Source("subset", str(ref), len(xtr), len(xte), why)


def _full_source(d: Path, arrays: Arrays, why: str) -> Source:
    (xtr, _), (xte, _) = arrays
    return Source("full", str(d), len(xtr), len(xte), why)


def load_data(
    source: str = "auto",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool | None = None,
) -> Arrays:
    """Keras/TF's `mnist.load_data()`: ((x_train, y_train), (x_test, y_test)), all uint8.

    Images are (N, 28, 28) 0-255, labels (N,) 0-9. `mnist.last_source` says which set was used.

    Args:
        source: "auto", "full" or "subset" (see the module docstring).
        data_dir: the directory with the full set's files (see `get_data_dir()`).
        download: may the full set be downloaded? None: "full" yes unless FLOWZERO_DOWNLOAD=0;
            "auto" only if FLOWZERO_DOWNLOAD=1.
    """
    arrays, src = _resolve(source, data_dir, download)
    _record(src)
    return arrays


def _one_hot(labels: np.ndarray, n: int = 10) -> np.ndarray:
    out = np.zeros((labels.size, n), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    source: str = "auto",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool | None = None,
    with_source: bool = False,
) -> Any:
    """The book's `load_mnist`.

    Args:
        normalize: pixels as float32 in [0, 1] (else uint8 0-255).
        flatten: images as (N, 784) (else (N, 1, 28, 28) as the book's CNN chapters use).
        one_hot_label: labels as (N, 10) float32 one-hot (else uint8 indices).
        source: "auto" (full if present, else the bundled subset), "full" or "subset".
        data_dir: the directory with the full set's files (see `get_data_dir()`).
        download: may the full set be downloaded (see `load_data`).
        with_source: also return the `Source` that was used.

    Returns:
        ((x_train, t_train), (x_test, t_test)), plus the `Source` when `with_source`.
        `mnist.last_source` is set either way.
    """
    arrays, src = _resolve(source, data_dir, download)
    _record(src)

    def prep(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = x.astype(np.float32) / 255.0 if normalize else x
        return out.reshape(len(x), 784) if flatten else out.reshape(len(x), 1, 28, 28)

    def lab(y: np.ndarray) -> Any:
        return _one_hot(y) if one_hot_label else y

    (xtr, ytr), (xte, yte) = arrays
    result = (prep(xtr), lab(ytr)), (prep(xte), lab(yte))
    return (*result, src) if with_source else result
