"""Op-table rows for the complex helpers (flowzero/ops/complex_ops.py) and the Fourier
transforms (flowzero/ops/spectral_ops.py). Complex ops are checked through real inputs and
outputs (complex(re, im) in, real or imag out), so gradients are checked in TF's convention."""

import numpy as np

import flowzero as tf
from flowzero.framework.graph import apply_op
from flowzero.ops.spectral_ops import IRFFTAdjoint, RFFTAdjoint
from flowzero.testing.op_cases import OpCase, rand

RE, IM = rand(2, 3, 4), rand(2, 3, 4, seed=9)
SIG = rand(2, 6)

_NP = {
    "FFT": lambda z: np.fft.fft(z),
    "IFFT": lambda z: np.fft.ifft(z),
    "FFT2D": lambda z: np.fft.fft2(z),
    "IFFT2D": lambda z: np.fft.ifft2(z),
    "FFT3D": lambda z: np.fft.fftn(z, axes=(-3, -2, -1)),
    "IFFT3D": lambda z: np.fft.ifftn(z, axes=(-3, -2, -1)),
}
_TF = {
    "FFT": tf.fft,
    "IFFT": tf.ifft,
    "FFT2D": tf.fft2d,
    "IFFT2D": tf.ifft2d,
    "FFT3D": tf.fft3d,
    "IFFT3D": tf.ifft3d,
}


def _fft_rows(op):
    fn, ref = _TF[op], _NP[op]
    return [
        OpCase(
            op,
            lambda re, im: tf.real(fn(tf.complex(re, im))),
            lambda re, im: np.real(ref(re + 1j * im)).astype(re.dtype),
            [RE, IM],
            rtol=1e-5,
            atol=1e-5,
            second_order=True,
        ),
        OpCase(
            op,
            lambda re, im: tf.imag(fn(tf.complex(re, im))),
            lambda re, im: np.imag(ref(re + 1j * im)).astype(re.dtype),
            [RE, IM],
            name="imag",
            rtol=1e-5,
            atol=1e-5,
        ),
    ]


def _fit(x, n):
    m = x.shape[-1]
    if m >= n:
        return x[..., :n]
    return np.concatenate([x, np.zeros(x.shape[:-1] + (n - m,), x.dtype)], -1)


def _rfft_adjoint_ref(re, im, n, length):
    full = np.zeros(re.shape[:-1] + (n,), np.complex128)
    full[..., : re.shape[-1]] = (re + 1j * im)[..., :n]
    return _fit(np.real(np.fft.ifft(full)) * n, length).astype(re.dtype)


def _irfft_adjoint_ref(dx, n, length):
    g = np.fft.rfft(dx, n=n)
    c = np.full(g.shape[-1], 2.0)
    c[0] = 1
    if n % 2 == 0:
        c[-1] = 1
    return _fit(g * c / n, length)


CASES = [
    OpCase(
        "Complex",
        lambda re, im: tf.imag(tf.complex(re, im)) + tf.real(tf.complex(re, im)),
        lambda re, im: re + im,
        [RE, IM],
        second_order=True,
    ),
    OpCase(
        "Complex",
        lambda re, im: tf.complex(re, im),
        lambda re, im: re + 1j * im,
        [RE.astype(np.float64), np.float64(0.5)],
        name="broadcast_value",
        grad=False,
    ),
    OpCase(
        "Real",
        lambda re, im: tf.real(tf.complex(re, im) * tf.complex(re, re)),
        lambda re, im: np.real((re + 1j * im) * (re + 1j * re)),
        [RE, IM],
        rtol=1e-5,
    ),
    OpCase("Imag", lambda re, im: tf.imag(tf.complex(re, im)), lambda re, im: im, [RE, IM]),
    OpCase(
        "Conj",
        lambda re, im: tf.imag(tf.conj(tf.complex(re, im))),
        lambda re, im: -im,
        [RE, IM],
        second_order=True,
    ),
    *[row for op in _NP for row in _fft_rows(op)],
    OpCase(
        "RFFT",
        lambda x: tf.real(tf.signal.rfft(x)),
        lambda x: np.real(np.fft.rfft(x)),
        [SIG],
        rtol=1e-5,
        atol=1e-5,
        second_order=True,
    ),
    OpCase(
        "RFFT",
        lambda x: tf.imag(tf.signal.rfft(x, [4])),
        lambda x: np.imag(np.fft.rfft(x[..., :4])).astype(x.dtype),
        [SIG],
        name="crop",
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "RFFT",
        lambda x: tf.imag(tf.spectral.rfft(x, [9])),
        lambda x: np.imag(np.fft.rfft(x, 9)).astype(x.dtype),
        [SIG],
        name="pad_odd",
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "IRFFT",
        lambda re, im: tf.signal.irfft(tf.complex(re, im)),
        lambda re, im: np.fft.irfft(re + 1j * im).astype(re.dtype),
        [RE, IM],
        rtol=1e-5,
        atol=1e-5,
        second_order=True,
    ),
    OpCase(
        "IRFFT",
        lambda re, im: tf.signal.irfft(tf.complex(re, im), [5]),
        lambda re, im: np.fft.irfft(re + 1j * im, 5).astype(re.dtype),
        [RE, IM],
        name="odd",
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "IRFFT",
        lambda re, im: tf.signal.irfft(tf.complex(re, im), [12]),
        lambda re, im: np.fft.irfft(re + 1j * im, 12).astype(re.dtype),
        [RE, IM],
        name="pad",
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "RFFTAdjoint",
        lambda re, im: apply_op(
            RFFTAdjoint, [tf.complex(re, im), tf.constant([6]), tf.constant(5)]
        ),
        lambda re, im: _rfft_adjoint_ref(re, im, 6, 5),
        [RE, IM],
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "IRFFTAdjoint",
        lambda dx: tf.imag(apply_op(IRFFTAdjoint, [dx, tf.constant([6]), tf.constant(4)])),
        lambda dx: np.imag(_irfft_adjoint_ref(dx, 6, 4)).astype(dx.dtype),
        [SIG],
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "IRFFTAdjoint",
        lambda dx: tf.real(apply_op(IRFFTAdjoint, [dx, tf.constant([5]), tf.constant(3)])),
        lambda dx: np.real(_irfft_adjoint_ref(dx, 5, 3)).astype(dx.dtype),
        [SIG[:, :5]],
        name="odd",
        rtol=1e-5,
        atol=1e-5,
    ),
]
