"""Writes tests/fixtures/tf_interop/: graphs made by real TensorFlow for the GraphDef importer
tests that the model fixtures (scripts/make_tf_fixtures.py) do not cover.

    TF_USE_LEGACY_KERAS=1 /path/to/tfvenv/bin/python scripts/make_tf_interop_fixtures.py

- cond_frozen.pb: dense -> batch norm -> dropout, switched by a `training` placeholder
  (TF1 tf.cond: Switch / Merge), frozen; cond_expected.npz: `x` and TF's `y` (not training).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_interop"


def main() -> None:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    rng = np.random.RandomState(0)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        training = v1.placeholder_with_default(False, [], name="training")
        h = v1.layers.dense(
            x, 5, name="d", kernel_initializer=v1.constant_initializer(rng.randn(4, 5))
        )
        h = v1.layers.batch_normalization(
            h,
            training=training,
            name="bn",
            moving_mean_initializer=v1.constant_initializer(rng.randn(5)),
            moving_variance_initializer=v1.constant_initializer(rng.rand(5) + 0.5),
        )
        h = v1.layers.dropout(h, 0.5, training=training)
        y = tf.identity(tf.nn.relu(h), name="y")
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            xs = rng.randn(3, 4).astype(np.float32)
            want = sess.run(y, {x: xs})
            frozen = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cond_frozen.pb").write_bytes(frozen.SerializeToString())
    np.savez(OUT / "cond_expected.npz", x=xs, y=want)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
