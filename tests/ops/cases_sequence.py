"""Op-table rows for reverse_sequence, roll, searchsorted, unravel_index and the composites
over them (flowzero/ops/sequence_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

X = rand(3, 4, 2)
LENS = np.array([2, 0, 4], np.int64)


def _rev_seq(x, lens, seq, batch):
    out = x.copy()
    for b, n in enumerate(lens):
        src = [slice(None)] * x.ndim
        src[batch] = b
        src[seq] = slice(0, n)
        out[tuple(src)] = np.flip(x[tuple(src)], axis=seq - (batch < seq))
    return out


def _searchsorted(s, v, side):
    s2, v2 = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1])
    return np.stack([np.searchsorted(a, b, side) for a, b in zip(s2, v2)]).reshape(v.shape)


SORTED = np.sort(rand(2, 3, 5), -1)
VALS = np.concatenate([rand(2, 3, 4, seed=3), SORTED[..., 1:3]], -1)

BG_IDX = np.array([[[0, 3], [3, 1], [2, 2]], [[1, 0], [2, 0], [0, 3]]], np.int32)

CASES = [
    OpCase(
        "ReverseSequence",
        lambda x, n: tf.reverse_sequence(x, n, seq_axis=1, batch_axis=0),
        lambda x, n: _rev_seq(x, n, 1, 0),
        [X, LENS],
        name="seq1_batch0",
        second_order=True,
    ),
    OpCase(
        "ReverseSequence",
        lambda x, n: tf.reverse_sequence(x, n, seq_dim=0, batch_dim=2),
        lambda x, n: _rev_seq(x, n, 0, 2),
        [X, np.array([3, 1], np.int32)],
        name="seq0_batch2",
    ),
    OpCase(
        "Roll",
        lambda x: tf.roll(x, 2, 1),
        lambda x: np.roll(x, 2, 1),
        [X],
        name="one_axis",
        second_order=True,
    ),
    OpCase(
        "Roll",
        lambda x, s: tf.roll(x, s, [0, -1, 0]),
        lambda x, s: np.roll(x, tuple(s), (0, 2, 0)),
        [X, np.array([1, -3, 4], np.int32)],
        name="repeated_axis_tensor_shift",
    ),
    OpCase(
        "Roll",
        lambda x: tf.roll(x, -1, 0),
        lambda x: np.roll(x, -1, 0),
        [np.arange(5, dtype=np.int64)],
        name="int64",
        grad=False,
    ),
    OpCase(
        "LowerBound",
        lambda s, v: tf.searchsorted(s, v),
        lambda s, v: _searchsorted(s, v, "left").astype(np.int32),
        [SORTED, VALS],
        name="3d_left",
        grad=False,
    ),
    OpCase(
        "UpperBound",
        lambda s, v: tf.searchsorted(s, v, side="right", out_type=tf.int64),
        lambda s, v: _searchsorted(s, v, "right"),
        [SORTED, VALS],
        name="3d_right_int64",
        grad=False,
    ),
    OpCase(
        "UpperBound",
        lambda s, v: tf.searchsorted(s, v, side="right"),
        lambda s, v: np.searchsorted(s, v, "right").astype(np.int32),
        [np.array([1, 2, 2, 2, 5], np.int32), np.array([2, 0, 9, 5], np.int32)],
        name="1d_int_ties",
        grad=False,
    ),
    OpCase(
        "UnravelIndex",
        lambda i, d: tf.unravel_index(i, d),
        lambda i, d: np.stack(np.unravel_index(i, tuple(d))).astype(np.int32),
        [np.array([0, 7, 23, 11], np.int32), np.array([2, 3, 4], np.int32)],
        name="vector",
        grad=False,
    ),
    OpCase(
        "UnravelIndex",
        lambda i, d: tf.unravel_index(i, d),
        lambda i, d: np.stack(np.unravel_index(i, tuple(d))).astype(np.int64),
        [np.array(5, np.int64), np.array([4, 2], np.int64)],
        name="scalar_int64",
        grad=False,
    ),
    # Composites: their rows stand under the op type they are built on.
    OpCase(
        "Less",
        lambda n: tf.sequence_mask(n, 5),
        lambda n: np.arange(5) < n[..., None],
        [np.array([[1, 5], [0, 3]], np.int32)],
        name="sequence_mask",
        grad=False,
    ),
    OpCase(
        "Less",
        lambda n: tf.sequence_mask(n, dtype=tf.float32),
        lambda n: (np.arange(n.max()) < n[..., None]).astype(np.float32),
        [np.array([2, 4, 1], np.int64)],
        name="sequence_mask_default_maxlen",
        grad=False,
    ),
    OpCase(
        "GatherV2",
        lambda x: tf.repeat(x, [1, 0, 3], axis=0),
        lambda x: np.repeat(x, [1, 0, 3], axis=0),
        [X],
        name="repeat_axis0",
        second_order=True,
    ),
    OpCase(
        "GatherV2",
        lambda x, r: tf.repeat(x, r, axis=-1),
        lambda x, r: np.repeat(x, r, axis=-1),
        [X, np.array(3, np.int32)],
        name="repeat_scalar_tensor",
    ),
    OpCase(
        "GatherV2",
        lambda x: tf.repeat(x, 2),
        lambda x: np.repeat(x, 2),
        [rand(2, 3)],
        name="repeat_flat",
    ),
    OpCase(
        "BroadcastTo",
        lambda a, b, c: tf.meshgrid(a, b, c),
        lambda a, b, c: np.meshgrid(a, b, c),
        [rand(3), rand(2, seed=1), rand(4, seed=2)],
        name="meshgrid_xy",
    ),
    OpCase(
        "BroadcastTo",
        lambda a, b: tf.meshgrid(a, b, indexing="ij"),
        lambda a, b: np.meshgrid(a, b, indexing="ij"),
        [rand(3), rand(2, seed=1)],
        name="meshgrid_ij",
    ),
    OpCase(
        "GatherV2",
        lambda p, i: tf.batch_gather(p, i),
        lambda p, i: np.stack([[p[a, b][i[a, b]] for b in range(3)] for a in range(2)]),
        [rand(2, 3, 4, 2), BG_IDX],
        name="batch_gather_nb2",
        unknown_shapes=False,
    ),
    OpCase(
        "GatherV2",
        lambda p, i: tf.batch_gather(p, i),
        lambda p, i: np.take_along_axis(p, i, 1),
        [rand(3, 4), np.array([[0, 3], [1, 1], [2, 0]], np.int64)],
        name="batch_gather_matrix",
        unknown_shapes=False,
    ),
]
