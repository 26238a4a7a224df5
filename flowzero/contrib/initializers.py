"""tf.contrib.layers' initializers (variance scaling, Xavier) and the collection helpers the
contrib layers share (flowzero/contrib/layers.py and layers_conv.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import GraphKeys, Tensor, get_default_graph
from flowzero.ops import random_ops


# -- initializers ------------------------------------------------------------------------------
def variance_scaling_initializer(
    factor: float = 2.0,
    mode: str = "FAN_IN",
    uniform: bool = False,
    seed: int | None = None,
    dtype: Any = dtypes.float32,
) -> Callable[..., Tensor]:
    """TF contrib's variance scaling: stddev (or limit) from `factor / n`, n = FAN_IN, FAN_OUT
    or FAN_AVG of the shape (conv kernels multiply in the receptive field).

    uniform=True draws from U(-sqrt(3 * factor / n), +sqrt(3 * factor / n)); otherwise from a
    normal truncated at two standard deviations with stddev sqrt(1.3 * factor / n) (1.3
    compensates the truncation, as TF contrib). The defaults are He et al. (2015).

    Raises:
        TypeError: a non-floating dtype or an unknown mode.
    """
    dt = dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def _initializer(shape: Any, dtype: Any = dt, partition_info: Any = None) -> Tensor:
        d = dtypes.as_dtype(dtype)
        if not d.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        dims = [int(s) for s in (shape.as_list() if hasattr(shape, "as_list") else shape)]
        if dims:
            fan_in = float(dims[-2]) if len(dims) > 1 else float(dims[-1])
            fan_out = float(dims[-1])
        else:
            fan_in = fan_out = 1.0
        for s in dims[:-2]:
            fan_in *= float(s)
            fan_out *= float(s)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return random_ops.random_uniform(dims, -limit, limit, d, seed=seed)
        stddev = math.sqrt(1.3 * factor / n)
        return random_ops.truncated_normal(dims, 0.0, stddev, d, seed=seed)

    return _initializer


def xavier_initializer(
    uniform: bool = True, seed: int | None = None, dtype: Any = dtypes.float32
) -> Callable[..., Tensor]:
    """Glorot & Bengio (2010): variance scaling with factor 1 over FAN_AVG (uniform by
    default: U(-sqrt(6 / (fan_in + fan_out)), +sqrt(6 / (fan_in + fan_out))))."""
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer


# -- collections -------------------------------------------------------------------------------
def _var_collections(extra: Any) -> list[str]:
    cols = [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    if isinstance(extra, str):
        cols.append(extra)
    elif extra is not None:
        cols.extend(extra)
    return cols


def _collect(collections: Any, value: Tensor, alias: str | None = None) -> None:
    if collections is None:
        return
    g = get_default_graph()
    for c in [collections] if isinstance(collections, str) else collections:
        g.add_to_collection(c, value)


__all__ = ["variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d"]
