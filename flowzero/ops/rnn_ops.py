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

from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.activation_ops import _stable_sigmoid


def _dim(s: TensorShape, i: int) -> int | None:
    return None if s.known is None else s.known[i]


@register_op("LSTMBlockCell")
class LSTMBlockCell(OpDef):
    """[i, ci, f, o] = act(concat(x, h_prev) @ w + b) with f's bias + forget_bias;
    cs = ci * i + cs_prev * f; co = tanh(cs); h = co * o."""

    # dy for outputs nobody differentiates (usually all but cs and h) arrive as None.
    none_for_missing_grads = True
    # The gradient kernel checks the shapes (no broadcasting): no un-broadcasting needed.
    grads_match_inputs = True

    def infer(self, x: Tensor, cs_prev: Tensor, h_prev: Tensor, w: Tensor, b: Tensor
              ) -> list[TensorSpec]:
        for t, name in ((x, "x"), (cs_prev, "cs_prev"), (h_prev, "h_prev"), (w, "w"), (b, "b")):
            if t.dtype is not x.dtype or not t.dtype.is_floating:
                raise self.error(f"inputs must share one floating dtype; got x: "
                                 f"{x.dtype.name}, {name}: {t.dtype.name}.")
        for t, rank, name in ((x, 2, "x"), (cs_prev, 2, "cs_prev"), (h_prev, 2, "h_prev"),
                              (w, 2, "w"), (b, 1, "b")):
            if t.shape.ndims not in (None, rank):
                raise self.error(f"{name} must have rank {rank}; got shape {t.shape}.")
        units = _dim(cs_prev.shape, 1) or _dim(h_prev.shape, 1)
        depth = _dim(x.shape, 1)
        rows, cols = _dim(w.shape, 0), _dim(w.shape, 1)
        if cols is not None and units is not None and cols != 4 * units:
            raise self.error(f"w must have 4 * units = {4 * units} columns; got w: {w.shape}, "
                             f"cs_prev: {cs_prev.shape}.")
        if rows is not None and depth is not None and units is not None \
                and rows != depth + units:
            raise self.error(f"w must have input depth + units = {depth} + {units} rows; got "
                             f"w: {w.shape}, x: {x.shape}.")
        batch = _dim(x.shape, 0) or _dim(h_prev.shape, 0) or _dim(cs_prev.shape, 0)
        out = spec(TensorShape([batch, units]), x.dtype)
        return [out] * 7

    def compute(self, x: np.ndarray, cs_prev: np.ndarray, h_prev: np.ndarray, w: np.ndarray,
                b: np.ndarray) -> list[np.ndarray]:
        units = cs_prev.shape[1]
        if w.shape != (x.shape[1] + units, 4 * units) or b.shape != (4 * units,):
            raise self.error(f"w must be [{x.shape[1]} + {units}, {4 * units}] and b "
                             f"[{4 * units}]; got w: {w.shape}, b: {b.shape}.")
        if not (x.shape[0] == cs_prev.shape[0] == h_prev.shape[0]):
            raise self.error(f"x, cs_prev and h_prev must share the batch size; got "
                             f"{x.shape}, {cs_prev.shape}, {h_prev.shape}.")
        gates = np.concatenate([x, h_prev], axis=1) @ w
        gates += b
        u = units
        gates[:, 2 * u:3 * u] += gates.dtype.type(self.attrs.get("forget_bias", 1.0))
        i = _stable_sigmoid(gates[:, :u])
        ci = np.tanh(gates[:, u:2 * u])
        f = _stable_sigmoid(gates[:, 2 * u:3 * u])
        o = _stable_sigmoid(gates[:, 3 * u:])
        cs = ci * i
        cs += cs_prev * f
        co = np.tanh(cs)
        h = co * o
        return [i, cs, f, o, ci, co, h]

    def gradient(self, op: Any, di: Any, dcs: Any, df: Any, do: Any, dci: Any, dco: Any,
                 dh: Any) -> list[Any]:
        x, cs_prev, h_prev, w, b = op.inputs
        i, cs, f, o, ci, co, h = op.outputs
        zero = convert_to_tensor(np.zeros((), x.dtype.np))
        extra = [di, df, do, dci, dco]
        if any(d is not None for d in extra):
            # Gradients reaching the gates themselves (rare): folded in by the same kernel.
            extra = [d if d is not None else zero for d in extra]
        else:
            extra = []
        grads = apply_op(LSTMBlockCellGrad, [
            x, cs_prev, h_prev, w, i, f, o, ci, co,
            dcs if dcs is not None else zero, dh if dh is not None else zero, *extra],
            name=None)
        dx, dcs_prev, dh_prev, dw, db = grads
        return [dx, dcs_prev, dh_prev, dw, db]


@register_op("LSTMBlockCellGrad")
class LSTMBlockCellGrad(OpDef):
    """dx, dcs_prev, dh_prev, dw, db of one LSTMBlockCell step, from dcs and dh (and, when
    given, gradients of the gates i, f, o, ci and of co)."""

    def infer(self, x: Tensor, cs_prev: Tensor, h_prev: Tensor, w: Tensor, *rest: Tensor
              ) -> list[TensorSpec]:
        units = _dim(cs_prev.shape, 1)
        return [spec(x.shape, x.dtype), spec(cs_prev.shape, x.dtype),
                spec(h_prev.shape, x.dtype), spec(w.shape, x.dtype),
                spec(TensorShape([None if units is None else 4 * units]), x.dtype)]

    def compute(self, x: np.ndarray, cs_prev: np.ndarray, h_prev: np.ndarray, w: np.ndarray,
                i: np.ndarray, f: np.ndarray, o: np.ndarray, ci: np.ndarray, co: np.ndarray,
                dcs: np.ndarray, dh: np.ndarray, *extra: np.ndarray) -> list[np.ndarray]:
        u = cs_prev.shape[1]
        one = x.dtype.type(1)
        # dcs_total = dcs + dh * o * (1 - co^2) (+ dco * (1 - co^2))
        dco = dh * o
        if extra:
            dco += extra[4]
        t = np.multiply(co, co)
        np.subtract(one, t, out=t)
        t *= dco
        dcs_t = np.add(t, dcs, out=t) if np.shape(dcs) == t.shape else t + dcs
        d = np.empty((x.shape[0], 4 * u), x.dtype)
        di, dci, df, do = d[:, :u], d[:, u:2 * u], d[:, 2 * u:3 * u], d[:, 3 * u:]
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
            "if you need them.")


def lstm_block_cell(x: Any, cs_prev: Any, h_prev: Any, w: Any, b: Any,
                    forget_bias: float = 1.0, name: str | None = None) -> list[Tensor]:
    """One fused LSTM step; returns [i, cs, f, o, ci, co, h] as TF's `LSTMBlockCell` op."""
    return apply_op(LSTMBlockCell, [x, cs_prev, h_prev, w, b],
                    {"forget_bias": float(forget_bias)}, name=name or "LSTMBlockCell")
