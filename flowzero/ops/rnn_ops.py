"""Fused recurrent-cell kernels: TF's LSTMBlockCell op and its gradient.

One LSTM step is a dozen small ops when written out (concat, matmul, bias, split, three
sigmoids, two tanhs, three products, a sum); run per time step, per sequence, their dispatch
costs as much as their arithmetic. TF ships the step as one kernel (`LSTMBlockCell`, used by
`tf.contrib.rnn.LSTMBlockCell`); flowzero's BasicLSTMCell and LSTMBlockCell build it too. The
weights keep TF's layout — one kernel [input + units, 4 * units], gates in the order i, j
(here `ci`), f, o — so checkpoints and outputs are those of TF's cells.

Outputs, as TF's op: i, cs, f, o, ci, co, h (the activated gates, the new cell state, its tanh
and the new hidden state); the gradient kernel reads the gates from there instead of computing
them again.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import compiled
from flowzero.ops.activation_ops import _stable_sigmoid


def _dim(s: TensorShape, i: int) -> int | None:
    return None if s.known is None else s.known[i]


def _compiled_lstm(dt: np.dtype) -> Any:
    """flowzero/ops/compiled/lstm.py for float32/float64 when compiled kernels are on, else None
    (the NumPy code is then the kernel, and is always the reference)."""
    if dt != np.float32 and dt != np.float64:
        return None
    return compiled.load("lstm")


@functools.lru_cache(maxsize=32)
def _gate_scale(dt: np.dtype, u: int) -> np.ndarray:
    """[0.5] * u, [1] * u, [0.5] * 2u: the pre-activations' scale for one tanh over the i, ci,
    f, o gates (sigmoid(z) = 0.5 + 0.5 tanh(z / 2))."""
    row = np.full(4 * u, 0.5, dt)
    row[u : 2 * u] = 1
    row.flags.writeable = False
    return row


def _grad_specs(x: Tensor, state: Tensor, w: Tensor) -> list[TensorSpec]:
    """dx, dcs_prev, dh_prev, dw, db: the gradient kernels' outputs, shaped as the inputs."""
    units = _dim(state.shape, 1)
    return [
        spec(x.shape, x.dtype),
        spec(state.shape, x.dtype),
        spec(state.shape, x.dtype),
        spec(w.shape, x.dtype),
        spec(TensorShape([None if units is None else 4 * units]), x.dtype),
    ]


