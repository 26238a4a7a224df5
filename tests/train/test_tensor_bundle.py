"""TensorFlow's V2 checkpoint format: the TF-made fixtures read exactly, every dtype round-trips,
and damaged files (truncated, flipped bytes, bad CRCs, entries past the end, absurd shapes) give
DataLossError naming the file and the tensor, before any large allocation."""

from __future__ import annotations

import json
import os
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.train import crc32c, sstable, tensor_bundle
from flowzero.train.tensor_bundle import BundleReader, write_bundle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tf"
MODELS = ["convnet", "lstm", "batchnorm"]


def _many() -> dict[str, np.ndarray]:
    return {
        f"many/layer_{i:03d}/a_rather_long_variable_name_for_the_index": np.array([i, -i], np.int32)
        for i in range(300)
    }


def _assert_exact(got: np.ndarray, want: np.ndarray, name: str) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape, name
    np.testing.assert_array_equal(got, want, err_msg=name)


# -- TF-made fixtures ---------------------------------------------------------------------------
@pytest.mark.parametrize("model", MODELS)
def test_fixture_checkpoints_read_exactly_tf_values(model):
    d = FIXTURES / model
    io = json.loads((d / "io.json").read_text())
    prefix = str(d / io["checkpoint"])
    with np.load(d / "variables.npz", allow_pickle=False) as z:
        want = {k: z[k] for k in z.files}
    reader = BundleReader(prefix)
    assert reader.keys() == sorted(want)
    for k, v in want.items():
        _assert_exact(reader.read(k), v, k)
    # The same through the public TF1 API, the `checkpoint` state file included.
    latest = tf.train.latest_checkpoint(str(d / "ckpt"))
    assert latest == prefix
    ckpt = tf.train.NewCheckpointReader(str(d / "ckpt"))
    assert ckpt.get_variable_to_shape_map() == {k: list(v.shape) for k, v in want.items()}
    assert tf.train.list_variables(latest) == sorted((k, list(v.shape)) for k, v in want.items())
    _assert_exact(tf.train.load_variable(latest, "global_step"), np.array(7, np.int64), "step")
    # The SavedModel's variables are a bundle too.
    sm = BundleReader(str(d / "saved_model" / "variables" / "variables"))
    for k, v in want.items():
        _assert_exact(sm.read(k), v, k)


def test_fixture_with_every_dtype_reads_exactly():
    prefix = str(FIXTURES / "dtypes" / "model.ckpt")
    reader = BundleReader(prefix)
    with np.load(FIXTURES / "dtypes" / "values.npz", allow_pickle=False) as z:
        want = {k: z[k] for k in z.files}
    want.update(_many())
    assert reader.keys() == sorted([*want, "text"])
    for k, v in want.items():
        _assert_exact(reader.read(k), v, k)
    text = reader.read("text")
    assert text.dtype == object and list(text) == [b"hello", b"", b"\x00bytes\xff"]
    assert reader.dtype_and_shape("empty") == (np.dtype(np.float32), (0, 3))
    assert reader.dtype_and_shape("scalar") == (np.dtype(np.float32), ())


def test_fixture_with_a_partitioned_variable_assembles_the_slices():
    prefix = str(FIXTURES / "partitioned" / "model.ckpt")
    reader = BundleReader(prefix)
    assert reader.keys() == ["emb", "plain"]  # the slices' own keys are not listed
    with np.load(FIXTURES / "partitioned" / "values.npz", allow_pickle=False) as z:
        _assert_exact(reader.read("emb"), z["emb"], "emb")
        _assert_exact(reader.read("plain"), z["plain"], "plain")


