"""CTC: losses, gradients and decodings against TensorFlow on random cases (skipped without
it), collapse_repeated / ctc_unique_labels against NumPy, the v2 loss's blank_index, batch-major
inputs, and the error paths."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz
from flowzero.framework.errors import InvalidArgumentError, LookupGradientError

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
T, B, C = 7, 4, 5
SEQ = np.array([7, 5, 6, 3], np.int32)
LABS = [[1, 2, 2], [0, 3], [1, 1, 0, 2], [3]]
IDX = np.array([[b, i] for b, lab in enumerate(LABS) for i in range(len(lab))], np.int64)
VAL = np.array([v for lab in LABS for v in lab], np.int32)
DENSE = np.array([[1, 2, 2, 0], [4, 3, 0, 0], [1, 1, 4, 2], [3, 0, 0, 0]], np.int32)
DENSE_LEN = np.array([3, 2, 4, 1], np.int32)


def _program(m, sparse_cls, x, v2):
    xt = m.constant(x)
    outs = []
    for collapse, merge in ((False, True), (True, True), (False, False)):
        sp = sparse_cls(IDX, VAL, [B, 4])
        loss = m.nn.ctc_loss(
            sp, xt, SEQ, preprocess_collapse_repeated=collapse, ctc_merge_repeated=merge
        )
        outs += [loss, m.gradients(m.reduce_sum(loss * np.arange(1.0, B + 1)), xt)[0]]
    x32 = m.cast(xt, m.float32)
    dense = v2(DENSE, x32, DENSE_LEN, SEQ)
    outs += [dense, m.gradients(m.reduce_sum(dense), x32)[0]]
    (d,), lp = m.nn.ctc_greedy_decoder(xt, SEQ)
    outs += [d.indices, d.values, d.dense_shape, lp]
    for width, top, merge in ((3, 2, True), (10, 3, False), (1, 1, True)):
        decoded, lp = m.nn.ctc_beam_search_decoder(xt, SEQ, width, top, merge)
        for d in decoded:
            outs += [d.indices, d.values, d.dense_shape]
        outs.append(lp)
    return outs


@needs_tf
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_tensorflow(seed):
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    x = np.random.default_rng(seed).normal(size=(T, B, C)) * 2
    with tf.Graph().as_default(), tf1.Session() as s:
        want = s.run(_program(tf1, tf.SparseTensor, x, tf.nn.ctc_loss))
    with fz.Graph().as_default(), fz.Session() as s:
        got = s.run(_program(fz, fz.SparseTensor, x, fz.nn.ctc_loss_v2))
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=2e-6, err_msg=f"output {k}")
        assert g.dtype == w.dtype, k


def test_v2_blank_index_and_batch_major_equal_the_v1_loss():
    x = np.random.default_rng(3).normal(size=(T, B, C))
    moved = np.concatenate([x[:, :, 1:], x[:, :, :1]], 2)  # blank 0 -> last
    with fz.Graph().as_default():
        v2 = fz.nn.ctc_loss_v2(DENSE, x, DENSE_LEN, SEQ)  # dense labels: blank_index 0
        sparse = fz.SparseTensor(IDX, VAL + 1, [B, 4])
        v2s = fz.nn.ctc_loss_v2(sparse, x, None, SEQ, blank_index=0)
        kept = [[v - 1 for v in row[:n]] for row, n in zip(DENSE, DENSE_LEN)]
        idx = np.array([[b, i] for b, r in enumerate(kept) for i in range(len(r))], np.int64)
        vals = np.array([v for r in kept for v in r], np.int32)
        v1 = fz.nn.ctc_loss(fz.SparseTensor(idx, vals, [B, 4]), moved, SEQ)
        bm = fz.nn.ctc_loss(
            fz.SparseTensor(idx, vals, [B, 4]), moved.transpose(1, 0, 2), SEQ, time_major=False
        )
        with fz.Session() as s:
            a, b, c, d = s.run([v2, v2s, v1, bm])
    np.testing.assert_allclose(a, c, rtol=1e-12)
    np.testing.assert_allclose(d, c, rtol=1e-12)
    # sparse labels LABS + 1 with blank 0 are LABS with the blank last
    with fz.Graph().as_default():
        ref = fz.nn.ctc_loss(fz.SparseTensor(IDX, VAL, [B, 4]), moved, SEQ)
        with fz.Session() as s:
            np.testing.assert_allclose(b, s.run(ref), rtol=1e-12)


def test_ignore_longer_outputs_and_empty_sequences():
    x = np.random.default_rng(4).normal(size=(4, 2, 3))
    idx = [[0, 0], [0, 1], [0, 2], [0, 3], [0, 4], [1, 0]]
    with fz.Graph().as_default():
        sp = fz.SparseTensor(idx, [0, 1, 0, 1, 0, 1], [2, 5])
        xt = fz.constant(x)
        loss = fz.nn.ctc_loss(sp, xt, [4, 0], ignore_longer_outputs_than_inputs=True)
        (g,) = fz.gradients(fz.reduce_sum(loss), [xt])
        with fz.Session() as s:
            lv, gv = s.run([loss, g])
        np.testing.assert_array_equal(lv, [0.0, 0.0])
        np.testing.assert_array_equal(gv, np.zeros_like(x))
        strict = fz.nn.ctc_loss(sp, xt, [4, 1])
        with (
            fz.Session() as s,
            pytest.raises(
                InvalidArgumentError, match=r"CTCLoss.*not enough time.*batch 0 \(required: 5"
            ),
        ):
            s.run(strict)


def test_errors():
    x = np.zeros((3, 1, 3))
    with fz.Graph().as_default():
        after_blank = fz.nn.ctc_loss(fz.SparseTensor([[0, 0], [0, 1]], [2, 0], [1, 2]), x, [3])
        too_long = fz.nn.ctc_loss(fz.SparseTensor([[0, 0]], [1], [1, 1]), x, [4])
        with fz.Session() as s:
            with pytest.raises(InvalidArgumentError, match=r"CTCLoss.*label after a blank"):
                s.run(after_blank)
            with pytest.raises(InvalidArgumentError, match=r"CTCLoss.*sequence_length\[0\] = 4"):
                s.run(too_long)
        with pytest.raises(TypeError, match="ctc_loss: labels must be a SparseTensor"):
            fz.nn.ctc_loss([[1]], x, [3])
        with pytest.raises(InvalidArgumentError, match=r"CTCLoss.*rank 3"):
            fz.nn.ctc_loss(fz.SparseTensor([[0, 0]], [1], [1, 1]), np.zeros((3, 3)), [3])
        with pytest.raises(InvalidArgumentError, match=r"CTCBeamSearchDecoder.*top_paths"):
            fz.nn.ctc_beam_search_decoder(x, [3], beam_width=2, top_paths=3)
        with pytest.raises(ValueError, match="blank_index must be given"):
            fz.nn.ctc_loss_v2(fz.SparseTensor([[0, 0]], [1], [1, 1]), x, None, [3])
        xt = fz.constant(x)
        loss = fz.nn.ctc_loss(fz.SparseTensor([[0, 0]], [1], [1, 1]), xt, [3])
        (g,) = fz.gradients(loss, [xt])
        with pytest.raises(LookupGradientError, match="no second derivative of ctc_loss"):
            fz.gradients(fz.reduce_sum(g * g), [xt])


def test_collapse_repeated_and_unique_labels():
    labels = np.array([[1, 1, 2, 2, 3], [4, 4, 4, 0, 0], [1, 2, 1, 2, 2]])
    with fz.Graph().as_default():
        out, n = fz.nn.collapse_repeated(labels, np.array([5, 2, 4]))
        u, ui = fz.nn.ctc_unique_labels(np.array([[3, 4, 4, 3], [1, 1, 1, 1]]))
        with fz.Session() as s:
            ov, nv, uv, uiv = s.run([out, n, u, ui])
    np.testing.assert_array_equal(ov, [[1, 2, 3, 0], [4, 0, 0, 0], [1, 2, 1, 2]])
    np.testing.assert_array_equal(nv, [3, 1, 4])
    np.testing.assert_array_equal(uv, [[3, 4, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(uiv, [[0, 1, 1, 0], [0, 0, 0, 0]])
    assert uv.dtype == np.int64 and uiv.dtype == np.int32


@needs_tf
@pytest.mark.parametrize("width, top, merge", [(5, 3, True), (16, 4, False)])
def test_beam_search_with_heavy_pruning_matches_tensorflow(width, top, merge):
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    x = np.random.default_rng(7).normal(size=(20, 3, 8)) * 1.5
    seq = np.array([20, 13, 17], np.int32)

    def program(m):
        decoded, lp = m.nn.ctc_beam_search_decoder(m.constant(x), seq, width, top, merge)
        return [d.values for d in decoded] + [d.indices for d in decoded] + [lp]

    with tf.Graph().as_default(), tf1.Session() as s:
        want = s.run(program(tf1))
    with fz.Graph().as_default(), fz.Session() as s:
        got = s.run(program(fz))
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=f"output {k}")
