"""Figures in the book's style, drawn with matplotlib's Agg backend (no display needed).

matplotlib is optional: it is imported when a figure is drawn, and every function here returns
None with a reason in `MissingPlotting` when it is not installed, so callers print one line
instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

INSTALL_HINT = "pip install matplotlib"


class MissingPlotting(RuntimeError):
    """matplotlib is not installed (or cannot be imported)."""


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except Exception as exc:  # ImportError, or a broken install
        raise MissingPlotting(f"matplotlib is not available ({exc}); {INSTALL_HINT}") from None
    return plt


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _save(fig: Any, path: str) -> str:
    # Write beside the target, then rename: a reader never sees half a PNG.
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}.png"
    try:
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def smooth_curve(x: Sequence[float]) -> np.ndarray:
    """The book's smooth_curve (common/util.py): a Kaiser-window moving average of width 11,
    used for its loss plots."""
    x = np.asarray(x, dtype=np.float64)
    window_len = 11
    if len(x) < window_len:
        return x
    s = np.r_[x[window_len - 1 : 0 : -1], x, x[-1:-window_len:-1]]
    w = np.kaiser(window_len, 2)
    y = np.convolve(w / w.sum(), s, mode="valid")
    return y[5 : len(y) - 5]


def _accuracy_axes(ax: Any, x: Any, train: Sequence[float], test: Sequence[float]) -> None:
    """The book's accuracy axes: train 'o' solid, test 's' dashed, y 0-1, legend lower right."""
    every = max(len(x) // 20, 1)
    ax.plot(x, train, marker="o", label="train", markevery=every)
    ax.plot(x, test, marker="s", label="test", markevery=every, linestyle="--")
    ax.set_xlabel("epochs")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.0)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.legend(loc="lower right")


def accuracy_curve(
    path: str,
    train_acc: Sequence[float],
    test_acc: Sequence[float],
    title: str | None = None,
    epochs: Sequence[int] | None = None,
) -> str:
    """The book's accuracy figure (ch. 5/6/7): train and test accuracy per epoch, markers 'o'
    and 's', x "epochs", y "accuracy", y from 0 to 1, legend lower right."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    x = np.arange(len(train_acc)) if epochs is None else np.asarray(epochs)
    _accuracy_axes(ax, x, train_acc, test_acc)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def loss_curves(
    path: str,
    curves: dict[str, Sequence[float]],
    title: str | None = None,
    ylim: tuple[float, float] | None = (0, 1),
) -> str:
    """The book's ch. 6 comparison figure: smoothed training loss per iteration, one line per
    run (markers 'o', 'x', 's', 'D' every 100 iterations as the book)."""
    plt = _pyplot()
    markers = ["o", "x", "s", "D", "^", "v"]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for i, (label, losses) in enumerate(curves.items()):
        y = smooth_curve(losses)
        ax.plot(
            np.arange(len(y)),
            y,
            marker=markers[i % len(markers)],
            markevery=max(len(y) // 20, 1),
            label=label,
        )
    ax.set_xlabel("iterations")
    ax.set_ylabel("loss")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def accuracy_grid(path: str, panels: list[dict[str, Any]], title: str | None = None) -> str:
    """The book's batch-norm figure (ch. 6 batch_norm_test.py): one small panel per weight
    scale, train accuracy per epoch with and without batch norm.

    Each panel: {"title": str, "curves": {label: [acc per epoch]}}.
    """
    plt = _pyplot()
    n = len(panels)
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    styles = ["-", "--"]
    for k, panel in enumerate(panels):
        ax = axes[k // cols][k % cols]
        for j, (label, acc) in enumerate(panel["curves"].items()):
            ax.plot(np.arange(len(acc)), acc, linestyle=styles[j % 2], label=label, markevery=2)
        ax.set_title(panel["title"], fontsize=9)
        ax.set_ylim(0, 1.0)
        if k % cols == 0:
            ax.set_ylabel("accuracy")
        if k // cols == rows - 1:
            ax.set_xlabel("epochs")
        if k == 0:
            ax.legend(loc="lower right", fontsize=7)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def multi_accuracy(
    path: str, curves: dict[str, tuple[Sequence[float], Sequence[float]]], title: str | None = None
) -> str:
    """Train (solid, 'o') and test (dashed, 's') accuracy per epoch for several runs in one
    figure (the book's overfitting / weight-decay / dropout plots, side by side)."""
    plt = _pyplot()
    n = len(curves)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2), squeeze=False)
    for ax, (label, (train, test)) in zip(axes[0], curves.items()):
        _accuracy_axes(ax, np.arange(len(train)), train, test)
        ax.set_title(label, fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
