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
