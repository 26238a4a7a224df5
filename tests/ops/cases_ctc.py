"""Op-table rows for CTC (flowzero/ops/ctc_ops.py).

The references enumerate every path of a tiny problem (num_classes ** max_time of them): a
labeling's probability is the sum over the paths that collapse to it (merge repeats, drop
blanks), which is CTC's definition, with no recursion shared with the kernel.
"""

import itertools

import numpy as np

from flowzero.framework.sparse_tensor import SparseTensor
from flowzero.ops import ctc_ops
from flowzero.testing.op_cases import OpCase


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _collapse(path, blank, merge=True):
    out, prev = [], None
    for k in path:
        if k != blank and not (merge and k == prev):
            out.append(k)
        prev = k
    return tuple(out)


def labelings(x, t, blank, merge=True):
    """{labeling: probability} over all paths of x[:t] ([T, C] logits)."""
    p = _softmax(x[:t].astype(np.float64))
    out = {}
    for path in itertools.product(range(x.shape[1]), repeat=t):
        lab = _collapse(path, blank, merge)
        out[lab] = out.get(lab, 0.0) + np.prod(p[np.arange(t), path])
    return out


LABELS = [[1, 0, 0], [0], [1, 1], [1]]  # class 2 is the blank


def ref_ctc_loss(x, seq, merge=True):
    return np.array(
        [
            -np.log(labelings(x[:, b], seq[b], x.shape[2] - 1, merge).get(tuple(lab), 0.0))
            for b, lab in enumerate(LABELS)
        ]
    ).astype(x.dtype)


def build_ctc_loss(x, seq, merge=True):
    idx = np.array([[b, i] for b, lab in enumerate(LABELS) for i in range(len(lab))], np.int64)
    vals = np.array([v for lab in LABELS for v in lab], np.int32)
    return ctc_ops.ctc_loss(SparseTensor(idx, vals, [4, 3]), x, seq, ctc_merge_repeated=merge)


def ref_greedy(x, seq):
    paths, lp = [], []
    for b in range(x.shape[1]):
        best = x[: seq[b], b].argmax(1)
        paths.append(_collapse(best, x.shape[2] - 1))
        lp.append([-x[: seq[b], b].max(1).sum()])
    idx = [[b, i] for b, p in enumerate(paths) for i in range(len(p))]
    width = max(len(p) for p in paths)
    return (
        np.array(idx, np.int64).reshape(-1, 2),
        np.array([v for p in paths for v in p], np.int64),
        np.array([len(paths), width], np.int64),
        np.array(lp, x.dtype),
    )


def ref_beam(x, seq, top, merge):
    """The exact top labelings (a beam wider than all prefixes searches exhaustively)."""
    paths, lp = [[] for _ in range(top)], []
    for b in range(x.shape[1]):
        ranked = sorted(labelings(x[:, b], seq[b], x.shape[2] - 1).items(), key=lambda kv: -kv[1])
        for i in range(top):
            paths[i].append(_collapse(ranked[i][0], -1, merge))  # merge_repeated: on the output
        lp.append([np.log(ranked[i][1]) for i in range(top)])
    out = []
    for ps in paths:
        idx = [[b, i] for b, p in enumerate(ps) for i in range(len(p))]
        out.append(
            (
                np.array(idx, np.int64).reshape(-1, 2),
                np.array([v for p in ps for v in p], np.int64),
                np.array([len(ps), max(len(p) for p in ps)], np.int64),
            )
        )
    return [o[0] for o in out] + [o[1] for o in out] + [o[2] for o in out] + [np.array(lp)]


def build_beam(x, seq, top, merge):
    decoded, lp = ctc_ops.ctc_beam_search_decoder(x, seq, 40, top, merge)
    return (
        [d.indices for d in decoded] + [d.values for d in decoded]
        + [d.dense_shape for d in decoded] + [lp]
    )  # fmt: skip


def _logits(seed, t=4, b=4, c=3):
    return np.random.default_rng(seed).normal(size=(t, b, c)) * 1.5


SEQ = np.array([4, 3, 4, 2], np.int32)
CASES = [
    OpCase(
        "CTCLoss",
        build_ctc_loss,
        ref_ctc_loss,
        [_logits(0), SEQ],
        wrt=[0],
        rtol=1e-9,
        grad_rtol=1e-5,
    ),
    OpCase(
        "CTCLoss",
        lambda x, seq: build_ctc_loss(x, seq, merge=False),
        lambda x, seq: ref_ctc_loss(x, seq, merge=False),
        [_logits(1), SEQ],
        name="no-merge",
        wrt=[0],
        rtol=1e-9,
        grad_rtol=1e-5,
    ),
    OpCase(
        "CTCLoss",
        build_ctc_loss,
        ref_ctc_loss,
        [_logits(2).astype(np.float32), SEQ],
        name="float32",
        rtol=1e-5,
        grad=False,
    ),
    OpCase(
        "CTCGreedyDecoder",
        lambda x, seq: (lambda d, lp: (d[0].indices, d[0].values, d[0].dense_shape, lp))(
            *ctc_ops.ctc_greedy_decoder(x, seq)
        ),
        ref_greedy,
        [_logits(3, t=6, c=4), np.array([6, 2, 5, 0], np.int32)],
        grad=False,
    ),
    OpCase(
        "CTCBeamSearchDecoder",
        lambda x, seq: build_beam(x, seq, 2, False),
        lambda x, seq: ref_beam(x, seq, 2, False),
        [_logits(4), SEQ],
        rtol=1e-9,
        grad=False,
    ),
    OpCase(
        "CTCBeamSearchDecoder",
        lambda x, seq: build_beam(x, seq, 3, True),
        lambda x, seq: ref_beam(x, seq, 3, True),
        [_logits(5), SEQ],
        name="merge-repeated",
        rtol=1e-9,
        grad=False,
    ),
]
