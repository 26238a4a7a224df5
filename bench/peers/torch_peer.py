"""PyTorch eager: nn.Sequential models, torch.optim.SGD/Adam, NCHW; batches are converted to
tensors before timing (torch.from_numpy, int64 labels), as a DataLoader would hand them over.
W7: nn.LSTM(28, 128, batch_first=True) + nn.Linear on the last hidden state."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the conventional name
from torch import nn

from bench.data import conv_weights_nchw, lstm_weights_torch, nhwc_to_nchw

NAME = "torch"


def info() -> dict[str, Any]:
    return {"torch": torch.__version__, "numpy": np.__version__,
            "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads()}


def setup(threads: int) -> None:
    if threads <= 0:  # a user's script: PyTorch's own defaults
        return
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # already set (only possible once, before any parallel work)
        pass


def _set(layer: nn.Linear | nn.Conv2d, w: np.ndarray, b: np.ndarray) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
        layer.bias.copy_(torch.from_numpy(b))


class TwoLayer:
    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        hidden = w["W1"].shape[1]
        self.model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
        _set(self.model[0], w["W1"].T, w["b1"])
        _set(self.model[2], w["W2"].T, w["b2"])
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return torch.from_numpy(x), torch.from_numpy(t.astype(np.int64))

    def step(self, batch: Any) -> None:
        x, t = batch
        self.opt.zero_grad(set_to_none=True)
        F.cross_entropy(self.model(x), t).backward()
        self.opt.step()

    def sync(self) -> None:
        pass

    def loss(self, batch: Any) -> float:
        with torch.no_grad():
            return float(F.cross_entropy(self.model(batch[0]), batch[1]))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        xb, tb = self.prepare(x, t)
        with torch.no_grad():
            return float((self.model(xb).argmax(1) == tb).float().mean())


class Conv(TwoLayer):
    def __init__(self, w: dict[str, np.ndarray], optimizer: str, lr: float) -> None:
        w = conv_weights_nchw(w)
        self.model = nn.Sequential(
            nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
        _set(self.model[0], w["W1"], w["b1"])
        _set(self.model[4], w["W2"].T, w["b2"])
        _set(self.model[6], w["W3"].T, w["b3"])
        params = self.model.parameters()
        self.opt = (torch.optim.SGD(params, lr=lr) if optimizer == "sgd"
                    else torch.optim.Adam(params, lr=lr))

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return torch.from_numpy(nhwc_to_nchw(x)), torch.from_numpy(t.astype(np.int64))


class _LSTMNet(nn.Module):
    def __init__(self, depth: int, hidden: int) -> None:
        super().__init__()
        self.depth = depth
        self.lstm = nn.LSTM(depth, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


class LSTM(TwoLayer):
    """W7 from TF's fused kernel (bench.data.lstm_weights_torch). NOTE: bias_hh stays zero and
    out of training (requires_grad False): PyTorch's two biases, both learnt, would make the
    effective bias move twice as fast under Adam as TF's one."""

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        tw = lstm_weights_torch(w)
        hidden = w["W"].shape[0]
        self.model = _LSTMNet(w["kernel"].shape[0] - hidden, hidden)
        with torch.no_grad():
            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(self.model.lstm, k + "_l0").copy_(torch.from_numpy(tw[k]))
        _set(self.model.fc, w["W"].T, w["b"])
        self.model.lstm.bias_hh_l0.requires_grad_(False)
        self.opt = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad],
                                    lr=lr)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        d = self.model.depth
        return (torch.from_numpy(np.ascontiguousarray(x.reshape(len(x), -1, d))),
                torch.from_numpy(t.astype(np.int64)))


def w1(kind: str) -> Any:
    """Eager ops on tensors (there is no graph to fetch from)."""
    if kind == "matmul":
        a = torch.tensor([[3.0, 3.0]])
        b = torch.tensor([[2.0], [2.0]])
        return lambda: torch.matmul(a, b)
    x1 = torch.tensor([7.0])
    x2 = torch.tensor([2.0])
    return lambda: torch.mul(x1, x2)


def w9(kind: str) -> Any:
    """PyTorch is eager: W1's calls."""
    return w1("matmul" if kind == "matmul" else "feed")
