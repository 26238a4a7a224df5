"""Model versions from strangers: crafted files refuse to load, quickly and with a typed error,
and a poisoned version never keeps the repository from serving a good one.

Exports are attacked in the layout flowzero writes (TensorFlow's: saved_model.pb and a V2
checkpoint in variables/) and in flowzero's earlier layout, which is still read
(saved_model.json, a JSON index and an .npz)."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import zipfile

import numpy as np
import pytest

import flowzero as tf
from flowzero import saved_model
from flowzero.framework import errors
from flowzero.framework.serialization import read_limits, sha256_file
from tests.serving.conftest import copy_export

pytest.importorskip("starlette", reason="the serving extra (starlette) is not installed")

from flowzero.serving import repository as repository_mod  # noqa: E402
from flowzero.serving.repository import ModelRepository  # noqa: E402

VARS = os.path.join("variables", "variables.npz")  # the earlier layout's data
INDEX = os.path.join("variables", "variables.index")  # (a JSON index in the earlier layout)
DATA = os.path.join("variables", "variables.data-00000-of-00001")
PB = "saved_model.pb"
DESCRIPTOR = "saved_model.json"
# (layout, file) pairs a stranger may have replaced: every file a load reads.
TARGETS = [
    ("tf", DATA),
    ("tf", INDEX),
    ("tf", PB),
    ("old", VARS),
    ("old", INDEX),
    ("old", DESCRIPTOR),
]


def _old_layout(trained, dst):
    """The trained model in flowzero's earlier SavedModel layout."""
    from flowzero.saved_model.signature_def_utils import predict_signature_def
    from flowzero.train import checkpoint_utils
    from flowzero.train import saver as json_saver

    g = trained.graph
    var_list = g.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
    with g.as_default():
        saver = tf.train.Saver(var_list, max_to_keep=None)
    sig = predict_signature_def({"x": trained.net.x}, trained.outputs)
    json_saver.export_meta_graph(
        os.path.join(dst, "meta_graph_0.json"),
        graph=g,
        saver=saver,
        meta_info_def={"tags": ["serve"]},
        signature_def={"serving_default": sig.to_json()},
    )
    checkpoint_utils.write_flowzero_checkpoint(
        os.path.join(dst, "variables", "variables"),
        {v.op.name: trained.sess.run(v) for v in var_list},
    )
    with open(os.path.join(dst, DESCRIPTOR), "w") as f:
        json.dump(
            {
                "format": "flowzero.saved_model",
                "version": 1,
                "created": 0.0,
                "variables": "variables/variables",
                "meta_graphs": [
                    {
                        "tags": ["serve"],
                        "file": "meta_graph_0.json",
                        "signatures": ["serving_default"],
                    }
                ],
            },
            f,
        )


@pytest.fixture(scope="module")
def old_layout(trained, tmp_path_factory):
    d = tmp_path_factory.mktemp("old_layout") / "1"
    os.makedirs(d / "variables")
    _old_layout(trained, str(d))
    assert sorted(os.listdir(d / "variables")) == ["variables.index", "variables.npz"]
    return str(d)


def _copy(trained, old_layout, layout, dst):
    if layout == "tf":
        copy_export(os.path.join(trained.base, "mnist", "1"), str(dst))
    else:
        shutil.copytree(old_layout, str(dst))
    return str(dst)


@pytest.fixture
def export(trained, tmp_path):
    """A fresh copy of the trained export at tmp/models/mnist/1 (TensorFlow's layout)."""
    return _copy(trained, None, "tf", tmp_path / "models" / "mnist" / "1")


@pytest.fixture
def old_export(trained, old_layout, tmp_path):
    """The same model at tmp/models/mnist/1 in flowzero's earlier layout."""
    return _copy(trained, old_layout, "old", tmp_path / "models" / "mnist" / "1")


@pytest.fixture(params=["tf", "old"])
def any_export(request, trained, old_layout, tmp_path):
    return _copy(trained, old_layout, request.param, tmp_path / "models" / "mnist" / "1")


def _export_in(layout, trained, old_layout, tmp_path):
    return _copy(trained, old_layout, layout, tmp_path / "models" / "mnist" / "1")


def _load(export_dir, **limits):
    sess = tf.Session(graph=tf.Graph())
    with read_limits(root=export_dir, **limits):
        return saved_model.loader.load(sess, ["serve"], export_dir)


def _rewrite_npz(export_dir, members, compress=zipfile.ZIP_STORED):
    """Replaces the variables .npz with `members` ({name: bytes}) and fixes the index's
    SHA-256, as an attacker who controls both files would."""
    path = os.path.join(export_dir, VARS)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    _fix_index(export_dir)


