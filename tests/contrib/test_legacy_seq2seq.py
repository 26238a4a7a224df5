"""tf.contrib.legacy_seq2seq against NumPy: the unrolled decoder (as char-rnn builds it), the
fed-back loop function, the seq2seq builders' variable sharing, and the sequence losses."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing.gradient_check import assert_gradients_close

seq2seq = tf.contrib.legacy_seq2seq


def _np_rnn(xs, h, w, b):
    outs = []
    for x in xs:
        h = np.tanh(np.concatenate([x, h], 1) @ w + b)
        outs.append(h)
    return outs, h


def test_rnn_decoder_matches_numpy_and_shares_one_set_of_variables():
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    h0 = rng.standard_normal((2, 5)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        cell = tf.nn.rnn_cell.BasicRNNCell(5)
        outs, state = seq2seq.rnn_decoder(
            [tf.constant(x) for x in xs], tf.constant(h0), cell, scope="rnnlm"
        )
        assert [v.op.name for v in tf.trainable_variables()] == [
            "rnnlm/basic_rnn_cell/kernel",
            "rnnlm/basic_rnn_cell/bias",
        ]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, b = sess.run(tf.trainable_variables())
            got_outs, got_state = sess.run([outs, state])
    want_outs, want_state = _np_rnn(xs, h0, w, b)
    np.testing.assert_allclose(got_outs, want_outs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)


def test_loop_function_feeds_previous_output_from_step_one():
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((2, 4)).astype(np.float32) for _ in range(3)]
    g = tf.Graph()
    with g.as_default():
        cell = tf.nn.rnn_cell.BasicRNNCell(4)
        seen = []

        def loop(prev, i):
            seen.append(i)
            return prev * 2.0

        outs, _ = seq2seq.rnn_decoder(
            [tf.constant(x) for x in xs], tf.zeros([2, 4]), cell, loop_function=loop
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, b = sess.run(tf.trainable_variables())
            got = sess.run(outs)
    assert seen == [1, 2]
    h = np.zeros((2, 4), np.float32)
    want = []
    for i in range(3):
        x = xs[0] if i == 0 else 2.0 * want[-1]
        h = np.tanh(np.concatenate([x, h], 1) @ w + b)
        want.append(h)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _enc_dec():
    return [tf.zeros([2, 3]) for _ in range(2)], [tf.ones([2, 3]) for _ in range(3)]


def test_basic_seq2seq_has_two_cells_tied_has_one():
    with tf.Graph().as_default():
        enc, dec = _enc_dec()
        outs, state = seq2seq.basic_rnn_seq2seq(enc, dec, tf.nn.rnn_cell.GRUCell(4))
        assert len(outs) == 3 and outs[0].shape.as_list() == [2, 4]
        assert len(tf.trainable_variables()) == 8  # encoder copy + decoder: 2 x 4 GRU vars
    with tf.Graph().as_default():
        enc, dec = _enc_dec()
        outs, _ = seq2seq.tied_rnn_seq2seq(enc, dec, tf.nn.rnn_cell.GRUCell(4))
        assert len(tf.trainable_variables()) == 4
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert np.isfinite(sess.run(outs)).all()


def test_embedding_rnn_decoder_feed_previous_uses_argmax_of_projection():
    with tf.Graph().as_default():
        ids = [tf.constant([1, 2]), tf.constant([0, 0]), tf.constant([0, 0])]
        cell = tf.nn.rnn_cell.BasicRNNCell(3)
        w = tf.constant(np.eye(3, 5, dtype=np.float32))
        b = tf.constant(np.zeros(5, np.float32))
        outs, _ = seq2seq.embedding_rnn_decoder(
            ids, tf.zeros([2, 3]), cell, 5, 3, output_projection=(w, b), feed_previous=True
        )
        emb = [v for v in tf.global_variables() if v.op.name.endswith("embedding")][0]
        assert emb.shape.as_list() == [5, 3]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            e, (k, bias) = sess.run(emb), sess.run(tf.trainable_variables()[1:])
            got = sess.run(outs)
    h = np.zeros((2, 3), np.float32)
    x = e[[1, 2]]
    for step in range(3):
        h = np.tanh(np.concatenate([x, h], 1) @ k + bias)
        np.testing.assert_allclose(got[step], h, rtol=1e-5, atol=1e-6)
        x = e[np.argmax(h @ np.eye(3, 5), 1)]
    with tf.Graph().as_default(), pytest.raises(ValueError, match="output_projection"):
        seq2seq.embedding_rnn_decoder(
            ids, tf.zeros([2, 3]), cell, 5, 3, output_projection=(tf.zeros([3, 4]), tf.zeros([5]))
        )


def _np_xent(logits, labels):
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -logp[np.arange(len(labels)), labels]


def test_sequence_losses_match_numpy():
    rng = np.random.default_rng(2)
    logits = [rng.standard_normal((4, 6)) for _ in range(3)]
    targets = [rng.integers(0, 6, 4) for _ in range(3)]
    weights = [rng.random(4) for _ in range(3)]
    per = sum(_np_xent(lg, t) * w for lg, t, w in zip(logits, targets, weights))
    with tf.Graph().as_default(), tf.Session() as sess:
        args = (
            [tf.constant(x) for x in logits],
            [tf.constant(t, tf.int32) for t in targets],
            [tf.constant(w) for w in weights],
        )
        by_ex = seq2seq.sequence_loss_by_example(*args)
        raw = seq2seq.sequence_loss_by_example(*args, average_across_timesteps=False)
        total = seq2seq.sequence_loss(*args)
        summed = seq2seq.sequence_loss(*args, average_across_batch=False)
        np.testing.assert_allclose(sess.run(by_ex), per / (sum(weights) + 1e-12), rtol=1e-10)
        np.testing.assert_allclose(sess.run(raw), per, rtol=1e-10)
        np.testing.assert_allclose(sess.run(total), (per / sum(weights)).sum() / 4, rtol=1e-10)
        np.testing.assert_allclose(sess.run(summed), (per / sum(weights)).sum(), rtol=1e-10)
    # Its gradient wrt logits and weights, vs central differences.
    assert_gradients_close(
        lambda a, b, w1, w2: seq2seq.sequence_loss([a, b], [targets[0], targets[1]], [w1, w2]),
        [logits[0], logits[1], weights[0], weights[1]],
    )
    with tf.Graph().as_default(), pytest.raises(ValueError, match="must be the same; got 2, 1, 2"):
        seq2seq.sequence_loss_by_example(
            [tf.zeros([1, 2])] * 2, [tf.zeros([1], tf.int32)] * 2, [tf.ones([1])]
        )


def test_char_rnn_shape_of_use_trains():
    # sherjilozair/char-rnn-tensorflow: split [batch, steps, depth] into steps, decode with a
    # 2-layer LSTM, one flat sequence_loss_by_example over all steps, clipped Adam.
    rng = np.random.default_rng(3)
    text = rng.integers(0, 5, 400)
    x = np.stack([text[i : i + 8] for i in range(0, 320, 8)])[:8]
    y = (x + 1) % 5  # next symbol = this symbol + 1
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        inp = tf.placeholder(tf.int32, [8, 8])
        tgt = tf.placeholder(tf.int32, [8, 8])
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(16) for _ in range(2)])
        emb = tf.get_variable("embedding", [5, 16])
        steps = [tf.squeeze(s, [1]) for s in tf.split(tf.nn.embedding_lookup(emb, inp), 8, 1)]
        outs, _ = seq2seq.rnn_decoder(steps, cell.zero_state(8, tf.float32), cell, scope="rnnlm")
        logits = tf.layers.dense(tf.reshape(tf.concat(outs, 1), [-1, 16]), 5)
        loss = seq2seq.sequence_loss_by_example([logits], [tf.reshape(tgt, [-1])], [tf.ones([64])])
        cost = tf.reduce_sum(loss) / 64
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(cost, tvars), 5.0)
        train = tf.train.AdamOptimizer(0.05).apply_gradients(zip(grads, tvars))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(cost, {inp: x, tgt: y})
            for _ in range(60):
                sess.run(train, {inp: x, tgt: y})
            last = sess.run(cost, {inp: x, tgt: y})
    assert first > 1.4 and last < 0.2, (first, last)
