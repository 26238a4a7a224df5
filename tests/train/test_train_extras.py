"""tf.train's remaining helpers: noisy_linear_cosine_decay, checkpoints_iterator,
init_from_checkpoint, warm_start, basic_train_loop, maybe_*batch*, summary_iterator, the
ProfilerHook and GlobalStepWaiterHook, and ClusterSpec."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import flowzero as tf

HAVE_TF = importlib.util.find_spec("tensorflow") is not None


def _linear_cosine(step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001, noise=0.0):
    step = min(step, decay_steps)
    linear = (decay_steps - step) / decay_steps + noise
    cosine = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * step / decay_steps))
    return 0.1 * ((alpha + linear) * cosine + beta)


def test_noisy_linear_cosine_decay_without_noise_is_linear_cosine():
    g = tf.Graph()
    with g.as_default():
        step = tf.placeholder(tf.int64, [])
        lr = tf.train.noisy_linear_cosine_decay(0.1, step, 50, initial_variance=0.0, alpha=0.1)
        with tf.Session() as sess:
            got = [float(sess.run(lr, {step: s})) for s in (0, 7, 33, 60)]
    want = [_linear_cosine(s, 50, alpha=0.1) for s in (0, 7, 33, 60)]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_noisy_linear_cosine_decay_noise_statistics_and_seed():
    def draws(seed):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(seed)
            step = tf.placeholder(tf.float64, [])
            lr = tf.train.noisy_linear_cosine_decay(
                tf.constant(0.1, tf.float64), step, 100, initial_variance=2.0, num_periods=0.0
            )
            with tf.Session() as sess:
                return np.array([sess.run(lr, {step: 3.0}) for _ in range(2000)])

    a = draws(7)
    np.testing.assert_array_equal(a, draws(7))  # graph seed -> same sequence
    assert not np.array_equal(a, draws(8))
    # num_periods=0: cosine = 1, so lr = 0.1 * (linear + noise + beta); noise ~ N(0, eps)
    noise = a / 0.1 - 0.001 - (100 - 3) / 100
    eps = 2.0 / (1 + 3.0) ** 0.55
    assert abs(noise.mean()) < 4 * math.sqrt(eps / 2000)
    np.testing.assert_allclose(noise.var(), eps, rtol=0.1)


def test_noisy_linear_cosine_decay_requires_global_step():
    with pytest.raises(ValueError, match="global_step is required"):
        tf.train.noisy_linear_cosine_decay(0.1, None, 10)


def _save_old(tmp_path, mod=tf):
    """A checkpoint with old/w (2x3), old/b (3,) and root (scalar)."""
    g = mod.Graph()
    with g.as_default():
        with mod.variable_scope("old"):
            w = mod.get_variable("w", initializer=np.arange(6.0).reshape(2, 3).astype(np.float32))
            mod.get_variable("b", initializer=np.array([7.0, 8.0, 9.0], np.float32))
        mod.get_variable("root", [], initializer=mod.constant_initializer(3.5))
        with mod.Session() as sess:
            sess.run(mod.global_variables_initializer())
            prefix = mod.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    return prefix, w


def _new_model(mod=tf):
    with mod.variable_scope("new"):
        w = mod.get_variable("w", [2, 3], initializer=mod.zeros_initializer())
        b = mod.get_variable("b", [3], initializer=mod.zeros_initializer())
    other = mod.get_variable("other", [], initializer=mod.zeros_initializer())
    return w, b, other


def test_init_from_checkpoint_scope_map_overrides_initializers(tmp_path):
    _save_old(tmp_path)
    with tf.Graph().as_default():
        w, b, other = _new_model()
        tf.train.init_from_checkpoint(str(tmp_path), {"old/": "new/", "root": other})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(w), np.arange(6.0).reshape(2, 3))
            np.testing.assert_array_equal(sess.run(b), [7, 8, 9])
            assert sess.run(other) == 3.5
            # it is the initializer that changed: re-running it restores again
            sess.run(w.assign(tf.ones([2, 3])))
            sess.run(w.initializer)
            assert sess.run(w)[1, 2] == 5.0


def test_init_from_checkpoint_exact_names_and_errors(tmp_path):
    prefix, _ = _save_old(tmp_path)
    with tf.Graph().as_default():
        w, b, _ = _new_model()
        tf.train.init_from_checkpoint(prefix, {"old/b": "new/b"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(b), [7, 8, 9])
            np.testing.assert_array_equal(sess.run(w), np.zeros((2, 3)))
        with pytest.raises(ValueError, match="Tensor old/nope is not found"):
            tf.train.init_from_checkpoint(prefix, {"old/nope": "new/b"})
        with pytest.raises(ValueError, match="Shape of variable new/b"):
            tf.train.init_from_checkpoint(prefix, {"old/w": "new/b"})
        with pytest.raises(ValueError, match="should map to scope only"):
            tf.train.init_from_checkpoint(prefix, {"old/w": "missing/"})
        with pytest.raises(ValueError, match="Tensor old/new/b .* is not found"):
            tf.train.init_from_checkpoint(prefix, {"old/": "/"})


def test_warm_start_regex_prev_names_and_unused(tmp_path):
    prefix, _ = _save_old(tmp_path)
    with tf.Graph().as_default():
        w, b, other = _new_model()
        tf.train.warm_start(
            prefix,
            vars_to_warm_start="new/",
            var_name_to_prev_var_name={"new/w": "old/w", "new/b": "old/b"},
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(w), np.arange(6.0).reshape(2, 3))
            np.testing.assert_array_equal(sess.run(b), [7, 8, 9])
            assert sess.run(other) == 0.0
        with pytest.raises(ValueError, match="not used: \\['nope'\\]"):
            tf.train.warm_start(
                prefix, [w], var_name_to_prev_var_name={"new/w": "old/w", "nope": "old/w"}
            )


def test_warm_start_vocab_remaps_rows(tmp_path):
    old_vocab = tmp_path / "old.txt"
    old_vocab.write_text("apple\nbanana\ncherry\n")
    new_vocab = tmp_path / "new.txt"
    new_vocab.write_text("cherry\ndate\napple\n")
    with tf.Graph().as_default():
        # 3 vocab rows + 1 OOV row
        tf.get_variable("emb", initializer=np.arange(8.0, dtype=np.float32).reshape(4, 2))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = tf.train.Saver().save(sess, str(tmp_path / "v.ckpt"))
    with tf.Graph().as_default():
        emb = tf.get_variable("emb", [4, 2], initializer=tf.zeros_initializer())
        info = tf.train.VocabInfo(
            str(new_vocab), 3, 1, str(old_vocab), backup_initializer=tf.constant_initializer(-1)
        )
        tf.train.warm_start(prefix, var_name_to_vocab_info={"emb": info})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(emb)
    np.testing.assert_array_equal(got, [[4, 5], [-1, -1], [0, 1], [6, 7]])
    with pytest.raises(ValueError, match="axis"):
        tf.train.VocabInfo("a", 1, 0, "b", axis=2)


@pytest.mark.skipif(not HAVE_TF, reason="tensorflow is not installed")
def test_init_from_checkpoint_reads_tf_checkpoints(tmp_path):
    import tensorflow as real_tf

    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    prefix, _ = _save_old(tmp_path, v1)
    with tf.Graph().as_default():
        w, b, other = _new_model()
        tf.train.init_from_checkpoint(prefix, {"old/": "new/", "root": "other"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            mine = sess.run([w, b, other])
    with v1.Graph().as_default():
        w, b, other = _new_model(v1)
        v1.train.init_from_checkpoint(prefix, {"old/": "new/", "root": "other"})
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            theirs = sess.run([w, b, other])
    for a, t in zip(mine, theirs):
        np.testing.assert_array_equal(a, t)


@pytest.mark.skipif(not HAVE_TF, reason="tensorflow is not installed")
def test_noisy_linear_cosine_decay_without_noise_matches_tensorflow():
    import tensorflow as real_tf

    def run(mod):
        g = mod.Graph()
        with g.as_default():
            step = mod.placeholder(mod.int64, [])
            lr = mod.train.noisy_linear_cosine_decay(
                0.1, step, 40, initial_variance=0.0, num_periods=1.5, alpha=0.2, beta=0.01
            )
            with mod.Session(graph=g) as sess:
                return [float(sess.run(lr, {step: s})) for s in (0, 5, 17, 40, 90)]

    np.testing.assert_allclose(run(tf), run(real_tf.compat.v1), rtol=1e-6, atol=1e-9)
