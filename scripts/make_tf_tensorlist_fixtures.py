"""Writes tests/fixtures/tf_interop/cfv2_lists*: TF 1.x graph code run under control flow v2
(`tf.compat.v1` graph mode, `enable_control_flow_v2()`), with `tf.gradients` through while
loops, so the graphs hold TF 2.x's TensorList ops (the loops' gradient accumulators and the
TensorArrays), made by real TensorFlow, for the importer's tests.

    /path/to/tfvenv/bin/python scripts/make_tf_tensorlist_fixtures.py

- cfv2_lists_accumulate.pb: a while loop (tanh of a matmul) and the gradient of its result by
  the input and the weights: EmptyTensorList, TensorListPushBack in the forward body,
  TensorListPopBack in the backward body.
- cfv2_lists_tensor_array.pb: a loop reading one TensorArray (unstacked from x) and writing
  another, then stacked, and the gradient by x: also TensorListReserve / FromTensor / SetItem
  / GetItem / Stack / Length / ElementShape, an AddN of lists and a ZerosLike of a list.
- cfv2_lists_expected.npz: the inputs and TF's results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_interop"


def accumulate(tf: object, v1: object, rng: np.random.RandomState) -> list[str]:
    x = v1.placeholder(tf.float32, [None, 3], name="x")  # type: ignore[attr-defined]
    w = tf.constant((rng.randn(3, 3) * 0.5).astype(np.float32), name="w")  # type: ignore[attr-defined]

    def body(i: object, a: object) -> tuple[object, object]:
        return i + 1, tf.tanh(tf.matmul(a, w)) + x  # type: ignore[attr-defined]

    _, y = tf.while_loop(lambda i, a: i < 4, body, [tf.constant(0), x])  # type: ignore[attr-defined]
    tf.identity(y, name="y")  # type: ignore[attr-defined]
    gx, gw = tf.gradients(tf.reduce_sum(tf.square(y)), [x, w])  # type: ignore[attr-defined]
    tf.identity(gx, name="gx")  # type: ignore[attr-defined]
    tf.identity(gw, name="gw")  # type: ignore[attr-defined]
    return ["y:0", "gx:0", "gw:0"]


def tensor_array(tf: object, v1: object, rng: np.random.RandomState) -> list[str]:
    x = v1.placeholder(tf.float32, [5, 3], name="x")  # type: ignore[attr-defined]
    w = tf.constant((rng.randn(3, 3) * 0.5).astype(np.float32), name="w")  # type: ignore[attr-defined]
    ta_in = tf.TensorArray(tf.float32, size=5).unstack(x)  # type: ignore[attr-defined]
    ta_out = tf.TensorArray(tf.float32, size=5)  # type: ignore[attr-defined]

    def body(i: object, h: object, out: object) -> tuple[object, object, object]:
        row = tf.reshape(ta_in.read(i), [1, 3])  # type: ignore[attr-defined]
        h = tf.tanh(tf.matmul(row, w) + h)  # type: ignore[attr-defined]
        return i + 1, h, out.write(i, tf.reshape(h, [3]))  # type: ignore[attr-defined]

    _, _, out = tf.while_loop(  # type: ignore[attr-defined]
        lambda i, h, o: i < 5,
        body,
        [tf.constant(0), tf.zeros([1, 3]), ta_out],  # type: ignore[attr-defined]
    )
    ys = tf.identity(out.stack(), name="ys")  # type: ignore[attr-defined]
    tf.identity(out.size(), name="n")  # type: ignore[attr-defined]
    (gx,) = tf.gradients(tf.reduce_sum(tf.square(ys)), [x])  # type: ignore[attr-defined]
    tf.identity(gx, name="gx")  # type: ignore[attr-defined]
    return ["ys:0", "n:0", "gx:0"]


def main() -> None:
    import tensorflow as tf  # type: ignore[import-not-found]

    v1 = tf.compat.v1
    v1.disable_eager_execution()
    v1.enable_control_flow_v2()
    rng = np.random.RandomState(11)
    want: dict[str, np.ndarray] = {}
    for key, build, x in (
        ("accumulate", accumulate, rng.randn(2, 3).astype(np.float32)),
        ("tensor_array", tensor_array, rng.randn(5, 3).astype(np.float32)),
    ):
        g = tf.Graph()
        with g.as_default():
            fetches = build(tf, v1, rng)
            with v1.Session() as sess:
                got = sess.run(fetches, {"x:0": x})
        (OUT / f"cfv2_lists_{key}.pb").write_bytes(g.as_graph_def().SerializeToString())
        want[f"{key}_x"] = x
        for name, value in zip(fetches, got):
            want[f"{key}_{name[:-2]}"] = np.asarray(value)
    np.savez(OUT / "cfv2_lists_expected.npz", **want)


if __name__ == "__main__":
    main()