@register_op("LSTMBlockCell")
class LSTMBlockCell(OpDef):
    """[i, ci, f, o] = act(concat(x, h_prev) @ w + b) with f's bias + forget_bias;
    cs = ci * i + cs_prev * f; co = tanh(cs); h = co * o."""

    # dy for outputs nobody differentiates (usually all but cs and h) arrive as None.
    none_for_missing_grads = True
    # The gradient kernel checks the shapes (no broadcasting): no un-broadcasting needed.
    grads_match_inputs = True

    def infer(
        self, x: Tensor, cs_prev: Tensor, h_prev: Tensor, w: Tensor, b: Tensor
    ) -> list[TensorSpec]:
        for t, name in ((x, "x"), (cs_prev, "cs_prev"), (h_prev, "h_prev"), (w, "w"), (b, "b")):
            if t.dtype is not x.dtype or not t.dtype.is_floating:
                raise self.error(
                    f"inputs must share one floating dtype; got x: "
                    f"{x.dtype.name}, {name}: {t.dtype.name}."
                )
        for t, rank, name in (
            (x, 2, "x"),
            (cs_prev, 2, "cs_prev"),
            (h_prev, 2, "h_prev"),
            (w, 2, "w"),
            (b, 1, "b"),
        ):
            if t.shape.ndims not in (None, rank):
                raise self.error(f"{name} must have rank {rank}; got shape {t.shape}.")
        units = _dim(cs_prev.shape, 1) or _dim(h_prev.shape, 1)
        depth = _dim(x.shape, 1)
        rows, cols = _dim(w.shape, 0), _dim(w.shape, 1)
        if cols is not None and units is not None and cols != 4 * units:
            raise self.error(
                f"w must have 4 * units = {4 * units} columns; got w: {w.shape}, "
                f"cs_prev: {cs_prev.shape}."
            )
        if rows is not None and depth is not None and units is not None and rows != depth + units:
            raise self.error(
                f"w must have input depth + units = {depth} + {units} rows; got "
                f"w: {w.shape}, x: {x.shape}."
            )
        batch = _dim(x.shape, 0) or _dim(h_prev.shape, 0) or _dim(cs_prev.shape, 0)
        out = spec(TensorShape([batch, units]), x.dtype)
        return [out] * 7

    def compute(
        self, x: np.ndarray, cs_prev: np.ndarray, h_prev: np.ndarray, w: np.ndarray, b: np.ndarray
    ) -> list[np.ndarray]:
        units = cs_prev.shape[1]
        if w.shape != (x.shape[1] + units, 4 * units) or b.shape != (4 * units,):
            raise self.error(
                f"w must be [{x.shape[1]} + {units}, {4 * units}] and b "
                f"[{4 * units}]; got w: {w.shape}, b: {b.shape}."
            )
        if not (x.shape[0] == cs_prev.shape[0] == h_prev.shape[0]):
            raise self.error(
                f"x, cs_prev and h_prev must share the batch size; got "
                f"{x.shape}, {cs_prev.shape}, {h_prev.shape}."
            )
        gates = np.concatenate([x, h_prev], axis=1) @ w
        gates += b
        u = units
        gates[:, 2 * u : 3 * u] += gates.dtype.type(self.attrs.get("forget_bias", 1.0))
        ck = _compiled_lstm(gates.dtype)
        if ck is not None:  # one tanh over the four gates (sigmoid's pre-halved), one pass
            dt = gates.dtype
            gates *= _gate_scale(dt, u)
            np.tanh(gates, out=gates)
            i, f, o, ci, cs = (np.empty((gates.shape[0], u), dt) for _ in range(5))
            c = np.ascontiguousarray(cs_prev, dt)
            ck.cell_fwd(gates, c, i, f, o, ci, cs, dt.type(0.5))
            co = np.tanh(cs)
            return [i, cs, f, o, ci, co, co * o]
        i = _stable_sigmoid(gates[:, :u])
        ci = np.tanh(gates[:, u : 2 * u])
        f = _stable_sigmoid(gates[:, 2 * u : 3 * u])
        o = _stable_sigmoid(gates[:, 3 * u :])
        cs = ci * i
        cs += cs_prev * f
        co = np.tanh(cs)
        h = co * o
        return [i, cs, f, o, ci, co, h]

    def gradient(
        self, op: Any, di: Any, dcs: Any, df: Any, do: Any, dci: Any, dco: Any, dh: Any
    ) -> list[Any]:
        x, cs_prev, h_prev, w, b = op.inputs
        i, cs, f, o, ci, co, h = op.outputs
        zero = convert_to_tensor(np.zeros((), x.dtype.np))
        extra = [di, df, do, dci, dco]
        if any(d is not None for d in extra):
            # Gradients reaching the gates themselves (rare): folded in by the same kernel.
            extra = [d if d is not None else zero for d in extra]
        else:
            extra = []
        grads = apply_op(
            LSTMBlockCellGrad,
            [
                x,
                cs_prev,
                h_prev,
                w,
                i,
                f,
                o,
                ci,
                co,
                dcs if dcs is not None else zero,
                dh if dh is not None else zero,
                *extra,
            ],
            name=None,
        )
        dx, dcs_prev, dh_prev, dw, db = grads
        return [dx, dcs_prev, dh_prev, dw, db]


