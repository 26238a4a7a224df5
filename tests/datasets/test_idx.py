"""The IDX parser on generated files: round trips, MNIST's magic numbers, and every bad file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from flowzero.datasets.idx import (
    DataIntegrityError,
    IDXError,
    parse_idx,
    read_idx,
    to_idx_bytes,
    write_idx,
)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (3, 28, 28), (2, 3, 4, 5), (0, 28, 28)])
def test_roundtrip_bytes(dtype: str, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 100).astype(dtype)
    b = parse_idx(to_idx_bytes(a))
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(b, a)
    b[...] = 0  # a new, writable array


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_roundtrip_files(tmp_path: Path, suffix: str) -> None:
    a = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    p = tmp_path / f"images-idx3-ubyte{suffix}"
    write_idx(a, p)
    assert (p.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    np.testing.assert_array_equal(read_idx(p), a)


def test_big_endian_on_disk() -> None:
    buf = to_idx_bytes(np.array([1, 256], dtype=np.int32))
    assert buf == bytes([0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 0])


def test_mnist_magic_numbers() -> None:
    images = to_idx_bytes(np.zeros((3, 28, 28), np.uint8))
    labels = to_idx_bytes(np.zeros(3, np.uint8))
    assert int.from_bytes(images[:4], "big") == 2051
    assert int.from_bytes(labels[:4], "big") == 2049
    assert int.from_bytes(images[4:8], "big") == 3 and len(images) == 16 + 3 * 784


@pytest.mark.parametrize(
    "buf, match",
    [
        (b"", r"shorter than the 4-byte magic number"),
        (b"\x00\x00", r"shorter than the 4-byte magic number"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", r"bad IDX magic number 0x01000801"),
        (b"\x1f\x8b\x08\x00\x00\x00", r"bad IDX magic number 0x1F8B0800.*gzip"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x00", r"unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", r"declares 0 dimensions"),
        (
            b"\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00",
            r"truncated IDX header: 3 dimensions need 16",
        ),
    ],
)
def test_bad_headers(buf: bytes, match: str) -> None:
    with pytest.raises(IDXError, match=r"^my-file: .*" + match):
        parse_idx(buf, "my-file")


def test_truncated_and_trailing_data() -> None:
    good = to_idx_bytes(np.zeros((4, 28, 28), np.uint8))
    with pytest.raises(
        IDXError,
        match=r"f: truncated IDX data: shape \(4, 28, 28\) of uint8 "
        r"needs 3136 bytes after the header; the file has 3135",
    ):
        parse_idx(good[:-1], "f")
    with pytest.raises(IDXError, match=r"f: 2 unexpected trailing bytes"):
        parse_idx(good + b"\x00\x00", "f")
    with pytest.raises(IDXError, match="truncated IDX data"):
        parse_idx(to_idx_bytes(np.zeros(3, np.float64))[:-3], "f")


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    blob = gzip.compress(to_idx_bytes(np.zeros((50, 28, 28), np.uint8)))
    p = tmp_path / "train-images-idx3-ubyte.gz"
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte\.gz: corrupt or truncated gzip"):
        read_idx(p)
    p.write_bytes(blob[:10] + b"\xff" * 20 + blob[30:])
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte\.gz: corrupt or truncated gzip"):
        read_idx(p)


def test_gzip_of_a_truncated_idx_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "t10k-labels-idx1-ubyte.gz"
    p.write_bytes(gzip.compress(to_idx_bytes(np.zeros(10, np.uint8))[:-4]))
    with pytest.raises(IDXError, match=r"t10k-labels-idx1-ubyte\.gz: truncated IDX data"):
        read_idx(p)


def test_errors_are_value_errors() -> None:
    assert issubclass(IDXError, DataIntegrityError) and issubclass(IDXError, ValueError)


def test_unencodable_arrays() -> None:
    with pytest.raises(ValueError, match="IDX has no type for dtype bool"):
        to_idx_bytes(np.zeros(3, bool))
    with pytest.raises(ValueError, match="1 to 255 dimensions; got 0"):
        to_idx_bytes(np.uint8(3))