def test_debug_string_and_dtype_map():
    reader = tf.train.NewCheckpointReader(str(FIXTURES / "convnet" / "ckpt" / "model.ckpt-7"))
    text = reader.debug_string().decode()
    assert "conv1/weights (DT_FLOAT) [3,3,1,4]\n" in text
    assert "global_step (DT_INT64) []\n" in text
    assert reader.get_variable_to_dtype_map()["global_step"] == tf.int64
    with pytest.raises(errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")


# -- round trips --------------------------------------------------------------------------------
def _all_dtypes() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    vals = {
        "f16": rng.standard_normal((2, 3)).astype(np.float16),
        "f32": rng.standard_normal((4, 5)).astype(np.float32),
        "f64": rng.standard_normal(7),
        "c64": (rng.standard_normal(3) + 1j).astype(np.complex64),
        "c128": rng.standard_normal(3) * 1j,
        "i8": np.array([-128, 0, 127], np.int8),
        "u8": np.array([0, 255], np.uint8),
        "i16": np.array([-32768, 32767], np.int16),
        "u16": np.array([65535], np.uint16),
        "i32": np.array([[-(2**31), 2**31 - 1]], np.int32),
        "i64": np.array([-(2**63), 2**63 - 1], np.int64),
        "u32": np.array([2**32 - 1], np.uint32),
        "u64": np.array([2**64 - 1], np.uint64),
        "bool": np.array([[True, False], [False, True]]),
        "scalar": np.array(2.5, np.float32),
        "empty": np.zeros((0, 4), np.float64),
        "big": rng.standard_normal((300, 300)).astype(np.float32),
        "strings": np.array([b"", b"a", "ü".encode(), b"\x00\xff" * 300], dtype=object),
        "non_contiguous": np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2],
        "big_endian": np.arange(5, dtype=">i4"),
        "scope/nested/name": np.ones(2, np.float32),
    }
    vals.update(_many())
    return vals


def test_every_dtype_round_trips(tmp_path):
    vals = _all_dtypes()
    prefix = str(tmp_path / "sub" / "model.ckpt")
    write_bundle(prefix, vals)
    assert sorted(os.listdir(tmp_path / "sub")) == [
        "model.ckpt.data-00000-of-00001",
        "model.ckpt.index",
    ]
    reader = BundleReader(prefix)
    assert reader.keys() == sorted(vals)
    for k, want in vals.items():
        got = reader.read(k)
        assert got.dtype == want.dtype.newbyteorder("=") and got.shape == want.shape, k
        np.testing.assert_array_equal(got, want, err_msg=k)
    assert reader.read("big_endian").dtype.isnative


def test_small_blocks_give_a_multi_block_index_that_reads_back():
    items = [(b"", b"header")] + [
        (f"k/{i:04d}".encode(), bytes([i % 256]) * (i % 7)) for i in range(500)
    ]
    for block_size, restart in [(64, 1), (200, 16), (4096, 3), (1 << 20, 16)]:
        table = sstable.build_table(items, block_size=block_size, restart_interval=restart)
        assert sstable.read_table(table, "t.index") == items
    with pytest.raises(ValueError, match="strictly increasing"):
        sstable.build_table([(b"b", b""), (b"a", b"")])


def test_crc32c_known_values_and_numpy_fallback(monkeypatch):
    assert crc32c.value(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert crc32c.value(b"") == 0 and crc32c.unmask(crc32c.mask(0xDEADBEEF)) == 0xDEADBEEF
    data = np.random.default_rng(1).integers(0, 256, 3 * 4096 * 7 + 123, dtype=np.uint8)
    want = crc32c.value(data)
    monkeypatch.setattr(crc32c, "_IMPL", False)  # force the NumPy version
    assert crc32c.value(data) == want
    assert crc32c.extend(crc32c.value(data[:5000]), data[5000:]) == want
    assert crc32c.value(b"123456789") == 0xE3069283


def test_write_is_atomic_and_rejects_bad_names(tmp_path):
    prefix = str(tmp_path / "m")
    write_bundle(prefix, {"a": np.ones(3, np.float32)})
    for bad in ({"": np.ones(1)}, {"\x00x": np.ones(1)}, {"a": np.array([object()])}):
        with pytest.raises(errors.InvalidArgumentError):
            write_bundle(prefix, bad)
    np.testing.assert_array_equal(BundleReader(prefix).read("a"), np.ones(3))
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]
    with pytest.raises(errors.NotFoundError, match="index .*not found"):
        BundleReader(str(tmp_path / "nope"))


# -- damaged files ------------------------------------------------------------------------------
@pytest.fixture
def bundle(tmp_path):
    vals = {
        "a/weights": np.arange(12, dtype=np.float32).reshape(3, 4),
        "b": np.array([1, -2, 3], np.int64),
        "c": np.array([b"xy", b"z"], dtype=object),
        "d": np.array(True),
    }
    prefix = str(tmp_path / "model.ckpt-3")
    write_bundle(prefix, vals)
    return prefix, vals


def _read_all(prefix: str) -> dict[str, np.ndarray]:
    r = BundleReader(prefix)
    return {k: r.read(k) for k in r.keys()}


def _same(got: dict, want: dict) -> bool:
    return sorted(got) == sorted(want) and all(
        got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]) for k in want
    )