@register_op("LSTMBlockCellGrad")
class LSTMBlockCellGrad(OpDef):
    """dx, dcs_prev, dh_prev, dw, db of one LSTMBlockCell step, from dcs and dh (and, when
    given, gradients of the gates i, f, o, ci and of co)."""

    def infer(
        self, x: Tensor, cs_prev: Tensor, h_prev: Tensor, w: Tensor, *rest: Tensor
    ) -> list[TensorSpec]:
        return _grad_specs(x, h_prev, w)

    def compute(
        self,
        x: np.ndarray,
        cs_prev: np.ndarray,
        h_prev: np.ndarray,
        w: np.ndarray,
        i: np.ndarray,
        f: np.ndarray,
        o: np.ndarray,
        ci: np.ndarray,
        co: np.ndarray,
        dcs: np.ndarray,
        dh: np.ndarray,
        *extra: np.ndarray,
    ) -> list[np.ndarray]:
        u = cs_prev.shape[1]
        one = x.dtype.type(1)
        ck = None if extra else _compiled_lstm(x.dtype)
        if ck is not None:
            batch, dt = x.shape[0], x.dtype
            d = np.empty((batch, 4 * u), dt)
            dcs_prev = np.empty((batch, u), dt)
            ck.cell_bwd(
                *(np.ascontiguousarray(np.broadcast_to(a, (batch, u)), dt) for a in (dh, dcs)),
                *(np.ascontiguousarray(a, dt) for a in (i, f, o, ci, co, cs_prev)),
                d,
                dcs_prev,
                one,
            )
            xh = np.concatenate([x, h_prev], axis=1)
            dxh = d @ w.T
            n = x.shape[1]
            return [dxh[:, :n], dcs_prev, dxh[:, n:], xh.T @ d, d.sum(axis=0)]
        # dcs_total = dcs + dh * o * (1 - co^2) (+ dco * (1 - co^2))
        dco = dh * o
        if extra:
            dco += extra[4]
        t = np.multiply(co, co)
        np.subtract(one, t, out=t)
        t *= dco
        dcs_t = np.add(t, dcs, out=t) if np.shape(dcs) == t.shape else t + dcs
        d = np.empty((x.shape[0], 4 * u), x.dtype)
        di, dci, df, do = d[:, :u], d[:, u : 2 * u], d[:, 2 * u : 3 * u], d[:, 3 * u :]
        np.multiply(dcs_t, ci, out=di)
        np.multiply(dcs_t, i, out=dci)
        np.multiply(dcs_t, cs_prev, out=df)
        np.multiply(dh, co, out=do)
        if extra:
            di += extra[0]
            df += extra[1]
            do += extra[2]
            dci += extra[3]
        for g, y in ((di, i), (df, f), (do, o)):  # sigmoid': y (1 - y)
            g *= y
            g *= one - y
        dci *= one - ci * ci  # tanh'
        dcs_prev = dcs_t * f
        xh = np.concatenate([x, h_prev], axis=1)
        dxh = d @ w.T
        dw = xh.T @ d
        db = d.sum(axis=0)
        n = x.shape[1]
        return [dxh[:, :n], dcs_prev, dxh[:, n:], dw, db]

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        raise errors.LookupGradientError(
            f"No gradient defined for operation '{op.name}' (op type: LSTMBlockCellGrad): "
            "second derivatives of the fused LSTM cell are not supported; build the cell "
            "from primitive ops (pass activation=tf.tanh to BasicLSTMCell explicitly) "
            "if you need them."
        )


def lstm_block_cell(
    x: Any,
    cs_prev: Any,
    h_prev: Any,
    w: Any,
    b: Any,
    forget_bias: float = 1.0,
    name: str | None = None,
) -> list[Tensor]:
    """One fused LSTM step; returns [i, cs, f, o, ci, co, h] as TF's `LSTMBlockCell` op."""
    return apply_op(
        LSTMBlockCell,
        [x, cs_prev, h_prev, w, b],
        {"forget_bias": float(forget_bias)},
        name=name or "LSTMBlockCell",
    )


