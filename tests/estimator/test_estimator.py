"""tf.estimator.Estimator with a custom model_fn: train / evaluate / predict / export, resume,
RunConfig, train_and_evaluate, numpy_input_fn, and the errors for bad specs and checkpoints."""

from __future__ import annotations

import os

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 3)).astype(np.float32)
W_TRUE = np.array([[1.0], [-2.0], [0.5]], np.float32)
Y = X @ W_TRUE + 0.3


def linear_model_fn(features, labels, mode, params):
    x = features["x"] if isinstance(features, dict) else features
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(x, w) + b
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
    loss = tf.losses.mean_squared_error(labels, pred)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, eval_metric_ops={"mae": tf.metrics.mean_absolute_error(labels, pred)}
        )
    opt = tf.train.GradientDescentOptimizer(params.get("lr", 0.1))
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=opt.minimize(loss, global_step=tf.train.get_global_step())
    )


def _train_fn(batch_size=16, num_epochs=None):
    return tf.estimator.inputs.numpy_input_fn(
        {"x": X}, Y, batch_size=batch_size, num_epochs=num_epochs, shuffle=True
    )


def _eval_fn():
    return tf.estimator.inputs.numpy_input_fn(
        {"x": X}, Y, batch_size=20, num_epochs=1, shuffle=False
    )


def _est(tmp_path, **config):
    cfg = tf.estimator.RunConfig(tf_random_seed=1, log_step_count_steps=None, **config)
    return tf.estimator.Estimator(
        linear_model_fn, model_dir=str(tmp_path), config=cfg, params={"lr": 0.1}
    )


def test_train_evaluate_predict_and_resume(tmp_path):
    est = _est(tmp_path, save_checkpoints_steps=50, keep_checkpoint_max=2)
    est.train(_train_fn(), steps=120)
    assert est.latest_checkpoint().endswith("model.ckpt-120")
    kept = sorted(f for f in os.listdir(tmp_path) if f.endswith(".index"))
    assert kept == ["model.ckpt-100.index", "model.ckpt-120.index"]  # keep_checkpoint_max=2
    res = est.evaluate(_eval_fn())
    assert res["global_step"] == 120
    assert set(res) == {"loss", "mae", "global_step"}
    assert res["loss"] < 0.05 and res["mae"] < 0.2
    np.testing.assert_allclose(est.get_variable_value("w"), W_TRUE, atol=0.1)
    # resume: steps counts on from the checkpoint; max_steps already reached is a no-op
    est.train(_train_fn(), steps=30)
    assert est.evaluate(_eval_fn())["global_step"] == 150
    est.train(_train_fn(), max_steps=100)
    assert est.latest_checkpoint().endswith("model.ckpt-150")
    est.train(_train_fn(), max_steps=160)
    assert est.latest_checkpoint().endswith("model.ckpt-160")
    preds = list(
        est.predict(tf.estimator.inputs.numpy_input_fn({"x": X[:7]}, batch_size=3, shuffle=False))
    )
    assert len(preds) == 7 and set(preds[0]) == {"y"}
    w, b = est.get_variable_value("w"), est.get_variable_value("b")
    np.testing.assert_allclose(np.stack([p["y"] for p in preds]), X[:7] @ w + b, rtol=1e-5)


def test_training_ends_when_the_input_is_exhausted(tmp_path):
    est = _est(tmp_path)
    est.train(_train_fn(batch_size=16, num_epochs=2))  # 64 examples x 2 epochs / 16
    assert est.evaluate(_eval_fn(), steps=1)["global_step"] == 8


def test_input_fn_returning_a_dataset(tmp_path):
    def input_fn():
        ds = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
        return ds.repeat().batch(16)

    est = _est(tmp_path)
    est.train(input_fn, steps=40)
    res = est.evaluate(lambda: tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(32))
    assert res["loss"] < 0.5 and res["global_step"] == 40


def test_same_seed_same_result(tmp_path):
    a = _est(tmp_path / "a")
    b = _est(tmp_path / "b")
    a.train(_train_fn(), steps=20)
    b.train(_train_fn(), steps=20)
    np.testing.assert_array_equal(a.get_variable_value("w"), b.get_variable_value("w"))


