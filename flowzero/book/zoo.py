"""The pieces every run shares: the book's models by name, the book's optimizers by name, and
MNIST for a `--data` spec ("auto", "subset", "full" or a directory).

A model is rebuilt from its name and constructor arguments alone (`build_model`), which is what
a run's `run.json` records, so `flowzero eval` can restore a checkpoint without the command
line that trained it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import flowzero as tf
from flowzero.datasets import mnist
from flowzero.models import (
    DeepConvNet,
    LSTMClassifier,
    MultiLayerNet,
    MultiLayerNetExtend,
    SimpleConvNet,
    TwoLayerNet,
)


@dataclass(frozen=True)
class ModelSpec:
    """How the CLI builds and trains one of the book's models.

    `hidden` is the constructor argument that `--hidden` sets ("hidden_size" takes one width,
    "hidden_size_list" several); `options` the other flags the model accepts. The training
    defaults are the book's settings for this model, scaled to the bundled subset.
    """

    cls: type
    chapter: str
    image_input: bool
    hidden: str
    defaults: dict[str, Any]
    options: frozenset[str] = field(default_factory=frozenset)
    base_kwargs: dict[str, Any] = field(default_factory=dict)


MODELS: dict[str, ModelSpec] = {
    # ch. 5 train_neuralnet.py: hidden 50, SGD lr 0.1, batch 100, 10,000 iterations
    # (~17 epochs of 60,000); here 17 epochs of the 4,000-digit subset = 680 iterations.
    "two_layer_net": ModelSpec(
        TwoLayerNet,
        "ch. 4/5",
        False,
        "hidden_size",
        {"optimizer": "sgd", "lr": 0.1, "batch_size": 100, "epochs": 17},
        frozenset({"weight_init"}),
    ),
    "multi_layer_net": ModelSpec(
        MultiLayerNet,
        "ch. 6",
        False,
        "hidden_size_list",
        {"optimizer": "sgd", "lr": 0.1, "batch_size": 100, "epochs": 17},
        frozenset({"weight_init", "weight_decay"}),
    ),
    "multi_layer_net_extend": ModelSpec(
        MultiLayerNetExtend,
        "ch. 6",
        False,
        "hidden_size_list",
        {"optimizer": "sgd", "lr": 0.1, "batch_size": 100, "epochs": 17},
        frozenset({"weight_init", "weight_decay", "dropout", "batchnorm"}),
    ),
    # ch. 7 train_convnet.py: 20 epochs, batch 100, Adam lr 0.001, train accuracy per epoch
    # on 1,000 samples.
    "simple_conv_net": ModelSpec(
        SimpleConvNet,
        "ch. 7",
        True,
        "hidden_size",
        {"optimizer": "adam", "lr": 0.001, "batch_size": 100, "epochs": 20, "eval_samples": 1000},
        frozenset({"weight_init"}),
    ),
    # ch. 8 train_deepnet.py: the same schedule as ch. 7.
    "deep_conv_net": ModelSpec(
        DeepConvNet,
        "ch. 8",
        True,
        "hidden_size",
        {"optimizer": "adam", "lr": 0.001, "batch_size": 100, "epochs": 20, "eval_samples": 1000},
        frozenset({"dropout"}),
    ),
    # Not in the book: its recurrent counterpart (the rows of a digit as a sequence), batch
    # 128 as TF1's MNIST-LSTM tutorials; Adam at 5e-3 (their 1e-3 needs ~3x the epochs on the
    # 4,000-digit subset): ~0.93 test accuracy after 8 epochs.
    "lstm": ModelSpec(
        LSTMClassifier,
        "RNN",
        False,
        "hidden_size",
        {"optimizer": "adam", "lr": 0.005, "batch_size": 128, "epochs": 8},
        frozenset({"weight_init"}),
    ),
}

# The book's optimizers (common/optimizer.py) with the book's default learning rates.
OPTIMIZERS: dict[str, tuple[str, float]] = {
    "sgd": ("SGD", 0.01),
    "momentum": ("Momentum", 0.01),
    "adagrad": ("AdaGrad", 0.01),
    "rmsprop": ("RMSprop", 0.01),
    "adam": ("Adam", 0.001),
}


def model_spec(name: str) -> ModelSpec:
    """The ModelSpec called `name`.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.
    """
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(MODELS)}") from None


def build_model(name: str, kwargs: dict[str, Any], dtype: Any = tf.float32) -> Any:
    """The model `name` built into the default graph with constructor arguments `kwargs`.

    Raises:
        tf.errors.InvalidArgumentError: `kwargs` is not an object of arguments the model takes
            (e.g. a run.json edited by hand), naming the model and the arguments.
    """
    spec = model_spec(name)
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        raise tf.errors.InvalidArgumentError(
            None,
            None,
            f"{name}: model_kwargs must be an object of constructor arguments; got "
            f"{kwargs!r:.120}.",
        )
    try:
        return spec.cls(**{**spec.base_kwargs, **kwargs}, dtype=dtype)
    except tf.errors.OpError:
        raise
    except (TypeError, ValueError, OverflowError, MemoryError) as e:
        # NOTE: the constructor's own words say which argument; the traceback adds nothing.
        raise tf.errors.InvalidArgumentError(
            None,
            None,
            f"{name}: cannot build the model with model_kwargs {kwargs!r:.200}: "
            f"{type(e).__name__}: {e}",
        ) from None


def make_optimizer(name: str, lr: float | None = None) -> Any:
    """The book's optimizer `name` (sgd, momentum, adagrad, rmsprop, adam) with learning rate
    `lr` (the book's default when None)."""
    try:
        cls_name, default_lr = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {name!r}; choose from: {', '.join(OPTIMIZERS)}"
        ) from None
    return getattr(tf.train.book, cls_name)(lr=default_lr if lr is None else lr)


