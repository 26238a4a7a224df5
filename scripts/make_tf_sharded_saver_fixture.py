"""Writes tests/fixtures/tf_interop/sharded_ckpt/: a TF 1.x graph with `Saver(sharded=True)`
saved by real TensorFlow (its saver subgraph names each shard with ShardedFilename, writes it to
a `_temp` directory chosen with StaticRegexFullMatch / Select / StringJoin, then joins the parts
with MergeV2Checkpoints), for the importer's tests.

    /path/to/tfvenv/bin/python scripts/make_tf_sharded_saver_fixture.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_interop" / "sharded_ckpt"


def main() -> None:
    import tensorflow as tf  # type: ignore[import-not-found]

    v1 = tf.compat.v1
    v1.disable_eager_execution()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    g = tf.Graph()
    with g.as_default():
        v1.get_variable(
            "a", initializer=np.arange(6, dtype=np.float32).reshape(2, 3), use_resource=False
        )
        v1.get_variable("b", initializer=np.array([1, -2, 3], np.int64), use_resource=False)
        saver = v1.train.Saver(sharded=True)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            saver.save(sess, str(OUT / "model.ckpt"), write_state=False)


if __name__ == "__main__":
    main()