def test_export_saved_model_is_served(tmp_path):
    from flowzero.serving.servable import Servable

    est = _est(tmp_path / "model")
    est.train(_train_fn(), steps=30)
    receiver_fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])}
    )
    path = est.export_saved_model(str(tmp_path / "export"), receiver_fn)
    assert isinstance(path, bytes)
    path = path.decode()
    assert os.path.basename(path).isdigit()  # a version directory, as the server expects
    served = Servable("lin", int(os.path.basename(path)), path)
    try:
        out = served.run("serving_default", {"x": X[:5]})
    finally:
        served.close()
    want = np.stack(
        [
            p["y"]
            for p in est.predict(
                tf.estimator.inputs.numpy_input_fn({"x": X[:5]}, batch_size=5, shuffle=False)
            )
        ]
    )
    np.testing.assert_allclose(out["y"], want, rtol=1e-6)
    # the TF 1.x spelling, into the same base: a newer version directory
    path2 = est.export_savedmodel(str(tmp_path / "export"), receiver_fn).decode()
    assert int(os.path.basename(path2)) > int(os.path.basename(path))


def test_loader_takes_export_saved_models_bytes_path(tmp_path):
    """export_saved_model returns bytes (as TF1); tf.saved_model.loader takes that path as it
    is, as TF1's does (it used to fail joining str and bytes)."""
    est = _est(tmp_path / "model")
    est.train(_train_fn(), steps=5)
    receiver_fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])}
    )
    path = est.export_saved_model(str(tmp_path / "export"), receiver_fn)
    assert isinstance(path, bytes)
    assert tf.saved_model.loader.maybe_saved_model_directory(path)
    sigs = tf.saved_model.loader.read_saved_model_signatures(path)
    assert set(sigs["serving_default"].inputs) == {"x"}
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        sig = meta.signature_def["serving_default"]
        y = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: X[:2]})
    want = X[:2] @ est.get_variable_value("w") + est.get_variable_value("b")
    np.testing.assert_allclose(y, want, rtol=1e-5)


def test_train_and_evaluate(tmp_path):
    est = _est(tmp_path, save_checkpoints_steps=20)
    train_spec = tf.estimator.TrainSpec(_train_fn(), max_steps=60)
    seen = []

    class Exporter:
        name = "probe"

        def export(self, estimator, export_path, checkpoint_path, eval_result, is_final):
            seen.append((eval_result["global_step"], is_final))
            return export_path

    eval_spec = tf.estimator.EvalSpec(_eval_fn(), steps=None, exporters=Exporter(), throttle_secs=0)
    result, exports = tf.estimator.train_and_evaluate(est, train_spec, eval_spec)
    assert result["global_step"] == 60
    assert [s for s, _ in seen] == [20, 40, 60]
    assert len(exports) == 3


def test_numpy_input_fn_batches_epochs_and_errors():
    x = np.arange(10, dtype=np.float32)
    with tf.Graph().as_default():
        feats, labels = tf.estimator.inputs.numpy_input_fn(
            {"a": x}, x * 2, batch_size=4, num_epochs=2, shuffle=False
        )()
        with tf.Session() as sess:
            got = []
            while True:
                try:
                    f, y = sess.run([feats["a"], labels])
                except tf.errors.OutOfRangeError:
                    break
                np.testing.assert_array_equal(y, f * 2)
                got.append(f)
    assert [len(b) for b in got] == [4, 4, 4, 4, 4]  # epochs follow one another: 20 values
    np.testing.assert_array_equal(np.concatenate(got), np.concatenate([x, x]))
    with pytest.raises(ValueError, match="shuffle must be provided"):
        tf.estimator.inputs.numpy_input_fn({"a": x})
    with pytest.raises(ValueError, match="mismatched"):
        tf.estimator.inputs.numpy_input_fn({"a": x}, x[:3], shuffle=False)
    with pytest.raises(ValueError, match="duplicate keys"):
        tf.estimator.inputs.numpy_input_fn({"a": x}, {"a": x}, shuffle=False)
    assert tf.compat.v1.estimator.inputs.numpy_input_fn is tf.estimator.inputs.numpy_input_fn


