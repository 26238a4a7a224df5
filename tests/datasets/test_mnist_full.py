"""The full-MNIST path on tiny generated IDX files: checksums, local HTTP mirrors, the offline
error, the cache and its atomic write. Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import io
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from flowzero.datasets import download as dl
from flowzero.datasets import mnist
from flowzero.datasets.idx import DataIntegrityError, IDXError

from .conftest import N_TEST, N_TRAIN, LocalServer, TinyMNIST, closed_port_url

NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def assert_tiny(arrays: mnist.Arrays, tiny: TinyMNIST) -> None:
    (xtr, ytr), (xte, yte) = arrays
    for got, key in [(xtr, "x_train"), (ytr, "y_train"), (xte, "x_test"), (yte, "y_test")]:
        np.testing.assert_array_equal(got, tiny.arrays[key])
        assert got.dtype == np.uint8
    assert xtr.shape == (N_TRAIN, 28, 28) and yte.shape == (N_TEST,)


def no_part_files(d: Path) -> bool:
    return not [p for p in d.iterdir() if p.name.endswith(".part")]


def test_known_files_and_digests() -> None:
    # The real table (not the tiny one): the standard names, sizes and SHA-256 digests as
    # recorded by tensorflow/datasets (url_checksums/mnist.txt).
    assert [s.name for s in mnist.FILES.values()] == NAMES
    assert [s.size for s in mnist.FILES.values()] == [9912422, 28881, 1648877, 4542]
    assert mnist.FILES["x_train"].sha256.startswith("440fcabf73cc546f")
    assert all(len(s.sha256) == 64 for s in mnist.FILES.values())
    assert mnist.COUNTS == {"train": 60000, "test": 10000}


def test_get_data_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWZERO_DATA_DIR", str(tmp_path / "env"))
    assert mnist.get_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert mnist.get_data_dir() == tmp_path / "env"
    monkeypatch.delenv("FLOWZERO_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist.get_data_dir() == tmp_path / "xdg" / "flowzero"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert mnist.get_data_dir() == Path.home() / ".cache" / "flowzero"


def test_load_full_from_local_files(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    assert_tiny(mnist.load_full(download=False), tiny)
    assert (isolated / "mnist.npz").is_file() and no_part_files(isolated)


def test_cache_is_reused(
    tiny: TinyMNIST, isolated: Path, monkeypatch: pytest.MonkeyPatch, server: LocalServer
) -> None:
    monkeypatch.setattr(mnist, "MIRRORS", (server.url + "/",))
    (server.root / "x").mkdir()
    tiny.write(server.root)
    first = mnist.load_full(progress=False)
    assert len(server.requests) == 4
    assert_tiny(first, tiny)

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(mnist, "read_idx", boom)
    monkeypatch.setattr(mnist, "fetch", boom)
    monkeypatch.setattr(mnist, "verify_file", boom)
    for name in NAMES:  # the cache alone is enough
        (isolated / name).unlink()
    assert_tiny(mnist.load_full(progress=False), tiny)
    assert len(server.requests) == 4


def test_stale_cache_is_rebuilt(
    tiny: TinyMNIST, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(isolated)
    mnist.load_full(download=False)
    (isolated / "mnist.npz").write_bytes(b"not an npz")  # unreadable cache: parse again
    assert_tiny(mnist.load_full(download=False), tiny)
    with np.load(isolated / "mnist.npz", allow_pickle=False) as z:
        assert z["sha256"].tolist() == [s.sha256 for s in mnist.FILES.values()]
    # A cache built from other files (other digests) is not used.
    other = {k: dl.FileSpec(s.name, s.size, "0" * 64) for k, s in mnist.FILES.items()}
    monkeypatch.setattr(mnist, "FILES", other)
    with pytest.raises(DataIntegrityError, match="checksum mismatch"):
        mnist.load_full(download=False)


def test_checksum_mismatch_is_a_clear_error(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    p = isolated / "t10k-images-idx3-ubyte.gz"
    blob = bytearray(p.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    p.write_bytes(bytes(blob))
    spec = mnist.FILES["x_test"]
    with pytest.raises(
        DataIntegrityError,
        match=(
            rf"t10k-images-idx3-ubyte\.gz: checksum mismatch: expected {spec.size} bytes with "
            rf"sha256 {spec.sha256}; got {spec.size} bytes with sha256 [0-9a-f]{{64}}.*delete"
        ),
    ):
        mnist.load_full(download=False)
    assert not (isolated / "mnist.npz").exists()


def test_corrupt_file_with_matching_digest_names_it(
    tiny: TinyMNIST, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # If the known digest were of a broken file, the IDX checks would still catch it.
    import gzip
    import hashlib

    bad = gzip.compress(gzip.decompress(tiny.blobs[NAMES[1]])[:-3])
    files = dict(mnist.FILES)
    files["y_train"] = dl.FileSpec(NAMES[1], len(bad), hashlib.sha256(bad).hexdigest())
    monkeypatch.setattr(mnist, "FILES", files)
    tiny.write(isolated)
    (isolated / NAMES[1]).write_bytes(bad)
    with pytest.raises(IDXError, match=r"train-labels-idx1-ubyte\.gz: truncated IDX data"):
        mnist.load_full(download=False)
    # Images where labels belong.
    swapped = tiny.blobs[NAMES[2]]
    files["y_train"] = dl.FileSpec(NAMES[1], len(swapped), hashlib.sha256(swapped).hexdigest())
    (isolated / NAMES[1]).write_bytes(swapped)
    with pytest.raises(
        IDXError,
        match=r"train-labels-idx1-ubyte\.gz: expected MNIST labels "
        r"\(magic 2049",
    ):
        mnist.load_full(download=False)


def test_download_first_mirror_failing_second_working(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny.write(server.root / "good")
    mirrors = [closed_port_url(), server.url + "/missing/", server.url + "/good"]
    d = mnist.download(mirrors=mirrors, timeout=5)
    assert d == isolated and no_part_files(d)
    assert sorted(p.name for p in d.iterdir()) == sorted(NAMES)
    # each file: a 404 from the second mirror, then the third
    assert server.requests == [p for n in NAMES for p in (f"/missing/{n}", f"/good/{n}")]
    err = capsys.readouterr().err
    assert f"downloading {server.url}/good/{NAMES[0]}" in err and "trying the next mirror" in err
    assert_tiny(mnist.load_full(download=False), tiny)


def test_mirror_with_wrong_bytes_is_skipped(
    tiny: TinyMNIST, isolated: Path, server: LocalServer
) -> None:
    tiny.write(server.root / "good")
    bad = tiny.write(server.root / "bad")
    for name in NAMES:
        blob = (bad / name).read_bytes()
        (bad / name).write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    (bad / NAMES[3]).write_bytes(b"x" * 10_000)  # a different size altogether
    arrays = mnist.load_full(mirrors=[server.url + "/bad/", server.url + "/good/"], progress=False)
    assert_tiny(arrays, tiny)
    assert len(server.requests) == 8 and no_part_files(isolated)


def test_download_cut_short_leaves_nothing_behind(
    tiny: TinyMNIST, isolated: Path, server: LocalServer
) -> None:
    tiny.write(server.root)
    cut = r"/cut/train-images-idx3-ubyte\.gz: DataIntegrityError: the connection closed after"
    with pytest.raises(mnist.DataUnavailableError, match=cut + r" \d+ of \d+ bytes"):
        mnist.download(mirrors=[server.url + "/cut/"], progress=False)
    assert list(isolated.iterdir()) == []
    # With a good mirror after it, the download goes through.
    mnist.download(mirrors=[server.url + "/cut/", server.url], progress=False)
    assert_tiny(mnist.load_full(download=False), tiny)


def test_offline_error_names_files_dir_and_mirrors(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated, NAMES[:2])  # two present, two missing
    mirrors = [closed_port_url(), closed_port_url()]
    t0 = time.monotonic()
    with pytest.raises(mnist.DataUnavailableError) as e:
        mnist.load_full(mirrors=mirrors, timeout=2, progress=False)
    assert time.monotonic() - t0 < 10
    msg = str(e.value)
    assert "could not download t10k-images-idx3-ubyte.gz; every mirror failed" in msg
    assert f"put these four files (the standard gzip IDX files) in {isolated}" in msg
    for name in NAMES:
        assert name in msg
    for m in mirrors:
        assert m in msg
    assert "FLOWZERO_DATA_DIR" in msg and "source='subset'" in msg
    assert "Connection refused" in msg or "URLError" in msg
    assert isinstance(e.value, OSError)
    assert sorted(p.name for p in isolated.iterdir()) == sorted(NAMES[:2])  # nothing partial


def test_download_timeout(tiny: TinyMNIST, isolated: Path, silent_port: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(mnist.DataUnavailableError, match="timed out"):
        mnist.download(mirrors=[silent_port], timeout=0.3, progress=False)
    assert time.monotonic() - t0 < 5
    assert not isolated.exists() or no_part_files(isolated)


def test_download_off_never_touches_the_network(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(server.root)
    monkeypatch.setattr(mnist, "MIRRORS", (server.url,))
    with pytest.raises(
        mnist.DataUnavailableError,
        match=r"(?s)missing train-images.*"
        r"downloading is off.*put these four",
    ):
        mnist.load_full(download=False)
    assert server.requests == []


def test_mirrors_from_the_environment(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(server.root / "env")
    monkeypatch.setenv("FLOWZERO_MNIST_MIRRORS", f" {closed_port_url()} , {server.url}/env/ ")
    assert_tiny(mnist.load_full(progress=False), tiny)
    assert len(server.requests) == 4


def test_file_url_mirror(tiny: TinyMNIST, isolated: Path, tmp_path: Path) -> None:
    local = tiny.write(tmp_path / "usb-stick")
    assert_tiny(mnist.load_full(mirrors=[local.as_uri()], progress=False), tiny)


def test_progress_bar_with_tqdm(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars: list[dict[str, object]] = []

    class FakeBar:
        def __init__(self, total: int | None = None, **kw: object) -> None:
            self.state: dict[str, object] = {"total": total, "n": 0, "closed": False, **kw}
            bars.append(self.state)

        def update(self, n: int) -> None:
            self.state["n"] += n  # type: ignore[operator]

        def close(self) -> None:
            self.state["closed"] = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    tiny.write(server.root)
    mnist.download(mirrors=[server.url], progress=True)
    assert [b["desc"] for b in bars] == NAMES
    assert all(
        b["total"] == b["n"] == len(tiny.blobs[b["desc"]]) and b["closed"]  # type: ignore[index]
        for b in bars
    )


def test_real_tqdm_bar(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    tiny.write(server.root)
    assert_tiny(mnist.load_full(mirrors=[server.url], progress=True), tiny)
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err


def test_no_tqdm_no_bar(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    tiny.write(server.root)
    assert_tiny(mnist.load_full(mirrors=[server.url], progress=True), tiny)


def test_failed_cache_write_leaves_no_partial_file(
    tiny: TinyMNIST, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(isolated)

    def savez_then_fail(f: io.BufferedWriter, **arrays: object) -> None:
        f.write(b"PK\x03\x04 half an npz")
        f.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", savez_then_fail)
    with pytest.warns(RuntimeWarning, match="could not write the MNIST cache.*No space left"):
        arrays = mnist.load_full(download=False)
    assert_tiny(arrays, tiny)
    assert not (isolated / "mnist.npz").exists()
    assert sorted(p.name for p in isolated.iterdir()) == sorted(NAMES)


def test_atomic_path_keeps_the_old_file(tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "file.bin"
    with dl.atomic_path(dest) as tmp:
        tmp.write_bytes(b"old")
    assert dest.read_bytes() == b"old"
    with pytest.raises(KeyboardInterrupt), dl.atomic_path(dest) as tmp:
        tmp.write_bytes(b"new but interrupted")
        raise KeyboardInterrupt
    assert dest.read_bytes() == b"old"
    assert [p.name for p in dest.parent.iterdir()] == ["file.bin"]


def test_importing_datasets_stays_light() -> None:
    import subprocess

    code = (
        "import sys, flowzero; before = set(sys.modules); import flowzero.datasets; "
        "new = set(sys.modules) - before; "
        "print(sorted(m for m in new if m.split('.')[0] in "
        "('urllib', 'http', 'tqdm', 'email', 'socket', 'ssl')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
