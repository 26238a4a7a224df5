# ruff: noqa: N802 - TF's camelCase assertion names
"""tf.test: TF1's unit-test helpers for programs that test their own models.

    class ModelTest(tf.test.TestCase):
        def test_output(self):
            with self.test_session():
                self.assertAllClose(tf.nn.relu([-1.0, 2.0]).eval(), [0.0, 2.0])

    if __name__ == "__main__":
        tf.test.main()

TestCase is `unittest.TestCase` with TF's setUp (a fresh default graph, fixed seeds), its
session helpers and array assertions; `compute_gradient` / `compute_gradient_error` are TF1's
gradient checker (symbolic vs central-difference Jacobians in the default session). flowzero
runs on the CPU only: the GPU queries answer False / ''.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import sys
import tempfile
import unittest
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import (
    Graph,
    Tensor,
    get_default_graph,
    reset_default_graph,
    set_random_seed,
)

__all__ = [
    "TestCase",
    "compute_gradient",
    "compute_gradient_error",
    "get_temp_dir",
    "gpu_device_name",
    "is_built_with_cuda",
    "is_built_with_gpu_support",
    "is_built_with_rocm",
    "is_gpu_available",
    "main",
]

# TF's random_seed.DEFAULT_GRAPH_SEED: every test starts from the same seeds.
_DEFAULT_SEED = 87654321
_TEMP_DIR: list[str] = []


def main(argv: list[str] | None = None) -> None:
    """Runs the tests of `__main__` (argv[0] is the program name, as TF's googletest)."""
    unittest.main(module="__main__", argv=sys.argv if argv is None else list(argv))


def get_temp_dir() -> str:
    """A temporary directory for this process's tests (made once, kept)."""
    if not _TEMP_DIR:
        _TEMP_DIR.append(tempfile.mkdtemp(prefix="flowzero_test_"))
    return _TEMP_DIR[0]


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability: Any = None) -> bool:
    """False: flowzero computes on the CPU."""
    return False


def gpu_device_name() -> str:
    """'' (no GPU device), as TF without one."""
    return ""


def is_built_with_cuda() -> bool:
    return False


def is_built_with_gpu_support() -> bool:
    return False


def is_built_with_rocm() -> bool:
    return False


def _default_session() -> Any:
    from flowzero.runtime.session import get_default_session

    sess = get_default_session()
    if sess is None:
        raise ValueError(
            "compute_gradient needs a default session: call it inside `with tf.Session():` "
            "(or a TestCase's `with self.test_session():`)."
        )
    return sess


def _jacobians(
    x: Tensor,
    x_shape: Any,
    y: Tensor,
    y_shape: Any,
    x_value: np.ndarray,
    delta: float,
    feed: dict[Any, Any],
    sess: Any,
    dy: Tensor,
    grad: Tensor | None,
) -> tuple[np.ndarray, np.ndarray]:
    x_size, y_size = int(np.prod(x_shape)), int(np.prod(y_shape))
    theoretical = np.zeros((x_size, y_size), np.float64)
    if grad is not None:
        for j in range(y_size):
            seed = np.zeros(y_size, y.dtype.np)
            seed[j] = 1
            g = sess.run(grad, {**feed, x: x_value, dy: seed.reshape(y_shape)})
            theoretical[:, j] = np.asarray(g, np.float64).reshape(-1)
    numerical = np.zeros((x_size, y_size), np.float64)
    flat = x_value.reshape(-1)
    for i in range(x_size):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += delta
        minus[i] -= delta
        y_plus = sess.run(y, {**feed, x: plus.reshape(x_value.shape)})
        y_minus = sess.run(y, {**feed, x: minus.reshape(x_value.shape)})
        diff = np.asarray(y_plus, np.float64) - np.asarray(y_minus, np.float64)
        numerical[i, :] = diff.reshape(-1) / (2 * delta)
    return theoretical, numerical


