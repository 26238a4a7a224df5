"""The special functions, segment reductions, sorting, scatter and linear-algebra ops against
real TensorFlow: values and gradients (skipped where TensorFlow is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as fz

tf_real = pytest.importorskip("tensorflow")
TF = tf_real.compat.v1


def _run(tf, build, arrays, grad=True):
    """Builds `build(*placeholders)` in a fresh graph of `tf`; returns its value(s) and, if
    `grad`, the gradients of sum(y^2 + y/2) with respect to the float inputs."""
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(a.dtype), a.shape) for a in arrays]
        out = build(tf, *phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        fetch = list(outs)
        if grad:
            y = outs[0]
            xs = [p for p, a in zip(phs, arrays) if a.dtype.kind == "f"]
            grads = tf.gradients(tf.reduce_sum(y * y + 0.5 * y), xs)
            fetch += [g for g in grads if g is not None]  # None: no gradient, on both sides
        with tf.Session(graph=g) as sess:
            return sess.run(fetch, dict(zip(phs, arrays)))


def _same(build, arrays, grad=True, rtol=1e-10, atol=1e-12):
    got = _run(fz, build, arrays, grad)
    want = _run(TF, build, arrays, grad)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, (a.shape, b.shape)
        if b.dtype.kind in "biuO":
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


RNG = np.random.default_rng(3)
X = RNG.uniform(-3, 3, (3, 4))


@pytest.mark.parametrize("name", ["erf", "erfc", "lgamma", "digamma", "log_sigmoid"])
def test_special_functions(name):
    x = X.copy()
    if name in ("lgamma", "digamma"):
        x[0] = [-0.5, -2.3, 0.1, 17.5]
    _same(lambda tf, x: getattr(tf.math, name)(x), [x], rtol=1e-9)


def test_polygamma():
    a = np.array([0.0, 1.0, 2.0, 3.0])
    x = np.array([0.7, 2.5, 11.0, 0.2])
    _same(lambda tf, a, x: tf.math.polygamma(a, x), [a, x], grad=False, rtol=1e-9)


SEG = [
    ("segment_sum", None),
    ("segment_mean", None),
    ("segment_max", None),
    ("segment_min", None),
    ("segment_prod", None),
    ("unsorted_segment_sum", 4),
    ("unsorted_segment_mean", 4),
    ("unsorted_segment_max", 3),
    ("unsorted_segment_min", 3),
    ("unsorted_segment_prod", 4),
    ("unsorted_segment_sqrt_n", 4),
]


@pytest.mark.parametrize("name, n", SEG)
def test_segment_reductions(name, n):
    data = RNG.uniform(0.5, 2.0, (6, 2))
    data[3, 0] = data[2, 0]  # a tie inside a segment
    if n is None:
        ids = np.array([0, 0, 1, 1, 1, 3], np.int32)
        _same(lambda tf, d: getattr(tf.math, name)(d, ids), [data])
    else:
        ids = np.array([2, 0, 1, -1, 1, 0], np.int32)
        _same(lambda tf, d: getattr(tf.math, name)(d, ids, n), [data])


def test_unsorted_segment_prod_with_zeros():
    data = np.array([0.0, 2.0, 3.0, 0.0, 0.0, 4.0, 5.0])
    ids = np.array([0, 0, 1, 1, 2, 2, 2], np.int32)
    _same(lambda tf, d: tf.math.unsorted_segment_prod(d, ids, 3), [data])


@pytest.mark.parametrize("kw", [{}, {"minlength": 7}, {"maxlength": 2}, {"weights": True}])
def test_bincount(kw):
    arr = np.array([[1, 4, 1], [0, 4, 4]], np.int32)
    if kw.get("weights"):
        w = np.arange(6.0).reshape(2, 3)
        _same(lambda tf, a, w: tf.math.bincount(a, weights=w), [arr, w], grad=False)
    else:
        _same(lambda tf, a: tf.math.bincount(a, **kw), [arr], grad=False)


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sort_and_argsort(direction, axis):
    x = RNG.integers(0, 4, (3, 4, 2)).astype(np.float64)  # many ties
    _same(lambda tf, x: tf.sort(x, axis=axis, direction=direction), [x])
    _same(lambda tf, x: tf.argsort(x, axis=axis, direction=direction, stable=True), [x], grad=False)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_sort_integers(dtype):
    info = np.iinfo(dtype)
    x = np.array([3, info.max, info.min, 0, 3, 1], dtype)
    _same(lambda tf, x: tf.sort(x), [x], grad=False)
    _same(lambda tf, x: tf.argsort(x, direction="DESCENDING", stable=True), [x], grad=False)


def test_unique_and_setdiff1d():
    x = np.array([4, 1, 4, 0, 1, 9, 4], np.int64)
    y = np.array([1, 7], np.int64)
    _same(lambda tf, x: tf.unique(x, out_idx=tf.int64), [x], grad=False)
    _same(lambda tf, x: tf.unique_with_counts(x), [x], grad=False)
    _same(lambda tf, x, y: tf.setdiff1d(x, y), [x, y], grad=False)


@pytest.mark.parametrize(
    "eq, shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("ij->ji", [(2, 3)]),
        ("ii->i", [(3, 3)]),
        ("ij,j->j", [(2, 3), (3,)]),
        ("ab,bc,cd->ad", [(2, 3), (3, 2), (2, 2)]),
        ("...ij,...jk->...ik", [(1, 2, 3), (4, 3, 2)]),
        ("i,j", [(2,), (3,)]),
    ],
)
def test_einsum(eq, shapes):
    arrays = [RNG.normal(size=s) for s in shapes]
    _same(lambda tf, *xs: tf.einsum(eq, *xs), arrays)


def test_where_v2_broadcasts_like_tensorflow():
    c = np.array([[True], [False], [True]])
    x, y = RNG.normal(size=(3, 4)), RNG.normal(size=(1, 4))
    _same(lambda tf, x, y: tf.where_v2(c, x, y), [x, y])


@pytest.mark.parametrize(
    "fn",
    [
        "tensor_scatter_nd_update",
        "tensor_scatter_nd_add",
        "tensor_scatter_nd_sub",
        "tensor_scatter_nd_max",
        "tensor_scatter_nd_min",
    ],
)
def test_tensor_scatter(fn):
    t = RNG.normal(size=(4, 3))
    idx = np.array([[0, 1], [3, 2], [1, 1]], np.int32)
    u = RNG.normal(size=3)
    _same(lambda tf, t, u: getattr(tf, fn)(t, idx, u), [t, u])


@pytest.mark.parametrize(
    "fn",
    [
        "scatter_update",
        "scatter_add",
        "scatter_sub",
        "scatter_mul",
        "scatter_div",
        "scatter_max",
        "scatter_min",
    ],
)
def test_variable_row_scatters(fn):
    def run(tf):
        g = tf.Graph()
        with g.as_default():
            v = tf.Variable(np.arange(1.0, 9.0).reshape(4, 2))
            op = getattr(tf, fn)(v, [3, 1, 3], np.array([[2.0, 5.0], [0.5, 3.0], [4.0, 1.0]]))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                return sess.run(op)

    if fn == "scatter_update":  # repeated index: TF leaves the winner unspecified
        got = run(fz)
        np.testing.assert_allclose(got[:3], run(TF)[:3])
    else:
        np.testing.assert_allclose(run(fz), run(TF))


def test_dynamic_partition_and_stitch():
    data = RNG.normal(size=(2, 3, 2))
    parts = np.array([[1, 0, 2], [0, 0, 1]], np.int32)
    _same(lambda tf, d: tf.concat(tf.dynamic_partition(d, parts, 3), 0), [data])
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 1, 3))
    _same(lambda tf, a, b: tf.dynamic_stitch([[0, 3], [[1], [2]]], [a, b]), [a, b])


@pytest.mark.parametrize("bs", [2, 3])
def test_space_to_depth_and_back(bs):
    x = RNG.normal(size=(2, 2 * bs, 3 * bs, 2))
    _same(lambda tf, x: tf.space_to_depth(x, bs), [x])
    y = RNG.normal(size=(1, 2, 3, 2 * bs * bs))
    _same(lambda tf, y: tf.nn.depth_to_space(y, bs), [y])


@pytest.mark.parametrize(
    "k, s, r, padding",
    [
        ((2, 2), (1, 1), (1, 1), "VALID"),
        ((3, 2), (2, 3), (1, 1), "SAME"),
        ((2, 3), (1, 2), (2, 1), "SAME"),
        ((3, 3), (2, 2), (2, 2), "VALID"),
    ],
)
def test_extract_image_patches(k, s, r, padding):
    x = RNG.normal(size=(2, 7, 8, 3))
    _same(
        lambda tf, x: tf.extract_image_patches(x, [1, *k, 1], [1, *s, 1], [1, *r, 1], padding), [x]
    )


@pytest.mark.parametrize("name", ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d"])
def test_complex_transforms(name):
    re, im = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 4))
    w = RNG.normal(size=(2, 3, 4))

    def build(tf, re, im):
        z = getattr(tf.signal, name)(tf.complex(re, im))
        return tf.real(z) * w + tf.imag(z * tf.conj(z))

    _same(build, [re, im], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [None, [4], [9]])
def test_real_transforms(n):
    x = RNG.normal(size=(3, 6))
    _same(
        lambda tf, x: tf.abs(tf.real(tf.signal.rfft(x, n))) + tf.imag(tf.signal.rfft(x, n)),
        [x],
        grad=n != [4],  # TensorFlow's own RFFT gradient fails when fft_length crops
        rtol=1e-9,
        atol=1e-9,
    )
    re, im = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    # TensorFlow's own IRFFT gradient fails when the input is not fft_length // 2 + 1 long.
    _same(
        lambda tf, re, im: tf.signal.irfft(tf.complex(re, im), n),
        [re, im],
        grad=n is None,
        rtol=1e-9,
        atol=1e-9,
    )


def _spd(tf, x):
    return tf.matmul(x, x, transpose_b=True) + 3.0 * tf.eye(3, dtype=tf.float64)


@pytest.mark.parametrize(
    "name, shape",
    [
        ("band", (3, 4)),
        ("cholesky", (2, 3, 3)),
        ("qr", (4, 3)),
        ("svd", (4, 3)),
        ("svd", (3, 5)),
        ("svd_values", (3, 3)),
        ("eig", (2, 3, 3)),
        ("eigvals", (3, 3)),
    ],
)
def test_decompositions(name, shape):
    x = RNG.normal(size=shape)

    def build(tf, x):
        if name == "band":
            return tf.linalg.band_part(x, 1, 0)
        if name == "cholesky":
            return tf.linalg.cholesky(_spd(tf, x))
        if name == "qr":
            q, r = tf.linalg.qr(x)
            return tf.abs(q) + tf.reduce_sum(tf.matmul(r, r, transpose_a=True))
        if name == "svd":
            s, u, v = tf.linalg.svd(x)
            return tf.reduce_sum(tf.abs(u)) + tf.matmul(v * s, v, transpose_b=True)
        if name == "svd_values":
            return tf.linalg.svd(x, compute_uv=False)
        sym = tf.matmul(x, x, transpose_b=True)
        if name == "eig":
            e, v = tf.linalg.eigh(sym)
            return tf.abs(v) * e[..., None, :]
        return tf.linalg.eigvalsh(sym)

    _same(build, [x], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "fn", ["solve", "triangular_solve_lower", "triangular_solve_upper", "cholesky_solve"]
)
@pytest.mark.parametrize("adjoint", [False, True])
def test_solves(fn, adjoint):
    a = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    b = RNG.normal(size=(2, 3, 2))

    def build(tf, a, b):
        if fn == "solve":
            return tf.linalg.solve(a, b, adjoint=adjoint)
        if fn == "cholesky_solve":
            chol = tf.linalg.cholesky(tf.matmul(a, a, transpose_b=True))
            return tf.linalg.cholesky_solve(chol, b)
        return tf.linalg.triangular_solve(a, b, lower=fn.endswith("lower"), adjoint=adjoint)

    _same(build, [a, b], rtol=1e-8, atol=1e-10)


def test_confusion_matrix():
    lab = np.array([1, 2, 4, 2], np.int32)
    pred = np.array([2, 2, 4, 0], np.int32)
    w = np.array([0.5, 1.0, 2.0, 3.0])
    _same(lambda tf, lab, pred: tf.confusion_matrix(lab, pred), [lab, pred], grad=False)
    _same(
        lambda tf, w: tf.math.confusion_matrix(
            lab, pred, num_classes=6, weights=w, dtype=tf.float64
        ),
        [w],
    )


def test_count_up_to_like_tensorflow():
    def run(tf):
        g = tf.Graph()
        with g.as_default():
            v = tf.Variable(3, dtype=tf.int64)
            step = tf.count_up_to(v, 5)
            out = []
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out += [sess.run(step), sess.run(step)]
                try:
                    sess.run(step)
                except tf.errors.OutOfRangeError:
                    out.append("done")
                out.append(sess.run(v))
            return out

    assert run(fz) == run(TF)


@pytest.mark.parametrize("name", ["erfinv", "ndtri", "lbeta"])
def test_more_special_functions(name):
    x = RNG.uniform(0.02, 0.98, (3, 4))
    if name == "erfinv":
        x = 2 * x - 1
    _same(lambda tf, x: getattr(tf.math, name)(x), [x], rtol=1e-9)


@pytest.mark.parametrize("name", ["zeta", "xlogy", "xdivy"])
def test_special_binary_functions(name):
    a = np.array([1.5, 2.0, 0.0, 4.5, 0.0, 3.0])
    b = np.array([0.5, 2.0, 0.7, 11.0, 0.0, 1e-3])
    if name == "zeta":
        a = a + 1.5
        b = b + 0.1
    _same(lambda tf, a, b: getattr(tf.math, name)(a, b), [a, b], rtol=1e-9)


@pytest.mark.parametrize("name", ["atan2", "div_no_nan", "multiply_no_nan"])
def test_more_math_binary(name):
    a = RNG.normal(size=(3, 4))
    b = RNG.normal(size=(3, 4))
    b[0, :2] = 0.0
    fn = {"div_no_nan": "divide_no_nan"}.get(name, name)
    _same(lambda tf, a, b: getattr(tf.math, fn)(a, b), [a, b], grad=name != "div_no_nan")
    if name == "div_no_nan":  # d/dy at y == 0 is where TF's rule is a convention: compare all
        _same(lambda tf, a, b: tf.div_no_nan(a, b), [a, b])


@pytest.mark.parametrize(
    "kw",
    [{}, {"exclusive": True}, {"reverse": True}, {"exclusive": True, "reverse": True, "axis": 1}],
)
def test_cumulative_logsumexp(kw):
    x = RNG.normal(size=(3, 4)) * 3
    _same(lambda tf, x: tf.exp(tf.math.cumulative_logsumexp(x, **kw)), [x], rtol=1e-9)


@pytest.mark.parametrize("name", ["reduce_variance", "reduce_std", "reduce_euclidean_norm"])
def test_more_reductions(name):
    x = RNG.normal(size=(3, 4))
    _same(lambda tf, x: getattr(tf.math, name)(x, axis=1, keepdims=True), [x], rtol=1e-9)


def test_rint_polyval_and_monotone():
    x = np.array([0.5, 1.5, -2.5, 2.4, -0.6, 3.0])
    _same(lambda tf, x: tf.math.rint(x), [x], grad=False)
    _same(lambda tf, x: tf.math.polyval([np.float64(c) for c in (2.0, -1.0, 0.5)], x), [x])
    for v in ([1, 2, 2, 3], [1, 2, 3], [3, 1], [7]):
        a = np.array(v, np.int32)
        _same(
            lambda tf, a: [tf.math.is_non_decreasing(a), tf.math.is_strictly_increasing(a)],
            [a],
            grad=False,
        )


def test_erfcinv_xlog1py_nextafter_angle_accumulate_n():
    c = np.array([1e-20, 0.3, 1.0, 1.7])
    _same(lambda tf, c: tf.math.erfcinv(c), [c], grad=False, rtol=1e-9)
    a, b = np.array([0.0, 1.5, -2.0, 0.3]), np.array([-1.0, 2.0, 0.5, 4.0])
    _same(lambda tf, a, b: tf.math.xlog1py(a, b), [a, b])
    _same(lambda tf, a, b: tf.math.nextafter(a, b), [a, b], grad=False, rtol=0, atol=0)
    re, im = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    _same(lambda tf, re, im: tf.math.angle(tf.complex(re, im)), [re, im])
    _same(lambda tf, re: tf.math.angle(re), [re], grad=False)
    _same(lambda tf, re, im: tf.math.accumulate_n([re, im, re]), [re, im])
