"""Idioms found in public TF1 tutorial programs that flowzero once got wrong, each checked
against NumPy (and TensorFlow where it is installed): the behaviour, not only that it runs."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def _ce_ref(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    log_sm = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -(labels * log_sm).sum(-1)


@pytest.mark.parametrize(
    "logits_shape, labels_shape, out_shape",
    [((5, 7), (1, 5, 7), (5,)), ((1, 5, 7), (5, 7), (1, 5)), ((1, 5, 7), (1, 7), (1, 5))],
)
def test_softmax_cross_entropy_labels_of_another_rank(logits_shape, labels_shape, out_shape):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=logits_shape)
    labels = rng.dirichlet(np.ones(7), size=int(np.prod(labels_shape[:-1]))).reshape(labels_shape)
    lg = tf.placeholder(tf.float64, [None] * len(logits_shape))
    lb = tf.placeholder(tf.float64, [None] * len(labels_shape))
    loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=lb, logits=lg)
    (grad,) = tf.gradients(tf.reduce_sum(loss), [lg])
    with tf.Session() as sess:
        got, g = sess.run([loss, grad], {lg: logits, lb: labels})
    flat_lg = logits.reshape(-1, 7)
    flat_lb = np.broadcast_to(labels.reshape(-1, 7), flat_lg.shape)
    assert got.shape == out_shape
    np.testing.assert_allclose(got.reshape(-1), _ce_ref(flat_lg, flat_lb), rtol=1e-12)
    sm = np.exp(flat_lg) / np.exp(flat_lg).sum(-1, keepdims=True)
    np.testing.assert_allclose(g.reshape(-1, 7), sm - flat_lb, rtol=1e-10, atol=1e-12)


def test_softmax_cross_entropy_zoo_tutorial_form():
    # labels=tf.stop_gradient([Y_one_hot]) with Y_one_hot [?, 7]: one extra leading axis.
    y = tf.placeholder(tf.int32, [None, 1])
    one_hot = tf.reshape(tf.one_hot(y, 7), [-1, 7])
    logits = tf.placeholder(tf.float32, [None, 7])
    cost = tf.nn.softmax_cross_entropy_with_logits_v2(
        logits=logits, labels=tf.stop_gradient([one_hot])
    )
    assert cost.shape.as_list() == [None]
    x = np.random.default_rng(1).normal(size=(4, 7)).astype(np.float32)
    with tf.Session() as sess:
        got = sess.run(cost, {logits: x, y: [[0], [3], [6], [2]]})
    np.testing.assert_allclose(got, _ce_ref(x, np.eye(7)[[0, 3, 6, 2]]), rtol=1e-5)


def test_softmax_cross_entropy_rank_mismatch_needs_last_axis():
    with pytest.raises(tf.errors.InvalidArgumentError, match="last axis"):
        tf.nn.softmax_cross_entropy_with_logits_v2(
            labels=tf.zeros([1, 3, 4]), logits=tf.zeros([3, 4]), axis=0
        )


def test_train_batch_converts_each_list_element_to_one_tensor():
    # hunkim lab-04-4: xy = decode_csv(...) (4 scalars); batch([xy[0:-1], xy[-1:]]).
    xy = [tf.constant(float(i)) for i in range(4)]
    x_batch, y_batch = tf.train.batch([xy[0:-1], xy[-1:]], batch_size=5)
    assert x_batch.shape.as_list() == [5, 3] and y_batch.shape.as_list() == [5, 1]
    named = tf.train.batch({"b": xy[1], "a": xy[0:2]}, batch_size=2)
    assert sorted(named) == ["a", "b"] and named["a"].shape.as_list() == [2, 2]
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        xs, ys = sess.run([x_batch, y_batch])
        coord.request_stop()
        coord.join(threads)
    np.testing.assert_array_equal(xs, np.tile([0.0, 1.0, 2.0], (5, 1)))
    np.testing.assert_array_equal(ys, np.full((5, 1), 3.0))


def test_layers_keep_static_shape_with_an_unshaped_training_placeholder():
    training = tf.placeholder(tf.bool)  # no shape, as hunkim lab-11-4 writes it
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    h = tf.layers.dropout(x, rate=0.3, training=training)
    assert h.shape.as_list() == [None, 28, 28, 1]
    h = tf.layers.batch_normalization(h, training=training)
    assert h.shape.as_list() == [None, 28, 28, 1]
    conv = tf.layers.conv2d(h, 4, [3, 3], padding="same")  # needs the channel dimension
    feed = np.ones((2, 28, 28, 1), np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(conv, {x: feed, training: False}).shape == (2, 28, 28, 4)
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(conv, {x: feed, training: [True, False]})  # not a scalar flag


def test_examples_tutorials_mnist_modules(tmp_path):
    # fully_connected_feed.py's imports, with `tensorflow` replaced by `flowzero` everywhere.
    from flowzero.examples.tutorials.mnist import input_data, mnist

    data = input_data.read_data_sets(str(tmp_path), True)  # fake_data, positionally
    assert data.train.num_examples == 10000  # as TF1's fake DataSet
    xs, ys = data.train.next_batch(50)
    assert xs.shape == (50, 784) and ys.shape == (50,)
    with tf.Graph().as_default():
        images = tf.placeholder(tf.float32, (50, mnist.IMAGE_PIXELS))
        labels = tf.placeholder(tf.int32, (50,))
        logits = mnist.inference(images, 16, 8)
        assert logits.shape.as_list() == [50, mnist.NUM_CLASSES]
        names = sorted(v.op.name for v in tf.trainable_variables())
        assert names == sorted(
            f"{s}/{w}"
            for s in ("hidden1", "hidden2", "softmax_linear")
            for w in ("weights", "biases")
        )
        loss = mnist.loss(logits, labels)
        train_op = mnist.training(loss, 0.1)
        correct = mnist.evaluation(logits, labels)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(30):
                _, first = sess.run([train_op, loss], {images: xs, labels: ys})
            assert sess.run(correct, {images: xs, labels: ys}) == 50  # all-ones -> class 0
            assert sess.run(tf.train.get_global_step()) == 30


def test_save_path_naming_a_directory_with_a_global_step(tmp_path):
    # fully_connected_feed.py: saver.save(sess, FLAGS.train_dir, global_step=step), where
    # train_dir is the directory the summaries go to: TF writes "<train_dir>-<step>.*" beside it.
    train_dir = tmp_path / "data"
    train_dir.mkdir()
    with tf.Graph().as_default():
        v = tf.Variable(3.0)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            prefix = saver.save(sess, str(train_dir), global_step=7)
            assert prefix == f"{train_dir}-7"
            assert (tmp_path / "data-7.index").exists()
            with pytest.raises(ValueError, match="is a directory"):
                saver.save(sess, str(train_dir))  # no step: the prefix would be the directory
            saver.restore(sess, prefix)
