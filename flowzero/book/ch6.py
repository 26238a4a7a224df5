"""The book's ch. 6 experiments ("Training techniques"), each with the book's network and
settings: optimizer comparison, weight initialisation, batch normalization, overfitting with
weight decay, dropout.

Where the book gives every network its own random initial weights, here every run of one
experiment starts from the same seeded weights and sees the same seeded mini-batches, so the
runs differ only in what the experiment compares.
"""

from __future__ import annotations

import numpy as np

from flowzero.book import plots
from flowzero.book.common import Log, Record, fit
from flowzero.book.zoo import Data

HIDDEN4 = [100, 100, 100, 100]


def _loss_marks(losses: list[float], every: int) -> dict[str, float]:
    """Mean loss over each block of `every` iterations (the book prints one every 100)."""
    out = {}
    for start in range(0, len(losses), every):
        block = losses[start : start + every]
        out[str(start + len(block))] = float(np.mean(block))
    return out


def _loss_summary(losses: list[float], quick: bool) -> dict[str, object]:
    tail = losses[-100:] if len(losses) >= 100 else losses
    return {
        "first_loss": losses[0] if losses else None,
        "final_loss_mean_last_100": float(np.mean(tail)) if tail else None,
        "mean_loss_by_block": {
            "block": 10 if quick else 500,
            "means": _loss_marks(losses, 10 if quick else 500),
        },
    }


def ch6_optimizers(data: Data, quick: bool, seed: int, log: Log) -> Record:
    """optimizer_compare_mnist.py: MultiLayerNet 4x100 (He init, ReLU), batch 128, 2,000
    iterations, SGD / Momentum / AdaGrad (lr 0.01) and Adam (lr 0.001)."""
    iters = 10 if quick else 2000
    runs = {
        "SGD": ("sgd", 0.01),
        "Momentum": ("momentum", 0.01),
        "AdaGrad": ("adagrad", 0.01),
        "Adam": ("adam", 0.001),
    }
    settings = {
        "model": "multi_layer_net",
        "hidden_size_list": HIDDEN4,
        "weight_init_std": "he",
        "batch_size": 128,
        "iters": iters,
        "optimizers": {k: {"name": o, "lr": lr} for k, (o, lr) in runs.items()},
    }
    results, curves = {}, {}
    for label, (opt, lr) in runs.items():
        run = fit(
            label,
            "multi_layer_net",
            {"hidden_size_list": HIDDEN4, "seed": seed},
            data,
            optimizer=opt,
            lr=lr,
            batch_size=128,
            iters=iters,
            seed=seed,
            record_initial=False,
            log=log,
        )
        curves[label] = run.result.losses
        results[label] = {
            **run.summary(),
            **_loss_summary(run.result.losses, quick),
            "loss": run.result.losses,
        }
    rec = Record(
        "ch6-optimizers",
        "ch. 6: SGD vs Momentum vs AdaGrad vs Adam (optimizer_compare_mnist.py)",
        "Full MNIST, 2,000 iterations of batch 128 on a 5-layer net: SGD learns slowest; "
        "Momentum, AdaGrad and Adam much faster, AdaGrad a little ahead.",
        settings,
        results,
    )
    title = f"ch. 6 optimizers, MNIST {data.source.name}"
    rec.draw = lambda path: plots.loss_curves(path, curves, title=title)
    return rec


def ch6_init(data: Data, quick: bool, seed: int, log: Log) -> Record:
    """weight_init_compare.py: MultiLayerNet 4x100 (ReLU) with weight std 0.01, Xavier and He,
    SGD lr 0.01, batch 128, 2,000 iterations."""
    iters = 10 if quick else 2000
    inits = {"std=0.01": 0.01, "Xavier": "xavier", "He": "he"}
    settings = {
        "model": "multi_layer_net",
        "hidden_size_list": HIDDEN4,
        "activation": "relu",
        "optimizer": "sgd",
        "lr": 0.01,
        "batch_size": 128,
        "iters": iters,
        "weight_init_std": inits,
    }
    results, curves = {}, {}
    for label, init in inits.items():
        run = fit(
            label,
            "multi_layer_net",
            {"hidden_size_list": HIDDEN4, "weight_init_std": init, "seed": seed},
            data,
            optimizer="sgd",
            lr=0.01,
            batch_size=128,
            iters=iters,
            seed=seed,
            record_initial=False,
            log=log,
        )
        curves[label] = run.result.losses
        results[label] = {
            **run.summary(),
            **_loss_summary(run.result.losses, quick),
            "loss": run.result.losses,
        }
    rec = Record(
        "ch6-init",
        "ch. 6: weight initialisation, std 0.01 vs Xavier vs He (weight_init_compare.py)",
        "Full MNIST, ReLU net: with std 0.01 the loss stays at ~2.3 (no learning); Xavier and "
        "He learn, He fastest.",
        settings,
        results,
    )
    title = f"ch. 6 weight init (ReLU, SGD), MNIST {data.source.name}"
    rec.draw = lambda path: plots.loss_curves(path, curves, ylim=(0, 2.5), title=title)
    return rec


