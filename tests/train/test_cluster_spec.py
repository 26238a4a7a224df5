"""tf.train.ClusterSpec: against TF's where installed, and its documented behaviour."""

from __future__ import annotations

import importlib.util

import pytest

import flowzero as tf

SPECS = [
    {"worker": ["w0:1", "w1:1"], "ps": ["p0:1"]},
    {"worker": {1: "w1:1", 3: "w3:1"}, "chief": ["c:1"]},
    {"ps": {0: "a", 1: "b"}},
]


def _describe(cs):
    out = {"dict": cs.as_dict(), "jobs": cs.jobs, "repr": repr(cs), "bool": bool(cs)}
    for j in cs.jobs:
        out[j] = (cs.num_tasks(j), cs.task_indices(j), cs.job_tasks(j))
    return out


def test_cluster_spec_queries():
    cs = tf.train.ClusterSpec(SPECS[1])
    assert cs.jobs == ["worker", "chief"]
    assert cs.as_dict() == {"worker": {1: "w1:1", 3: "w3:1"}, "chief": ["c:1"]}
    assert cs.job_tasks("worker") == [None, "w1:1", None, "w3:1"]
    assert cs.num_tasks("worker") == 2 and cs.task_indices("worker") == [1, 3]
    assert cs.task_address("worker", 3) == "w3:1"
    assert tf.train.ClusterSpec(cs) == cs
    assert tf.train.ClusterSpec(cs).as_dict() == cs.as_dict()
    assert tf.train.ClusterSpec({"ps": {0: "a", 1: "b"}}).as_dict() == {"ps": ["a", "b"]}
    assert not tf.train.ClusterSpec({})
    with pytest.raises(ValueError, match="No such job in cluster: 'x'"):
        cs.num_tasks("x")
    with pytest.raises(ValueError, match="No task with index 0 in job 'worker'"):
        cs.task_address("worker", 0)
    with pytest.raises(TypeError, match="must be a list or a dictionary"):
        tf.train.ClusterSpec({"worker": "w0:1"})
    with pytest.raises(TypeError, match="must be a dictionary"):
        tf.train.ClusterSpec(["w0:1"])


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
@pytest.mark.parametrize("spec", SPECS)
def test_matches_tensorflow(spec):
    import tensorflow as real_tf

    assert _describe(tf.train.ClusterSpec(spec)) == _describe(real_tf.train.ClusterSpec(spec))
