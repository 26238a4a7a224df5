"""Connectionist temporal classification (Graves et al., 2006): the CTC loss with its gradient
(CTCLoss), and the greedy and beam search decoders (CTCGreedyDecoder, CTCBeamSearchDecoder).

CTCLoss runs the forward-backward recursions in log space over the blank-extended labels
l' = (blank, l1, blank, l2, ..., blank), one Python loop over time, vectorised over the batch
and the states. As TF's fused kernel, it returns d loss / d logits as a second output, which
its gradient scales; there is no second derivative (TF's prevent_gradient). Inputs are
time-major logits [max_time, batch, num_classes]; the blank is the last class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.framework.sparse_tensor import SparseTensor
from flowzero.ops import (
    array_ops,
    cast_ops,
    indexing_ops,
    logic_ops,
    manip_ops,
    reduction_ops,
    reshape_ops,
    select_ops,
    sequence_ops,
)
from flowzero.ops.common import DTypeError

_NEG = -np.inf


def _check_logits(op: OpDef, x: Tensor, seq: Tensor) -> tuple[Any, Any, Any]:
    if x.dtype.np.kind != "f":
        raise op.error(f"inputs must be float32 or float64; got {x.dtype.name}.", cls=DTypeError)
    if seq.dtype is not dtypes.int32:
        raise op.error(f"sequence_length must be int32; got {seq.dtype.name}.", cls=DTypeError)
    k = x.shape.known
    if k is not None and len(k) != 3:
        raise op.error(
            f"inputs must be rank 3 [max_time, batch_size, num_classes]; got inputs: {x.shape}."
        )
    t, b, c = k if k is not None else (None, None, None)
    sk = seq.shape.known
    if sk is not None and (len(sk) != 1 or (b is not None and sk[0] not in (None, b))):
        raise op.error(
            f"sequence_length must be a vector [batch_size={b}]; got sequence_length: "
            f"{seq.shape}, inputs: {x.shape}."
        )
    return t, b, c


def _check_lengths(op: OpDef, x: np.ndarray, seq: np.ndarray) -> None:
    if x.ndim != 3 or seq.shape != (x.shape[1],):
        raise op.error(
            f"inputs must be [max_time, batch_size, num_classes] and sequence_length "
            f"[batch_size]; got inputs: {x.shape}, sequence_length: {seq.shape}."
        )
    bad = np.flatnonzero((seq < 0) | (seq > x.shape[0]))
    if bad.size:
        raise op.error(
            f"sequence_length must be in [0, max_time={x.shape[0]}]; got sequence_length"
            f"[{bad[0]}] = {seq[bad[0]]}."
        )


# -- the loss ----------------------------------------------------------------------------------
def _lse(*xs: np.ndarray) -> np.ndarray:
    m = np.maximum.reduce(xs)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(sum(np.exp(x - safe) for x in xs)) + safe


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(-1, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _forward_backward(
    logy: np.ndarray, lp: np.ndarray, u: np.ndarray, tb: np.ndarray, merge: bool, blank: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log alpha, log beta [T, B, S], log p [B]) for label sequences lp [B, S]
    (blank-padded past each row's length u), over each row's first tb steps."""
    n_t, n_b, _ = logy.shape
    n_s = lp.shape[1]
    s_idx = np.arange(n_s)
    valid = s_idx[None, :] < u[:, None]
    emit = np.take_along_axis(logy, np.broadcast_to(lp[None], (n_t, n_b, n_s)), axis=2)
    emit = np.where(valid[None], emit, _NEG)
    is_blank = lp == blank
    stay = merge | is_blank  # may a path stay on state s (a repeated frame)?
    skip = np.zeros((n_b, n_s), bool)  # may it come from s - 2 (skipping a blank)?
    skip[:, 2:] = ~is_blank[:, 2:] & ~(merge & (lp[:, 2:] == lp[:, :-2]))
    alpha = np.full((n_t, n_b, n_s), _NEG)
    beta = np.full((n_t, n_b, n_s), _NEG)
    a = np.full((n_b, n_s), _NEG)
    a[:, :2] = 0.0
    a = np.where(valid, a, _NEG) + emit[0]
    alpha[0] = a
    for t in range(1, n_t):
        prev = alpha[t - 1]
        s1 = np.full((n_b, n_s), _NEG)
        s1[:, 1:] = prev[:, :-1]
        s2 = np.full((n_b, n_s), _NEG)
        s2[:, 2:] = prev[:, :-2]
        a = _lse(np.where(stay, prev, _NEG), s1, np.where(skip, s2, _NEG)) + emit[t]
        alpha[t] = np.where((t < tb)[:, None], a, _NEG)
    # beta[t, s]: log P(the rest of the labels | state s at time t), emission at t excluded.
    last = np.zeros((n_b, n_s), bool)
    rows = np.arange(n_b)
    last[rows, np.maximum(u - 1, 0)] = True
    last[rows, np.maximum(u - 2, 0)] = True
    end = np.where(last & valid, 0.0, _NEG)
    skip_next = np.zeros((n_b, n_s), bool)  # may state s jump to s + 2?
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(n_t - 1, -1, -1):
        if t + 1 < n_t:
            nxt = beta[t + 1] + emit[t + 1]
            n1 = np.full((n_b, n_s), _NEG)
            n1[:, :-1] = nxt[:, 1:]
            n2 = np.full((n_b, n_s), _NEG)
            n2[:, :-2] = nxt[:, 2:]
            b = _lse(np.where(stay, nxt, _NEG), n1, np.where(skip_next, n2, _NEG))
        else:
            b = np.full((n_b, n_s), _NEG)
        b = np.where((t == tb - 1)[:, None], end, np.where((t < tb - 1)[:, None], b, _NEG))
        beta[t] = b
    logp = np.logaddexp.reduce(alpha[0] + beta[0], axis=1)
    return alpha, beta, logp


