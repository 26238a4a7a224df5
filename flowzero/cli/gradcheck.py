"""`flowzero gradcheck`: the book's gradient check (ch. 5 gradient_check.py) for any model.

The model is built in float64, the loss on 3 real MNIST training images is differentiated by
backprop (tf.gradients) and by central differences (eps 1e-4, the book's numerical_gradient),
and for each parameter the mean |backprop - numerical| is printed as the book prints it:

    W1:2.6e-13
    b1:9.5e-13

Numerical differences need two forward passes per weight, so large parameters are checked on
a seeded random sample of entries (--max-entries; every entry of two_layer_net by default, as
the book). Dropout is off (it would make the loss random); batch norm runs in training mode.

NOTE: the conv nets' biases start at zero, so on the blank margins of a real digit a
convolution's output is exactly 0, where ReLU has a kink and no derivative: central differences
there give 0.5, backprop 0 or 1, and the check fails for b1 by ~1e-3 although the gradients
are right. For those models the check runs at seeded random biases of magnitude 0.02-0.1 (fed
through the variables' read tensors), away from the kinks. (The book's ch. 7 check sidesteps
this with random, non-zero inputs.) Their step is also smaller, 1e-6: with the book's
1e-4 and first-layer weights of std 0.01, a step moves a few units across a ReLU or max-pool
switch and those entries' differences reach 1e-4, while at 1e-6 all agree to ~1e-10.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import flowzero as tf
from flowzero.book.zoo import MODELS, build_model
from flowzero.cli.common import (
    EXIT_ERROR,
    add_model_arguments,
    add_threads_argument,
    data_spec,
    model_kwargs,
    non_negative_int,
    positive_float,
    say,
)
from flowzero.cli.train import load

# Entries per parameter checked by default: all for the book's own check, a sample elsewhere.
DEFAULT_MAX_ENTRIES = {
    "two_layer_net": 0,
    "multi_layer_net": 1000,
    "multi_layer_net_extend": 1000,
    "simple_conv_net": 100,
    "deep_conv_net": 25,
}
N_IMAGES = 3
BOOK_EPS = 1e-4
CONV_EPS = 1e-6


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gradcheck",
        help="the book's gradient check: backprop vs numerical gradients",
        description="Compare backprop gradients with central differences on 3 real MNIST "
        "images in float64; print the mean |difference| per parameter, as the "
        "book's gradient_check.py. Exit status 1 when one exceeds --tol.",
    )
    add_model_arguments(p, training_flags=False)
    p.add_argument(
        "--max-entries",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="check at most N entries of each parameter, sampled with --seed "
        "(0: all; default: all for two_layer_net, 100-1000 for larger models)",
    )
    p.add_argument(
        "--eps",
        type=positive_float,
        default=None,
        help="central-difference step (default: 1e-4, the book's h; 1e-6 for the conv nets)",
    )
    p.add_argument(
        "--tol",
        type=positive_float,
        default=1e-6,
        help="largest acceptable mean |difference| (default: 1e-6)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="initial weights and entry sampling (default: 0)"
    )
    add_threads_argument(p)
    p.add_argument(
        "--data",
        type=data_spec,
        default="subset",
        metavar="auto|subset|full|PATH",
        help="where the 3 images come from (default: subset)",
    )
    p.set_defaults(func=run, parser=p)


def run(args: argparse.Namespace) -> int:
    kwargs = model_kwargs(args, args.parser)
    spec = MODELS[args.model]
    data = load(args.data).for_model(spec.image_input)
    max_entries = DEFAULT_MAX_ENTRIES[args.model] if args.max_entries is None else args.max_entries
    eps = args.eps or (CONV_EPS if spec.image_input else BOOK_EPS)

    tf.reset_default_graph()
    net = build_model(args.model, kwargs, dtype=tf.float64)
    feed: dict[Any, Any] = {
        net.x: data.x_train[:N_IMAGES].astype(np.float64),
        net.t: data.t_train[:N_IMAGES],
    }
    if getattr(net, "training", None) is not None:
        feed[net.training] = bool(kwargs.get("use_batchnorm"))
    names = list(net.params)
    grads = tf.gradients(net.loss, [net.params[k] for k in names])
    rng = np.random.default_rng(args.seed)
    say(
        f"gradient check: {args.model} {kwargs}, float64, {N_IMAGES} images "
        f"({data.source.name} MNIST), eps {eps:g}"
    )
    worst = 0.0
    started = time.perf_counter()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = {k: np.array(sess.run(net.params[k]), dtype=np.float64) for k in names}
        if spec.image_input:
            for k in names:
                if k.startswith("b"):
                    size = values[k].shape
                    values[k] = rng.choice([-1.0, 1.0], size) * rng.uniform(0.02, 0.1, size)
        feed.update({net.params[k].value(): values[k] for k in names})
        backprop = dict(zip(names, sess.run(grads, feed)))
        for name in names:
            read = net.params[name].value()
            w = values[name].copy()
            flat = w.reshape(-1)  # a view: perturbing it perturbs w
            if max_entries and flat.size > max_entries:
                idx = np.sort(rng.choice(flat.size, max_entries, replace=False))
            else:
                idx = np.arange(flat.size)
            numerical = np.empty(len(idx))
            for k, i in enumerate(idx):
                orig = flat[i]
                flat[i] = orig + eps
                f_plus = sess.run(net.loss, {**feed, read: w})
                flat[i] = orig - eps
                f_minus = sess.run(net.loss, {**feed, read: w})
                flat[i] = orig
                numerical[k] = (f_plus - f_minus) / (2 * eps)
            diff = float(np.mean(np.abs(backprop[name].reshape(-1)[idx] - numerical)))
            worst = max(worst, diff)
            sampled = f"  ({len(idx)} of {flat.size} entries)" if len(idx) < flat.size else ""
            say(f"{name}:{diff:.1e}{sampled}")
    ok = worst < args.tol
    say(
        f"{'ok' if ok else 'FAILED'}: largest mean |backprop - numerical| = {worst:.1e} "
        f"({'<' if ok else '>='} {args.tol:g}) in {time.perf_counter() - started:.1f} s"
    )
    return 0 if ok else EXIT_ERROR