def _fix_index(export_dir, edit=None):
    ipath = os.path.join(export_dir, INDEX)
    with open(ipath) as f:
        doc = json.load(f)
    if edit is not None:
        edit(doc)
    doc["arrays_sha256"] = sha256_file(os.path.join(export_dir, VARS))
    doc["arrays_bytes"] = os.path.getsize(os.path.join(export_dir, VARS))
    with open(ipath, "w") as f:
        json.dump(doc, f)


def _npy(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _members(export_dir):
    with zipfile.ZipFile(os.path.join(export_dir, VARS)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _timed_load(export_dir, **limits):
    t0 = time.monotonic()
    with pytest.raises(errors.DataLossError) as info:
        _load(export_dir, **limits)
    assert time.monotonic() - t0 < 10
    return str(info.value)


def _edit_bundle_index(export_dir, edit):
    """Rewrites the V2 checkpoint's index, `edit(header, {name: entry})` changing the protos in
    place; every checksum is recomputed, as an attacker who controls the file would."""
    from flowzero.proto import tensor_bundle_pb2
    from flowzero.train import sstable

    path = os.path.join(export_dir, INDEX)
    with open(path, "rb") as f:
        items = sstable.read_table(f.read(), path)
    header = tensor_bundle_pb2.BundleHeaderProto.FromString(items[0][1])
    entries = {k.decode(): tensor_bundle_pb2.BundleEntryProto.FromString(v) for k, v in items[1:]}
    edit(header, entries)
    table = sstable.build_table(
        [(b"", header.SerializeToString())]
        + [(k.encode(), e.SerializeToString()) for k, e in sorted(entries.items())]
    )
    with open(path, "wb") as f:
        f.write(table)


def test_intact_export_loads_under_limits(any_export):
    meta = _load(any_export, max_file_bytes=1 << 20)
    assert "serving_default" in meta.signature_def


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("layout,target", TARGETS)
def test_fifo_is_refused_not_waited_on(trained, old_layout, tmp_path, layout, target):
    export = _export_in(layout, trained, old_layout, tmp_path)
    os.unlink(os.path.join(export, target))
    os.mkfifo(os.path.join(export, target))
    msg = _timed_load(export)
    assert "FIFO" in msg and os.path.basename(target) in msg


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("layout,target", TARGETS)
def test_symlink_to_dev_zero_is_refused(trained, old_layout, tmp_path, layout, target):
    export = _export_in(layout, trained, old_layout, tmp_path)
    os.unlink(os.path.join(export, target))
    os.symlink("/dev/zero", os.path.join(export, target))
    msg = _timed_load(export)
    assert "/dev/zero" in msg and "outside" in msg
    # Even without a root to stay in, a device is no regular file.
    sess = tf.Session(graph=tf.Graph())
    t0 = time.monotonic()
    with pytest.raises(errors.DataLossError, match="device"):
        saved_model.loader.load(sess, ["serve"], export)
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("layout,target", [("tf", DATA), ("tf", INDEX), ("tf", PB), ("old", VARS)])
def test_symlinks_only_inside_the_version_directory(trained, old_layout, tmp_path, layout, target):
    export = _export_in(layout, trained, old_layout, tmp_path)
    outside = tmp_path / "elsewhere"
    shutil.move(os.path.join(export, target), outside)
    os.symlink(outside, os.path.join(export, target))
    assert "outside" in _timed_load(export)
    # A symlink to a file inside the version directory is fine.
    os.unlink(os.path.join(export, target))
    inside = os.path.join(os.path.dirname(os.path.join(export, target)), "real")
    shutil.move(outside, inside)
    os.symlink("real", os.path.join(export, target))
    _load(export)
    # So is a symlinked directory, when it stays inside.
    os.rename(os.path.join(export, "variables"), os.path.join(export, "v2"))
    os.symlink("v2", os.path.join(export, "variables"))
    _load(export)


def test_file_larger_than_the_limit_is_refused(any_export):
    msg = _timed_load(any_export, max_file_bytes=4096)
    assert "bytes, more than the limit of 4096" in msg


def test_each_file_of_tensorflows_layout_is_held_to_the_limit(export):
    # The limit just below each file's size: saved_model.pb (the largest) stops the load...
    limit = os.path.getsize(os.path.join(export, PB)) - 1
    msg = _timed_load(export, max_file_bytes=limit)
    assert f"bytes, more than the limit of {limit}" in msg and PB in msg
    # ... and the checkpoint's data file stops a read of the checkpoint.
    limit = os.path.getsize(os.path.join(export, DATA)) - 1
    with (
        read_limits(max_file_bytes=limit, root=export),
        pytest.raises(errors.DataLossError) as info,
    ):
        tf.train.list_variables(os.path.join(export, "variables", "variables"))
    assert f"bytes, more than the limit of {limit}" in str(info.value)
    assert DATA in str(info.value)


def test_decompression_bomb_is_refused_before_unpacking(old_export):
    export = old_export
    members = _members(export)
    # Each member deflates to a tiny size but declares (and would unpack to) 64 MiB.
    bomb = _npy(np.zeros(16 << 20, np.float32))
    _rewrite_npz(export, {**members, "two_layer_net/W1.npy": bomb}, zipfile.ZIP_DEFLATED)
    assert os.path.getsize(os.path.join(export, VARS)) < 1 << 20
    msg = _timed_load(export)  # the index declares W1 as (784, 50): refused without reading
    assert "two_layer_net/W1.npy" in msg and "index declares" in msg
    # And whatever the index says, the unpacked total is capped by the limit.
    msg = _timed_load(export, max_file_bytes=8 << 20)
    assert "unpacks to" in msg


def test_member_the_index_does_not_list_is_refused(old_export):
    export = old_export
    extra = _npy(np.zeros(3, np.float32))
    _rewrite_npz(export, {**_members(export), "smuggled.npy": extra})
    assert "'smuggled.npy' is not listed in its index" in _timed_load(export)


def test_pickle_inside_npz_is_refused(old_export):
    export = old_export
    evil = np.array([{"a": 1}], dtype=object)
    members = _members(export)
    members["two_layer_net/b1.npy"] = _npy(evil)
    _rewrite_npz(export, members)
    assert "pickle" in _timed_load(export)


def test_header_lying_about_its_shape_is_refused_before_allocating(old_export):
    export = old_export
    members = _members(export)
    good = members["two_layer_net/b1.npy"]
    # A header claiming 2**40 elements on a tiny member: np.load would try to allocate 4 TiB.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 40,)}
    )
    members["two_layer_net/b1.npy"] = header.getvalue() + good[-200:]
    _rewrite_npz(export, members)
    assert "header describes" in _timed_load(export)


def test_truncated_npz_is_data_loss(old_export):
    export = old_export
    path = os.path.join(export, VARS)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    _fix_index(export)
    assert "cannot be read as an .npz" in _timed_load(export)


def test_absurd_shape_in_the_index_is_refused(old_export):
    def edit(doc):
        doc["variables"][0]["shape"] = [1 << 40, 1 << 40]

    _fix_index(old_export, edit)
    assert "index declares" in _timed_load(old_export)


# -- TensorFlow's V2 checkpoint in variables/ ---------------------------------------------------
W1 = "two_layer_net/W1"


def test_truncated_data_file_is_data_loss_naming_file_and_tensor(export):
    path = os.path.join(export, DATA)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    msg = _timed_load(export)
    assert DATA in msg and "tensor '" in msg and "past the end of the data file" in msg


def test_truncated_index_is_data_loss_naming_it(export):
    path = os.path.join(export, INDEX)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    assert INDEX in _timed_load(export)


@pytest.mark.parametrize(
    "shape,size",
    [
        ([1 << 40, 1 << 40], None),  # more elements than any memory
        ([1 << 40, 784], None),  # a plausible element count, but not the size the entry gives
        ([1 << 30], 4 << 30),  # shape and size agree, on 4 GiB that the data file does not hold
    ],
)
def test_absurd_shape_in_the_bundle_index_is_refused_before_allocating(export, shape, size):
    def edit(header, entries):
        entry = entries[W1]
        del entry.shape.dim[:]
        for d in shape:
            entry.shape.dim.add(size=d)
        if size is not None:
            entry.size = size

    _edit_bundle_index(export, edit)
    # The load stops before reading (the variable's shape differs, or the entry is refused).
    t0 = time.monotonic()
    with pytest.raises((errors.DataLossError, errors.InvalidArgumentError), match=W1):
        _load(export)
    # Read for itself, the entry is data loss naming the file and the tensor.
    with read_limits(root=export), pytest.raises(errors.DataLossError) as info:
        tf.train.load_checkpoint(os.path.join(export, "variables", "variables")).get_tensor(W1)
    assert time.monotonic() - t0 < 10
    assert f"tensor '{W1}'" in str(info.value) and "variables/variables." in str(info.value)


def test_index_claiming_a_million_data_files_is_refused_quickly(export):
    def edit(header, entries):
        header.num_shards = 1 << 20

    _edit_bundle_index(export, edit)
    assert "data file" in _timed_load(export)


def test_data_file_with_flipped_bytes_is_data_loss_naming_the_tensor(export):
    with open(os.path.join(export, DATA), "r+b") as f:
        f.seek(100)
        f.write(b"\xff\xff\xff\xff")
    msg = _timed_load(export)
    assert "CRC-32C mismatch" in msg and DATA in msg and "tensor '" in msg


# -- the repository: a poisoned version never blocks the others ------------------------------
def _status(repo, name="mnist"):
    return {s.version: (s.state, s.error_code, s.error) for s in repo.states(name)}


def _fifo(export, target):
    os.unlink(os.path.join(export, target))
    os.mkfifo(os.path.join(export, target))


def _truncate(export, target):
    path = os.path.join(export, target)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])


