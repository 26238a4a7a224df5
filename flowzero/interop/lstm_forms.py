"""The fused LSTM ops (flowzero/ops/rnn_ops.py) in TensorFlow's GraphDef form, both ways.

flowzero's LSTMBlockCell and BlockLSTM compute what TF's ops of those names compute without
peepholes and without cell clipping, but take fewer inputs, and flowzero's gradient kernels
return other things than TF's:

- LSTMBlockCell(x, cs_prev, h_prev, w, b) is TF's LSTMBlockCell(x, cs_prev, h_prev, w, wci,
  wcf, wco, b) with zero peephole weights, `use_peephole=False`, `cell_clip=-1` (no clip).
- BlockLSTM(x, cs_prev, h_prev, w, b) is TF's BlockLSTM(seq_len_max, x, ...) with
  seq_len_max = the number of steps; flowzero's outputs 7 and 8 (the last cs and h) are
  slices of TF's sequences; outputs 9 and 10 (factors for flowzero's gradient kernel) are read
  only by BlockLSTMGrad.
- BlockLSTMGrad (dx, dcs_prev, dh_prev, dw, db from the gradients of the cs and h sequences
  and of the last cs and h) is TF's BlockLSTMGrad over the forward op's inputs and outputs,
  with the last-step gradients added into the sequences' gradients.
- LSTMBlockCellGrad is TF's LSTMBlockCellGrad (cs_prev_grad and dicfo, the gates' gradient)
  followed by what TF's Python gradient does with dicfo: dx and dh_prev from dicfo @ w^T, dw
  from concat(x, h_prev)^T @ dicfo, db the batch sum of dicfo.

On import, TF's LSTMBlockCell and BlockLSTM with peepholes or a cell clip are refused
(UnimplementedError); a BlockLSTM whose seq_len_max may be less than the steps gets its cs and
h sequences zeroed from that step on, as TF's kernel does. TF's BlockLSTMGrad imports as
flowzero's over a BlockLSTM that runs every step; TF's LSTMBlockCellGrad (whose dicfo output
flowzero's kernel does not return) and the V2 ops are refused: import the forward graph and
let flowzero differentiate it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Operation, Tensor

TYPES = frozenset({"LSTMBlockCell", "BlockLSTM", "LSTMBlockCellGrad", "BlockLSTMGrad"})
_NO_CLIP = -1.0


def _ref(t: Tensor) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def _const(name: str, value: Any, dtype: Any = None) -> tuple[str, str, list[str], dict]:
    arr = np.asarray(value, dtype=dtype)
    return (name, "Const", [], {"dtype": dtypes.as_dtype(arr.dtype), "value": arr})


def _unimplemented(op: Operation, what: str) -> errors.UnimplementedError:
    return errors.UnimplementedError(
        None, None, f"{op.type} '{op.name}': {what}; it has no TensorFlow GraphDef form."
    )


def _units(op: Operation, cs_prev: Tensor, w: Tensor) -> int:
    known = cs_prev.shape.known
    if known is not None and known[1] is not None:
        return int(known[1])
    wk = w.shape.known
    if wk is not None and wk[1] is not None:
        return int(wk[1]) // 4
    raise _unimplemented(op, "the number of units is not known before run time")


def _peephole(op: Operation, node: Any, units: int, dtype: Any) -> str:
    """A Const of zero peephole weights ([units]) for TF's wci / wcf / wco inputs."""
    name = f"{op.name}/no_peephole"
    node.extra.append(_const(name, np.zeros(units, dtype.np)))
    return name


def _seq_len_max(op: Operation, node: Any, x: Tensor) -> str:
    """TF's seq_len_max input (int64 scalar): x's number of steps."""
    name = f"{op.name}/seq_len_max"
    known = x.shape.known
    if known is not None and known[0] is not None:
        node.extra.append(_const(name, known[0], np.int64))
        return name
    shape = f"{op.name}/x_shape"
    node.extra.append((shape, "Shape", [_ref(x)], {"T": x.dtype, "out_type": dtypes.int64}))
    node.extra.extend(_strided(name, shape, [0], [1], [1], x.dtype, {"shrink_axis_mask": 1}))
    return name