def test_bad_specs_and_arguments(tmp_path):
    with tf.Graph().as_default():
        loss = tf.constant(1.0)
        with pytest.raises(ValueError, match="Missing train_op"):
            tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.TRAIN, loss=loss)
        with pytest.raises(ValueError, match="Missing loss"):
            tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.EVAL)
        with pytest.raises(ValueError, match="Missing predictions"):
            tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.PREDICT)
        with pytest.raises(ValueError, match="Loss must be scalar"):
            tf.estimator.EstimatorSpec("eval", loss=tf.constant([1.0, 2.0]))
        with pytest.raises(TypeError, match="value, update_op"):
            tf.estimator.EstimatorSpec("eval", loss=loss, eval_metric_ops={"m": loss})

    def no_train_op(features, labels, mode):
        return tf.estimator.EstimatorSpec(mode, loss=tf.reduce_sum(features["x"]))

    est = tf.estimator.Estimator(no_train_op, model_dir=str(tmp_path / "a"))
    with pytest.raises(ValueError, match="Missing train_op"):
        est.train(_train_fn(), steps=1)
    with pytest.raises(ValueError, match="both steps and max_steps"):
        est.train(_train_fn(), steps=1, max_steps=2)
    with pytest.raises(ValueError, match="steps > 0"):
        est.train(_train_fn(), steps=0)
    with pytest.raises(ValueError, match="params"):
        tf.estimator.Estimator(no_train_op, params={"a": 1})
    with pytest.raises(ValueError, match="save_checkpoints_steps and save_checkpoints_secs"):
        tf.estimator.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
    cfg = tf.estimator.RunConfig(save_checkpoints_steps=5).replace(keep_checkpoint_max=1)
    assert cfg.save_checkpoints_steps == 5 and cfg.keep_checkpoint_max == 1


def test_incompatible_checkpoint_in_model_dir(tmp_path):
    est = _est(tmp_path)
    est.train(_train_fn(), steps=2)

    def wider(features, labels, mode):
        w = tf.get_variable("w", [3, 2], initializer=tf.zeros_initializer())
        pred = tf.reduce_sum(tf.matmul(features["x"], w), axis=1, keepdims=True)
        loss = tf.losses.mean_squared_error(labels, pred)
        opt = tf.train.GradientDescentOptimizer(0.1)
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, train_op=opt.minimize(loss, tf.train.get_global_step())
        )

    other = tf.estimator.Estimator(wider, model_dir=str(tmp_path))
    with pytest.raises(errors.InvalidArgumentError, match="w.*shape"):
        other.train(_train_fn(), steps=1)

    def renamed(features, labels, mode):
        v = tf.get_variable("v", [3, 1], initializer=tf.zeros_initializer())
        loss = tf.losses.mean_squared_error(labels, tf.matmul(features["x"], v))
        opt = tf.train.GradientDescentOptimizer(0.1)
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, train_op=opt.minimize(loss, tf.train.get_global_step())
        )

    with pytest.raises(errors.NotFoundError, match="Key v not found"):
        tf.estimator.Estimator(renamed, model_dir=str(tmp_path)).train(_train_fn(), steps=1)


def test_hooks_and_listeners_are_called(tmp_path):
    est = _est(tmp_path, save_checkpoints_steps=10)
    calls = []

    class Hook(tf.estimator.SessionRunHook):
        def after_run(self, run_context, run_values):
            calls.append("run")

    class Listener(tf.estimator.CheckpointSaverListener):
        def after_save(self, session, global_step_value):
            calls.append(("save", global_step_value))

    est.train(_train_fn(), steps=20, hooks=[Hook()], saving_listeners=[Listener()])
    assert calls.count("run") == 20
    assert [c for c in calls if c != "run"] == [("save", 0), ("save", 10), ("save", 20)]
    out = est.evaluate(_eval_fn(), hooks=[Hook()])
    assert calls.count("run") == 20 + 4  # 64 examples in batches of 20
    assert out["global_step"] == 20


def test_import_flowzero_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, flowzero; print(any(m.startswith(('flowzero.estimator', "
        "'flowzero.feature_column', 'flowzero.train.monitored_session', "
        "'flowzero.train.queue_runner', 'flowzero.ops.data_flow_ops', 'flowzero.eager')) "
        "for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert out.stdout.strip() == "False"


def test_summaries_in_model_dir(tmp_path):
    pytest.importorskip("tensorboardX")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    est = _est(tmp_path, save_summary_steps=10)
    est.train(_train_fn(), steps=25)
    res = est.evaluate(_eval_fn())
    tf.summary.FileWriterCache.clear()
    train = EventAccumulator(str(tmp_path))
    train.Reload()
    assert [e.step for e in train.Scalars("loss")] == [1, 11, 21]
    evl = EventAccumulator(str(tmp_path / "eval"))
    evl.Reload()
    (mae,) = evl.Scalars("mae")
    assert mae.step == 25 and mae.value == pytest.approx(res["mae"], rel=1e-6)
