"""Learning-rate schedules (TF1's tf.train.*_decay), as graph composites of math ops.

Each takes the global step as a tensor or Variable and returns a scalar tensor to pass as an
optimizer's learning rate; it is recomputed on every Session.run, so it follows the step.

    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, step, decay_steps=1000, decay_rate=0.96)
    train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
"""

from __future__ import annotations

import math
from typing import Any

from flowzero.framework.graph import Tensor, convert_to_tensor, graph_of
from flowzero.ops import cast_ops, control_ops, division_ops, logic_ops, math_ops, unary_ops


def _lr_and_step(fn: str, learning_rate: Any, global_step: Any) -> tuple[Tensor, Tensor]:
    if global_step is None:
        raise ValueError(f"global_step is required for {fn}.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    if not lr.dtype.is_floating:
        raise ValueError(f"{fn}: learning_rate must be floating point; got {lr.dtype.name}.")
    return lr, cast_ops.cast(global_step, lr.dtype)


def _scope(name: str | None, default: str, values: list[Any]) -> Any:
    g = graph_of([v for v in values if v is not None], default)
    return g, g.name_scope(name or default)


def exponential_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """learning_rate * decay_rate ^ (global_step / decay_steps); with staircase=True the
    exponent is floored, so the rate drops every `decay_steps` steps.

    Raises:
        ValueError: global_step is None.

    Example:
        >>> step = tf.train.get_or_create_global_step()
        >>> lr = tf.train.exponential_decay(0.1, step, 100000, 0.96, staircase=True)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> print(sess.run(lr, {step: 250000}))   # 0.1 * 0.96 ** 2
        0.09216
    """
    g, scope = _scope(name, "ExponentialDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("exponential_decay", learning_rate, global_step)
        p = division_ops.truediv(step, cast_ops.cast(decay_steps, lr.dtype))
        if staircase:
            p = unary_ops.floor(p)
        return math_ops.multiply(
            lr, math_ops.pow(cast_ops.cast(decay_rate, lr.dtype), p), name=name
        )


def piecewise_constant(
    x: Any, boundaries: list[Any], values: list[Any], name: str | None = None
) -> Tensor:
    """values[0] while x <= boundaries[0], values[1] while boundaries[0] < x <= boundaries[1],
    ..., values[-1] once x > boundaries[-1].

    Raises:
        ValueError: len(values) != len(boundaries) + 1, or the values' dtypes differ.

    Example:
        >>> step = tf.placeholder(tf.int32, [])
        >>> lr = tf.train.piecewise_constant(step, [100000, 110000], [1.0, 0.5, 0.1])
        >>> sess = tf.Session()
        >>> print(*[sess.run(lr, {step: s}) for s in (0, 100001, 200000)])
        1.0 0.5 0.1
    """
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    g, scope = _scope(name, "PiecewiseConstant", [x, *boundaries, *values])
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        vals = [convert_to_tensor(v) for v in values]
        for v in vals[1:]:
            if v.dtype is not vals[0].dtype:
                raise ValueError(
                    f"Values must have elements all with the same dtype "
                    f"({vals[0].dtype.name} vs {v.dtype.name})."
                )
        bounds = [
            b if isinstance(b, Tensor) else convert_to_tensor(b, dtype=x.dtype) for b in boundaries
        ]
        dt = vals[0].dtype
        if not bounds:
            return control_ops.identity(vals[0], name=name)
        # Exactly one interval holds x; sum_i values[i] * [x in interval i] is that value
        # exactly (the other terms are +0).
        terms = []
        for i, v in enumerate(vals):
            conds = []
            if i > 0:
                conds.append(logic_ops.greater(x, bounds[i - 1]))
            if i < len(bounds):
                conds.append(logic_ops.less_equal(x, bounds[i]))
            inside = conds[0] if len(conds) == 1 else logic_ops.logical_and(*conds)
            terms.append(math_ops.multiply(v, cast_ops.cast(inside, dt)))
        return math_ops.add_n(terms, name=name)


def polynomial_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    end_learning_rate: Any = 0.0001,
    power: Any = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> Tensor:
    """(learning_rate - end_learning_rate) * (1 - step / decay_steps) ^ power +
    end_learning_rate, with step = min(global_step, decay_steps); with cycle=True,
    decay_steps is instead multiplied by ceil(global_step / decay_steps) (at least 1)."""
    g, scope = _scope(name, "PolynomialDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("polynomial_decay", learning_rate, global_step)
        dt = lr.dtype
        end_lr = cast_ops.cast(end_learning_rate, dt)
        power_t = cast_ops.cast(power, dt)
        steps = cast_ops.cast(decay_steps, dt)
        if cycle:
            mult = math_ops.maximum(
                unary_ops.ceil(division_ops.truediv(step, steps)), convert_to_tensor(1.0, dtype=dt)
            )
            steps = math_ops.multiply(steps, mult)
        else:
            step = math_ops.minimum(step, steps)
        p = division_ops.truediv(step, steps)
        return math_ops.add(
            math_ops.multiply(
                math_ops.subtract(lr, end_lr), math_ops.pow(math_ops.subtract(1.0, p), power_t)
            ),
            end_lr,
            name=name,
        )


def natural_exp_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """learning_rate * exp(-decay_rate * global_step / decay_steps) (exponent floored with
    staircase=True)."""
    g, scope = _scope(name, "NaturalExpDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("natural_exp_decay", learning_rate, global_step)
        p = division_ops.truediv(step, cast_ops.cast(decay_steps, lr.dtype))
        if staircase:
            p = unary_ops.floor(p)
        rate = cast_ops.cast(decay_rate, lr.dtype)
        return math_ops.multiply(
            lr, unary_ops.exp(math_ops.multiply(unary_ops.negative(rate), p)), name=name
        )


def inverse_time_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """learning_rate / (1 + decay_rate * global_step / decay_steps) (floored with
    staircase=True)."""
    g, scope = _scope(name, "InverseTimeDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("inverse_time_decay", learning_rate, global_step)
        p = division_ops.truediv(step, cast_ops.cast(decay_steps, lr.dtype))
        if staircase:
            p = unary_ops.floor(p)
        denom = math_ops.add(1.0, math_ops.multiply(cast_ops.cast(decay_rate, lr.dtype), p))
        return division_ops.truediv(lr, denom, name=name)


def cosine_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    alpha: Any = 0.0,
    name: str | None = None,
) -> Tensor:
    """learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha), with
    step = min(global_step, decay_steps) (SGDR without restarts)."""
    g, scope = _scope(name, "CosineDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("cosine_decay", learning_rate, global_step)
        dt = lr.dtype
        steps = cast_ops.cast(decay_steps, dt)
        frac = division_ops.truediv(math_ops.minimum(step, steps), steps)
        cosine = math_ops.multiply(
            0.5, math_ops.add(1.0, unary_ops.cos(math_ops.multiply(math.pi, frac)))
        )
        a = cast_ops.cast(alpha, dt)
        decayed = math_ops.add(math_ops.multiply(math_ops.subtract(1.0, a), cosine), a)
        return math_ops.multiply(lr, decayed, name=name)


def linear_cosine_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    num_periods: Any = 0.5,
    alpha: Any = 0.0,
    beta: Any = 0.001,
    name: str | None = None,
) -> Tensor:
    """learning_rate * ((alpha + linear) * cosine + beta), with step = min(global_step,
    decay_steps), linear = (decay_steps - step) / decay_steps and cosine =
    0.5 * (1 + cos(pi * 2 * num_periods * step / decay_steps)) (TF's linear_cosine_decay)."""
    g, scope = _scope(name, "LinearCosineDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("linear_cosine_decay", learning_rate, global_step)
        dt = lr.dtype
        steps = cast_ops.cast(decay_steps, dt)
        step = math_ops.minimum(step, steps)
        linear = division_ops.truediv(math_ops.subtract(steps, step), steps)
        fraction = math_ops.multiply(
            2.0 * math.pi,
            math_ops.multiply(cast_ops.cast(num_periods, dt), division_ops.truediv(step, steps)),
        )
        cosine = math_ops.multiply(0.5, math_ops.add(1.0, unary_ops.cos(fraction)))
        decayed = math_ops.add(
            math_ops.multiply(math_ops.add(cast_ops.cast(alpha, dt), linear), cosine),
            cast_ops.cast(beta, dt),
        )
        return math_ops.multiply(lr, decayed, name=name)


def noisy_linear_cosine_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    initial_variance: Any = 1.0,
    variance_decay: Any = 0.55,
    num_periods: Any = 0.5,
    alpha: Any = 0.0,
    beta: Any = 0.001,
    name: str | None = None,
) -> Tensor:
    """linear_cosine_decay with Gaussian noise on its linear part: linear + N(0, eps) where
    eps = initial_variance / (1 + global_step) ^ variance_decay (TF's noisy_linear_cosine_decay).

    The noise is a RandomStandardNormal op, so it follows the graph-level seed
    (tf.set_random_seed) as every random op does; each Session.run draws afresh.

    Raises:
        ValueError: global_step is None.
    """
    g, scope = _scope(name, "NoisyLinearCosineDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        from flowzero.ops import random_ops

        lr, step = _lr_and_step("noisy_linear_cosine_decay", learning_rate, global_step)
        dt = lr.dtype
        steps = cast_ops.cast(decay_steps, dt)
        step = math_ops.minimum(step, steps)
        linear = division_ops.truediv(math_ops.subtract(steps, step), steps)
        variance = division_ops.truediv(
            cast_ops.cast(initial_variance, dt),
            math_ops.pow(math_ops.add(1.0, step), cast_ops.cast(variance_decay, dt)),
        )
        noise = math_ops.multiply(unary_ops.sqrt(variance), random_ops.random_normal([], dtype=dt))
        noisy_linear = math_ops.add(linear, noise)
        fraction = math_ops.multiply(
            2.0 * math.pi,
            math_ops.multiply(cast_ops.cast(num_periods, dt), division_ops.truediv(step, steps)),
        )
        cosine = math_ops.multiply(0.5, math_ops.add(1.0, unary_ops.cos(fraction)))
        decayed = math_ops.add(
            math_ops.multiply(math_ops.add(cast_ops.cast(alpha, dt), noisy_linear), cosine),
            cast_ops.cast(beta, dt),
        )
        return math_ops.multiply(lr, decayed, name=name)


def cosine_decay_restarts(
    learning_rate: Any,
    global_step: Any,
    first_decay_steps: Any,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: Any = 0.0,
    name: str | None = None,
) -> Tensor:
    """SGDR (Loshchilov & Hutter): cosine decay over periods of first_decay_steps * t_mul^i
    steps, the peak multiplied by m_mul at each restart (TF's cosine_decay_restarts)."""
    g, scope = _scope(name, "SGDRDecay", [learning_rate, global_step])
    with g.as_default(), scope:
        lr, step = _lr_and_step("cosine_decay_restarts", learning_rate, global_step)
        dt = lr.dtype
        frac = division_ops.truediv(step, cast_ops.cast(first_decay_steps, dt))
        if t_mul == 1.0:
            i = unary_ops.floor(frac)
            frac = math_ops.subtract(frac, i)
        else:
            # i = floor(log(1 - frac (1 - t_mul)) / log(t_mul)); frac within the period
            i = unary_ops.floor(
                division_ops.truediv(
                    unary_ops.log(math_ops.subtract(1.0, math_ops.multiply(frac, 1.0 - t_mul))),
                    math.log(t_mul),
                )
            )
            done = division_ops.truediv(math_ops.subtract(1.0, math_ops.pow(t_mul, i)), 1.0 - t_mul)
            frac = division_ops.truediv(math_ops.subtract(frac, done), math_ops.pow(t_mul, i))
        peak = math_ops.pow(cast_ops.cast(m_mul, dt), i)
        cosine = math_ops.multiply(
            0.5,
            math_ops.multiply(
                peak, math_ops.add(1.0, unary_ops.cos(math_ops.multiply(math.pi, frac)))
            ),
        )
        a = cast_ops.cast(alpha, dt)
        decayed = math_ops.add(math_ops.multiply(math_ops.subtract(1.0, a), cosine), a)
        return math_ops.multiply(lr, decayed, name=name)


piecewise_constant_decay = piecewise_constant


__all__ = [
    "exponential_decay",
    "piecewise_constant",
    "piecewise_constant_decay",
    "polynomial_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "cosine_decay",
    "linear_cosine_decay",
    "noisy_linear_cosine_decay",
    "cosine_decay_restarts",
]
