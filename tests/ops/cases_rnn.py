"""Op-table rows for the fused recurrent-cell kernels (flowzero/ops/rnn_ops.py)."""

import numpy as np

from flowzero.ops import rnn_ops
from flowzero.testing.op_cases import OpCase, rand

B, D, U = 3, 4, 5


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lstm_reference(x, c, h, w, b, forget_bias=1.0):
    gates = np.concatenate([x, h], 1) @ w + b
    gi, gj, gf, go = np.split(gates, 4, axis=1)
    i, ci, f, o = _sigmoid(gi), np.tanh(gj), _sigmoid(gf + forget_bias), _sigmoid(go)
    cs = ci * i + c * f
    co = np.tanh(cs)
    return [i, cs, f, o, ci, co, co * o]


def _inputs(rng):
    return [
        rand(B, D, seed=1),
        rand(B, U, seed=2),
        rand(B, U, seed=3),
        0.4 * rand(D + U, 4 * U, seed=4),
        0.2 * rand(4 * U, seed=5),
    ]


CASES = [
    OpCase(
        "LSTMBlockCell",
        lambda x, c, h, w, b: rnn_ops.lstm_block_cell(x, c, h, w, b),
        _lstm_reference,
        _inputs,
        rtol=1e-5,
        atol=1e-6,
    ),
    # The usual use (only cs and h differentiated) and one that reaches every gate output.
    OpCase(
        "LSTMBlockCell",
        lambda x, c, h, w, b: rnn_ops.lstm_block_cell(x, c, h, w, b)[6],
        lambda *a: _lstm_reference(*a)[6],
        _inputs,
        name="h",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "LSTMBlockCell",
        lambda x, c, h, w, b: rnn_ops.lstm_block_cell(x, c, h, w, b, forget_bias=0.0)[1],
        lambda *a: _lstm_reference(*a, forget_bias=0.0)[1],
        _inputs,
        name="cs_fb0",
        rtol=1e-5,
        atol=1e-6,
    ),
]

T = 4


def _block_reference(x, c, h, w, b, forget_bias=1.0):
    """The step reference, step by step; then the last state and the chain-rule factors the
    gradient kernel reads: [ci i', i ci', c_prev f', co o'] and o (1 - co^2)."""
    seqs = [[] for _ in range(7)]
    fac, fac_c = [], []
    for t in range(x.shape[0]):
        i, cs, f, o, ci, co, hn = _lstm_reference(x[t], c, h, w, b, forget_bias)
        for k, v in enumerate((i, cs, f, o, ci, co, hn)):
            seqs[k].append(v)
        fac.append(
            np.concatenate(
                [ci * i * (1 - i), i * (1 - ci * ci), c * f * (1 - f), co * o * (1 - o)], axis=1
            )
        )
        fac_c.append(o * (1 - co * co))
        c, h = cs, hn
    return [np.stack(s) for s in seqs] + [c, h, np.stack(fac), np.stack(fac_c)]


def _block_inputs(rng):
    return [rand(T, B, D, seed=6)] + _inputs(rng)[1:]


CASES += [
    OpCase(
        "BlockLSTM",
        lambda x, c, h, w, b: rnn_ops.block_lstm(x, c, h, w, b),
        _block_reference,
        _block_inputs,
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    # Gradients through the sequences of cs and h and the last state, as dynamic_rnn reads.
    OpCase(
        "BlockLSTM",
        lambda x, c, h, w, b: [rnn_ops.block_lstm(x, c, h, w, b)[k] for k in (1, 6, 7, 8)],
        lambda *a: [_block_reference(*a)[k] for k in (1, 6, 7, 8)],
        _block_inputs,
        name="cs_h_last",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "BlockLSTM",
        lambda x, c, h, w, b: rnn_ops.block_lstm(x, c, h, w, b, forget_bias=0.5)[6],
        lambda *a: _block_reference(*a, forget_bias=0.5)[6],
        _block_inputs,
        name="h_fb05",
        rtol=1e-5,
        atol=1e-6,
    ),
]

EXEMPT = {
    "BlockLSTMGrad": "the gradient kernel of BlockLSTM: checked by BlockLSTM's gradient rows "
    "here; its own gradient raises on purpose (tests/nn/test_lstm_block.py)",
    "LSTMBlockCellGrad": "the gradient kernel of LSTMBlockCell: checked by LSTMBlockCell's "
    "gradient rows here; its own gradient raises on purpose "
    "(tests/nn/test_lstm_block.py)",
}