# -- the whole sequence as one op --------------------------------------------------------------
@register_op("BlockLSTM")
class BlockLSTM(OpDef):
    """LSTMBlockCell over every step of x [time, batch, depth] from (cs_prev, h_prev).

    Outputs, as TF's BlockLSTM, i, cs, f, o, ci, co, h for every step ([time, batch, units]);
    then the last cs and h; then two by-products for the gradient kernel, computed only when a
    plan reads them (a training step): per step, the four gates' factors of the chain rule
    ([time, batch, 4 units]: ci·i', i·ci', cs_prev·f', co·o') and o·(1 - co²).

    The input projection of every step is one GEMM before the loop and the weight gradient
    one GEMM after the backward loop; per step, only `h @ w_h`, one tanh over all four gates
    and the state arithmetic remain (TF's BlockLSTM, PyTorch's nn.LSTM). Gate sequences nobody
    reads are never written."""

    none_for_missing_grads = True
    grads_match_inputs = True

    def infer(
        self, x: Tensor, cs_prev: Tensor, h_prev: Tensor, w: Tensor, b: Tensor
    ) -> list[TensorSpec]:
        if x.shape.ndims not in (None, 3):
            raise self.error(f"x must be [time, batch, depth]; got shape {x.shape}.")
        step = LSTMBlockCell(self.attrs, self.node_name).infer(_StepView(x), cs_prev, h_prev, w, b)[
            0
        ]
        t = _dim(x.shape, 0)
        seq = spec(TensorShape([t]).concatenate(step.shape), step.dtype)
        known = step.shape.known
        gates = TensorShape(
            None if known is None else [t, known[0], None if known[1] is None else 4 * known[1]]
        )
        return [seq] * 7 + [step, step, spec(gates, step.dtype), seq]

    def compute(
        self, x: np.ndarray, cs_prev: np.ndarray, h_prev: np.ndarray, w: np.ndarray, b: np.ndarray
    ) -> list[Any]:
        return self._run((True,) * 11, x, cs_prev, h_prev, w, b)

    def kernel_for(self, live: tuple[bool, ...]) -> Any:
        if all(live):
            return None
        return lambda *arrays: self._run(live, *arrays)

    def _run(
        self,
        live: tuple[bool, ...],
        x: np.ndarray,
        cs_prev: np.ndarray,
        h_prev: np.ndarray,
        w: np.ndarray,
        b: np.ndarray,
    ) -> list[Any]:
        n_t, batch, depth = x.shape
        u = cs_prev.shape[1]
        if w.shape != (depth + u, 4 * u) or b.shape != (4 * u,):
            raise self.error(
                f"w must be [{depth} + {u}, {4 * u}] and b [{4 * u}]; got "
                f"w: {w.shape}, b: {b.shape}."
            )
        if not (batch == cs_prev.shape[0] == h_prev.shape[0]):
            raise self.error(
                f"x, cs_prev and h_prev must share the batch size; got "
                f"{x.shape}, {cs_prev.shape}, {h_prev.shape}."
            )
        dt = x.dtype
        half, one = dt.type(0.5), dt.type(1)
        grad = live[9] or live[10]
        # The gradient kernel reads f and h of every step besides the factors.
        keep = [live[0], live[1], live[2] or grad, live[3], live[4], live[5], live[6] or grad]
        seqs = [np.empty((n_t, batch, u), dt) if k else None for k in keep]
        fac = np.empty((n_t, batch, 4 * u), dt) if grad else None
        fac_c = np.empty((n_t, batch, u), dt) if grad else None
        # sigmoid(z) = 0.5 + 0.5 tanh(z / 2): with the i, f, o columns of the weights and bias
        # halved up front, one tanh over all four gates per step does every activation.
        w_s = w.copy()
        bias = b.copy()
        bias[2 * u : 3 * u] += dt.type(self.attrs.get("forget_bias", 1.0))
        for lo in (0, 2 * u, 3 * u):
            w_s[:, lo : lo + u] *= half
            bias[lo : lo + u] *= half
        # d gate / d pre-activation from the tanh t of each gate: 0.25 (1 - t^2) for the
        # sigmoid gates, 1 - t^2 for the tanh gate.
        k_row = np.full(4 * u, 0.25, dt)
        k_row[u : 2 * u] = 1
        xw = x.reshape(n_t * batch, depth) @ w_s[:depth]  # every step's input projection
        xw += bias
        xw = xw.reshape(n_t, batch, 4 * u)
        w_h = w_s[depth:]
        hw = np.empty((batch, 4 * u), dt)
        # Steps whose sequences nobody reads go to temporaries (cs and h double-buffered: a
        # step reads the previous ones).
        tmp = [[np.empty((batch, u), dt)] * 2 for _ in range(7)]
        tmp[1][1] = np.empty((batch, u), dt)
        tmp[6][1] = np.empty((batch, u), dt)
        c, h = cs_prev, h_prev
        ck = _compiled_lstm(dt)
        if ck is not None:
            c = np.ascontiguousarray(c)
            none = np.empty((0, 0), dt)
            quarter = dt.type(0.25)
        for t in range(n_t):
            g = xw[t]
            np.matmul(h, w_h, out=hw)
            g += hw
            np.tanh(g, out=g)
            i, cs, f, o, ci, co, hn = (
                q[t] if q is not None else tmp[k][t % 2] for k, q in enumerate(seqs)
            )
            if ck is not None:  # the same arithmetic in two compiled passes around one tanh
                fac_t = fac[t] if grad else none
                ck.block_fwd_gates(g, c, i, f, o, ci, cs, fac_t, grad, half, quarter, one)
                np.tanh(cs, out=co)
                ck.block_fwd_out(co, o, hn, fac_t, fac_c[t] if grad else none, grad, one)
                c, h = cs, hn
                continue
            if grad:
                d = fac[t]
                np.multiply(g, g, out=d)
                np.subtract(one, d, out=d)
                d *= k_row
            for y, lo in ((i, 0), (f, 2 * u), (o, 3 * u)):
                np.multiply(g[:, lo : lo + u], half, out=y)
                y += half
            np.copyto(ci, g[:, u : 2 * u])
            np.multiply(c, f, out=cs)
            np.multiply(ci, i, out=hw[:, :u])
            cs += hw[:, :u]
            np.tanh(cs, out=co)
            if grad:
                d4 = fac[t].reshape(batch, 4, u)
                d4[:, 0] *= ci
                d4[:, 1] *= i
                d4[:, 2] *= c
                d4[:, 3] *= co
                a = fac_c[t]
                np.multiply(co, co, out=a)
                np.subtract(one, a, out=a)
                a *= o
            np.multiply(co, o, out=hn)
            c, h = cs, hn
        return [*seqs, np.array(c, copy=True), np.array(h, copy=True), fac, fac_c]

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        x, cs_prev, h_prev, w, b = op.inputs
        outs = op.outputs
        if any(dys[k] is not None for k in (0, 2, 3, 4, 5, 9, 10)):
            raise errors.UnimplementedError(
                None,
                None,
                f"BlockLSTM '{op.name}': gradients reaching the gate outputs "
                "(i, f, o, ci, co) are not supported; only cs, h and the last state.",
            )
        zero = convert_to_tensor(np.zeros((), x.dtype.np))
        return apply_op(
            BlockLSTMGrad,
            [
                x,
                h_prev,
                w,
                outs[2],
                outs[6],
                outs[9],
                outs[10],
                *[d if d is not None else zero for d in (dys[1], dys[6], dys[7], dys[8])],
            ],
            name=None,
        )


