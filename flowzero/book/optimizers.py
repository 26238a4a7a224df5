"""The optimizers of "Deep Learning from Scratch" ch. 6 (common/optimizer.py), as graph
optimizers with the book's names, defaults and formulas.

Where the book differs from TF: Momentum keeps a velocity that already includes the learning
rate (v = momentum * v - lr * g; w += v), AdaGrad and RMSprop start their `h` at zero and add
1e-7 outside the square root, and Adam's epsilon is 1e-7 with the step count kept as an
integer. Each update is one in-place op, like TF's; SGD reuses ApplyGradientDescent.

    opt = tf.train.book.Adam()            # lr=0.001, beta1=0.9, beta2=0.999
    train_op = opt.minimize(loss)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops import state_ops
from flowzero.runtime.state import VarCell
from flowzero.train.gradient_descent import GradientDescentOptimizer
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of

_BOOK_EPSILON = 1e-7


@register_op("BookApplyMomentum")
class BookApplyMomentum(ApplyOp):
    """v = momentum * v - lr * grad; var += v, in place."""

    n_refs = 2
    args = ("lr", "momentum", "grad")

    def compute(
        self,
        var_cell: VarCell,
        v_cell: VarCell,
        lr: np.ndarray,
        momentum: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, v = var_cell.read(), v_cell.read()
        self.check_grad(var, grad)
        v *= scalar_of(momentum, var.dtype)
        v -= scalar_of(lr, var.dtype) * grad
        var += v
        return var


@register_op("BookApplyNesterov")
class BookApplyNesterov(ApplyOp):
    """v = momentum * v - lr * grad; var += momentum^2 * v - (1 + momentum) * lr * grad."""

    n_refs = 2
    args = ("lr", "momentum", "grad")

    def compute(
        self,
        var_cell: VarCell,
        v_cell: VarCell,
        lr: np.ndarray,
        momentum: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, v = var_cell.read(), v_cell.read()
        self.check_grad(var, grad)
        lr, mu = scalar_of(lr, var.dtype), scalar_of(momentum, var.dtype)
        v *= mu
        v -= lr * grad
        var += mu * mu * v
        var -= (1 + mu) * lr * grad
        return var


@register_op("BookApplyAdaGrad")
class BookApplyAdaGrad(ApplyOp):
    """h += grad^2; var -= lr * grad / (sqrt(h) + epsilon), in place."""

    n_refs = 2
    args = ("lr", "epsilon", "grad")

    def compute(
        self,
        var_cell: VarCell,
        h_cell: VarCell,
        lr: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, h = var_cell.read(), h_cell.read()
        self.check_grad(var, grad)
        h += grad * grad
        var -= scalar_of(lr, var.dtype) * grad / (np.sqrt(h) + scalar_of(epsilon, var.dtype))
        return var


@register_op("BookApplyRMSprop")
class BookApplyRMSprop(ApplyOp):
    """h = decay_rate * h + (1 - decay_rate) * grad^2; var -= lr * grad / (sqrt(h) + epsilon)."""

    n_refs = 2
    args = ("lr", "decay_rate", "epsilon", "grad")

    def compute(
        self,
        var_cell: VarCell,
        h_cell: VarCell,
        lr: np.ndarray,
        decay_rate: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, h = var_cell.read(), h_cell.read()
        self.check_grad(var, grad)
        rho = scalar_of(decay_rate, var.dtype)
        h *= rho
        h += (1 - rho) * grad * grad
        var -= scalar_of(lr, var.dtype) * grad / (np.sqrt(h) + scalar_of(epsilon, var.dtype))
        return var


@register_op("BookApplyAdam")
class BookApplyAdam(ApplyOp):
    """lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (1 - beta1) * (grad - m);
    v += (1 - beta2) * (grad^2 - v); var -= lr_t * m / (sqrt(v) + epsilon), in place."""

    n_refs = 3
    args = ("lr", "beta1", "beta2", "epsilon", "t", "grad")

    def compute(
        self,
        var_cell: VarCell,
        m_cell: VarCell,
        v_cell: VarCell,
        lr: np.ndarray,
        beta1: np.ndarray,
        beta2: np.ndarray,
        epsilon: np.ndarray,
        t: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, m, v = var_cell.read(), m_cell.read(), v_cell.read()
        self.check_grad(var, grad)
        dt = var.dtype
        # The bias correction in double precision from the integer step, as the book does.
        step, b1, b2 = int(t), float(beta1), float(beta2)
        lr_t = dt.type(float(lr) * math.sqrt(1.0 - b2**step) / (1.0 - b1**step))
        m += dt.type(1 - b1) * (grad - m)
        v += dt.type(1 - b2) * (grad**2 - v)
        var -= lr_t * m / (np.sqrt(v) + scalar_of(epsilon, dt))
        return var


class SGD(GradientDescentOptimizer):
    """The book's SGD: W -= lr * dW (default lr=0.01)."""

    def __init__(self, lr: Any = 0.01, use_locking: bool = False, name: str = "SGD") -> None:
        super().__init__(lr, use_locking=use_locking, name=name)


