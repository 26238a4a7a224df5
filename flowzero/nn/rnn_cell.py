"""tf.nn.rnn_cell: TF1's RNN cells (re-exports; the cells live in rnn_cell_base.py,
rnn_cell_impl.py and rnn_cell_wrappers.py).

Example:
    >>> x = tf.placeholder(tf.float32, [None, 20, 8])
    >>> lengths = tf.placeholder(tf.int32, [None])
    >>> keep = tf.placeholder_with_default(1.0, [])
    >>> cell = tf.nn.rnn_cell.MultiRNNCell(
    ...     [tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.LSTMCell(128), output_keep_prob=keep)
    ...      for _ in range(2)])
    >>> outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
"""

from flowzero.nn.rnn_cell_base import LSTMStateTuple, RNNCell
from flowzero.nn.rnn_cell_impl import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell
from flowzero.nn.rnn_cell_wrappers import (
    DeviceWrapper,
    DropoutWrapper,
    MultiRNNCell,
    ResidualWrapper,
)

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "RNNCell",
    "ResidualWrapper",
]
