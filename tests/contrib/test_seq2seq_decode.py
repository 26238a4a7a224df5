"""tf.contrib.seq2seq decoding: BasicDecoder + helpers + dynamic_decode against a NumPy loop
(batch- and time-major, impute_finished, early finish, maximum_iterations), against
tf.nn.dynamic_rnn, gradients through the loop, sampling helpers, error paths, and a tiny
copy task that must train to a low loss."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

seq2seq = tf.contrib.seq2seq
B, T, D, N, V = 3, 5, 4, 6, 7  # batch, time, input depth, units, vocabulary


def _np_rnn_decode(xs, lengths, h0, kernel, bias, wo, bo, impute):
    """NumPy reference of TrainingHelper + BasicDecoder(BasicRNNCell, Dense) decoding,
    batch-major: (logits [B, T', V], sample ids, final h, lengths)."""
    steps = int(max(lengths))
    h = h0.copy()
    logits, ids = [], []
    finished = lengths == 0
    for t in range(steps):
        new_h = np.tanh(np.concatenate([xs[:, t], h], 1) @ kernel + bias)
        out = new_h @ wo + bo
        sid = out.argmax(-1)
        if impute:
            out = np.where(finished[:, None], 0.0, out)
            sid = np.where(finished, 0, sid)
            new_h = np.where(finished[:, None], h, new_h)
        logits.append(out)
        ids.append(sid)
        h = new_h
        finished = finished | (t + 1 >= lengths)
    return np.stack(logits, 1), np.stack(ids, 1), h, np.minimum(lengths, steps)


def _build(time_major=False, impute=False, batch=None, max_iter=None):
    x = tf.placeholder(tf.float32, [T, batch, D] if time_major else [batch, T, D])
    lengths = tf.placeholder(tf.int32, [batch])
    h0 = tf.placeholder(tf.float32, [batch, N])
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    helper = seq2seq.TrainingHelper(x, lengths, time_major=time_major)
    decoder = seq2seq.BasicDecoder(cell, helper, h0, output_layer=tf.layers.Dense(V))
    out = seq2seq.dynamic_decode(
        decoder, output_time_major=time_major, impute_finished=impute, maximum_iterations=max_iter
    )
    return (x, lengths, h0), out


def _weights(sess):
    names = {v.op.name: v for v in tf.global_variables()}
    return sess.run(
        [
            names["decoder/basic_rnn_cell/kernel"],
            names["decoder/basic_rnn_cell/bias"],
            names["decoder/dense/kernel"],
            names["decoder/dense/bias"],
        ]
    )


def _values(seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((B, T, D)).astype(np.float32),
        np.array([5, 2, 3], np.int32),
        rng.standard_normal((B, N)).astype(np.float32),
    )


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("impute", [False, True])
def test_training_decode_matches_numpy(time_major, impute):
    (x, lengths, h0), (outputs, state, seq_len) = _build(time_major, impute)
    assert isinstance(outputs, seq2seq.BasicDecoderOutput)
    assert outputs.rnn_output.shape.as_list() == ([None, None, V])
    assert outputs.sample_id.dtype == tf.int32 and outputs.sample_id.shape.ndims == 2
    assert state.shape.as_list() == [None, N] and seq_len.dtype == tf.int32
    xv, lv, hv = _values()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    feed = {x: xv.transpose(1, 0, 2) if time_major else xv, lengths: lv, h0: hv}
    out, st, sl = sess.run([outputs, state, seq_len], feed)
    want = _np_rnn_decode(xv, lv, hv, *_weights(sess), impute)
    rnn_output, sample_id = out
    if time_major:
        rnn_output, sample_id = rnn_output.transpose(1, 0, 2), sample_id.T
    np.testing.assert_allclose(rnn_output, want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(sample_id, want[1])
    np.testing.assert_array_equal(sl, want[3])
    if impute:  # the state stopped at each entry's own last step
        np.testing.assert_allclose(st, want[2], rtol=1e-5, atol=1e-6)
        assert np.all(rnn_output[1, 2:] == 0) and np.all(rnn_output[2, 3:] == 0)


def test_static_batch_shapes_and_max_iterations():
    (x, lengths, h0), (outputs, state, seq_len) = _build(batch=B, max_iter=2)
    assert outputs.rnn_output.shape.as_list() == [B, None, V]
    assert outputs.sample_id.shape.as_list() == [B, None]
    assert seq_len.shape.as_list() == [B]
    xv, lv, hv = _values(1)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    out, sl = sess.run([outputs, seq_len], {x: xv, lengths: lv, h0: hv})
    assert out.rnn_output.shape == (B, 2, V)
    np.testing.assert_array_equal(sl, [2, 2, 2])


def test_equals_dynamic_rnn_with_sequence_length():
    xv, lv, hv = _values(2)
    x = tf.constant(xv)
    cell = tf.nn.rnn_cell.GRUCell(N)
    helper = seq2seq.TrainingHelper(x, lv)
    dec = seq2seq.BasicDecoder(cell, helper, tf.constant(hv))
    (out, _), state, _ = seq2seq.dynamic_decode(dec, impute_finished=True, scope="rnn")
    with tf.variable_scope("", reuse=True):
        ref_out, ref_state = tf.nn.dynamic_rnn(
            cell, x, sequence_length=lv, initial_state=tf.constant(hv)
        )
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    a, b, c, d = sess.run([out, state, ref_out, ref_state])
    np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, d, rtol=1e-5, atol=1e-6)
    assert len(tf.trainable_variables()) == 4  # the cell's variables are shared


def test_gradients_through_the_loop_float64():
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((2, 3, 2))
    lv = np.array([3, 1], np.int32)

    def loss_for(xt, impute):
        cell = tf.nn.rnn_cell.BasicRNNCell(
            3, dtype=tf.float64, name=f"c{int(impute)}", reuse=tf.AUTO_REUSE
        )
        helper = seq2seq.TrainingHelper(xt, lv)
        h0 = tf.zeros([2, 3], tf.float64)
        (out, _), state, _ = seq2seq.dynamic_decode(
            seq2seq.BasicDecoder(cell, helper, h0), impute_finished=impute
        )
        return tf.reduce_sum(out * out) + tf.reduce_sum(tf.sin(state))

    for impute in (False, True):
        xp = tf.placeholder(tf.float64, xv.shape)
        loss = loss_for(xp, impute)
        (gx,) = tf.gradients(loss, [xp])
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        sym = sess.run(gx, {xp: xv})
        num = np.zeros_like(xv)
        for idx in np.ndindex(xv.shape):
            d = np.zeros_like(xv)
            d[idx] = 1e-6
            num[idx] = (sess.run(loss, {xp: xv + d}) - sess.run(loss, {xp: xv - d})) / 2e-6
        np.testing.assert_allclose(sym, num, rtol=1e-5, atol=1e-8)
        if impute:  # steps after entry 1 finished get no gradient
            assert np.all(sym[1, 1:] == 0)


def _greedy_graph(end_token, max_iter=None, sample=False):
    emb = tf.constant(np.random.default_rng(4).standard_normal((V, D)).astype(np.float32))
    start = tf.fill([B], 0)
    if sample:
        helper = seq2seq.SampleEmbeddingHelper(emb, start, end_token, softmax_temperature=0.5)
    else:
        helper = seq2seq.GreedyEmbeddingHelper(emb, start, end_token)
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    dec = seq2seq.BasicDecoder(
        cell, helper, cell.zero_state(B, tf.float32), output_layer=tf.layers.Dense(V)
    )
    return emb, seq2seq.dynamic_decode(dec, maximum_iterations=max_iter)


def test_greedy_decoding_matches_numpy_and_stops_at_end_token():
    tf.set_random_seed(1)
    emb, ((logits, ids), state, lengths) = _greedy_graph(end_token=3, max_iter=12)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    lg, idv, lv, ev = sess.run([logits, ids, lengths, emb])
    kernel, bias, wo, bo = _weights(sess)
    # NumPy: feed back the embedding of the argmax; an entry finishes when it emits 3.
    h = np.zeros((B, N), np.float32)
    inp = ev[np.zeros(B, int)]
    finished = np.zeros(B, bool)
    want_len = np.zeros(B, int)
    for t in range(idv.shape[1]):
        h = np.tanh(np.concatenate([inp, h], 1) @ kernel + bias)
        out = h @ wo + bo
        np.testing.assert_allclose(lg[:, t], out, rtol=1e-4, atol=1e-5)
        sid = out.argmax(-1)
        np.testing.assert_array_equal(idv[:, t], sid)
        want_len = np.where(~finished, t + 1, want_len)
        finished |= sid == 3
        inp = ev[sid]
    np.testing.assert_array_equal(lv, want_len)
    assert idv.shape[1] == 12 or finished.all()


def test_sample_embedding_helper_samples_valid_ids():
    tf.set_random_seed(2)
    _, ((logits, ids), _, lengths) = _greedy_graph(end_token=-1, max_iter=6, sample=True)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    idv, lv = sess.run([ids, lengths])
    assert idv.shape == (B, 6) and idv.dtype == np.int32
    assert idv.min() >= 0 and idv.max() < V
    np.testing.assert_array_equal(lv, [6, 6, 6])


def test_scheduled_sampling_probability_zero_and_one():
    xv, lv, hv = _values(5)
    emb = np.random.default_rng(6).standard_normal((V, D)).astype(np.float32)
    res = {}
    for p in (0.0, 1.0):
        with tf.Graph().as_default():
            cell = tf.nn.rnn_cell.BasicRNNCell(N)
            helper = seq2seq.ScheduledEmbeddingTrainingHelper(
                tf.constant(xv), lv, emb, sampling_probability=p, seed=1, scheduling_seed=2
            )
            dec = seq2seq.BasicDecoder(
                cell, helper, tf.constant(hv), output_layer=tf.layers.Dense(V)
            )
            (logits, ids), _, _ = seq2seq.dynamic_decode(dec)
            sess = tf.Session()
            sess.run(tf.global_variables_initializer())
            res[p] = sess.run([logits, ids]) + [_weights(sess)]
    # p = 0: teacher forcing exactly, ids -1 (nothing sampled).
    lg0, ids0, w0 = res[0.0]
    want = _np_rnn_decode(xv, lv, hv, *w0, impute=False)
    np.testing.assert_allclose(lg0, want[0], rtol=1e-5, atol=1e-6)
    assert np.all(ids0 == -1)
    # p = 1: every id is sampled, and the next input is its embedding.
    lg1, ids1, (kernel, bias, wo, bo) = res[1.0]
    assert ids1.min() >= 0 and ids1.max() < V
    h = hv
    inp = xv[:, 0]
    for t in range(lg1.shape[1]):
        h = np.tanh(np.concatenate([inp, h], 1) @ kernel + bias)
        np.testing.assert_allclose(lg1[:, t], h @ wo + bo, rtol=1e-4, atol=1e-5)
        inp = emb[ids1[:, t]]


def test_custom_helper():
    start = tf.zeros([B, D])

    helper = seq2seq.CustomHelper(
        initialize_fn=lambda: (tf.zeros([B], tf.bool), start),
        sample_fn=lambda time, outputs, state: tf.argmax(outputs, -1, output_type=tf.int32),
        next_inputs_fn=lambda time, outputs, state, sample_ids: (
            tf.fill([B], time >= 2),
            tf.ones([B, D]),
            state,
        ),
    )
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    dec = seq2seq.BasicDecoder(cell, helper, cell.zero_state(B, tf.float32))
    (out, ids), _, lengths = seq2seq.dynamic_decode(dec)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    o, ln = sess.run([out, lengths])
    assert o.shape == (B, 3, N)
    np.testing.assert_array_equal(ln, [3, 3, 3])


def test_errors():
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    x = tf.zeros([B, T, D])
    helper = seq2seq.TrainingHelper(x, [T] * B)
    with pytest.raises(TypeError, match="Expected decoder to be type Decoder"):
        seq2seq.dynamic_decode(helper)
    with pytest.raises(TypeError, match="helper must be a Helper"):
        seq2seq.BasicDecoder(cell, "helper", cell.zero_state(B, tf.float32))
    with pytest.raises(TypeError, match="output_layer must be a Layer"):
        seq2seq.BasicDecoder(cell, helper, cell.zero_state(B, tf.float32), output_layer=tf.tanh)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        seq2seq.BasicDecoder(object(), helper, cell.zero_state(B, tf.float32))
    with pytest.raises(ValueError, match="expected sequence_length to be a vector"):
        seq2seq.TrainingHelper(x, T)
    with pytest.raises(ValueError, match="start_tokens must be a vector"):
        seq2seq.GreedyEmbeddingHelper(tf.zeros([V, D]), 0, 1)
    with pytest.raises(ValueError, match="end_token must be a scalar"):
        seq2seq.GreedyEmbeddingHelper(tf.zeros([V, D]), [0, 0], [1])
    with pytest.raises(ValueError, match="sampling_probability must be either a scalar"):
        seq2seq.ScheduledEmbeddingTrainingHelper(x, [T] * B, tf.zeros([V, D]), [[0.5]])
    dec = seq2seq.BasicDecoder(cell, helper, cell.zero_state(B, tf.float32))
    with pytest.raises(ValueError, match="maximum_iterations must be a scalar"):
        seq2seq.dynamic_decode(dec, maximum_iterations=[3])
    greedy = seq2seq.GreedyEmbeddingHelper(tf.zeros([V, D]), [0] * B, 1)
    with pytest.raises(TypeError, match="expected outputs to be a single Tensor"):
        greedy.sample(0, (tf.zeros([B, V]),), None)


@pytest.mark.slow
def test_tiny_copy_task_trains():
    """Encoder GRU reads a sequence, the decoder (teacher forcing) must reproduce it."""
    rng = np.random.default_rng(0)
    vocab, steps, batch, units = 6, 4, 32, 32
    go = 0
    tf.set_random_seed(0)
    src = tf.placeholder(tf.int32, [None, steps])
    emb = tf.get_variable("emb", [vocab, 8])
    with tf.variable_scope("encoder"):
        _, enc_state = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(units), tf.nn.embedding_lookup(emb, src), dtype=tf.float32
        )
    dec_in = tf.concat([tf.fill([tf.shape(src)[0], 1], go), src[:, :-1]], 1)
    lengths = tf.fill([tf.shape(src)[0]], steps)
    helper = seq2seq.TrainingHelper(tf.nn.embedding_lookup(emb, dec_in), lengths)
    decoder = seq2seq.BasicDecoder(
        tf.nn.rnn_cell.GRUCell(units), helper, enc_state, output_layer=tf.layers.Dense(vocab)
    )
    (logits, _), _, _ = seq2seq.dynamic_decode(decoder)
    loss = seq2seq.sequence_loss(logits, src, tf.ones([tf.shape(src)[0], steps]))
    train = tf.train.AdamOptimizer(0.02).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    first = None
    for _ in range(150):
        data = rng.integers(1, vocab, size=(batch, steps)).astype(np.int32)
        lv, _ = sess.run([loss, train], {src: data})
        first = lv if first is None else first
    assert first > 1.3
    assert lv < 0.15, (first, lv)


def _np_feedback(xv, hv, kernel, bias, steps, aux=None, feed_output=True):
    """BasicRNNCell(D) where each next input is the last output (+ aux[t + 1]) or x[t + 1]."""
    h, inp, outs = hv, xv[:, 0], []
    for t in range(steps):
        h = np.tanh(np.concatenate([inp, h], 1) @ kernel + bias)
        outs.append(h)
        if t + 1 < steps:
            base = h if feed_output else xv[:, t + 1, : h.shape[1]]
            inp = base if aux is None else np.concatenate([base, aux[:, t + 1]], 1)
    return np.stack(outs, 1)


@pytest.mark.parametrize("p", [0.0, 1.0])
@pytest.mark.parametrize("with_aux", [False, True])
def test_scheduled_output_training_helper(p, with_aux):
    rng = np.random.default_rng(7)
    xv = rng.standard_normal((B, T, D)).astype(np.float32)
    aux = rng.standard_normal((B, T, 2)).astype(np.float32) if with_aux else None
    hv = rng.standard_normal((B, D)).astype(np.float32)
    cell = tf.nn.rnn_cell.BasicRNNCell(D)
    helper = seq2seq.ScheduledOutputTrainingHelper(xv, [T] * B, p, seed=3, auxiliary_inputs=aux)
    dec = seq2seq.BasicDecoder(cell, helper, tf.constant(hv))
    (out, ids), _, _ = seq2seq.dynamic_decode(dec)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    o, iv = sess.run([out, ids])
    w = {v.op.name: v for v in tf.global_variables()}
    kernel, bias = sess.run([w["decoder/basic_rnn_cell/kernel"], w["decoder/basic_rnn_cell/bias"]])
    first = xv if aux is None else np.concatenate([xv, aux], -1)
    want = _np_feedback(first, hv, kernel, bias, T, aux, feed_output=p == 1.0)
    np.testing.assert_allclose(o, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(iv, np.full((B, T), int(p)))


def test_scheduled_output_training_helper_next_inputs_fn():
    rng = np.random.default_rng(8)
    xv = rng.standard_normal((B, T, D)).astype(np.float32)
    hv = rng.standard_normal((B, D)).astype(np.float32)
    cell = tf.nn.rnn_cell.BasicRNNCell(D)
    helper = seq2seq.ScheduledOutputTrainingHelper(
        xv, [T] * B, 1.0, next_inputs_fn=lambda o: 2.0 * o
    )
    (out, _), _, _ = seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, helper, tf.constant(hv)))
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    kernel, bias = sess.run(tf.global_variables())
    h, inp = hv, xv[:, 0]
    got = sess.run(out)
    for t in range(T):
        h = np.tanh(np.concatenate([inp, h], 1) @ kernel + bias)
        np.testing.assert_allclose(got[:, t], h, rtol=1e-5, atol=1e-6)
        inp = 2.0 * h