class _BookOptimizer(Optimizer):
    op: type[ApplyOp]
    slot_names: tuple[str, ...] = ()

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            for s in self.slot_names:
                self._zeros_slot(v, s, self._name)

    def _refs(self, var: Any) -> list[Tensor]:
        return [var._ref(), *[self.get_slot(var, s)._ref() for s in self.slot_names]]


class Momentum(_BookOptimizer):
    """The book's Momentum: v = momentum * v - lr * dW; W += v (v starts at zero; slot "v")."""

    op = BookApplyMomentum
    slot_names = ("v",)

    def __init__(
        self, lr: Any = 0.01, momentum: Any = 0.9, use_locking: bool = False, name: str = "Momentum"
    ) -> None:
        super().__init__(use_locking, name)
        self.lr, self.momentum = lr, momentum

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return apply_op(
            self.op,
            self._refs(var),
            [self._hyper("lr", self.lr, var), self._hyper("momentum", self.momentum, var), grad],
        )


class Nesterov(Momentum):
    """The book's Nesterov: v = momentum * v - lr * dW;
    W += momentum^2 * v - (1 + momentum) * lr * dW."""

    op = BookApplyNesterov

    def __init__(
        self, lr: Any = 0.01, momentum: Any = 0.9, use_locking: bool = False, name: str = "Nesterov"
    ) -> None:
        super().__init__(lr, momentum, use_locking, name)


class AdaGrad(_BookOptimizer):
    """The book's AdaGrad: h += dW * dW; W -= lr * dW / (sqrt(h) + 1e-7) (h starts at zero)."""

    slot_names = ("h",)

    def __init__(self, lr: Any = 0.01, use_locking: bool = False, name: str = "AdaGrad") -> None:
        super().__init__(use_locking, name)
        self.lr = lr

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return apply_op(
            BookApplyAdaGrad,
            self._refs(var),
            [self._hyper("lr", self.lr, var), self._hyper("epsilon", _BOOK_EPSILON, var), grad],
        )


class RMSprop(_BookOptimizer):
    """The book's RMSprop: h = decay_rate * h + (1 - decay_rate) * dW^2;
    W -= lr * dW / (sqrt(h) + 1e-7) (h starts at zero)."""

    slot_names = ("h",)

    def __init__(
        self,
        lr: Any = 0.01,
        decay_rate: Any = 0.99,
        use_locking: bool = False,
        name: str = "RMSprop",
    ) -> None:
        super().__init__(use_locking, name)
        self.lr, self.decay_rate = lr, decay_rate

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return apply_op(
            BookApplyRMSprop,
            self._refs(var),
            [
                self._hyper("lr", self.lr, var),
                self._hyper("decay_rate", self.decay_rate, var),
                self._hyper("epsilon", _BOOK_EPSILON, var),
                grad,
            ],
        )


class Adam(_BookOptimizer):
    """The book's Adam: iter += 1; lr_t = lr * sqrt(1 - beta2^iter) / (1 - beta1^iter);
    m += (1 - beta1) * (dW - m); v += (1 - beta2) * (dW^2 - v);
    W -= lr_t * m / (sqrt(v) + 1e-7).

    The step count is an int64 non-slot variable "iter", incremented once per step before
    the updates.
    """

    slot_names = ("m", "v")

    def __init__(
        self,
        lr: Any = 0.001,
        beta1: Any = 0.9,
        beta2: Any = 0.999,
        use_locking: bool = False,
        name: str = "Adam",
    ) -> None:
        super().__init__(use_locking, name)
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self._t: Tensor | None = None

    def _create_slots(self, var_list: list[Any]) -> None:
        self._create_non_slot_variable(
            np.int64(0), "iter", min(var_list, key=lambda x: x.name), dtype=dtypes.int64
        )
        super()._create_slots(var_list)

    def _prepare(self) -> None:
        it = self._get_non_slot_variable("iter")
        self._t = state_ops.assign_add(it, np.int64(1), name="iter_update")

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return apply_op(
            BookApplyAdam,
            self._refs(var),
            [
                self._hyper("lr", self.lr, var),
                self._hyper("beta1", self.beta1, var),
                self._hyper("beta2", self.beta2, var),
                self._hyper("epsilon", _BOOK_EPSILON, var),
                self._t,
                grad,
            ],
        )


__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"]
