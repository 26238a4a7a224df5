"""Model versions from strangers: crafted files refuse to load, quickly and with a typed error,
and a poisoned version never keeps the repository from serving a good one."""

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

VARS = os.path.join("variables", "variables.npz")
INDEX = os.path.join("variables", "variables.index")


@pytest.fixture
def export(trained, tmp_path):
    """A fresh copy of the trained export at tmp/models/mnist/1."""
    d = tmp_path / "models" / "mnist" / "1"
    copy_export(os.path.join(trained.base, "mnist", "1"), str(d))
    return str(d)


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


def test_intact_export_loads_under_limits(export):
    meta = _load(export, max_file_bytes=1 << 20)
    assert "serving_default" in meta.signature_def


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_variables_file_is_refused_not_waited_on(export):
    os.unlink(os.path.join(export, VARS))
    os.mkfifo(os.path.join(export, VARS))
    assert "FIFO" in _timed_load(export)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_symlink_to_dev_zero_is_refused(export):
    os.unlink(os.path.join(export, VARS))
    os.symlink("/dev/zero", os.path.join(export, VARS))
    msg = _timed_load(export)
    assert "/dev/zero" in msg and "outside" in msg
    # Even without a root to stay in, a device is no regular file.
    sess = tf.Session(graph=tf.Graph())
    with pytest.raises(errors.DataLossError, match="device"):
        saved_model.loader.load(sess, ["serve"], export)


def test_symlinks_only_inside_the_version_directory(export, tmp_path):
    outside = tmp_path / "elsewhere.npz"
    shutil.move(os.path.join(export, VARS), outside)
    os.symlink(outside, os.path.join(export, VARS))
    assert "outside" in _timed_load(export)
    # A symlink to a file inside the version directory is fine.
    os.unlink(os.path.join(export, VARS))
    shutil.move(outside, os.path.join(export, "variables", "real.npz"))
    os.symlink("real.npz", os.path.join(export, VARS))
    _load(export)
    # So is a symlinked directory, when it stays inside.
    os.rename(os.path.join(export, "variables"), os.path.join(export, "v2"))
    os.symlink("v2", os.path.join(export, "variables"))
    _load(export)


def test_file_larger_than_the_limit_is_refused(export):
    msg = _timed_load(export, max_file_bytes=4096)
    assert "bytes, more than the limit of 4096" in msg


def test_decompression_bomb_is_refused_before_unpacking(export):
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


def test_member_the_index_does_not_list_is_refused(export):
    extra = _npy(np.zeros(3, np.float32))
    _rewrite_npz(export, {**_members(export), "smuggled.npy": extra})
    assert "'smuggled.npy' is not listed in its index" in _timed_load(export)


def test_pickle_inside_npz_is_refused(export):
    evil = np.array([{"a": 1}], dtype=object)
    members = _members(export)
    members["two_layer_net/b1.npy"] = _npy(evil)
    _rewrite_npz(export, members)
    assert "pickle" in _timed_load(export)


def test_header_lying_about_its_shape_is_refused_before_allocating(export):
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


def test_truncated_npz_is_data_loss(export):
    path = os.path.join(export, VARS)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    _fix_index(export)
    assert "cannot be read as an .npz" in _timed_load(export)


def test_absurd_shape_in_the_index_is_refused(export):
    def edit(doc):
        doc["variables"][0]["shape"] = [1 << 40, 1 << 40]

    _fix_index(export, edit)
    assert "index declares" in _timed_load(export)


# -- the repository: a poisoned version never blocks the others ------------------------------
def _status(repo, name="mnist"):
    return {s.version: (s.state, s.error_code, s.error) for s in repo.states(name)}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_poisoned_version_fails_and_newer_versions_still_load(trained, tmp_path):
    base = tmp_path / "models"
    src = os.path.join(trained.base, "mnist", "1")
    copy_export(src, str(base / "mnist" / "1"))
    copy_export(src, str(base / "mnist" / "2"))
    os.unlink(base / "mnist" / "2" / VARS)
    os.mkfifo(base / "mnist" / "2" / VARS)
    repo = ModelRepository(str(base), ["mnist"], poll_interval_s=0, load_timeout_s=10)
    t0 = time.monotonic()
    repo.poll()
    assert time.monotonic() - t0 < 10
    st = _status(repo)
    assert st[1][0] == "AVAILABLE"
    assert st[2][:2] == ("END", "DATA_LOSS") and "FIFO" in st[2][2]
    copy_export(src, str(base / "mnist" / "3"))
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


def test_failed_version_reason_in_the_status_api(trained, tmp_path):
    from flowzero.serving import ServingConfig, create_app
    from tests.serving._client import TestClient

    base = tmp_path / "models"
    src = os.path.join(trained.base, "mnist", "1")
    copy_export(src, str(base / "mnist" / "1"))
    copy_export(src, str(base / "mnist" / "2"))
    os.unlink(base / "mnist" / "2" / VARS)
    os.symlink("/dev/zero", base / "mnist" / "2" / VARS)
    app = create_app(ServingConfig(str(base), ("mnist",), poll_interval_s=0, load_timeout_s=10))
    with TestClient(app) as c:
        body = c.get("/v1/models/mnist").json()["model_version_status"]
    by_version = {s["version"]: s for s in body}
    assert by_version["1"]["state"] == "AVAILABLE"
    assert by_version["2"]["state"] == "END"
    assert by_version["2"]["status"]["error_code"] == "DATA_LOSS"
    assert "/dev/zero" in by_version["2"]["status"]["error_message"]
