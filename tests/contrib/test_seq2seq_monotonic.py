"""tf.contrib.seq2seq monotonic attention: monotonic_attention's three modes against a NumPy
loop over the recurrence, float64 gradients, hardmax, safe_cumprod, and the Bahdanau / Luong
monotonic mechanisms against NumPy inside an AttentionWrapper."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

S = tf.contrib.seq2seq


def _np_monotonic(p, prev):
    """attention[j] = p[j] * q[j], q[j] = (1 - p[j - 1]) * q[j - 1] + prev[j], q[-1] = 0."""
    out = np.zeros_like(p)
    for b in range(p.shape[0]):
        q = 0.0
        for j in range(p.shape[1]):
            q = (1 - p[b, j - 1]) * q + prev[b, j] if j else prev[b, j]
            out[b, j] = p[b, j] * q
    return out


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, size=(3, 6))
    prev = rng.uniform(size=(3, 6))
    return p, prev / prev.sum(1, keepdims=True)


@pytest.mark.parametrize("mode", ["recursive", "parallel"])
def test_soft_modes_match_the_recurrence(mode):
    p, prev = _inputs()
    got = tf.Session().run(S.monotonic_attention(p, prev, mode))
    np.testing.assert_allclose(got, _np_monotonic(p, prev), rtol=1e-6, atol=1e-9)


def test_hard_mode_attends_to_the_first_choice_at_or_after_the_last():
    p = np.array([[0, 1, 0, 1, 1, 0], [1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0]], np.float32)
    prev = np.zeros((3, 6), np.float32)
    prev[0, 2] = prev[1, 0] = prev[2, 1] = 1
    got = tf.Session().run(S.monotonic_attention(p, prev, "hard"))
    want = np.zeros((3, 6), np.float32)
    want[0, 3] = want[1, 0] = 1  # entry 2 chooses nothing: all zeros
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, _np_monotonic(p, prev))


@pytest.mark.parametrize("mode", ["recursive", "parallel"])
def test_gradients_float64(mode):
    p, prev = _inputs(1)
    pp = tf.placeholder(tf.float64, p.shape)
    qp = tf.placeholder(tf.float64, prev.shape)
    w = np.random.default_rng(2).uniform(0.5, 1.5, size=p.shape)
    loss = tf.reduce_sum(S.monotonic_attention(pp, qp, mode) * w)
    grads = tf.gradients(loss, [pp, qp])
    sess = tf.Session()
    sym = sess.run(grads, {pp: p, qp: prev})
    for k, a in enumerate((p, prev)):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            d = np.zeros_like(a)
            d[idx] = 1e-6
            args = [p, prev]
            args[k] = a + d
            plus = sess.run(loss, {pp: args[0], qp: args[1]})
            args[k] = a - d
            minus = sess.run(loss, {pp: args[0], qp: args[1]})
            num[idx] = (plus - minus) / 2e-6
        np.testing.assert_allclose(sym[k], num, rtol=1e-5, atol=1e-8)


def test_bad_mode():
    with pytest.raises(ValueError, match="mode must be 'recursive', 'parallel', or 'hard'"):
        S.monotonic_attention(np.ones((1, 2)), np.ones((1, 2)), "soft")


def test_hardmax_and_safe_cumprod():
    x = np.array([[0.1, 2.0, 0.3], [5.0, 5.0, -1.0]], np.float32)
    np.testing.assert_array_equal(tf.Session().run(S.hardmax(x)), [[0, 1, 0], [1, 0, 0]])
    y = np.array([[0.5, 0.2, 0.9, 1e-30]], np.float64)
    got = tf.Session().run([S.safe_cumprod(y, axis=1), S.safe_cumprod(y, axis=1, exclusive=True)])
    np.testing.assert_allclose(got[0], np.cumprod(y, 1), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.cumprod(np.c_[np.ones(1), y[:, :-1]], 1), rtol=1e-12)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("kind", ["bahdanau", "luong"])
def test_monotonic_mechanisms_in_a_wrapper(kind):
    rng = np.random.default_rng(3)
    b, tm, dm, n, dx, steps = 2, 5, 3, 4, 2, 3
    mv = rng.standard_normal((b, tm, dm)).astype(np.float32)
    xv = rng.standard_normal((b, steps, dx)).astype(np.float32)
    lengths = np.array([5, 3], np.int32)
    if kind == "bahdanau":
        mech = S.BahdanauMonotonicAttention(
            n, mv, memory_sequence_length=lengths, normalize=True, score_bias_init=-0.5
        )
    else:
        mech = S.LuongMonotonicAttention(
            n, mv, memory_sequence_length=lengths, scale=True, score_bias_init=-0.5
        )
    cell = S.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(n), mech, alignment_history=True)
    st0 = cell.zero_state(b, tf.float32)
    out, st = tf.nn.dynamic_rnn(cell, tf.constant(xv), initial_state=st0, dtype=tf.float32)
    hist = st.alignment_history.stack()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    a0, o, h = sess.run([st0.alignments, out, hist])
    np.testing.assert_array_equal(a0, np.eye(tm)[[0, 0]])  # all attention on position 0
    w = {v.op.name: val for v, val in zip(tf.global_variables(), sess.run(tf.global_variables()))}
    pre = "rnn/attention_wrapper/"
    mask = np.arange(tm)[None] < lengths[:, None]
    values = mv * mask[..., None]
    keys = values @ w["memory_layer/kernel"]
    hs, align, attn = np.zeros((b, n)), np.eye(tm)[[0, 0]], np.zeros((b, dm))
    for t in range(steps):
        hs = np.tanh(
            np.concatenate([xv[:, t], attn, hs], 1) @ w[pre + "basic_rnn_cell/kernel"]
            + w[pre + "basic_rnn_cell/bias"]
        )
        if kind == "bahdanau":
            p = pre + "bahdanau_monotonic_attention/"
            v = w[p + "attention_g"] * w[p + "attention_v"] / np.linalg.norm(w[p + "attention_v"])
            pq = (hs @ w[p + "query_layer/kernel"])[:, None]
            score = (v * np.tanh(keys + pq + w[p + "attention_b"])).sum(-1)
        else:
            p = pre + "luong_monotonic_attention/"
            score = w[p + "attention_g"] * np.einsum("bd,btd->bt", hs, keys)
        score = score + w[p + "attention_score_bias"]
        pc = np.where(mask, _sigmoid(score), 0.0)  # -inf past the length -> p = 0
        align = _np_monotonic(pc, align)
        attn = np.einsum("bt,btd->bd", align, values)
        np.testing.assert_allclose(h[t], align, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(o[:, t], attn, rtol=1e-4, atol=1e-6)