def compute_gradient(
    x: Any,
    x_shape: Any,
    y: Tensor,
    y_shape: Any,
    x_init_value: Any = None,
    delta: float = 1e-3,
    init_targets: Any = None,
    extra_feed_dict: Mapping[Any, Any] | None = None,
) -> Any:
    """The theoretical and numerical Jacobians of y with respect to x, each [x_size, y_size]
    (row i: how y moves with x's i-th element), in the default session.

    Args:
        x: a tensor, or a list of tensors (then `x_shape` and `x_init_value` are lists too).
        x_shape, y_shape: their shapes.
        x_init_value: where to evaluate (default: uniform [0, 1) values).
        delta: the central-difference step.
        init_targets: ops to run first (e.g. variable initializers).
        extra_feed_dict: feeds for other placeholders.

    Returns:
        (theoretical, numerical), or a list of such pairs when x is a list.

    Raises:
        ValueError: no default session, or a value's shape differs from its stated shape.
    """
    from flowzero.autodiff import gradients
    from flowzero.ops.array_ops import placeholder

    sess = _default_session()
    if init_targets is not None:
        sess.run(init_targets)
    feed = dict(extra_feed_dict or {})
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    shapes = list(x_shape) if isinstance(x, (list, tuple)) else [x_shape]
    if x_init_value is None:
        inits = [None] * len(xs)
    else:
        inits = list(x_init_value) if isinstance(x, (list, tuple)) else [x_init_value]
    y_shape = tuple(int(d) for d in y_shape)
    dy = placeholder(y.dtype, y_shape, name="compute_gradient_dy")
    grads = gradients(y, xs, grad_ys=dy)
    values = []
    for t, shape, init in zip(xs, shapes, inits):
        shape = tuple(int(d) for d in shape)
        if init is None:
            v = np.random.random_sample(shape).astype(t.dtype.np)
        else:
            v = np.array(init, dtype=t.dtype.np)
            if v.shape != shape:
                raise ValueError(
                    f"compute_gradient: x_init_value for {t.name} has shape {v.shape}; "
                    f"x_shape says {shape}."
                )
        values.append(v)
    out = []
    for k, (t, shape, v, g) in enumerate(zip(xs, shapes, values, grads)):
        others = {xs[i]: values[i] for i in range(len(xs)) if i != k}
        out.append(_jacobians(t, shape, y, y_shape, v, delta, {**feed, **others}, sess, dy, g))
    return out if isinstance(x, (list, tuple)) else out[0]


def compute_gradient_error(
    x: Any,
    x_shape: Any,
    y: Tensor,
    y_shape: Any,
    x_init_value: Any = None,
    delta: float = 1e-3,
    init_targets: Any = None,
    extra_feed_dict: Mapping[Any, Any] | None = None,
) -> float:
    """The largest |theoretical - numerical| Jacobian entry (over every x when a list)."""
    pairs = compute_gradient(
        x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict
    )
    pairs = pairs if isinstance(pairs, list) else [pairs]
    return float(max((np.abs(t - n).max() if t.size else 0.0) for t, n in pairs))


def _as_array(a: Any) -> np.ndarray:
    if isinstance(a, Tensor):
        from flowzero.runtime.session import get_default_session

        sess = get_default_session()
        if sess is None:
            raise ValueError(f"Cannot compare {a.name} without a default session.")
        a = sess.run(a)
    return np.asarray(a)