def training_feed(net: Any) -> dict[Any, Any]:
    """The extra feed for a training step: the book's `train_flg=True` where the net has one."""
    training = getattr(net, "training", None)
    return {} if training is None else {training: True}


# ---------------------------------------------------------------------------------------------
# Data


@dataclass
class Data:
    """MNIST as the models take it: float32 images in [0, 1], int32 labels."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    source: Any  # flowzero.datasets.mnist.Source

    def for_model(self, image_input: bool) -> Data:
        """Images as (N, 28, 28, 1) for the conv nets, (N, 784) otherwise."""
        if not image_input:
            return self
        return Data(
            self.x_train.reshape(-1, 28, 28, 1),
            self.t_train,
            self.x_test.reshape(-1, 28, 28, 1),
            self.t_test,
            self.source,
        )

    def take_train(self, n: int) -> Data:
        """The first `n` training samples (the book's overfitting and batch-norm runs)."""
        return Data(self.x_train[:n], self.t_train[:n], self.x_test, self.t_test, self.source)

    def source_info(self) -> dict[str, Any]:
        s = self.source
        return {
            "name": s.name,
            "location": s.location,
            "n_train": s.n_train,
            "n_test": s.n_test,
            "reason": s.reason,
        }


def check_data_spec(spec: str) -> str:
    """`spec` when it names a data source; raises ValueError for a path that does not exist."""
    if spec in ("auto", "subset", "full"):
        return spec
    if not os.path.isdir(spec):
        what = "is not a directory" if os.path.exists(spec) else "does not exist"
        raise ValueError(
            f"data directory {spec!r} {what}; use 'auto', 'subset', 'full' or a "
            "directory holding the four MNIST .gz files (see docs/data.md)"
        )
    return spec


def load_data(spec: str = "auto") -> Data:
    """MNIST for a `--data` spec: "auto" (full MNIST if it is in the data directory, else the
    bundled subset), "subset", "full" (downloads when missing), or a directory holding the four
    standard .gz files (never downloads into it)."""
    spec = check_data_spec(spec)
    if spec in ("auto", "subset", "full"):
        arrays = mnist.load_mnist(source=spec, with_source=True)
    else:
        arrays = mnist.load_mnist(source="full", data_dir=spec, download=False, with_source=True)
    (x, t), (xt, tt), source = arrays
    return Data(x, t.astype(np.int32), xt, tt.astype(np.int32), source)