def ch6_batchnorm(data: Data, quick: bool, seed: int, log: Log) -> Record:
    """batch_norm_test.py: 1,000 training samples, MultiLayerNetExtend 5x100, SGD lr 0.01,
    batch 100, 20 epochs, with and without batch norm, for 16 weight scales from 1 to 1e-4."""
    scales = [1.0, 0.01] if quick else [float(w) for w in np.logspace(0, -4, num=16)]
    epochs = 2 if quick else 20
    small = data.take_train(1000)
    settings = {
        "model": "multi_layer_net_extend",
        "hidden_size_list": [100] * 5,
        "train_samples": 1000,
        "optimizer": "sgd",
        "lr": 0.01,
        "batch_size": 100,
        "epochs": epochs,
        "weight_scales": scales,
    }
    results, panels = [], []
    for k, w in enumerate(scales):
        log(f" weight scale {w:.3g} ({k + 1}/{len(scales)})")
        curves = {}
        row: dict[str, object] = {"weight_init_std": w}
        for label, bn in (("batch norm", True), ("no batch norm", False)):
            # NOTE: without batch norm the largest scales diverge to inf/nan, as in the book;
            # NumPy's overflow warnings say nothing the numbers do not.
            with np.errstate(over="ignore", invalid="ignore"):
                run = fit(
                    label,
                    "multi_layer_net_extend",
                    {
                        "hidden_size_list": [100] * 5,
                        "weight_init_std": w,
                        "use_batchnorm": bn,
                        "seed": seed,
                    },
                    small,
                    optimizer="sgd",
                    lr=0.01,
                    batch_size=100,
                    epochs=epochs,
                    seed=seed,
                    log=log,
                )
            curves[label] = run.train_curve
            key = "bn" if bn else "no_bn"
            row[f"{key}_final_train_acc"] = run.final_train_acc
            row[f"{key}_final_test_acc"] = run.test_acc
            row[f"{key}_train_acc"] = run.train_curve
        results.append(row)
        panels.append({"title": f"W: {w:.3g}", "curves": curves})
    wins = sum(r["bn_final_train_acc"] > r["no_bn_final_train_acc"] for r in results)
    rec = Record(
        "ch6-batchnorm",
        "ch. 6: batch normalization at 16 weight scales (batch_norm_test.py)",
        "1,000 MNIST samples, 20 epochs: with batch norm the training accuracy rises faster "
        "at almost every weight scale; without it, training fails when the scale is too large "
        "or too small.",
        settings,
        {"scales": results, "bn_better_count": int(wins), "n_scales": len(scales)},
    )
    rec.draw = lambda path: plots.accuracy_grid(
        path,
        panels,
        title=f"ch. 6 batch norm (solid) vs none (dashed): train accuracy, "
        f"MNIST {data.source.name}",
    )
    return rec


def _overfit_runs(
    data: Data, epochs: int, seed: int, log: Log, variants: dict[str, tuple[str, dict[str, object]]]
) -> tuple[dict, dict]:
    """Each variant on the first 300 training samples (6x100 net, SGD lr 0.01, batch 100)."""
    small = data.take_train(300)
    results, curves = {}, {}
    for label, (model, extra) in variants.items():
        run = fit(
            label,
            model,
            {"hidden_size_list": [100] * 6, "seed": seed, **extra},
            small,
            optimizer="sgd",
            lr=0.01,
            batch_size=100,
            epochs=epochs,
            seed=seed,
            log=log,
        )
        curves[label] = (run.train_curve, run.test_curve)
        gap = (run.final_train_acc or 0.0) - run.test_acc
        results[label] = {**run.as_dict(), "gap": gap}
    return results, curves


def ch6_overfit(data: Data, quick: bool, seed: int, log: Log) -> Record:
    """overfit.py / overfit_weight_decay.py: 300 training samples, MultiLayerNet 6x100, SGD lr
    0.01, batch 100, 200 epochs; weight decay lambda 0 and 0.1."""
    variants = {
        "no weight decay": ("multi_layer_net", {"weight_decay_lambda": 0.0}),
        "weight decay 0.1": ("multi_layer_net", {"weight_decay_lambda": 0.1}),
    }
    results, curves = _overfit_runs(data, 3 if quick else 200, seed, log, variants)
    settings = {
        "model": "multi_layer_net",
        "hidden_size_list": [100] * 6,
        "train_samples": 300,
        "optimizer": "sgd",
        "lr": 0.01,
        "batch_size": 100,
        "epochs": 3 if quick else 200,
        "weight_decay_lambda": [0.0, 0.1],
    }
    rec = Record(
        "ch6-overfit",
        "ch. 6: overfitting on 300 samples, and weight decay (overfit_weight_decay.py)",
        "Without weight decay the training accuracy reaches ~1.0 while test stays ~0.7-0.75; "
        "with lambda 0.1 the gap narrows (train < 1.0).",
        settings,
        results,
    )
    title = f"ch. 6 overfitting, 300 samples of MNIST {data.source.name}"
    rec.draw = lambda path: plots.multi_accuracy(path, curves, title=title)
    return rec


def ch6_dropout(data: Data, quick: bool, seed: int, log: Log) -> Record:
    """overfit_dropout.py: 300 training samples, MultiLayerNetExtend 6x100 with the book's
    dropout (ratio 0.2), SGD lr 0.01, batch 100, 300 epochs; against the same net without."""
    variants = {
        "no dropout": ("multi_layer_net_extend", {}),
        "dropout 0.2": ("multi_layer_net_extend", {"use_dropout": True, "dropout_ration": 0.2}),
    }
    epochs = 3 if quick else 300
    results, curves = _overfit_runs(data, epochs, seed, log, variants)
    settings = {
        "model": "multi_layer_net_extend",
        "hidden_size_list": [100] * 6,
        "train_samples": 300,
        "optimizer": "sgd",
        "lr": 0.01,
        "batch_size": 100,
        "epochs": epochs,
        "dropout_ration": 0.2,
    }
    rec = Record(
        "ch6-dropout",
        "ch. 6: dropout against overfitting (overfit_dropout.py)",
        "300 samples, dropout ratio 0.2: the gap between train and test accuracy shrinks and "
        "the training accuracy no longer reaches 1.0.",
        settings,
        results,
    )
    title = f"ch. 6 dropout, 300 samples of MNIST {data.source.name}"
    rec.draw = lambda path: plots.multi_accuracy(path, curves, title=title)
    return rec
