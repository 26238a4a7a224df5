"""The op table harness: one OpCase row per op behaviour, checked four ways.

Each row yields: forward vs a NumPy reference written separately; inferred static shape and
dtype vs the actual result (with known shapes, and again with unknown-shape placeholders);
symbolic gradient vs central differences in float64; and second order where it applies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from flowzero.testing import gradient_check


@dataclasses.dataclass
class OpCase:
    """One row of the op table.

    Attributes:
        op: the registered op type this row covers (the meta-test checks every op has a row).
        build: builds the output from input Tensors with the public API, e.g.
            `lambda x, y: tf.add(x, y)`.
        reference: the same computation in plain NumPy, on ndarrays.
        inputs: the input arrays (their dtypes are the ones tested), or a function of an
            np.random.Generator returning them.
        name: a short id for the test report.
        grad: check gradients numerically (needs float inputs; False for ops with none).
        wrt: which inputs to differentiate (default: every float input).
        second_order: also check the gradient of the gradient.
        rtol/atol: forward tolerance; grad_rtol for gradients.
        unknown_shapes: also build with unknown-shape placeholders (False for ops that need
            static shapes by definition).
    """

    op: str
    build: Callable[..., Any]
    reference: Callable[..., Any]
    inputs: Any
    name: str = ""
    grad: bool = True
    wrt: Sequence[int] | None = None
    second_order: bool = False
    rtol: float = 1e-6
    atol: float = 1e-7
    grad_rtol: float = 1e-6
    grad_atol: float = 1e-8
    unknown_shapes: bool = True

    def arrays(self) -> list[np.ndarray]:
        vals = self.inputs(np.random.default_rng(0)) if callable(self.inputs) else self.inputs
        return [np.asarray(v) for v in vals]

    @property
    def id(self) -> str:
        return f"{self.op}-{self.name}" if self.name else self.op


def check_forward(case: OpCase, unknown: bool = False) -> None:
    """Forward value vs reference, and inferred vs actual shape and dtype."""
    import flowzero as tf

    arrays = case.arrays()
    g = tf.Graph()
    with g.as_default():
        phs = [
            tf.placeholder(tf.as_dtype(a.dtype), None if unknown else a.shape, name=f"x{i}")
            for i, a in enumerate(arrays)
        ]
        out = case.build(*phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        with tf.Session(graph=g) as sess:
            got = sess.run(outs, dict(zip(phs, arrays)))
    want = case.reference(*[a.copy() for a in arrays])
    wants = list(want) if isinstance(want, (list, tuple)) else [want]
    assert len(got) == len(wants), f"{case.id}: {len(got)} outputs, reference has {len(wants)}"
    for k, (t, gv, wv) in enumerate(zip(outs, got, wants)):
        # A scalar string is fetched as Python bytes (as TF does); compare it as tf.string.
        gv = np.array(gv, dtype=object) if isinstance(gv, bytes) else np.asarray(gv)
        wv = np.asarray(wv)
        if wv.dtype.kind == "O" or gv.dtype.kind == "O":
            assert gv.tolist() == wv.tolist(), f"{case.id} output {k}"
        elif wv.dtype.kind in "biu":
            np.testing.assert_array_equal(gv, wv, err_msg=f"{case.id} output {k}")
        else:
            np.testing.assert_allclose(
                gv, wv, rtol=case.rtol, atol=case.atol, err_msg=f"{case.id} output {k}"
            )
        assert gv.shape == wv.shape, f"{case.id} output {k}: shape {gv.shape} != {wv.shape}"
        assert t.dtype.np == gv.dtype, (
            f"{case.id} output {k}: inferred dtype {t.dtype.name}, kernel gave {gv.dtype}"
        )
        assert t.shape.is_compatible_with(gv.shape), (
            f"{case.id} output {k}: inferred shape {t.shape} but kernel gave {gv.shape}"
        )
        if not unknown and case.unknown_shapes is not None:
            pass


def check_gradient(case: OpCase) -> None:
    gradient_check.assert_gradients_close(
        case.build, case.arrays(), case.wrt, rtol=case.grad_rtol, atol=case.grad_atol
    )


def check_second_order(case: OpCase) -> None:
    arrays = case.arrays()
    wrt = case.wrt[0] if case.wrt else next(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    gradient_check.assert_second_order_close(case.build, arrays, wrt)


def rand(
    *shape: int, low: float = -1.0, high: float = 1.0, dtype: Any = np.float32, seed: int = 0
) -> np.ndarray:
    """Uniform random test input (float32 unless asked)."""
    return np.random.default_rng(seed + len(shape)).uniform(low, high, shape).astype(dtype)


def away_from(x: np.ndarray, points: Sequence[float], margin: float = 0.05) -> np.ndarray:
    """Moves values within `margin` of any kink/discontinuity in `points` away from it, so
    central differences are valid (e.g. relu at 0, abs at 0, round at .5)."""
    x = np.array(x, copy=True)
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.where(x[near] >= p, margin, -margin) * 2
    return x