def test_truncated_index_at_every_offset_is_data_loss(bundle):
    prefix, _ = bundle
    raw = open(prefix + ".index", "rb").read()
    for n in range(len(raw)):
        open(prefix + ".index", "wb").write(raw[:n])
        with pytest.raises(errors.DataLossError, match=r"model\.ckpt-3\.index"):
            _read_all(prefix)


def test_every_flipped_index_byte_is_data_loss_or_harmless(bundle):
    prefix, vals = bundle
    raw = open(prefix + ".index", "rb").read()
    # Only bytes nothing reads may change harmlessly: the (empty) meta-index block with its
    # trailer (13 bytes) and the footer's meta-index handle and zero padding.
    footer = len(raw) - sstable.FOOTER_SIZE
    meta_offset, meta_size, _ = sstable._handle(raw, footer, len(raw))
    unread = set(range(meta_offset, meta_offset + meta_size + sstable.TRAILER_SIZE))
    unread |= set(range(footer, len(raw) - 8))
    for i in range(len(raw)):
        damaged = bytearray(raw)
        damaged[i] ^= 0x5A
        open(prefix + ".index", "wb").write(bytes(damaged))
        try:
            got = _read_all(prefix)
        except errors.DataLossError as e:
            assert "model.ckpt-3" in str(e)
            continue
        assert _same(got, vals), f"flipping byte {i} changed the values read"
        assert i in unread, f"flipping byte {i} of {len(raw)} went unnoticed"


@pytest.mark.parametrize(("n1", "n2"), [(0, 5), (5, 0), (1, 1), (100, 3), (7, 70_000), (4096, 33)])
def test_crc32c_combine_joins_the_crcs_of_adjacent_pieces(n1, n2):
    rng = np.random.default_rng(n1 * 7 + n2)
    a, b = rng.bytes(n1), rng.bytes(n2)
    np.testing.assert_equal(
        crc32c.combine(crc32c.value(a), crc32c.value(b), n2), crc32c.value(a + b)
    )


@pytest.mark.parametrize("name", ["a/weights", "b", "c", "d"])
def test_every_flipped_data_byte_is_a_crc_mismatch_naming_the_tensor(bundle, name):
    prefix, vals = bundle
    data = prefix + ".data-00000-of-00001"
    raw = open(data, "rb").read()
    entry = BundleReader(prefix)._entry(name)
    for i in range(entry.offset, entry.offset + entry.size):
        damaged = bytearray(raw)
        damaged[i] ^= 0x01
        open(data, "wb").write(bytes(damaged))
        r = BundleReader(prefix)
        with pytest.raises(
            errors.DataLossError,
            match=rf"data-00000-of-00001, tensor '{name}'.*(CRC|checksum|add up)",
        ):
            r.read(name)
        for other in set(vals) - {name}:
            np.testing.assert_array_equal(r.read(other), vals[other])


def test_truncated_data_file_is_data_loss_for_the_tensors_past_the_cut(bundle):
    prefix, vals = bundle
    data = prefix + ".data-00000-of-00001"
    raw = open(data, "rb").read()
    r = BundleReader(prefix)
    ends = {k: r._entry(k).offset + r._entry(k).size for k in vals}
    for n in range(len(raw)):
        open(data, "wb").write(raw[:n])
        r = BundleReader(prefix)
        for k, v in vals.items():
            if ends[k] <= n:
                np.testing.assert_array_equal(r.read(k), v)
            else:
                with pytest.raises(errors.DataLossError, match=rf"tensor '{k}'.*past the end"):
                    r.read(k)
    os.unlink(data)
    with pytest.raises(errors.DataLossError, match="data file .* is missing"):
        BundleReader(prefix).read("b")


def _rewrite_entry(prefix: str, name: str, **changes) -> None:
    from flowzero.proto import tensor_bundle_pb2

    items = sstable.read_table(open(prefix + ".index", "rb").read(), "x")
    out = []
    for key, value in items:
        if key == name.encode():
            e = tensor_bundle_pb2.BundleEntryProto.FromString(value)
            for field, v in changes.items():
                if field == "shape":
                    del e.shape.dim[:]
                    for d in v:
                        e.shape.dim.add(size=d)
                else:
                    setattr(e, field, v)
            value = e.SerializeToString()
        out.append((key, value))
    open(prefix + ".index", "wb").write(sstable.build_table(out))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"crc32c": 12345}, "CRC-32C mismatch"),
        ({"offset": 10**6}, "past the end of the data file"),
        ({"size": 10**12}, "entry says 1000000000000 bytes"),
        ({"shape": [1 << 40, 1 << 20]}, "entry says 48 bytes, but shape"),
        ({"shape": [1 << 31] * 3}, "absurdly large"),
        ({"shape": [3, -4]}, "negative dimension"),
        ({"dtype": 99}, "unknown dtype enum 99"),
        ({"shard_id": 3}, "shard 3"),
    ],
)
def test_bad_entries_are_data_loss_before_any_large_allocation(bundle, changes, message):
    prefix, vals = bundle
    _rewrite_entry(prefix, "a/weights", **changes)
    r = BundleReader(prefix)
    tracemalloc.start()
    try:
        with pytest.raises(
            errors.DataLossError, match=rf"model\.ckpt-3.*tensor 'a/weights'.*{message}"
        ):
            r.read("a/weights")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak} bytes allocated before the error"
    np.testing.assert_array_equal(r.read("b"), vals["b"])  # the others still read


