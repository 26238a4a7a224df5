"""Differential tests against real TensorFlow: the same TF1 recurrent programs (cells, static
and dynamic RNNs, bidirectional, sequence_length) built by flowzero and by
`tensorflow.compat.v1`, with the same weights assigned by variable name: the variable names,
shapes, outputs, final states and gradients must agree. Equal names and layouts are what lets
a TF1 checkpoint of an RNN restore into flowzero.

Skipped where TensorFlow (with tf_keras, for tf.nn.rnn_cell under TF 2.x) is not installed.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import flowzero as fz

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("tf_keras") is None,
    reason="tensorflow and tf_keras are not installed",
)

B, T, D, U = 3, 5, 4, 6


@pytest.fixture(scope="module")
def tf1():
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as real_tf

    return real_tf.compat.v1


def _cells(tf, kind):
    rc = tf.nn.rnn_cell
    if kind == "basic_lstm":
        return rc.BasicLSTMCell(U)
    if kind == "lstm_peep_proj":
        return rc.LSTMCell(U, use_peepholes=True, num_proj=3, cell_clip=2.0)
    if kind == "gru":
        return rc.GRUCell(U)
    if kind == "basic_rnn":
        return rc.BasicRNNCell(U)
    if kind == "multi":
        return rc.MultiRNNCell([rc.BasicLSTMCell(U), rc.GRUCell(U)])
    raise AssertionError(kind)


def _run(tf, kind, mode, xv, seqv, weights=None):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float64, [B, T, D])
        seq = tf.placeholder(tf.int32, [B])
        out, state = _build(tf, kind, mode, x, seq)
        loss = tf.reduce_sum(out * out) + tf.add_n([tf.reduce_sum(s) for s in state])
        variables = tf.global_variables()
        grads = tf.gradients(loss, [x] + variables)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            if weights is not None:
                for v in variables:
                    v.load(weights[v.name], sess)
            vals = sess.run([out, *state, *grads], {x: xv, seq: seqv})
            weights_now = {v.name: sess.run(v) for v in variables}
    names = [(v.name, tuple(v.shape.as_list())) for v in variables]
    return names, weights_now, vals


def _flatten_state(state):
    if isinstance(state, (list, tuple)):
        out = []
        for s in state:
            out.extend(_flatten_state(s))
        return out
    return [state]


def _build(tf, kind, mode, x, seq):
    if mode == "dynamic":
        out, state = tf.nn.dynamic_rnn(_cells(tf, kind), x, sequence_length=seq, dtype=tf.float64)
    elif mode == "static":
        outs, state = tf.nn.static_rnn(
            _cells(tf, kind), tf.unstack(x, axis=1), sequence_length=seq, dtype=tf.float64
        )
        out = tf.stack(outs, axis=1)
    else:
        (fw, bw), state = tf.nn.bidirectional_dynamic_rnn(
            _cells(tf, kind), _cells(tf, kind), x, sequence_length=seq, dtype=tf.float64
        )
        out = tf.concat([fw, bw], 2)
    return out, _flatten_state(state)


@pytest.mark.parametrize("mode", ["dynamic", "static", "bidirectional"])
@pytest.mark.parametrize("kind", ["basic_lstm", "lstm_peep_proj", "gru", "basic_rnn", "multi"])
def test_rnn_matches_tensorflow(tf1, kind, mode):
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((B, T, D))
    seqv = np.array([T, 2, 0], np.int32)
    tf_names, weights, want = _run(tf1, kind, mode, xv, seqv)
    fz_names, _, got = _run(fz, kind, mode, xv, seqv, weights=weights)
    assert fz_names == tf_names
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"{kind}/{mode} #{k}")