def _strided(
    name: str, source: str, begin: list, end: list, strides: list, dtype: Any, masks: dict
) -> list[tuple[str, str, list[str], dict]]:
    parts = [
        _const(f"{name}/{k}", v, np.int32)
        for k, v in (("begin", begin), ("end", end), ("strides", strides))
    ]
    attrs = {
        "T": dtype,
        "Index": dtypes.int32,
        "begin_mask": 0,
        "end_mask": 0,
        "ellipsis_mask": 0,
        "new_axis_mask": 0,
        "shrink_axis_mask": 0,
        **masks,
    }
    return [*parts, (name, "StridedSlice", [source, *(p[0] for p in parts)], attrs)]


def _common(op: Operation, node: Any, dtype: Any, forget_bias: float | None) -> None:
    node.attrs.clear()
    node.attrs.update(T=dtype, use_peephole=False)
    if forget_bias is not None:
        node.attrs.update(forget_bias=float(forget_bias), cell_clip=_NO_CLIP)


def export(op: Operation, node: Any) -> None:
    """Rewrites `node` (op_mapping.ExportedNode of `op`) into TF's form."""
    t = op.type
    if t == "LSTMBlockCell":
        x, cs_prev, h_prev, w, b = op.inputs
        p = _peephole(op, node, _units(op, cs_prev, w), x.dtype)
        node.inputs = [_ref(x), _ref(cs_prev), _ref(h_prev), _ref(w), p, p, p, _ref(b)]
        _common(op, node, x.dtype, op.opdef.attrs.get("forget_bias", 1.0))
    elif t == "BlockLSTM":
        _export_block_lstm(op, node)
    elif t == "BlockLSTMGrad":
        _export_block_lstm_grad(op, node)
    else:
        _export_cell_grad(op, node)


def _export_block_lstm(op: Operation, node: Any) -> None:
    x, cs_prev, h_prev, w, b = op.inputs
    for k in (9, 10):
        for c in op.outputs[k].consumers():
            if c.type != "BlockLSTMGrad":
                raise _unimplemented(op, f"output {k} is read by {c.type} '{c.name}'")
    seq_len = _seq_len_max(op, node, x)
    p = _peephole(op, node, _units(op, cs_prev, w), x.dtype)
    node.inputs = [seq_len, _ref(x), _ref(cs_prev), _ref(h_prev), _ref(w), p, p, p, _ref(b)]
    _common(op, node, x.dtype, op.opdef.attrs.get("forget_bias", 1.0))
    # flowzero's outputs 7 and 8, the last cs and h: TF's cs and h sequences at step -1.
    for k, seq in ((7, 1), (8, 6)):
        name = f"{op.name}/last_{'cs' if k == 7 else 'h'}"
        node.after.extend(
            _strided(name, f"{op.name}:{seq}", [-1], [0], [1], x.dtype, {"shrink_axis_mask": 1})
        )
        node.renames[k] = name


def _forward(op: Operation, k: int, fwd_type: str) -> Operation:
    fwd = op.inputs[k].op
    if fwd.type != fwd_type:
        raise _unimplemented(op, f"its input {k} does not come from a {fwd_type}")
    return fwd


def _seq_grad(
    op: Operation, node: Any, what: str, seq: Tensor, last: Tensor, like: str, dtype: Any
) -> str:
    """TF's gradient of a whole cs or h sequence from flowzero's two parts (each a scalar 0
    when nothing flows there): the sequence's gradient plus the last state's at the last step."""
    base = f"{op.name}/{what}_grad"
    zeros = f"{base}/zeros"
    full = seq.shape.ndims != 0
    if last.shape.ndims == 0:
        if full:
            return _ref(seq)
        node.extra.append((zeros, "ZerosLike", [like], {"T": dtype}))
        return zeros
    node.extra.append((zeros, "ZerosLike", [like], {"T": dtype}))
    head = f"{base}/head"
    node.extra.extend(_strided(head, zeros, [0], [-1], [1], dtype, {}))
    axis = f"{base}/axis"
    node.extra.append(_const(axis, 0, np.int32))
    tail = f"{base}/tail"
    node.extra.append((tail, "ExpandDims", [_ref(last), axis], {"T": dtype, "Tdim": dtypes.int32}))
    cat = f"{base}/concat"
    node.extra.append(
        (cat, "ConcatV2", [head, tail, axis], {"T": dtype, "N": 2, "Tidx": dtypes.int32})
    )
    if not full:
        return cat
    node.extra.append((base, "AddV2", [_ref(seq), cat], {"T": dtype}))
    return base


