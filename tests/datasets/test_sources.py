"""Choosing between the full set and the bundled subset, and saying which was used."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf
from flowzero.datasets import input_data, mnist, read_data_sets
from flowzero.datasets.idx import DataIntegrityError

from .conftest import N_TEST, N_TRAIN, LocalServer, TinyMNIST


def test_auto_falls_back_to_the_subset_and_says_so(isolated: Path) -> None:
    (x, t), (xt, tt), src = mnist.load_mnist(with_source=True)
    assert x.shape == (4000, 784) and xt.shape == (1000, 784)
    assert src is mnist.last_source
    assert src.name == "subset" and (src.n_train, src.n_test) == (4000, 1000)
    assert src.location.endswith("mnist_subset.npz")
    assert f"full MNIST not in {isolated} (missing 4 of 4 files" in src.reason
    assert "FLOWZERO_DOWNLOAD=1" in src.reason
    assert str(src).startswith("MNIST subset (4000 train / 1000 test) from ")


def test_the_choice_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="flowzero.datasets.mnist"):
        mnist.load_data()
    assert any("MNIST subset" in r.getMessage() for r in caplog.records)


def test_auto_uses_the_full_set_when_present(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    (x, t), (xt, tt) = mnist.load_mnist()
    assert x.shape == (N_TRAIN, 784) and xt.shape == (N_TEST, 784)
    src = mnist.last_source
    assert src is not None and src.name == "full" and src.location == str(isolated)
    assert f"found full MNIST in {isolated}" in src.reason
    # Again, from the cache only.
    for p in isolated.glob("*.gz"):
        p.unlink()
    mnist.load_mnist()
    assert mnist.last_source.name == "full"  # type: ignore[union-attr]


def test_data_dir_argument(tiny: TinyMNIST, tmp_path: Path) -> None:
    d = tiny.write(tmp_path / "elsewhere")
    (x, _), _ = mnist.load_data(data_dir=d)
    np.testing.assert_array_equal(x, tiny.arrays["x_train"])
    assert mnist.last_source.location == str(d)  # type: ignore[union-attr]


def test_auto_never_downloads_unless_allowed(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(server.root)
    monkeypatch.setattr(mnist, "MIRRORS", (server.url,))
    mnist.load_mnist()
    assert mnist.last_source.name == "subset" and server.requests == []  # type: ignore[union-attr]
    monkeypatch.setenv("FLOWZERO_DOWNLOAD", "1")
    mnist.load_mnist()
    src = mnist.last_source
    assert src.name == "full" and "downloaded" in src.reason  # type: ignore[union-attr]
    assert len(server.requests) == 4


def test_auto_download_argument(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.write(server.root)
    monkeypatch.setattr(mnist, "MIRRORS", (server.url,))
    monkeypatch.setenv("FLOWZERO_DOWNLOAD", "1")
    mnist.load_mnist(download=False)  # the argument wins over the environment
    assert server.requests == []
    mnist.load_mnist(download=True)
    assert mnist.last_source.name == "full"  # type: ignore[union-attr]


def test_auto_allowed_to_download_but_offline_falls_back(
    tiny: TinyMNIST, isolated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="flowzero.datasets.mnist"):
        mnist.load_mnist(download=True)
    assert time.monotonic() - t0 < 10
    src = mnist.last_source
    assert src.name == "subset"  # type: ignore[union-attr]
    assert "could not download train-images-idx3-ubyte.gz; every mirror failed" in src.reason  # type: ignore[union-attr]
    assert any("put these four files" in r.getMessage() for r in caplog.records)


def test_auto_does_not_hide_corrupt_files(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    (isolated / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(DataIntegrityError, match="train-labels-idx1-ubyte.gz: checksum"):
        mnist.load_mnist()


def test_auto_with_some_files_missing(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated, ["train-images-idx3-ubyte.gz"])
    mnist.load_mnist()
    assert "missing 3 of 4 files" in mnist.last_source.reason  # type: ignore[union-attr]


def test_full_source(
    tiny: TinyMNIST, isolated: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(mnist.DataUnavailableError, match="put these four files"):
        mnist.load_mnist(source="full")  # mirrors: a closed local port
    tiny.write(server.root)
    monkeypatch.setattr(mnist, "MIRRORS", (server.url,))
    monkeypatch.setenv("FLOWZERO_DOWNLOAD", "0")
    with pytest.raises(mnist.DataUnavailableError, match="downloading is off"):
        mnist.load_data(source="full")
    assert server.requests == []
    monkeypatch.delenv("FLOWZERO_DOWNLOAD")
    (x, y), (xt, yt) = mnist.load_data(source="full")
    assert x.dtype == np.uint8 and x.shape == (N_TRAIN, 28, 28) and yt.shape == (N_TEST,)
    assert mnist.last_source.name == "full"  # type: ignore[union-attr]


def test_subset_source_ignores_the_full_set(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    (x, y), (xt, yt) = mnist.load_data(source="subset")
    assert x.shape == (4000, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    assert mnist.last_source.reason == "source='subset'"  # type: ignore[union-attr]


def test_unknown_source() -> None:
    with pytest.raises(
        ValueError,
        match=r"one of 'auto', 'full', 'subset'; got 'mnist'\. For "
        r"files in a directory, pass source='full', data_dir",
    ):
        mnist.load_mnist(source="mnist")


def test_book_formats_on_the_full_set(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    (x, t), (xt, tt) = mnist.load_mnist(normalize=True, flatten=False, one_hot_label=True)
    assert x.shape == (N_TRAIN, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0], tiny.arrays["x_train"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(t.argmax(axis=1), tiny.arrays["y_train"])
    assert tt.shape == (N_TEST, 10) and tt.dtype == np.float32
    (x, t), _ = mnist.load_mnist(normalize=False)
    assert x.dtype == np.uint8 and x.shape == (N_TRAIN, 784) and t.dtype == np.uint8


def test_read_data_sets_on_the_subset() -> None:
    ds = read_data_sets(one_hot=True, seed=0)
    assert (ds.train.num_examples, ds.validation.num_examples, ds.test.num_examples) == (
        3500,
        500,
        1000,
    )
    assert ds.train.images.shape == (3500, 784) and ds.train.images.dtype == np.float32
    assert 0.0 <= ds.train.images.min() and ds.train.images.max() <= 1.0
    assert ds.train.labels.shape == (3500, 10)
    (xs, _), _ = mnist.load_data(source="subset")
    # TF: the first validation_size training images are the validation set.
    np.testing.assert_allclose(ds.validation.images[0], xs[0].reshape(784) / 255.0, rtol=1e-6)
    xb, tb = ds.train.next_batch(100)
    assert xb.shape == (100, 784) and tb.shape == (100, 10)
    again = input_data.read_data_sets(one_hot=True, seed=0)
    np.testing.assert_array_equal(again.train.next_batch(100)[0], xb)


def test_read_data_sets_options(tiny: TinyMNIST, isolated: Path) -> None:
    tiny.write(isolated)
    ds = read_data_sets(str(isolated), dtype=tf.uint8, reshape=False, validation_size=2)
    assert ds.train.images.shape == (N_TRAIN - 2, 28, 28, 1)
    assert ds.train.images.dtype == np.uint8 and ds.train.labels.dtype == np.uint8
    np.testing.assert_array_equal(ds.validation.images[..., 0], tiny.arrays["x_train"][:2])
    assert read_data_sets(validation_size=0, dtype=tf.float32).validation.num_examples == 0
    with pytest.raises(
        ValueError,
        match=rf"validation_size must be between 0 and {N_TRAIN} "
        r"\(the full set's training images\); got 13",
    ):
        read_data_sets(validation_size=N_TRAIN + 1)
    with pytest.raises(TypeError, match="dtype must be float32 or uint8; got int32"):
        read_data_sets(dtype=np.int32)


def test_fake_data_as_tf1s_unit_tests_use_it() -> None:
    """TF1's positional order read_data_sets(train_dir, fake_data, one_hot) and
    next_batch(batch_size, fake_data): all-ones images, class-0 labels, nothing read."""
    ds = read_data_sets("unused", True, True)
    assert ds.train.num_examples == 10000  # as TF1's fake DataSet (it holds no samples)
    x, y = ds.train.next_batch(3, True)
    assert x.shape == (3, 784) and x.dtype == np.float32 and np.all(x == 1)
    assert y.shape == (3, 10) and np.all(y[:, 0] == 1) and y.sum() == 3
    x, y = read_data_sets(fake_data=True, reshape=False).test.next_batch(2, fake_data=True)
    assert x.shape == (2, 28, 28, 1) and y.tolist() == [0, 0]
