"""Writes tests/fixtures/tf_interop/cfv2_*: graphs with TF 2.x's functional control flow
(`If` / `While` nodes whose branches and bodies are FunctionDefs of the graph's library), made
by real TensorFlow, for the importer's tests.

    /path/to/tfvenv/bin/python scripts/make_tf_cfv2_fixtures.py

- cfv2_ckpt/model.ckpt{.meta,.index,.data-*}: TF1 graph mode (`tf.compat.v1`) under
  `enable_control_flow_v2()`, resource variables: a dense layer, a `tf.cond` on a `p`
  placeholder and a `tf.while_loop` reading a variable (captured) in its body; a V2 checkpoint
  and its MetaGraphDef. cfv2_frozen.pb: the same graph frozen.
- cfv2_function.pb: a `tf.function` (a while loop with a tf.cond inside its body, and a cond
  holding a while loop) frozen with `convert_variables_to_constants_v2`.
- cfv2_expected.npz: the inputs, TF's outputs for p = True / False, and TF's gradients of
  sum(y) with respect to x.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_interop"


def _graph_model(tf: object, init: dict[str, np.ndarray]) -> tuple[object, object, object]:
    v1 = tf.compat.v1  # type: ignore[attr-defined]
    x = v1.placeholder(tf.float32, [None, 4], name="x")  # type: ignore[attr-defined]
    p = v1.placeholder(tf.bool, [], name="p")  # type: ignore[attr-defined]
    w = v1.get_variable("w", initializer=init["w"])
    b = v1.get_variable("b", initializer=init["b"])
    w2 = v1.get_variable("w2", initializer=init["w2"])
    h = tf.tanh(tf.matmul(x, w) + b)  # type: ignore[attr-defined]
    c = tf.cond(p, lambda: h * 2.0, lambda: tf.sin(h) - 1.0)  # type: ignore[attr-defined]

    def body(i: object, a: object) -> tuple[object, object]:
        return i + 1, tf.tanh(tf.matmul(a, w2)) + c  # type: ignore[attr-defined]

    _, acc = tf.while_loop(lambda i, a: i < 4, body, [tf.constant(0), c])  # type: ignore[attr-defined]
    return x, p, tf.identity(acc, name="y")  # type: ignore[attr-defined]


def graph_mode(tf: object, rng: np.random.RandomState, want: dict[str, np.ndarray]) -> None:
    v1 = tf.compat.v1  # type: ignore[attr-defined]
    init = {
        "w": rng.randn(4, 3).astype(np.float32),
        "b": rng.randn(3).astype(np.float32),
        "w2": (rng.randn(3, 3) * 0.5).astype(np.float32),
    }
    xs = want["x"]
    ckpt = OUT / "cfv2_ckpt"
    # The saved graph has no gradient (TF's gradient of a v2 loop uses TensorList ops).
    g = tf.Graph()  # type: ignore[attr-defined]
    with g.as_default():
        x, p, y = _graph_model(tf, init)
        saver = v1.train.Saver()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for flag in (True, False):
                want[f"graph_y_{flag}"] = sess.run(y, {x: xs, p: flag})
            ckpt.mkdir(parents=True, exist_ok=True)
            saver.save(sess, str(ckpt / "model.ckpt"), write_state=False)
            frozen = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    (OUT / "cfv2_frozen.pb").write_bytes(frozen.SerializeToString())
    g = tf.Graph()  # type: ignore[attr-defined]
    with g.as_default():
        x, p, y = _graph_model(tf, init)
        (gx,) = tf.gradients(tf.reduce_sum(y), [x])  # type: ignore[attr-defined]
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for flag in (True, False):
                want[f"graph_dx_{flag}"] = sess.run(gx, {x: xs, p: flag})


def function_mode(tf: object, rng: np.random.RandomState, want: dict[str, np.ndarray]) -> None:
    from tensorflow.python.framework.convert_to_constants import (  # type: ignore
        convert_variables_to_constants_v2,
    )

    w = tf.Variable(rng.randn(4, 3).astype(np.float32), name="w")  # type: ignore[attr-defined]

    @tf.function(  # type: ignore[attr-defined]
        input_signature=[
            tf.TensorSpec([None, 4], tf.float32, name="x"),  # type: ignore[attr-defined]
            tf.TensorSpec([], tf.bool, name="p"),  # type: ignore[attr-defined]
        ]
    )
    def f(x: object, p: object) -> object:
        h = tf.matmul(x, w)  # type: ignore[attr-defined]

        def body(i: object, a: object) -> tuple[object, object]:
            a = tf.cond(  # type: ignore[attr-defined]
                tf.reduce_sum(a) > 0.0,  # type: ignore[attr-defined]
                lambda: a * 0.5,
                lambda: a + 1.0,
            )
            return i + 1, a

        def looped() -> object:
            return tf.while_loop(lambda i, a: i < 5, body, [0, h])[1]  # type: ignore[attr-defined]

        return tf.cond(p, looped, lambda: h - 2.0)  # type: ignore[attr-defined]

    # Unlowered: the If / While nodes stay (lowered, they would be TF1 Switch / Merge).
    frozen = convert_variables_to_constants_v2(f.get_concrete_function(), lower_control_flow=False)
    gd = frozen.graph.as_graph_def()
    (OUT / "cfv2_function.pb").write_bytes(gd.SerializeToString())
    want["function_inputs"] = np.array([t.name for t in frozen.inputs])
    want["function_outputs"] = np.array([t.name for t in frozen.outputs])
    for flag in (True, False):
        want[f"function_y_{flag}"] = f(want["x"], flag).numpy()


def main() -> None:
    import tensorflow as tf

    rng = np.random.RandomState(7)
    want: dict[str, np.ndarray] = {"x": rng.randn(3, 4).astype(np.float32)}
    function_mode(tf, rng, want)
    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.enable_control_flow_v2()
    graph_mode(tf, rng, want)
    np.savez(OUT / "cfv2_expected.npz", **want)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