def _export_block_lstm_grad(op: Operation, node: Any) -> None:
    fwd = _forward(op, 3, "BlockLSTM")
    x, cs_prev, h_prev, w, b = fwd.inputs
    dcs_seq, dh_seq, dcs_last, dh_last = op.inputs[7:11]
    dt = x.dtype
    seq_len = _seq_len_max(op, node, x)
    p = _peephole(op, node, _units(op, cs_prev, w), dt)
    cs_grad = _seq_grad(op, node, "cs", dcs_seq, dcs_last, f"{fwd.name}:1", dt)
    h_grad = _seq_grad(op, node, "h", dh_seq, dh_last, f"{fwd.name}:6", dt)
    node.inputs = [
        seq_len,
        *(_ref(t) for t in (x, cs_prev, h_prev, w)),
        p,
        p,
        p,
        _ref(b),
        *(f"{fwd.name}:{k}" if k else fwd.name for k in range(7)),
        cs_grad,
        h_grad,
    ]
    _common(op, node, dt, None)
    node.renames[4] = f"{op.name}:7"  # db: TF's b_grad comes after the peepholes' gradients


def _export_cell_grad(op: Operation, node: Any) -> None:
    if len(op.inputs) > 11:
        raise _unimplemented(op, "gradients reach the gates (i, f, o, ci, co) themselves")
    fwd = _forward(op, 4, "LSTMBlockCell")
    x, cs_prev, h_prev, w, b = fwd.inputs
    dcs, dh = op.inputs[9:11]
    dt = x.dtype
    xk = x.shape.known
    if xk is None or xk[1] is None:
        raise _unimplemented(op, "the input depth is not known before run time")
    depth = int(xk[1])
    p = _peephole(op, node, _units(op, cs_prev, w), dt)
    grads = []
    for what, d, like in (("cs", dcs, f"{fwd.name}:1"), ("h", dh, f"{fwd.name}:6")):
        if d.shape.ndims != 0:
            grads.append(_ref(d))
        else:
            zeros = f"{op.name}/{what}_grad_zeros"
            node.extra.append((zeros, "ZerosLike", [like], {"T": dt}))
            grads.append(zeros)
    node.inputs = [
        *(_ref(t) for t in (x, cs_prev, h_prev, w)),
        p,
        p,
        p,
        _ref(b),
        *(f"{fwd.name}:{k}" if k else fwd.name for k in range(6)),
        *grads,
    ]
    _common(op, node, dt, None)
    # What TF's Python gradient of LSTMBlockCell does with dicfo (output 1).
    n, dicfo = op.name, f"{op.name}:1"
    xh_grad = f"{n}/xh_grad"
    node.after.append(
        (xh_grad, "MatMul", [dicfo, _ref(w)], {"T": dt, "transpose_a": False, "transpose_b": True})
    )
    node.after.extend(
        _strided(
            f"{n}/x_grad", xh_grad, [0, 0], [0, depth], [1, 1], dt, {"begin_mask": 1, "end_mask": 1}
        )
    )
    node.after.extend(
        _strided(
            f"{n}/h_prev_grad",
            xh_grad,
            [0, depth],
            [0, 0],
            [1, 1],
            dt,
            {"begin_mask": 1, "end_mask": 3},
        )
    )
    axis = f"{n}/xh/axis"
    node.after.append(_const(axis, 1, np.int32))
    xh = f"{n}/xh"
    node.after.append(
        (xh, "ConcatV2", [_ref(x), _ref(h_prev), axis], {"T": dt, "N": 2, "Tidx": dtypes.int32})
    )
    w_grad = f"{n}/w_grad"
    node.after.append(
        (w_grad, "MatMul", [xh, dicfo], {"T": dt, "transpose_a": True, "transpose_b": False})
    )
    b_grad = f"{n}/b_grad"
    node.after.append((b_grad, "BiasAddGrad", [dicfo], {"T": dt, "data_format": "NHWC"}))
    node.renames.update({0: f"{n}/x_grad", 1: n, 2: f"{n}/h_prev_grad", 3: w_grad, 4: b_grad})