class TestCase(unittest.TestCase):
    """unittest.TestCase with TF1's graph/session helpers and array assertions."""

    def setUp(self) -> None:
        self._cached_session: Any = None
        random.seed(_DEFAULT_SEED)
        np.random.seed(_DEFAULT_SEED)
        reset_default_graph()
        set_random_seed(_DEFAULT_SEED)

    def tearDown(self) -> None:
        if getattr(self, "_cached_session", None) is not None:
            self._cached_session.close()
            self._cached_session = None

    def get_temp_dir(self) -> str:
        """A temporary directory for this test method."""
        path = os.path.join(get_temp_dir(), self.id())
        os.makedirs(path, exist_ok=True)
        return path

    # -- sessions ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(
        self,
        graph: Graph | None = None,
        config: Any = None,
        use_gpu: bool = False,
        force_gpu: bool = False,
    ) -> Iterator[Any]:
        """A new Session on `graph` (default: the default graph), as the default session."""
        from flowzero.runtime.session import Session

        g = graph if graph is not None else get_default_graph()
        sess = Session(graph=g, config=config)
        with g.as_default(), sess.as_default():
            try:
                yield sess
            finally:
                sess.close()

    @contextlib.contextmanager
    def cached_session(
        self,
        graph: Graph | None = None,
        config: Any = None,
        use_gpu: bool = False,
        force_gpu: bool = False,
    ) -> Iterator[Any]:
        """One Session per test, made on first use and reused (closed in tearDown)."""
        from flowzero.runtime.session import Session

        g = graph if graph is not None else get_default_graph()
        if self._cached_session is None or self._cached_session.graph is not g:
            if self._cached_session is not None:
                self._cached_session.close()
            self._cached_session = Session(graph=g, config=config)
        with g.as_default(), self._cached_session.as_default():
            yield self._cached_session

    def test_session(
        self,
        graph: Graph | None = None,
        config: Any = None,
        use_gpu: bool = False,
        force_gpu: bool = False,
    ) -> Any:
        """TF1's older name for cached_session."""
        if self.id().endswith(".test_session"):
            # unittest collects this helper as a test by its name; TF skips it the same way.
            self.skipTest("Not a test.")
        return self.cached_session(graph, config, use_gpu, force_gpu)

    def evaluate(self, tensors: Any) -> Any:
        """The values of `tensors` (any fetch structure) in the default or cached session."""
        from flowzero.runtime.session import get_default_session

        sess = get_default_session()
        if sess is None:
            with self.cached_session() as s:
                return s.run(tensors)
        return sess.run(tensors)

    # -- assertions ----------------------------------------------------------------------------
    def assertAllClose(
        self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6, msg: Any = None
    ) -> None:
        """Every element within atol + rtol * |b| (nested lists/tuples/dicts compared entry by
        entry)."""
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            self.assertEqual(sorted(a), sorted(b), msg)
            for k in a:
                self.assertAllClose(a[k], b[k], rtol, atol, msg)
            return
        if (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and (any(isinstance(e, (Mapping, Tensor)) for e in a) or _ragged(a) or _ragged(b))
        ):
            self.assertEqual(len(a), len(b), msg)
            for x, y in zip(a, b):
                self.assertAllClose(x, y, rtol, atol, msg)
            return
        x, y = _as_array(a), _as_array(b)
        self.assertEqual(x.shape, y.shape, f"shapes differ: {x.shape} vs {y.shape}. {msg or ''}")
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=str(msg or ""))

    def assertAllCloseAccordingToType(
        self,
        a: Any,
        b: Any,
        rtol: float = 1e-6,
        atol: float = 1e-6,
        float_rtol: float = 1e-6,
        float_atol: float = 1e-6,
        half_rtol: float = 1e-3,
        half_atol: float = 1e-3,
        bfloat16_rtol: float = 1e-2,
        bfloat16_atol: float = 1e-2,
        msg: Any = None,
    ) -> None:
        """assertAllClose with tolerances widened for float32 / float16 values."""
        x, y = _as_array(a), _as_array(b)
        if np.float32 in (x.dtype, y.dtype):
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if np.float16 in (x.dtype, y.dtype):
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(x, y, rtol, atol, msg)

    def assertAllEqual(self, a: Any, b: Any, msg: Any = None) -> None:
        x, y = _as_array(a), _as_array(b)
        self.assertEqual(x.shape, y.shape, f"shapes differ: {x.shape} vs {y.shape}. {msg or ''}")
        np.testing.assert_array_equal(x, y, err_msg=str(msg or ""))

    def assertNotAllClose(self, a: Any, b: Any, **kwargs: Any) -> None:
        try:
            self.assertAllClose(a, b, **kwargs)
        except AssertionError:
            return
        raise AssertionError("The two values are close at all elements.")

    def assertNear(self, f1: float, f2: float, err: float, msg: Any = None) -> None:
        self.assertTrue(abs(f1 - f2) <= err, f"{f1!r} != {f2!r} +/- {err!r}. {msg or ''}")

    def assertArrayNear(self, farray1: Any, farray2: Any, err: float, msg: Any = None) -> None:
        self.assertEqual(len(farray1), len(farray2), msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg)

    def assertNDArrayNear(self, ndarray1: Any, ndarray2: Any, err: float, msg: Any = None) -> None:
        self.assertTrue(np.linalg.norm(np.asarray(ndarray1) - np.asarray(ndarray2)) <= err, msg)

    def assertAllGreater(self, a: Any, comparison_target: Any) -> None:
        self.assertTrue(np.all(_as_array(a) > comparison_target), f"not all > {comparison_target}")

    def assertAllLess(self, a: Any, comparison_target: Any) -> None:
        self.assertTrue(np.all(_as_array(a) < comparison_target), f"not all < {comparison_target}")

    def assertAllInRange(self, target: Any, lower: Any, upper: Any) -> None:
        x = _as_array(target)
        self.assertTrue(np.all((x >= lower) & (x <= upper)), f"not all in [{lower}, {upper}]")

    def assertShapeEqual(self, np_array: Any, tf_tensor: Tensor, msg: Any = None) -> None:
        """The array's shape equals the tensor's static shape."""
        self.assertEqual(
            list(np.shape(np_array)), tf_tensor.shape.as_list(), f"shape mismatch. {msg or ''}"
        )

    def assertDeviceEqual(self, device1: Any, device2: Any, msg: Any = None) -> None:
        self.assertEqual(str(device1 or ""), str(device2 or ""), msg)

    def assertStartsWith(self, actual: str, expected_start: str, msg: Any = None) -> None:
        self.assertTrue(
            actual.startswith(expected_start), msg or f"{actual!r} !startswith {expected_start!r}"
        )

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(
        self, exception_type: type[BaseException], expected_err_re_or_predicate: Any
    ) -> Iterator[None]:
        """The block raises `exception_type` whose message matches the regex (or for which
        the predicate is true)."""
        if callable(expected_err_re_or_predicate):
            predicate: Callable[[BaseException], bool] = expected_err_re_or_predicate
        else:
            pattern = expected_err_re_or_predicate

            def predicate(e: BaseException) -> bool:
                return re.search(pattern, str(e)) is not None

        try:
            yield
        except exception_type as e:
            if not predicate(e):
                raise AssertionError(
                    f"Exception of type {type(e).__name__} did not match: {e}"
                ) from e
        else:
            raise AssertionError(f"Exception of type {exception_type.__name__} not raised.")

    def assertRaisesOpError(self, expected_err_re_or_predicate: Any) -> Any:
        """The block raises a tf.errors.OpError matching the regex or predicate."""
        return self.assertRaisesWithPredicateMatch(errors.OpError, expected_err_re_or_predicate)


def _ragged(seq: Any) -> bool:
    try:
        np.asarray(seq, dtype=float)
    except (ValueError, TypeError):
        return True
    return False
