"""The hand-written NumPy peer, in the style of "Deep Learning from Scratch" (our own code).

Layers with hand-written backward passes (Affine, Relu, SoftmaxWithLoss, Convolution via
im2col, Pooling via im2col + argmax), NCHW as in the book, parameters updated in place
(`params[key] -= lr * grads[key]`). Two deliberate differences from the book's listings, both
only to stay float32 end to end: the scratch buffers of im2col/col2im/pool-backward take the
input's dtype (the book's `np.zeros` is float64), and Adam's scalar step size is a Python float.
Like the book, the first Affine/Convolution layer still computes the gradient w.r.t. its input.

W7's LSTM follows the book's sequel ("Deep Learning from Scratch 2": an LSTM layer with a
hand-written backward, TimeLSTM running it over the time steps forward and back (BPTT) and
summing the weights' gradients), with two changes to compute TF's BasicLSTMCell: the fused
weights keep TF's gate order i, j, f, o (the book's is f, g, i, o) and the forget bias 1.0 is
added to f; Adam uses TF's epsilon 1e-8 there (the book's 1e-7 is kept for W3).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from bench.common import W7_FORGET_BIAS
from bench.data import conv_weights_nchw, nhwc_to_nchw

NAME = "numpy"


def info() -> dict[str, Any]:
    return {"numpy": np.__version__}


def setup(threads: int) -> None:
    """NumPy's BLAS pool is sized by OPENBLAS_NUM_THREADS etc. in the environment."""


# -- the book's functions ----------------------------------------------------------------------
def softmax(x: np.ndarray) -> np.ndarray:
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size)