# -- import -------------------------------------------------------------------------------------
def _check_plain(ctx: Any) -> None:
    if ctx.attrs.get("use_peephole", False):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: peephole connections are not supported by flowzero."
        )
    clip = float(ctx.attrs.get("cell_clip", 3.0))
    if clip > 0:
        raise errors.UnimplementedError(
            None,
            None,
            f"{ctx.where}: cell clipping (cell_clip={clip:g}) is not supported by flowzero "
            "(tf.contrib.rnn's cells write cell_clip=-1 unless given one).",
        )


def import_cell(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    _check_plain(ctx)
    x, cs_prev, h_prev, w, _, _, _, b = inputs
    attrs = {"forget_bias": float(ctx.attrs.get("forget_bias", 1.0))}
    return ctx.make("LSTMBlockCell", [x, cs_prev, h_prev, w, b], attrs).outputs


def import_block_lstm(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    _check_plain(ctx)
    seq_len_max, x, cs_prev, h_prev, w, _, _, _, b = inputs
    attrs = {"forget_bias": float(ctx.attrs.get("forget_bias", 1.0))}
    outs = list(ctx.make("BlockLSTM", [x, cs_prev, h_prev, w, b], attrs).outputs[:7])
    steps = x.shape.known[0] if x.shape.known is not None else None
    limit = ctx.const_value(seq_len_max)
    if steps is not None and limit is not None and int(limit) >= steps:
        return outs
    # TF's kernel stops at step seq_len_max and zeroes cs and h from there on.
    n, dt = ctx.name, x.dtype

    def make(op_type: str, ins: list[Tensor], attrs: dict, suffix: str) -> Tensor:
        return ctx.make(op_type, ins, attrs, f"{n}/{suffix}").outputs[0]

    def const(value: Any, suffix: str) -> Tensor:
        arr = np.asarray(value)
        return make("Const", [], {"value": arr, "dtype": dtypes.as_dtype(arr.dtype)}, suffix)

    shape = make("Shape", [x], {"out_type": dtypes.int64}, "x_shape")
    steps_t = make(
        "StridedSlice",
        [shape, const([0], "begin"), const([1], "end"), const([1], "strides")],
        {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0}
        | {"shrink_axis_mask": 1},
        "steps",
    )
    index = make(
        "Range", [const(np.int64(0), "start"), steps_t, const(np.int64(1), "delta")], {}, "step"
    )
    keep = make("Less", [index, seq_len_max], {}, "running")
    keep = make("Cast", [keep], {"SrcT": dtypes.bool, "DstT": dt}, "running_f")
    keep = make("Reshape", [keep, const(np.array([-1, 1, 1], np.int32), "mask_shape")], {}, "mask")
    for k, what in ((1, "cs"), (6, "h")):
        outs[k] = make("Mul", [outs[k], keep], {}, f"{what}_masked")
    return outs


def import_block_lstm_grad(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    """TF's BlockLSTMGrad as flowzero's, over the imported BlockLSTM it differentiates (its
    gradient factors are that op's outputs 9 and 10)."""
    seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, b = inputs[:9]
    fwd = inputs[9].op
    if fwd.type != "BlockLSTM" or inputs[10].op is not fwd or inputs[15].op is not fwd:
        raise errors.UnimplementedError(
            None,
            None,
            f"{ctx.where}: its gate inputs do not come from an imported BlockLSTM that runs "
            "every step (seq_len_max the number of steps).",
        )
    if ctx.attrs.get("use_peephole", False):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: peephole connections are not supported by flowzero."
        )
    cs_grad, h_grad = inputs[16:18]
    zero = ctx.make(
        "Const",
        [],
        {"value": np.zeros((), x.dtype.np), "dtype": x.dtype},
        f"{ctx.name}/zero",
    ).outputs[0]
    outs = fwd.outputs
    grads = ctx.make(
        "BlockLSTMGrad",
        [x, h_prev, w, outs[2], outs[6], outs[9], outs[10], cs_grad, h_grad, zero, zero],
        {},
    ).outputs
    no_peephole = [
        ctx.make("Mul", [t, zero], {}, f"{ctx.name}/{k}_grad").outputs[0]
        for t, k in ((wci, "wci"), (wcf, "wcf"), (wco, "wco"))
    ]
    return [*grads[:4], *no_peephole, grads[4]]


def import_cell_grad(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    """TF's LSTMBlockCellGrad (outputs cs_prev_grad, dicfo and the peepholes' gradients) from
    flowzero's elementwise ops, for cells without peepholes or clipping: with the gate values
    the forward op gave (i, f, o, ci, co = tanh(cs)),
    dcs = h_grad * o * (1 - co^2) + cs_grad, and dicfo = [dcs * ci * i(1 - i),
    dcs * i * (1 - ci^2), dcs * cs_prev * f(1 - f), h_grad * co * o(1 - o)] in TF's gate order
    (i, ci, f, o); cs_prev_grad = dcs * f. TF's Python gradient turns dicfo into dx, dh_prev,
    dw and db with MatMuls that import as they are. So a training graph with LSTMBlockCell
    (tf.contrib.rnn.LSTMBlockCell, written by TF or exported by flowzero) imports whole.
    (The gradient op has no cell_clip attr: a clipped forward cell is refused where it
    imports.)"""
    if ctx.attrs.get("use_peephole", False):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: peephole connections are not supported by flowzero."
        )
    x, cs_prev = inputs[0], inputs[1]
    wci, wcf, wco = inputs[4:7]
    i, _cs, f, o, ci, co, cs_grad, h_grad = inputs[8:16]
    n, dt = ctx.name, x.dtype

    def op(op_type: str, ins: list[Tensor], suffix: str, attrs: dict | None = None) -> Tensor:
        return ctx.make(op_type, ins, attrs or {}, f"{n}/{suffix}").outputs[0]

    one = ctx.make("Const", [], {"value": np.ones((), dt.np), "dtype": dt}, f"{n}/one").outputs[0]

    def one_minus(t: Tensor, suffix: str) -> Tensor:
        return op("Sub", [one, t], suffix)

    co_sq = op("Mul", [co, co], "co_sq")
    dcs = op("Mul", [op("Mul", [h_grad, o], "dh_o"), one_minus(co_sq, "one_minus_co_sq")], "dh_cs")
    dcs = op("Add", [dcs, cs_grad], "dcs")
    di = op(
        "Mul", [op("Mul", [dcs, ci], "dcs_ci"), op("Mul", [i, one_minus(i, "1mi")], "di_")], "di"
    )
    dci = op(
        "Mul",
        [op("Mul", [dcs, i], "dcs_i"), one_minus(op("Mul", [ci, ci], "ci_sq"), "1mci_sq")],
        "dci",
    )
    df = op(
        "Mul",
        [op("Mul", [dcs, cs_prev], "dcs_csp"), op("Mul", [f, one_minus(f, "1mf")], "df_")],
        "df",
    )
    do = op(
        "Mul", [op("Mul", [h_grad, co], "dh_co"), op("Mul", [o, one_minus(o, "1mo")], "do_")], "do"
    )
    axis = ctx.make(
        "Const", [], {"value": np.int32(1), "dtype": dtypes.int32}, f"{n}/axis"
    ).outputs[0]
    dicfo = op("ConcatV2", [di, dci, df, do, axis], "dicfo")
    cs_prev_grad = op("Mul", [dcs, f], "cs_prev_grad")
    zero = ctx.make("Const", [], {"value": np.zeros((), dt.np), "dtype": dt}, f"{n}/zero").outputs[
        0
    ]
    no_peephole = [
        op("Mul", [t, zero], f"{k}_grad") for t, k in ((wci, "wci"), (wcf, "wcf"), (wco, "wco"))
    ]
    return [cs_prev_grad, dicfo, *no_peephole]


def refuse_grad(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    raise errors.UnimplementedError(
        None,
        None,
        f"{ctx.where}: TensorFlow's fused LSTM gradient kernel does not import; import the "
        "forward graph (e.g. frozen for inference) and let flowzero differentiate it.",
    )


IMPORTERS = {
    "LSTMBlockCell": import_cell,
    "BlockLSTM": import_block_lstm,
    "LSTMBlockCellGrad": import_cell_grad,
    "BlockLSTMGrad": import_block_lstm_grad,
    "BlockLSTMGradV2": refuse_grad,
}