def test_inference_helper_feeds_samples_back():
    rng = np.random.default_rng(9)
    hv = rng.standard_normal((B, D)).astype(np.float32)
    start = np.ones((B, D), np.float32)
    helper = seq2seq.InferenceHelper(
        sample_fn=lambda o: o * 0.5,
        sample_shape=[D],
        sample_dtype=tf.float32,
        start_inputs=start,
        end_fn=lambda s: tf.reduce_sum(s, -1) > 1e9,
    )
    cell = tf.nn.rnn_cell.BasicRNNCell(D)
    dec = seq2seq.BasicDecoder(cell, helper, tf.constant(hv))
    (out, samples), _, lengths = seq2seq.dynamic_decode(dec, maximum_iterations=3)
    assert samples.shape.as_list()[-1] == D
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    kernel, bias = sess.run(tf.global_variables())
    o, s, ln = sess.run([out, samples, lengths])
    h, inp = hv, start
    for t in range(3):
        h = np.tanh(np.concatenate([inp, h], 1) @ kernel + bias)
        np.testing.assert_allclose(o[:, t], h, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(s[:, t], 0.5 * h, rtol=1e-5, atol=1e-6)
        inp = 0.5 * h
    np.testing.assert_array_equal(ln, [3] * B)


@pytest.mark.slow
def test_docs_seq2seq_example_runs(tmp_path):
    """docs/control_flow.md's seq2seq example, as written, in a fresh interpreter."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "control_flow.md").read_text()
    code = [b for b in re.findall(r"```python\n(.*?)```", doc, re.DOTALL) if "seq2seq" in b]
    assert len(code) == 1
    script = tmp_path / "example.py"
    script.write_text(code[0])
    env = {**__import__("os").environ, "PYTHONPATH": str(root)}
    res = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert res.returncode == 0, res.stderr
    loss = float(res.stdout.strip().rsplit(" ", 1)[-1])
    assert loss < 0.3, res.stdout


def test_training_and_inference_decoders_share_variables():
    """The TF1 NMT pattern: one cell and projection, a training and a greedy decoder in the
    same "decoder" scope; or new objects under a reusing scope (same variables, same ids)."""
    emb = tf.get_variable("emb", [V, D])
    x = tf.placeholder(tf.int32, [None, T])
    n = tf.shape(x)[0]
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(N) for _ in range(2)])
    proj = tf.layers.Dense(V, use_bias=False, name="output_projection")
    train_helper = seq2seq.TrainingHelper(tf.nn.embedding_lookup(emb, x), tf.fill([n], T))
    seq2seq.dynamic_decode(
        seq2seq.BasicDecoder(cell, train_helper, cell.zero_state(n, tf.float32), proj),
        scope="decoder",
    )

    def greedy(cell, proj):
        helper = seq2seq.GreedyEmbeddingHelper(emb, tf.fill([n], 1), 2)
        dec = seq2seq.BasicDecoder(cell, helper, cell.zero_state(n, tf.float32), proj)
        return seq2seq.dynamic_decode(dec, maximum_iterations=5, scope="decoder")[0].sample_id

    ids_a = greedy(cell, proj)
    with tf.variable_scope("", reuse=True):
        cell2 = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(N) for _ in range(2)])
        ids_b = greedy(cell2, tf.layers.Dense(V, use_bias=False, name="output_projection"))
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "decoder/multi_rnn_cell/cell_0/lstm_cell/bias",
        "decoder/multi_rnn_cell/cell_0/lstm_cell/kernel",
        "decoder/multi_rnn_cell/cell_1/lstm_cell/bias",
        "decoder/multi_rnn_cell/cell_1/lstm_cell/kernel",
        "decoder/output_projection/kernel",
        "emb",
    ]
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    a, b = sess.run([ids_a, ids_b], {x: np.ones((B, T), np.int32)})
    np.testing.assert_array_equal(a, b)
