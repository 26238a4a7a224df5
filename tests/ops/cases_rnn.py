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
    return [rand(B, D, seed=1), rand(B, U, seed=2), rand(B, U, seed=3),
            0.4 * rand(D + U, 4 * U, seed=4), 0.2 * rand(4 * U, seed=5)]


CASES = [
    OpCase("LSTMBlockCell", lambda x, c, h, w, b: rnn_ops.lstm_block_cell(x, c, h, w, b),
           _lstm_reference, _inputs, rtol=1e-5, atol=1e-6),
    # The usual use (only cs and h differentiated) and one that reaches every gate output.
    OpCase("LSTMBlockCell", lambda x, c, h, w, b: rnn_ops.lstm_block_cell(x, c, h, w, b)[6],
           lambda *a: _lstm_reference(*a)[6], _inputs, name="h", rtol=1e-5, atol=1e-6),
    OpCase("LSTMBlockCell",
           lambda x, c, h, w, b: rnn_ops.lstm_block_cell(x, c, h, w, b, forget_bias=0.0)[1],
           lambda *a: _lstm_reference(*a, forget_bias=0.0)[1], _inputs, name="cs_fb0",
           rtol=1e-5, atol=1e-6),
]

EXEMPT = {
    "LSTMBlockCellGrad": "the gradient kernel of LSTMBlockCell: checked by LSTMBlockCell's "
                         "gradient rows here; its own gradient raises on purpose "
                         "(tests/nn/test_lstm_block.py)",
}
