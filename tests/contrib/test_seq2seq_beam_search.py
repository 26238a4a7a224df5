"""tf.contrib.seq2seq beam search: BeamSearchDecoder through dynamic_decode against a NumPy
beam search (scores, ids, parents, lengths, backtracked sequences; length penalty), with an
AttentionWrapper on tiled memory (coverage penalty, alignment history reordered), the
GatherTree op's error paths, and the decoder's error paths."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from tests.ops.cases_beam_search import gather_tree_ref

S = tf.contrib.seq2seq
B, K, V, N, E = 2, 3, 6, 5, 4  # batch, beam width, vocabulary, units, embedding depth
START, EOS = 1, 2


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _np_beam_search(emb, kernel, bias, wo, bo, h0, max_iter, alpha=0.0):
    """TF 1.15's beam search, written out with loops over entries and beams."""
    h = h0.reshape(B, K, N).astype(np.float64)
    log_probs = np.full((B, K), -np.inf)
    log_probs[:, 0] = 0.0
    finished = np.zeros((B, K), bool)
    lengths = np.zeros((B, K), np.int64)
    ids = np.full((B, K), START)
    out_scores, out_ids, out_parents = [], [], []
    for _ in range(max_iter):
        x = emb[ids]
        h_new = np.tanh(np.concatenate([x, h], -1) @ kernel + bias)
        logp = _log_softmax(h_new @ wo + bo)
        for b in range(B):
            for k in range(K):
                if finished[b, k]:
                    logp[b, k] = np.finfo(np.float32).min
                    logp[b, k, EOS] = 0.0
        total = log_probs[..., None] + logp
        grow = (~finished)[..., None] & (np.arange(V) != EOS)
        new_len = lengths[..., None] + grow
        penalty = ((5.0 + new_len) / 6.0) ** alpha if alpha else 1.0
        scores = (total / penalty).reshape(B, K * V)
        pick = np.argsort(-scores, axis=1, kind="stable")[:, :K]
        word, parent = pick % V, pick // V
        rows = np.arange(B)[:, None]
        out_scores.append(scores[rows, pick])
        out_ids.append(word)
        out_parents.append(parent)
        log_probs = total.reshape(B, K * V)[rows, pick]
        prev_fin = finished[rows, parent]
        finished = prev_fin | (word == EOS)
        lengths = lengths[rows, parent] + ~prev_fin
        h = h_new[rows, parent]
        ids = word
        if finished.all():
            break
    step_ids = np.stack(out_ids).astype(np.int32)
    parents = np.stack(out_parents).astype(np.int32)
    full = gather_tree_ref(step_ids, parents, lengths.max(1).astype(np.int32), EOS)
    return np.stack(out_scores), step_ids, parents, full, lengths


def _build(alpha=0.0, max_iter=7):
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((V, E)).astype(np.float32)
    h0 = rng.standard_normal((B, N)).astype(np.float32)
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    init = S.tile_batch(tf.constant(h0), K)
    dec = S.BeamSearchDecoder(
        cell,
        emb,
        tf.fill([B], START),
        EOS,
        init,
        K,
        output_layer=tf.layers.Dense(V),
        length_penalty_weight=alpha,
    )
    out, state, lengths = S.dynamic_decode(dec, maximum_iterations=max_iter)
    return emb, np.repeat(h0, K, 0), out, state, lengths