class _StepView:
    """x [time, batch, depth] seen as one step's [batch, depth] (for the shape rule)."""

    def __init__(self, x: Tensor) -> None:
        self.dtype = x.dtype
        known = x.shape.known
        self.shape = TensorShape(None if known is None else known[1:])


@register_op("BlockLSTMGrad")
class BlockLSTMGrad(OpDef):
    """dx, dcs_prev, dh_prev, dw, db of a BlockLSTM, from the gradients of its cs and h
    sequences and of its last cs and h: backpropagation through time in one kernel, from the
    chain-rule factors the forward kernel kept."""

    def infer(self, x: Tensor, h_prev: Tensor, w: Tensor, *rest: Tensor) -> list[TensorSpec]:
        return _grad_specs(x, h_prev, w)

    def compute(
        self,
        x: np.ndarray,
        h_prev: np.ndarray,
        w: np.ndarray,
        f_s: np.ndarray,
        h_s: np.ndarray,
        fac: np.ndarray,
        fac_c: np.ndarray,
        dcs_seq: np.ndarray,
        dh_seq: np.ndarray,
        dcs_last: np.ndarray,
        dh_last: np.ndarray,
    ) -> list[np.ndarray]:
        n_t, batch, depth = x.shape
        u = h_prev.shape[1]
        dt = x.dtype
        w_h_t = np.ascontiguousarray(w[depth:].T)  # [4u, u]
        d_all = np.empty((n_t, batch, 4 * u), dt)
        dh_next = np.broadcast_to(dh_last, (batch, u)).astype(dt, copy=True)
        dcs_next = np.broadcast_to(dcs_last, (batch, u)).astype(dt, copy=True)
        seq_dh = np.ndim(dh_seq) != 0
        seq_dcs = np.ndim(dcs_seq) != 0
        tmp = np.empty((batch, u), dt)
        ck = _compiled_lstm(dt)
        if ck is not None:
            none = np.empty((0, 0), dt)
            dh_seq = np.ascontiguousarray(dh_seq, dt) if seq_dh else none
            dcs_seq = np.ascontiguousarray(dcs_seq, dt) if seq_dcs else none
            fac, fac_c, f_s = (np.ascontiguousarray(a) for a in (fac, fac_c, f_s))
        for t in range(n_t - 1, -1, -1):
            if ck is not None:  # one compiled pass, then the recurrent GEMM
                ck.block_bwd_step(
                    dh_next,
                    dh_seq[t] if seq_dh else none,
                    seq_dh,
                    dcs_next,
                    dcs_seq[t] if seq_dcs else none,
                    seq_dcs,
                    fac[t],
                    fac_c[t],
                    f_s[t],
                    d_all[t],
                )
                np.matmul(d_all[t], w_h_t, out=dh_next)
                continue
            dh = dh_next
            if seq_dh:
                dh += dh_seq[t]
            dcs = dcs_next  # + dh * o * (1 - co^2)
            np.multiply(dh, fac_c[t], out=tmp)
            dcs += tmp
            if seq_dcs:
                dcs += dcs_seq[t]
            d4 = d_all[t].reshape(batch, 4, u)
            f4 = fac[t].reshape(batch, 4, u)
            np.multiply(f4[:, :3], dcs[:, None, :], out=d4[:, :3])  # i, ci, f: by dcs
            np.multiply(f4[:, 3], dh, out=d4[:, 3])  # o: by dh
            dcs_next = np.multiply(dcs, f_s[t], out=dcs)
            dh_next = d_all[t] @ w_h_t
        d2 = d_all.reshape(n_t * batch, 4 * u)
        dx = (d2 @ w[:depth].T).reshape(n_t, batch, depth)
        # The weight gradient of every step at once: concat(x_t, h_{t-1})^T @ d_t summed over
        # t is one [depth + u, time * batch] @ [time * batch, 4u] GEMM.
        xh = np.empty((n_t, batch, depth + u), dt)
        xh[:, :, :depth] = x
        if n_t:
            xh[0, :, depth:] = h_prev
            xh[1:, :, depth:] = h_s[:-1]
        dw = xh.reshape(n_t * batch, depth + u).T @ d2
        db = d2.sum(axis=0)
        return [dx, dcs_next, dh_next, dw, db]

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        raise errors.LookupGradientError(
            f"No gradient defined for operation '{op.name}' (op type: BlockLSTMGrad): second "
            "derivatives of the fused LSTM are not supported; pass activation=tf.tanh to "
            "BasicLSTMCell to build it from primitive ops if you need them."
        )


def block_lstm(
    x: Any,
    cs_prev: Any,
    h_prev: Any,
    w: Any,
    b: Any,
    forget_bias: float = 1.0,
    name: str | None = None,
) -> list[Tensor]:
    """The fused LSTM over a whole [time, batch, depth] sequence; returns [i, cs, f, o, ci, co,
    h] (each [time, batch, units]) and the last cs and h."""
    return apply_op(
        BlockLSTM,
        [x, cs_prev, h_prev, w, b],
        {"forget_bias": float(forget_bias)},
        name=name or "BlockLSTM",
    )