def _absurd_shape(export, target):
    def edit(header, entries):
        entries[W1].shape.dim[0].size = 1 << 40

    _edit_bundle_index(export, edit)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize(
    "layout,target,poison,code,fragment",
    [
        ("tf", DATA, _fifo, "DATA_LOSS", "FIFO"),
        ("tf", INDEX, _fifo, "DATA_LOSS", "FIFO"),
        ("tf", PB, _fifo, "DATA_LOSS", "FIFO"),
        ("tf", DATA, _truncate, "DATA_LOSS", "past the end of the data file"),
        ("tf", INDEX, _truncate, "DATA_LOSS", INDEX),
        ("tf", PB, _truncate, "DATA_LOSS", PB),
        ("tf", INDEX, _absurd_shape, "INVALID_ARGUMENT", W1),
        ("old", VARS, _fifo, "DATA_LOSS", "FIFO"),
    ],
)
def test_poisoned_version_fails_and_newer_versions_still_load(
    trained, old_layout, tmp_path, layout, target, poison, code, fragment
):
    base = tmp_path / "models"
    _copy(trained, old_layout, layout, base / "mnist" / "1")
    poisoned = _copy(trained, old_layout, layout, base / "mnist" / "2")
    poison(poisoned, target)
    repo = ModelRepository(str(base), ["mnist"], poll_interval_s=0, load_timeout_s=10)
    t0 = time.monotonic()
    repo.poll()
    assert time.monotonic() - t0 < 10
    st = _status(repo)
    assert st[1][0] == "AVAILABLE"
    assert st[2][:2] == ("END", code) and fragment in st[2][2], st[2]
    _copy(trained, old_layout, layout, base / "mnist" / "3")
    repo.poll()
    assert repo.current_version("mnist") == 3
    repo.stop()