def im2col(input_data: np.ndarray, filter_h: int, filter_w: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    n, c, h, w = input_data.shape
    out_h = (h + 2 * pad - filter_h) // stride + 1
    out_w = (w + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * out_h * out_w, -1)


def col2im(col: np.ndarray, input_shape: tuple[int, ...], filter_h: int, filter_w: int,
           stride: int = 1, pad: int = 0) -> np.ndarray:
    n, c, h, w = input_shape
    out_h = (h + 2 * pad - filter_h) // stride + 1
    out_w = (w + 2 * pad - filter_w) // stride + 1
    col = col.reshape(n, out_h, out_w, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:h + pad, pad:w + pad]


# -- the book's layers -------------------------------------------------------------------------
class Relu:
    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout[self.mask] = 0
        return dout


class Affine:
    def __init__(self, w: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = w, b
        self.x: np.ndarray | None = None
        self.original_x_shape: tuple[int, ...] = ()
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class SoftmaxWithLoss:
    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.t = t
        self.y = softmax(x)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout: float = 1) -> np.ndarray:
        batch_size = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size


class Convolution:
    def __init__(self, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.W, self.b, self.stride, self.pad = w, b, stride, pad
        self.x: np.ndarray | None = None
        self.col: np.ndarray | None = None
        self.col_W: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        fn, c, fh, fw = self.W.shape
        n, c, h, w = x.shape
        out_h = 1 + (h + 2 * self.pad - fh) // self.stride
        out_w = 1 + (w + 2 * self.pad - fw) // self.stride
        col = im2col(x, fh, fw, self.stride, self.pad)
        col_w = self.W.reshape(fn, -1).T
        out = np.dot(col, col_w) + self.b
        out = out.reshape(n, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_w
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(fn, c, fh, fw)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, fh, fw, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h: int, pool_w: int, stride: int = 2, pad: int = 0) -> None:
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.x: np.ndarray | None = None
        self.arg_max: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        out_h = 1 + (h - self.pool_h) // self.stride
        out_w = 1 + (w - self.pool_w) // self.stride
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        self.x = x
        return out.reshape(n, out_h, out_w, c).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class LSTMLayer:
    """The book's LSTM (one time step); params [Wx, Wh, b], columns gates i, j, f, o (TF's
    fused layout). Renamed: `LSTM` is the harness's W7 class below."""

    def __init__(self, wx: np.ndarray, wh: np.ndarray, b: np.ndarray,
                 forget_bias: float = W7_FORGET_BIAS) -> None:
        self.params = [wx, wh, b]
        self.grads = [np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(b)]
        self.forget_bias = forget_bias
        self.cache: tuple[np.ndarray, ...] | None = None

    def forward(self, x: np.ndarray, h_prev: np.ndarray,
                c_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wx, wh, b = self.params
        n, h = h_prev.shape
        a = np.dot(x, wx) + np.dot(h_prev, wh) + b
        i = sigmoid(a[:, :h])
        g = np.tanh(a[:, h:2 * h])
        f = sigmoid(a[:, 2 * h:3 * h] + self.forget_bias)
        o = sigmoid(a[:, 3 * h:])
        c_next = f * c_prev + g * i
        h_next = o * np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return h_next, c_next

    def backward(self, dh_next: np.ndarray,
                 dc_next: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        wx, wh, b = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        tanh_c_next = np.tanh(c_next)
        ds = dc_next + (dh_next * o) * (1 - tanh_c_next ** 2)
        dc_prev = ds * f
        di = ds * g
        df = ds * c_prev
        do = dh_next * tanh_c_next
        dg = ds * i
        di *= i * (1 - i)
        df *= f * (1 - f)
        do *= o * (1 - o)
        dg *= (1 - g ** 2)
        da = np.hstack((di, dg, df, do))
        self.grads[0][...] = np.dot(x.T, da)
        self.grads[1][...] = np.dot(h_prev.T, da)
        self.grads[2][...] = da.sum(axis=0)
        dx = np.dot(da, wx.T)
        dh_prev = np.dot(da, wh.T)
        return dx, dh_prev, dc_prev


class TimeLSTM:
    """The LSTM over T steps of xs (N, T, D) -> hs (N, T, H); backward is BPTT."""

    def __init__(self, wx: np.ndarray, wh: np.ndarray, b: np.ndarray) -> None:
        self.params = [wx, wh, b]
        self.grads = [np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(b)]
        self.layers: list[LSTMLayer] = []

    def forward(self, xs: np.ndarray) -> np.ndarray:
        wx, wh, b = self.params
        n, t_len, _ = xs.shape
        h_size = wh.shape[0]
        self.layers = []
        hs = np.empty((n, t_len, h_size), dtype=xs.dtype)
        h = np.zeros((n, h_size), dtype=xs.dtype)
        c = np.zeros((n, h_size), dtype=xs.dtype)
        for t in range(t_len):
            layer = LSTMLayer(*self.params)
            h, c = layer.forward(xs[:, t, :], h, c)
            hs[:, t, :] = h
            self.layers.append(layer)
        return hs

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        wx, wh, b = self.params
        n, t_len, _ = dhs.shape
        dxs = np.empty((n, t_len, wx.shape[0]), dtype=dhs.dtype)
        dh: np.ndarray | int = 0
        dc: np.ndarray | int = 0
        grads: list[Any] = [0, 0, 0]
        for t in reversed(range(t_len)):
            layer = self.layers[t]
            dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)
            dxs[:, t, :] = dx
            for k, grad in enumerate(layer.grads):
                grads[k] += grad
        for k, grad in enumerate(grads):
            self.grads[k][...] = grad
        return dxs

    @property
    def dWx(self) -> np.ndarray:  # noqa: N802 - the book's gradient names
        return self.grads[0]

    @property
    def dWh(self) -> np.ndarray:  # noqa: N802
        return self.grads[1]

    @property
    def db(self) -> np.ndarray:
        return self.grads[2]


class LastStep:
    """hs (N, T, H) -> hs[:, -1]: the classifier reads the last hidden state only."""

    def __init__(self) -> None:
        self.shape: tuple[int, ...] = ()

    def forward(self, hs: np.ndarray) -> np.ndarray:
        self.shape = hs.shape
        return hs[:, -1, :]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dhs = np.zeros(self.shape, dtype=dout.dtype)
        dhs[:, -1, :] = dout
        return dhs


# -- the book's optimizers ---------------------------------------------------------------------
class SGD:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class Adam:
    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-7) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter = 0
        self.m: dict[str, np.ndarray] | None = None
        self.v: dict[str, np.ndarray] | None = None

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if self.m is None or self.v is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * (1.0 - self.beta2 ** self.iter) ** 0.5 / (1.0 - self.beta1 ** self.iter)
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + self.eps)


# -- the book's networks -----------------------------------------------------------------------
class _Net:
    params: dict[str, np.ndarray]
    layers: OrderedDict[str, Any]
    last_layer: SoftmaxWithLoss
    grad_keys: dict[str, tuple[str, str]]

    def predict(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        y = np.argmax(self.predict(x), axis=1)
        return float(np.sum(y == t)) / x.shape[0]

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {k: getattr(self.layers[name], attr) for k, (name, attr) in self.grad_keys.items()}


class TwoLayerNetBook(_Net):
    def __init__(self, w: dict[str, np.ndarray]) -> None:
        self.params = {k: v.copy() for k, v in w.items()}
        p = self.params
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(p["W1"], p["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(p["W2"], p["b2"])
        self.last_layer = SoftmaxWithLoss()
        self.grad_keys = {"W1": ("Affine1", "dW"), "b1": ("Affine1", "db"),
                          "W2": ("Affine2", "dW"), "b2": ("Affine2", "db")}


class SimpleConvNetBook(_Net):
    def __init__(self, w_nchw: dict[str, np.ndarray]) -> None:
        self.params = {k: v.copy() for k, v in w_nchw.items()}
        p = self.params
        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(p["W1"], p["b1"], 1, 0)
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(2, 2, stride=2)
        self.layers["Affine1"] = Affine(p["W2"], p["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(p["W3"], p["b3"])
        self.last_layer = SoftmaxWithLoss()
        self.grad_keys = {"W1": ("Conv1", "dW"), "b1": ("Conv1", "db"),
                          "W2": ("Affine1", "dW"), "b2": ("Affine1", "db"),
                          "W3": ("Affine2", "dW"), "b3": ("Affine2", "db")}


class LSTMClassifierBook(_Net):
    """TimeLSTM over the rows -> the last h -> Affine -> SoftmaxWithLoss; input (N, T, D)."""

    def __init__(self, w: dict[str, np.ndarray]) -> None:
        hidden = w["W"].shape[0]
        depth = w["kernel"].shape[0] - hidden
        self.params = {"Wx": w["kernel"][:depth].copy(), "Wh": w["kernel"][depth:].copy(),
                       "b_lstm": w["bias"].copy(), "W": w["W"].copy(), "b": w["b"].copy()}
        p = self.params
        self.layers = OrderedDict()
        self.layers["TimeLSTM"] = TimeLSTM(p["Wx"], p["Wh"], p["b_lstm"])
        self.layers["LastStep"] = LastStep()
        self.layers["Affine"] = Affine(p["W"], p["b"])
        self.last_layer = SoftmaxWithLoss()
        self.grad_keys = {"Wx": ("TimeLSTM", "dWx"), "Wh": ("TimeLSTM", "dWh"),
                          "b_lstm": ("TimeLSTM", "db"), "W": ("Affine", "dW"),
                          "b": ("Affine", "db")}


# -- the harness interface ---------------------------------------------------------------------
class TwoLayer:
    """W2/W4/W6: one `step` = the book's gradient() + optimizer.update()."""

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        self.net = TwoLayerNetBook(w)
        self.opt = SGD(lr)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return x, t

    def step(self, batch: Any) -> None:
        self.opt.update(self.net.params, self.net.gradient(*batch))

    def sync(self) -> None:
        pass

    def loss(self, batch: Any) -> float:
        return self.net.loss(*batch)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.net.accuracy(x, t)


class Conv(TwoLayer):
    """W3: the book's SimpleConvNet in NCHW (weights converted from the canonical NHWC)."""

    def __init__(self, w: dict[str, np.ndarray], optimizer: str, lr: float) -> None:
        self.net = SimpleConvNetBook(conv_weights_nchw(w))
        self.opt = SGD(lr) if optimizer == "sgd" else Adam(lr)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return nhwc_to_nchw(x), t


class LSTM(TwoLayer):
    """W7: the LSTM classifier with BPTT and Adam (eps 1e-8, as TF's AdamOptimizer)."""

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        self.net = LSTMClassifierBook(w)
        self.opt = Adam(lr, eps=1e-8)
        self.depth = w["kernel"].shape[0] - w["W"].shape[0]

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return x.reshape(len(x), -1, self.depth), t

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return self.net.accuracy(*self.prepare(x, t))


def w1(kind: str) -> Any:
    """W1: the same tiny computation as plain NumPy calls."""
    if kind == "matmul":
        a = np.array([[3.0, 3.0]], np.float32)
        b = np.array([[2.0], [2.0]], np.float32)
        return lambda: np.matmul(a, b)
    x1 = np.array([7.0], np.float32)
    x2 = np.array([2.0], np.float32)
    return lambda: np.multiply(x1, x2)


def w9(kind: str) -> Any:
    """The floor: the NumPy call itself."""
    return w1("matmul" if kind == "matmul" else "feed")


def w10_restore(values: dict[str, np.ndarray], directory: str) -> tuple[Any, str]:
    """W10: the arrays as one raw file, read back into the arrays' places (no format, no
    checks): the floor every checkpoint format is measured against."""
    import os

    path = os.path.join(directory, "params.bin")
    with open(path, "wb") as f:
        for v in values.values():
            v.tofile(f)
    params = {k: np.empty_like(v) for k, v in values.items()}

    def restore() -> None:
        with open(path, "rb", buffering=0) as f:
            for v in params.values():
                f.readinto(memoryview(v.reshape(-1).view(np.uint8)))

    return restore, path


def w11(
    w: dict[str, np.ndarray], lr: float, x: np.ndarray, t: np.ndarray, batch: int, kind: str
) -> tuple[Any, float]:
    """W11: the book has no input pipeline; both kinds step on the same array slices."""
    model = TwoLayer(w, lr)
    batches = [(x[i : i + batch], t[i : i + batch]) for i in range(0, len(x), batch)]
    it = [0]

    def step() -> None:
        model.step(batches[it[0] % len(batches)])
        it[0] += 1

    return step, float(model.loss(batches[0]))