@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_beam_search_matches_numpy(alpha):
    tf.set_random_seed(3)
    emb, h0, out, state, _ = _build(alpha)
    assert isinstance(out, S.FinalBeamSearchDecoderOutput)
    assert out.predicted_ids.shape.as_list() == [B, None, K]
    assert state.log_probs.shape.as_list() == [B, K]
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    o, lengths = sess.run([out, state.lengths])
    w = {v.op.name: val for v, val in zip(tf.global_variables(), sess.run(tf.global_variables()))}
    want = _np_beam_search(
        emb,
        w["decoder/basic_rnn_cell/kernel"],
        w["decoder/basic_rnn_cell/bias"],
        w["decoder/dense/kernel"],
        w["decoder/dense/bias"],
        h0,
        7,
        alpha,
    )
    raw = o.beam_search_decoder_output
    np.testing.assert_allclose(raw.scores, want[0].transpose(1, 0, 2), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(raw.predicted_ids, want[1].transpose(1, 0, 2))
    np.testing.assert_array_equal(raw.parent_ids, want[2].transpose(1, 0, 2))
    np.testing.assert_array_equal(o.predicted_ids, want[3].transpose(1, 0, 2))
    np.testing.assert_array_equal(lengths, want[4])


def test_time_major_output_and_static_shapes():
    _, _, out, state, lengths = _build(max_iter=3)
    assert out.beam_search_decoder_output.parent_ids.dtype == tf.int32
    assert lengths.shape.as_list() == [B, K] and state.finished.shape.as_list() == [B, K]
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    ids = sess.run(out.predicted_ids)
    assert ids.shape[0] == B and ids.shape[2] == K and ids.shape[1] <= 3


def test_attention_with_tiled_memory_coverage_and_history():
    rng = np.random.default_rng(1)
    memory = tf.constant(rng.standard_normal((B, 4, 3)).astype(np.float32))
    lengths = tf.constant([4, 2])
    tiled_memory = S.tile_batch(memory, K)
    tiled_lengths = S.tile_batch(lengths, K)
    mech = S.BahdanauAttention(N, tiled_memory, memory_sequence_length=tiled_lengths)
    cell = S.AttentionWrapper(
        tf.nn.rnn_cell.GRUCell(N), mech, attention_layer_size=N, alignment_history=True
    )
    init = cell.zero_state(B * K, tf.float32)
    dec = S.BeamSearchDecoder(
        cell,
        tf.constant(rng.standard_normal((V, E)).astype(np.float32)),
        tf.fill([B], START),
        EOS,
        init,
        K,
        output_layer=tf.layers.Dense(V),
        coverage_penalty_weight=0.4,
    )
    out, state, _ = S.dynamic_decode(dec, maximum_iterations=5)
    history = state.cell_state.alignment_history  # reordered and stacked by finalize
    assert isinstance(history, tf.Tensor)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    ids, hist, acc = sess.run([out.predicted_ids, history, state.accumulated_attention_probs])
    steps = ids.shape[1]
    assert hist.shape == (steps, B * K, 4) and acc.shape == (B, K, 4)  # stacked shape kept
    hist = hist.reshape(steps, B, K, 4)
    np.testing.assert_allclose(hist.sum(-1), 1.0, rtol=1e-5)
    assert np.all(hist[:, 1, :, 2:] == 0)  # entry 1's memory has 2 steps


def test_gather_tree_errors_and_example():
    ids = S.gather_tree([[[1, 2]], [[3, 4]]], [[[0, 0]], [[1, 0]]], [2], end_token=9)
    np.testing.assert_array_equal(tf.Session().run(ids)[:, 0], [[2, 1], [3, 4]])
    bad = S.gather_tree([[[1, 2]], [[3, 4]]], [[[0, 0]], [[5, 0]]], [2], end_token=9)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Saw invalid parent id 5"):
        tf.Session().run(bad)
    with pytest.raises(ValueError, match="step_ids must have rank 3"):
        S.gather_tree([[1, 2]], [[0, 0]], [1], 9)
    with pytest.raises(ValueError, match="must agree"):
        S.gather_tree(np.zeros((2, 3, 2)), np.zeros((2, 4, 2)), [1, 1, 1], 9)
    p = tf.placeholder(tf.int32)
    g = S.gather_tree(p, p, [1, 1], 9)
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch size dimensions"):
        tf.Session().run(g, {p: np.zeros((2, 3, 2), np.int32)})


def test_errors():
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    emb = tf.zeros([V, E])
    init = cell.zero_state(B * K, tf.float32)
    with pytest.raises(ValueError, match="start_tokens must be a vector"):
        S.BeamSearchDecoder(cell, emb, 1, EOS, init, K)
    with pytest.raises(ValueError, match="end_token must be a scalar"):
        S.BeamSearchDecoder(cell, emb, [1, 1], [EOS], init, K)
    with pytest.raises(TypeError, match="output_layer must be a Layer"):
        S.BeamSearchDecoder(cell, emb, [1, 1], EOS, init, K, output_layer=tf.tanh)
    with pytest.raises(ValueError, match="batch_size=encoder_batch_size \\* beam_width"):
        S.BeamSearchDecoder(cell, emb, [1, 1], EOS, cell.zero_state(B, tf.float32), K)
    dec = S.BeamSearchDecoder(cell, emb, [1, 1], EOS, init, K, coverage_penalty_weight=0.5)
    with pytest.raises(ValueError, match="coverage_penalty_weight must be 0.0 if no cell"):
        S.dynamic_decode(dec, maximum_iterations=2)


# -- single steps with the numbers of TF 1.15's own beam search tests ---------------------------
def _logits(big_12=2.7, v122=10.0):
    x = np.full([2, 3, 5], 0.0001)
    x[0, 0, 2], x[0, 0, 3], x[0, 1, 3], x[0, 1, 4] = 1.9, 2.1, 3.1, 0.9
    x[1, 0, 1], x[1, 1, 2], x[1, 2, 2], x[1, 2, 3] = 0.5, big_12, v122, 0.2
    return x


def _step(logits, lengths, finished, log_probs=None):
    from flowzero.contrib.seq2seq.beam_search import _beam_search_step

    cell_state = tf.zeros([2, 3])
    state = S.BeamSearchDecoderState(
        cell_state=cell_state,
        log_probs=tf.nn.log_softmax(tf.ones([2, 3])) if log_probs is None else log_probs,
        lengths=tf.constant(lengths, dtype=tf.int64),
        finished=tf.constant(finished),
        accumulated_attention_probs=(),
    )
    lg = tf.constant(logits, dtype=tf.float32)
    out, nxt = _beam_search_step(
        time=2,
        logits=lg,
        next_cell_state=cell_state,
        beam_state=state,
        batch_size=tf.convert_to_tensor(2),
        beam_width=logits.shape[1],
        end_token=0,
        length_penalty_weight=0.6,
        coverage_penalty_weight=0.0,
    )
    return tf.Session().run([out, nxt, state.log_probs, tf.nn.log_softmax(lg)])


def test_step_like_tf():
    out, nxt, prev, lp = _step(_logits(), [[2] * 3] * 2, [[False] * 3] * 2)
    np.testing.assert_array_equal(out.predicted_ids, [[3, 3, 2], [2, 2, 1]])
    np.testing.assert_array_equal(out.parent_ids, [[1, 0, 0], [2, 1, 0]])
    np.testing.assert_array_equal(nxt.lengths, [[3, 3, 3], [3, 3, 3]])
    assert not nxt.finished.any()
    want = np.stack([prev[0][[1, 0, 0]], prev[1][[2, 1, 0]]])
    want += [[lp[0, 1, 3], lp[0, 0, 3], lp[0, 0, 2]], [lp[1, 2, 2], lp[1, 1, 2], lp[1, 0, 1]]]
    np.testing.assert_allclose(nxt.log_probs, want, rtol=1e-6)


def test_step_with_eos_like_tf():
    out, nxt, prev, lp = _step(
        _logits(big_12=5.7, v122=1.0),
        [[2, 1, 2], [2, 2, 1]],
        [[False, True, False], [False, False, True]],
    )
    np.testing.assert_array_equal(out.parent_ids, [[1, 0, 0], [1, 2, 0]])
    np.testing.assert_array_equal(out.predicted_ids, [[0, 3, 2], [2, 0, 1]])
    np.testing.assert_array_equal(nxt.lengths, [[1, 3, 3], [3, 1, 3]])
    np.testing.assert_array_equal(nxt.finished, [[True, False, False], [False, True, False]])
    want = np.stack([prev[0][[1, 0, 0]], prev[1][[1, 2, 0]]])
    want[0, 1:] += [lp[0, 0, 3], lp[0, 0, 2]]
    want[1, [0, 2]] += [lp[1, 1, 2], lp[1, 0, 1]]
    np.testing.assert_allclose(nxt.log_probs, want, rtol=1e-6)


def test_beam_wider_than_the_vocabulary_like_tf():
    from flowzero.contrib.seq2seq.beam_search import _beam_search_step

    width = 8
    logits = np.full([2, width, 5], 0.0001)
    logits[:, :3] = _logits()
    log_probs = np.full([2, width], -np.inf, np.float32)
    log_probs[:, 0] = 0
    finished = np.ones([2, width], bool)
    finished[:, 0] = False
    lengths = np.zeros([2, width], np.int64)
    lengths[:, 0] = 2
    cell_state = tf.zeros([2, width])
    state = S.BeamSearchDecoderState(
        cell_state, tf.constant(log_probs), tf.constant(finished), tf.constant(lengths), ()
    )
    out, nxt = _beam_search_step(
        2,
        tf.constant(logits, tf.float32),
        cell_state,
        state,
        tf.convert_to_tensor(2),
        width,
        0,
        0.6,
        0.0,
    )
    out, nxt = tf.Session().run([out, nxt])
    assert out.predicted_ids[0, 0] == 3 and out.predicted_ids[0, 1] == 2
    assert out.predicted_ids[1, 0] == 1
    np.testing.assert_array_equal(nxt.log_probs[:, -3:], np.full((2, 3), -np.inf))
    assert (nxt.log_probs[:, :-3] > -np.inf).all() and (nxt.lengths[:, :-3] > 0).all()
    np.testing.assert_array_equal(nxt.lengths[:, -3:], np.zeros((2, 3)))


@pytest.mark.parametrize("time_major", [False, True])
@pytest.mark.parametrize("history", [False, True])
def test_lstm_attention_decode_shapes_like_tf(time_major, history):
    rng = np.random.default_rng(5)
    batch, width, vocab, max_out = 5, 3, 20, 3
    inputs = tf.placeholder_with_default(
        rng.standard_normal((batch, 4, 7)).astype(np.float32), shape=(None, None, 7)
    )
    cell = tf.nn.rnn_cell.LSTMCell(9)
    initial = S.tile_batch(cell.zero_state(batch, tf.float32), multiplier=width)
    mech = S.BahdanauAttention(
        6,
        S.tile_batch(inputs, multiplier=width),
        memory_sequence_length=S.tile_batch(np.array([3, 2, 3, 1, 1]), multiplier=width),
    )
    cell = S.AttentionWrapper(cell, mech, attention_layer_size=6, alignment_history=history)
    state = cell.zero_state(dtype=tf.float32, batch_size=tf.constant(batch) * width)
    state = state.clone(cell_state=initial)
    dec = S.BeamSearchDecoder(
        cell,
        rng.standard_normal((vocab, 50)).astype(np.float32),
        tf.fill([tf.constant(batch)], 0),
        vocab - 1,
        state,
        width,
        output_layer=tf.layers.Dense(vocab),
        coverage_penalty_weight=0.2,
    )
    out, final, lengths = S.dynamic_decode(dec, output_time_major=time_major, maximum_iterations=3)

    def t(shape):
        return (shape[1], shape[0]) + shape[2:] if time_major else shape

    scores = out.beam_search_decoder_output.scores
    assert tuple(scores.shape.as_list()) == t((batch, None, width))
    assert tuple(out.predicted_ids.shape.as_list()) == t((batch, None, width))
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    s, ids, ln = sess.run([scores, out.predicted_ids, lengths])
    steps = int(ln.max())
    assert steps <= max_out
    assert s.shape == t((batch, steps, width)) and ids.shape == t((batch, steps, width))
