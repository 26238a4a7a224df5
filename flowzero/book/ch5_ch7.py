"""The book's training runs of ch. 5 (TwoLayerNet, train_neuralnet.py) and ch. 7
(SimpleConvNet, train_convnet.py), with the book's settings and seeded batches."""

from __future__ import annotations

from flowzero.book import plots
from flowzero.book.common import Log, Record, fit
from flowzero.book.zoo import MODELS, Data


def ch5_train(data: Data, quick: bool, seed: int, log: Log) -> Record:
    d = MODELS["two_layer_net"].defaults
    settings = {
        "model": "two_layer_net",
        "hidden_size": 50,
        "weight_init_std": 0.01,
        "optimizer": "sgd",
        "lr": d["lr"],
        "batch_size": d["batch_size"],
        "epochs": None if quick else d["epochs"],
        "iters": 20 if quick else None,
        "sampling": "random mini-batches with replacement (the book's np.random.choice)",
    }
    run = fit(
        "TwoLayerNet",
        "two_layer_net",
        {"hidden_size": 50, "weight_init_std": 0.01, "seed": seed},
        data,
        optimizer="sgd",
        lr=d["lr"],
        batch_size=d["batch_size"],
        epochs=settings["epochs"],
        iters=settings["iters"],
        seed=seed,
        log=log,
    )
    rec = Record(
        "ch5-train",
        "ch. 5: TwoLayerNet trained with backprop (train_neuralnet.py)",
        "Full MNIST (60,000 train), 10,000 iterations (~17 epochs): train 0.9796, "
        "test 0.9712 at the end; train and test curves stay together (no overfitting).",
        settings,
        {"TwoLayerNet": run.as_dict(losses=True)},
    )
    title = f"ch. 5 TwoLayerNet, MNIST {data.source.name}"
    rec.draw = lambda path: plots.accuracy_curve(path, run.train_curve, run.test_curve, title=title)
    return rec


def ch7_convnet(data: Data, quick: bool, seed: int, log: Log) -> Record:
    d = MODELS["simple_conv_net"].defaults
    settings = {
        "model": "simple_conv_net",
        "filter_num": 30,
        "filter_size": 5,
        "hidden_size": 100,
        "weight_init_std": 0.01,
        "optimizer": "adam",
        "lr": d["lr"],
        "batch_size": d["batch_size"],
        "epochs": None if quick else d["epochs"],
        "iters": 5 if quick else None,
        "eval_samples": d["eval_samples"],
    }
    run = fit(
        "SimpleConvNet",
        "simple_conv_net",
        {"hidden_size": 100, "seed": seed},
        data,
        optimizer="adam",
        lr=d["lr"],
        batch_size=d["batch_size"],
        epochs=settings["epochs"],
        iters=settings["iters"],
        seed=seed,
        eval_samples=d["eval_samples"],
        log=log,
    )
    rec = Record(
        "ch7-convnet",
        "ch. 7: SimpleConvNet (train_convnet.py)",
        "Full MNIST, 20 epochs, Adam lr 0.001: test accuracy ~0.989.",
        settings,
        {"SimpleConvNet": run.as_dict(losses=True)},
    )
    title = f"ch. 7 SimpleConvNet, MNIST {data.source.name}"
    rec.draw = lambda path: plots.accuracy_curve(path, run.train_curve, run.test_curve, title=title)
    return rec