def test_a_huge_claimed_string_count_is_data_loss(bundle):
    prefix, _ = bundle
    _rewrite_entry(prefix, "c", shape=[1 << 40])
    with pytest.raises(errors.DataLossError, match="tensor 'c'.*cannot fit"):
        BundleReader(prefix).read("c")


def test_unsupported_dtype_is_a_clear_error(bundle):
    prefix, _ = bundle
    _rewrite_entry(prefix, "b", dtype=14)  # bfloat16
    with pytest.raises(errors.UnimplementedError, match="tensor 'b'.*bfloat16"):
        BundleReader(prefix).read("b")


def test_a_missing_tensor_is_not_found_naming_the_checkpoint(bundle):
    prefix, _ = bundle
    with pytest.raises(errors.NotFoundError, match=r"Key zz not found in checkpoint .*ckpt-3"):
        BundleReader(prefix).read("zz")


def test_fixture_copies_damaged_are_data_loss(tmp_path):
    src = FIXTURES / "convnet" / "ckpt"
    shutil.copytree(src, tmp_path / "ckpt")
    prefix = str(tmp_path / "ckpt" / "model.ckpt-7")
    data = prefix + ".data-00000-of-00001"
    raw = bytearray(open(data, "rb").read())
    raw[100] ^= 0xFF
    open(data, "wb").write(bytes(raw))
    reader = tf.train.NewCheckpointReader(prefix)
    with pytest.raises(errors.DataLossError, match="tensor 'conv1/weights'"):
        reader.get_tensor("conv1/weights")
    assert tensor_bundle.is_bundle(prefix)


@pytest.mark.parametrize("chunk", [8, 1 << 23])
def test_read_many_gives_aligned_writable_values_and_checks_every_crc(bundle, monkeypatch, chunk):
    prefix, vals = bundle
    monkeypatch.setattr(tensor_bundle, "_CHUNK", chunk)  # read and checksummed in pieces
    got = BundleReader(prefix).read_many(sorted(vals))
    assert _same(got, vals)
    for k, v in got.items():
        if v.dtype != object:
            assert v.flags.c_contiguous and v.flags.writeable, k
            assert v.__array_interface__["data"][0] % 64 == 0, k
    data = prefix + ".data-00000-of-00001"
    raw = bytearray(open(data, "rb").read())
    raw[BundleReader(prefix)._entry("b").offset + 3] ^= 0x10
    open(data, "wb").write(bytes(raw))
    with pytest.raises(errors.DataLossError, match="tensor 'b'.*CRC-32C mismatch"):
        BundleReader(prefix).read_many(sorted(vals))


@pytest.mark.parametrize("model", MODELS)
def test_saver_restores_tf_fixture_checkpoints_into_variables_of_the_same_names(model):
    d = FIXTURES / model
    with np.load(d / "variables.npz", allow_pickle=False) as z:
        want = {k: z[k] for k in z.files}
    g = tf.Graph()
    with g.as_default():
        variables = {k: tf.Variable(np.zeros_like(v), name=k) for k, v in want.items()}
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().restore(sess, tf.train.latest_checkpoint(str(d / "ckpt")))
    for k, v in want.items():
        _assert_exact(sess.run(variables[k]), v, k)