def test_load_timeout_gives_up_and_the_next_version_loads(trained, tmp_path, monkeypatch):
    base = tmp_path / "models"
    src = os.path.join(trained.base, "mnist", "1")
    copy_export(src, str(base / "mnist" / "1"))
    real = repository_mod.Servable

    def slow_for_v1(name, version, path, sessions=1):
        if version == 1:
            time.sleep(3)  # a load that does not finish in time
        return real(name, version, path, sessions)

    monkeypatch.setattr(repository_mod, "Servable", slow_for_v1)
    repo = ModelRepository(str(base), ["mnist"], poll_interval_s=0, load_timeout_s=0.5)
    t0 = time.monotonic()
    repo.poll()
    assert time.monotonic() - t0 < 2.5
    st = _status(repo)
    assert st[1][:2] == ("END", "DEADLINE_EXCEEDED") and "load_timeout_s" in st[1][2]
    assert repo.current_version("mnist") is None
    copy_export(src, str(base / "mnist" / "2"))
    repo.poll()
    assert repo.current_version("mnist") == 2
    repo.stop()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("layout,target", [("tf", DATA), ("tf", INDEX), ("tf", PB), ("old", VARS)])
def test_failed_version_reason_in_the_status_api(trained, old_layout, tmp_path, layout, target):
    from flowzero.serving import ServingConfig, create_app
    from tests.serving._client import TestClient

    base = tmp_path / "models"
    _copy(trained, old_layout, layout, base / "mnist" / "1")
    poisoned = _copy(trained, old_layout, layout, base / "mnist" / "2")
    os.unlink(os.path.join(poisoned, target))
    os.symlink("/dev/zero", os.path.join(poisoned, target))
    app = create_app(ServingConfig(str(base), ("mnist",), poll_interval_s=0, load_timeout_s=10))
    with TestClient(app) as c:
        body = c.get("/v1/models/mnist").json()["model_version_status"]
    by_version = {s["version"]: s for s in body}
    assert by_version["1"]["state"] == "AVAILABLE"
    assert by_version["2"]["state"] == "END"
    assert by_version["2"]["status"]["error_code"] == "DATA_LOSS"
    assert "/dev/zero" in by_version["2"]["status"]["error_message"]