def _ctc_loss_and_grad(
    x: np.ndarray,
    labels: list[list[int]],
    seq: np.ndarray,
    merge: bool,
    skip_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """loss [B] and d loss / d logits [T, B, C] (float64), the blank being class C - 1."""
    n_t, n_b, n_c = x.shape
    blank = n_c - 1
    logy = _log_softmax(x.astype(np.float64))
    u = np.array([2 * len(lab) + 1 for lab in labels], np.int64)
    n_s = int(u.max(initial=1))
    lp = np.full((n_b, n_s), blank, np.int64)
    for b, lab in enumerate(labels):
        lp[b, 1 : 2 * len(lab) : 2] = lab
    tb = np.where(skip_rows, 0, seq).astype(np.int64)
    alpha, beta, logp = _forward_backward(logy, lp, u, tb, merge, blank)
    y = np.exp(logy)
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = np.exp(alpha + beta - logp[None, :, None])  # [T, B, S] state occupancy
    gamma = np.nan_to_num(gamma, nan=0.0)
    occ = np.zeros((n_t, n_b, n_c))
    np.add.at(
        occ,
        (slice(None), np.arange(n_b)[:, None], lp),
        np.where((np.arange(n_s)[None, :] < u[:, None])[None], gamma, 0.0),
    )
    grad = y - occ
    no_path = ~np.isfinite(logp)
    grad[:, no_path] = y[:, no_path]  # no valid path: TF returns the softmax itself
    live = np.arange(n_t)[:, None] < tb[None, :]
    grad = np.where(live[:, :, None], grad, 0.0)
    loss = np.where(tb > 0, -logp, 0.0)
    return loss, grad


def _sparse_labels(op: OpDef, idx: np.ndarray, vals: np.ndarray, batch: int) -> list[list[int]]:
    if idx.ndim != 2 or idx.shape[1] != 2 or vals.shape != (idx.shape[0],):
        raise op.error(
            f"labels_indices must be [N, 2] and labels_values [N]; got {idx.shape} and "
            f"{vals.shape}."
        )
    rows: list[list[int]] = [[] for _ in range(batch)]
    order = np.lexsort((idx[:, 1], idx[:, 0])) if idx.size else np.zeros(0, np.int64)
    for k in order:
        b = int(idx[k, 0])
        if not 0 <= b < batch:
            raise op.error(f"labels_indices batch index must be in [0, {batch}); got {b}.")
        rows[b].append(int(vals[k]))
    return rows


@register_op("CTCLoss")
class CTCLoss(OpDef):
    """(loss[b] = -log P(labels[b] | inputs[:seq_len[b], b]) under CTC, d loss / d inputs)."""

    none_for_missing_grads = True

    def infer(self, x: Tensor, idx: Tensor, vals: Tensor, seq: Tensor) -> list[TensorSpec]:
        t, b, c = _check_logits(self, x, seq)
        if idx.dtype is not dtypes.int64 or vals.dtype is not dtypes.int32:
            raise self.error(
                f"labels_indices must be int64 and labels_values int32; got "
                f"{idx.dtype.name} and {vals.dtype.name}.",
                cls=DTypeError,
            )
        return [spec(TensorShape([b]), x.dtype), spec(TensorShape([t, b, c]), x.dtype)]

    def _labels(self, x: np.ndarray, idx: np.ndarray, vals: np.ndarray, seq: np.ndarray) -> Any:
        a = self.attrs
        blank = x.shape[2] - 1
        out, skip = [], np.zeros(x.shape[1], bool)
        for b, raw in enumerate(_sparse_labels(self, idx, vals, x.shape[1])):
            if not raw:
                raise self.error(f"labels length is zero in batch {b}.")
            lab: list[int] = []
            finished = False
            for i, v in enumerate(raw):
                if i and a["preprocess_collapse_repeated"] and v == raw[i - 1]:
                    continue
                if v >= blank:
                    finished = True  # a blank (or beyond) ends the sequence
                elif finished:
                    raise self.error(
                        f"saw a label after a blank (num_classes - 1 = {blank}) in batch {b}: "
                        f"labels {raw}."
                    )
                else:
                    lab.append(v)
            if any(v < 0 for v in lab):
                raise self.error(f"labels must be non-negative; got {raw} in batch {b}.")
            if len(raw) > seq[b]:
                if a["ignore_longer_outputs_than_inputs"]:
                    skip[b] = True
                else:
                    raise self.error(
                        f"not enough time for the target sequence in batch {b} (required: "
                        f"{len(raw)}, available: {seq[b]}). Pass "
                        f"ignore_longer_outputs_than_inputs=True to skip such examples."
                    )
            out.append(lab)
        return out, skip | (seq == 0)

    def compute(
        self, x: np.ndarray, idx: np.ndarray, vals: np.ndarray, seq: np.ndarray
    ) -> list[np.ndarray]:
        _check_lengths(self, x, seq)
        labels, skip = self._labels(x, idx, vals, seq)
        loss, grad = _ctc_loss_and_grad(x, labels, seq, self.attrs["ctc_merge_repeated"], skip)
        return [loss.astype(x.dtype), grad.astype(x.dtype)]

    def gradient(self, op: Any, dloss: Any, dgrad: Any) -> list[Any]:
        if dgrad is not None:
            raise errors.LookupGradientError(
                f"CTCLoss '{op.name}': there is no second derivative of ctc_loss (the "
                "gradient is the fused kernel's output, as in TF)."
            )
        if dloss is None:
            return [None, None, None, None]
        return [reshape_ops.reshape(dloss, [1, -1, 1]) * op.outputs[1], None, None, None]


# -- decoders ----------------------------------------------------------------------------------
def _sparse_out(paths: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = [(b, i) for b, p in enumerate(paths) for i in range(len(p))]
    vals = [v for p in paths for v in p]
    width = max((len(p) for p in paths), default=0)
    return (
        np.array(idx, np.int64).reshape(-1, 2),
        np.array(vals, np.int64),
        np.array([len(paths), width], np.int64),
    )


@register_op("CTCGreedyDecoder")
class CTCGreedyDecoder(OpDef):
    """Best path: the argmax class per step, repeats merged (merge_repeated), blanks removed;
    log_probability[b] = -sum over t of the max logit."""

    differentiable = False

    def infer(self, x: Tensor, seq: Tensor) -> list[TensorSpec]:
        _, b, _ = _check_logits(self, x, seq)
        return [
            spec([None, 2], dtypes.int64),
            spec([None], dtypes.int64),
            spec([2], dtypes.int64),
            spec(TensorShape([b, 1]), x.dtype),
        ]

    def compute(self, x: np.ndarray, seq: np.ndarray) -> list[np.ndarray]:
        _check_lengths(self, x, seq)
        blank = self.attrs.get("blank_index", -1)
        blank = blank + x.shape[2] if blank < 0 else blank
        best = x.argmax(2)  # [T, B], the first of equal maxima
        top = np.take_along_axis(x, best[:, :, None], 2)[:, :, 0]
        paths, score = [], np.zeros((x.shape[1], 1), x.dtype)
        for b in range(x.shape[1]):
            n = int(seq[b])
            path, prev = [], -1
            for t in range(n):
                k = int(best[t, b])
                if k != blank and not (self.attrs["merge_repeated"] and k == prev):
                    path.append(k)
                prev = k
            paths.append(path)
            score[b, 0] = -top[:n, b].sum()
        return [*_sparse_out(paths), score]


class _Beam:
    """One prefix of the beam search's trie: (blank, label, total) log probabilities now
    (newp) and one step back (oldp), as TF's BeamEntry."""

    __slots__ = ("label", "parent", "children", "old", "new")

    def __init__(self, label: int, parent: _Beam | None) -> None:
        self.label, self.parent = label, parent
        self.children: dict[int, _Beam] = {}
        self.old = [_NEG, _NEG, _NEG]
        self.new = [_NEG, _NEG, _NEG]

    def active(self) -> bool:
        return self.new[2] != _NEG

    def child(self, label: int) -> _Beam:
        c = self.children.get(label)
        if c is None:
            c = self.children[label] = _Beam(label, self)
        return c

    def labels(self, merge_repeated: bool) -> list[int]:
        out, prev, e = [], -1, self
        while e.parent is not None:
            if not merge_repeated or e.label != prev:
                out.append(e.label)
            prev, e = e.label, e.parent
        return out[::-1]


def _lae(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) of two Python floats."""
    if a == _NEG:
        return b
    if b == _NEG:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _beam_search(x: np.ndarray, width: int, blank: int) -> list[_Beam]:
    """TF's CTCBeamSearchDecoder (default scorer) on logits x [T, C]: the final beam."""
    root = _Beam(-1, None)
    root.new = [0.0, _NEG, 0.0]
    leaves = [root]
    labels = np.array([k for k in range(x.shape[1]) if k != blank], np.int64)
    pos = {int(k): j for j, k in enumerate(labels)}
    for inp in _log_softmax(x.astype(np.float64)):  # log probabilities, as TF's kernel
        step = inp.tolist()
        branches = sorted(leaves, key=lambda e: -e.new[2])
        leaves = []
        for e in branches:
            e.old = list(e.new)
        for e in branches:
            if e.parent is not None:
                if e.parent.active():
                    p = e.parent.old
                    e.new[1] = _lae(e.new[1], p[0] if e.label == e.parent.label else p[2])
                e.new[1] += step[e.label]
            e.new[0] = e.old[2] + step[blank]
            e.new[2] = _lae(e.new[0], e.new[1])
            leaves.append(e)

        def candidate(total: float, leaves: list[_Beam] = leaves) -> bool:
            return total > _NEG and (len(leaves) < width or total > min(e.new[2] for e in leaves))

        child_inp = inp[labels]
        for e in branches:
            if not candidate(e.old[2]):
                continue
            totals = child_inp + e.old[2]
            if e.label >= 0:
                totals[labels == e.label] = step[e.label] + e.old[0]
            # NOTE: once the beam is full its lowest total only rises, so a child not above it
            # now would be rejected at its turn: only existing ones need TF's reset then (a
            # dropped branch losing its old probabilities grows no children later on).
            if len(leaves) == width:
                todo = set(np.flatnonzero(totals > min(b.new[2] for b in leaves)).tolist())
                turns = sorted(todo | {pos[k] for k in e.children})
            else:
                todo, turns = None, range(len(labels))
            for j in turns:
                k = int(labels[j])
                if todo is not None and j not in todo:
                    c = e.children[k]
                    if not c.active():
                        c.old = [_NEG, _NEG, _NEG]
                        c.new = [_NEG, _NEG, _NEG]
                    continue
                c = e.child(k)
                if c.active():
                    continue
                t = float(totals[j])
                c.new = [_NEG, t, t]
                if candidate(t):
                    if len(leaves) == width:
                        bottom = min(leaves, key=lambda b: b.new[2])
                        bottom.new = [_NEG, _NEG, _NEG]
                        leaves.remove(bottom)
                    leaves.append(c)
                else:
                    c.old = [_NEG, _NEG, _NEG]
                    c.new = [_NEG, _NEG, _NEG]
    return sorted(leaves, key=lambda e: -e.new[2])


@register_op("CTCBeamSearchDecoder")
class CTCBeamSearchDecoder(OpDef):
    """The top_paths most probable label sequences by prefix beam search (beam_width); per
    path a sparse (indices, values, shape) triple, then log_probability [batch, top_paths]."""

    differentiable = False

    def infer(self, x: Tensor, seq: Tensor) -> list[TensorSpec]:
        _, b, _ = _check_logits(self, x, seq)
        a = self.attrs
        if a["beam_width"] < 1 or not 1 <= a["top_paths"] <= a["beam_width"]:
            raise self.error(
                f"beam_width must be positive and top_paths in [1, beam_width]; got "
                f"beam_width={a['beam_width']}, top_paths={a['top_paths']}."
            )
        n = a["top_paths"]
        return (
            [spec([None, 2], dtypes.int64)] * n
            + [spec([None], dtypes.int64)] * n
            + [spec([2], dtypes.int64)] * n
            + [spec(TensorShape([b, n]), x.dtype)]
        )

    def compute(self, x: np.ndarray, seq: np.ndarray) -> list[np.ndarray]:
        _check_lengths(self, x, seq)
        a = self.attrs
        n, batch = a["top_paths"], x.shape[1]
        paths: list[list[list[int]]] = [[] for _ in range(n)]
        logp = np.zeros((batch, n), x.dtype)
        for b in range(batch):
            beam = _beam_search(x[: int(seq[b]), b], a["beam_width"], x.shape[2] - 1)
            if len(beam) < n:
                raise self.error(
                    f"fewer paths in the beam ({len(beam)}) than top_paths ({n}) in batch {b}."
                )
            for i in range(n):
                paths[i].append(beam[i].labels(a["merge_repeated"]))
                logp[b, i] = beam[i].new[2]
        out = [_sparse_out(p) for p in paths]
        return [o[0] for o in out] + [o[1] for o in out] + [o[2] for o in out] + [logp]


# -- public functions --------------------------------------------------------------------------
def _time_major(x: Tensor, time_major: bool) -> Tensor:
    return x if time_major else reshape_ops.transpose(x, [1, 0, 2])


def ctc_loss(
    labels: Any,
    inputs: Any = None,
    sequence_length: Any = None,
    preprocess_collapse_repeated: bool = False,
    ctc_merge_repeated: bool = True,
    ignore_longer_outputs_than_inputs: bool = False,
    time_major: bool = True,
    logits: Any = None,
) -> Tensor:
    """The CTC loss per example (TF1's tf.nn.ctc_loss); the blank is class num_classes - 1.

    Args:
        labels: a SparseTensor of int32 class ids: labels.indices[i] = [b, position].
        inputs: logits (unnormalized), [max_time, batch, num_classes] (time_major) or
            [batch, max_time, num_classes].
        sequence_length: int32 [batch], the steps of each example.
        preprocess_collapse_repeated: merge repeated labels before computing the loss.
        ctc_merge_repeated: False: a repeated output is never merged (every frame emits).
        ignore_longer_outputs_than_inputs: examples with more labels than steps get a loss
            and gradient of 0 instead of an error.

    Returns:
        [batch] negative log probabilities.

    Example:
        >>> labels = tf.SparseTensor(indices=[[0, 0]], values=[0], dense_shape=[1, 1])
        >>> logits = tf.zeros([2, 1, 3])   # 2 steps, batch 1, classes 0, 1 and blank 2
        >>> loss = tf.nn.ctc_loss(labels, logits, sequence_length=[2])
        >>> sess = tf.Session()
        >>> print(sess.run(loss))   # 3 of the 9 paths ("00", "0-", "-0") give "0": log 3
        [1.0986123]
    """
    inputs = logits if inputs is None else inputs
    if not isinstance(labels, SparseTensor):
        raise TypeError("ctc_loss: labels must be a SparseTensor (tf.SparseTensor).")
    g = graph_of([inputs, sequence_length, labels.values], "ctc_loss")
    with g.as_default():
        x = _time_major(convert_to_tensor(inputs, name="inputs"), time_major)
        seq = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
        attrs = {
            "preprocess_collapse_repeated": bool(preprocess_collapse_repeated),
            "ctc_merge_repeated": bool(ctc_merge_repeated),
            "ignore_longer_outputs_than_inputs": bool(ignore_longer_outputs_than_inputs),
        }
        vals = cast_ops.cast(labels.values, dtypes.int32)
        return apply_op(CTCLoss, [x, labels.indices, vals, seq], attrs)[0]


def ctc_loss_v2(
    labels: Any,
    logits: Any,
    label_length: Any,
    logit_length: Any,
    logits_time_major: bool = True,
    unique: Any = None,
    blank_index: int | None = None,
    name: str | None = None,
) -> Tensor:
    """The CTC loss per example, TF2's signature: dense labels [batch, max_label_length] with
    label_length, or a SparseTensor (then blank_index is required); blank_index defaults to 0
    for dense labels (negative: counted from num_classes).

    Example:
        >>> loss = tf.nn.ctc_loss_v2(tf.constant([[1]]), tf.zeros([2, 1, 3]), label_length=[1],
        ...                          logit_length=[2], blank_index=0)
        >>> sess = tf.Session()
        >>> print(sess.run(loss))   # 3 of the 9 paths give "1": log 3
        [1.0986123]
    """
    del unique  # an optimisation hint in TF; the result is the same
    sparse = isinstance(labels, SparseTensor)
    if sparse and blank_index is None:
        raise ValueError("ctc_loss_v2: blank_index must be given when using SparseTensor labels.")
    blank = 0 if blank_index is None else int(blank_index)
    g = graph_of([logits, logit_length, label_length], "ctc_loss_v2")
    with g.as_default(), g.name_scope(name or "ctc_loss_dense"):
        x = _time_major(convert_to_tensor(logits, name="logits"), logits_time_major)
        c = x.shape[2] if x.shape.ndims == 3 else None
        if c is None:
            raise ValueError(f"ctc_loss_v2: logits need a known number of classes; got {x.shape}.")
        blank = blank + c if blank < 0 else blank
        if sparse:
            indices, values = labels.indices, cast_ops.cast(labels.values, dtypes.int32)
        else:
            lab = convert_to_tensor(labels, name="labels")
            mask = sequence_ops.sequence_mask(label_length, maxlen=array_ops.shape(lab)[1])
            indices = indexing_ops.where(mask)
            values = cast_ops.cast(indexing_ops.gather_nd(lab, indices), dtypes.int32)
        if blank != c - 1:  # move the blank class last, as CTCLoss wants it
            order = [k for k in range(c) if k != blank] + [blank]
            x = indexing_ops.gather(x, order, axis=2)
            values = select_ops.where_v2(values < blank, values, values - 1)
        seq = cast_ops.cast(convert_to_tensor(logit_length), dtypes.int32)
        attrs = {
            "preprocess_collapse_repeated": False,
            "ctc_merge_repeated": True,
            "ignore_longer_outputs_than_inputs": False,
        }
        return apply_op(CTCLoss, [x, indices, values, seq], attrs)[0]


def ctc_greedy_decoder(
    inputs: Any,
    sequence_length: Any,
    merge_repeated: bool = True,
    blank_index: int | None = None,
) -> tuple[list[SparseTensor], Tensor]:
    """Greedy (best path) CTC decoding: the argmax per step, repeats merged, blanks dropped.

    Args:
        inputs: time-major logits [max_time, batch, num_classes].
        sequence_length: int32 [batch].
        merge_repeated: merge repeated classes of consecutive steps (not across a blank).
        blank_index: the blank class (default num_classes - 1; negative: from the end).

    Returns:
        ([decoded], neg_sum_logits): decoded, a SparseTensor [batch, max_decoded_length]
        of int64; neg_sum_logits [batch, 1], minus the sum of each step's max logit.
    """
    g = graph_of([inputs, sequence_length], "ctc_greedy_decoder")
    with g.as_default():
        x = convert_to_tensor(inputs, name="inputs")
        seq = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
        blank = -1 if blank_index is None else int(blank_index)
        attrs = {"merge_repeated": bool(merge_repeated), "blank_index": blank}
        i, v, s, lp = apply_op(CTCGreedyDecoder, [x, seq], attrs)
    return [SparseTensor(i, v, s)], lp


def ctc_beam_search_decoder(
    inputs: Any,
    sequence_length: Any,
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
) -> tuple[list[SparseTensor], Tensor]:
    """CTC prefix beam search (TF's decoder, no language model); blank = num_classes - 1.

    Args:
        inputs: time-major logits [max_time, batch, num_classes].
        sequence_length: int32 [batch].
        beam_width: how many prefixes are kept per step.
        top_paths: how many decodings to return (<= beam_width).
        merge_repeated: merge repeated labels in the output paths (TF1's default True; note
            this also merges a repeat that a blank separated).

    Returns:
        (decoded, log_probability): top_paths SparseTensors [batch, max_length] of int64,
        and [batch, top_paths] log probabilities (of logits shifted by their per-step max).
    """
    g = graph_of([inputs, sequence_length], "ctc_beam_search_decoder")
    with g.as_default():
        x = convert_to_tensor(inputs, name="inputs")
        seq = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
        attrs = {
            "beam_width": int(beam_width),
            "top_paths": int(top_paths),
            "merge_repeated": bool(merge_repeated),
        }
        out = apply_op(CTCBeamSearchDecoder, [x, seq], attrs)
    n = int(top_paths)
    decoded = [SparseTensor(out[k], out[n + k], out[2 * n + k]) for k in range(n)]
    return decoded, out[3 * n]


def ctc_beam_search_decoder_v2(
    inputs: Any, sequence_length: Any, beam_width: int = 100, top_paths: int = 1
) -> tuple[list[SparseTensor], Tensor]:
    """ctc_beam_search_decoder with merge_repeated=False (TF2's form)."""
    return ctc_beam_search_decoder(inputs, sequence_length, beam_width, top_paths, False)


def collapse_repeated(labels: Any, seq_length: Any, name: str | None = None) -> tuple[Any, Any]:
    """Merges consecutive repeated labels of each row of a dense [batch, max_length] batch.

    Returns:
        (collapsed [batch, max new length], new_seq_length): rows left-aligned, zero-padded.

    Example:
        >>> labels, length = tf.nn.collapse_repeated([[1, 1, 2, 2, 3], [4, 4, 4, 5, 5]], [5, 4])
        >>> sess = tf.Session()
        >>> out, n = sess.run([labels, length])
        >>> print(out, n)
        [[1 2 3]
         [4 5 0]] [3 2]
    """
    from flowzero.ops.indexing_ops import boolean_mask, scatter_nd
    from flowzero.ops.range_ops import range as range_

    g = graph_of([labels, seq_length], "collapse_repeated")
    with g.as_default(), g.name_scope(name or "collapse_repeated_labels"):
        lab = convert_to_tensor(labels, name="labels")
        seq = convert_to_tensor(seq_length, name="seq_length")
        first = array_ops.ones_like(lab[:, :1], dtype=dtypes.bool)
        keep = manip_ops.concat([first, logic_ops.not_equal(lab[:, 1:], lab[:, :-1])], 1)
        maxlen = array_ops.shape(lab)[1]
        keep = logic_ops.logical_and(keep, sequence_ops.sequence_mask(seq, maxlen=maxlen))
        new_len = reduction_ops.reduce_sum(cast_ops.cast(keep, dtypes.int32), axis=1)
        new_max = reduction_ops.reduce_max(new_len)
        slots = reshape_ops.reshape(sequence_ops.sequence_mask(new_len, maxlen=new_max), [-1])
        where = boolean_mask(range_(array_ops.shape(slots)[0]), slots)
        vals = boolean_mask(reshape_ops.reshape(lab, [-1]), reshape_ops.reshape(keep, [-1]))
        flat = scatter_nd(reshape_ops.expand_dims(where, 1), vals, array_ops.shape(slots))
        out = reshape_ops.reshape(flat, array_ops.stack([array_ops.shape(lab)[0], new_max]))
        return out, cast_ops.cast(new_len, seq.dtype)


def ctc_unique_labels(labels: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """Per row of a dense [batch, max_length] int batch: its unique labels in order of first
    appearance (int64, zero-padded to max_length), and each label's index among them (int32),
    as tf.unique row by row.

    Example:
        >>> labels, idx = tf.nn.ctc_unique_labels([[3, 4, 4, 3]])
        >>> sess = tf.Session()
        >>> out, i = sess.run([labels, idx])
        >>> print(out, i)
        [[3 4 0 0]] [[0 1 1 0]]
    """
    from flowzero.ops.functional_ops import map_fn
    from flowzero.ops.slicing_ops import pad
    from flowzero.ops.sort_ops import unique

    def one_row(row: Tensor) -> list[Tensor]:
        y, idx = unique(row)
        width = array_ops.shape(idx)[0] - array_ops.shape(y)[0]
        padded = pad(y, array_ops.stack([array_ops.stack([0, width])]))
        return [cast_ops.cast(padded, dtypes.int64), idx]

    g = graph_of([labels], "ctc_unique_labels")
    with g.as_default(), g.name_scope(name or "ctc_unique_labels"):
        lab = convert_to_tensor(labels, name="labels")
        out = map_fn(one_row, lab, dtype=[dtypes.int64, dtypes.int32])
        return out[0], out[1]


__all__: list[str] = []  # public through tf.nn