def test_a_big_endian_bundle_reads_as_native_values(tmp_path):
    from flowzero.proto import tensor_bundle_pb2 as pb

    vals = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": np.array([1, -2], np.int64),
        "c": np.array([True, False]),
    }
    data = b""
    entries = []
    for name, v in vals.items():
        raw = v.astype(v.dtype.newbyteorder(">")).tobytes()
        e = pb.BundleEntryProto(
            dtype=tensor_bundle.dtype_enum(v.dtype),
            offset=len(data),
            size=len(raw),
            crc32c=crc32c.mask(crc32c.value(raw)),
        )
        for d in v.shape:
            e.shape.dim.add(size=d)
        entries.append((name.encode(), e.SerializeToString()))
        data += raw
    header = pb.BundleHeaderProto(num_shards=1, endianness=1)
    prefix = str(tmp_path / "be")
    open(prefix + ".data-00000-of-00001", "wb").write(data)
    open(prefix + ".index", "wb").write(
        sstable.build_table([(b"", header.SerializeToString()), *entries])
    )
    r = BundleReader(prefix)
    for got in (dict(zip(vals, map(r.read, vals))), r.read_many(list(vals))):
        for k, v in vals.items():
            assert got[k].dtype == v.dtype and got[k].dtype.isnative, k
            np.testing.assert_array_equal(got[k], v, err_msg=k)


@pytest.mark.parametrize("where", ["first", "last"])
def test_parallel_read_of_a_large_tensor_still_catches_a_flipped_byte(tmp_path, monkeypatch, where):
    """Large tensors are read and checksummed in pieces by several threads, the pieces' CRCs
    joined: the value is exact and a flipped byte anywhere is still a CRC mismatch."""
    if not crc32c.accelerated():
        pytest.skip("the parallel path needs the hardware crc32c package")
    if tensor_bundle._reader_pool() is None:
        pytest.skip("one core: no reader threads")
    monkeypatch.setattr(tensor_bundle, "_free_cores", lambda: 2)  # however busy the machine
    monkeypatch.setattr(tensor_bundle, "_PARALLEL_MIN", 1 << 16)
    monkeypatch.setattr(tensor_bundle, "_PIECE", 1 << 14)  # many pieces in flight
    monkeypatch.setattr(tensor_bundle, "_CHUNK", 1000)  # chunks not aligned to pieces
    big = np.random.default_rng(1).standard_normal(50_000).astype(np.float32)
    prefix = str(tmp_path / "m")
    write_bundle(prefix, {"big": big, "small": np.arange(3.0)})
    got = BundleReader(prefix).read_many(["big", "small"])
    np.testing.assert_array_equal(got["big"], big)
    data = prefix + ".data-00000-of-00001"
    raw = bytearray(open(data, "rb").read())
    entry = BundleReader(prefix)._entry("big")
    raw[entry.offset + (5 if where == "first" else entry.size - 2)] ^= 0x01
    open(data, "wb").write(bytes(raw))
    with pytest.raises(errors.DataLossError, match="tensor 'big'.*CRC-32C mismatch"):
        BundleReader(prefix).read_many(["big"])


def test_parallel_read_of_many_tensors_big_and_small_and_a_truncated_file(tmp_path, monkeypatch):
    """Pieces of large tensors go to the reader threads while this thread reads the small
    ones; a data file cut short is a DataLossError naming a tensor past the cut."""
    if not crc32c.accelerated() or tensor_bundle._reader_pool() is None:
        pytest.skip("the parallel path needs the hardware crc32c package and two cores")
    monkeypatch.setattr(tensor_bundle, "_free_cores", lambda: 2)
    monkeypatch.setattr(tensor_bundle, "_PARALLEL_MIN", 1 << 12)
    monkeypatch.setattr(tensor_bundle, "_PIECE", 1 << 12)
    rng = np.random.default_rng(2)
    vals = {f"t{i:02d}": rng.standard_normal(i * 300 + 1) for i in range(12)}
    vals["i"] = np.arange(5000, dtype=np.int32)
    prefix = str(tmp_path / "m")
    write_bundle(prefix, vals)
    got = BundleReader(prefix).read_many(sorted(vals))
    assert _same(got, vals)
    np.testing.assert_array_equal(BundleReader(prefix).read("t11"), vals["t11"])
    data = prefix + ".data-00000-of-00001"
    last = BundleReader(prefix)._entry("t11")
    os.truncate(data, last.offset + 5000)
    with pytest.raises(errors.DataLossError, match="tensor 't11'.*past the end"):
        BundleReader(prefix).read_many(sorted(vals))


def test_reader_threads_are_made_again_in_a_forked_child(monkeypatch):
    pool = tensor_bundle._reader_pool()
    monkeypatch.setattr(tensor_bundle, "_POOL_PID", -1)  # as the child of a fork sees it
    again = tensor_bundle._reader_pool()
    assert (again is None) == (pool is None)
    if pool is not None:
        assert again is not pool
        assert again.submit(lambda: 42).result() == 42
