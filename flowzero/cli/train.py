"""`flowzero train`: one of the book's networks on MNIST, with a progress bar, a checkpoint,
a metrics file, the training-curve figure and TensorBoard logs.

What a run writes into --out DIR:

    DIR/checkpoints/model.ckpt-<step>.*   tf.train.Saver checkpoints (+ the `checkpoint` file)
    DIR/checkpoints/run.json              the model's name and constructor arguments, so
                                          `flowzero eval --checkpoint DIR` can rebuild it
    DIR/metrics.json                      per-epoch accuracies, the loss curve, wall time, ...
    DIR/training_curve.png                the book's accuracy-per-epoch figure
    DIR/logs/events.out.tfevents.*        TensorBoard: epoch scalars, weight histograms, graph
    DIR/checkpoints/train_state-<step>.json   beside each checkpoint: the sampler's random
                                          state, epoch records and losses (for --resume)

Ctrl-C stops after the current step, saves a checkpoint and the metrics, and exits with 130.

A directory that already holds a run is never mixed with a new one: the command refuses unless
--resume (continue from the latest checkpoint, exactly as if never stopped) or --overwrite
(remove that run's files, and only those) says what to do (flowzero.cli.rundir).

Under `mpirun -np N flowzero train ...` (flowzero.distributed) the same command trains
data-parallel: every rank builds the same graph with a DistributedOptimizer (gradients averaged
each step), starts from rank 0's initial weights, and trains on its own disjoint shard of every
epoch with --batch-size samples per step (a global batch of N x --batch-size; an epoch is
train size // (N x batch) steps). Losses and accuracies are averaged across ranks; only rank 0
prints, draws, logs to TensorBoard and writes checkpoints, run.json and metrics.json. The
learning rate is not scaled (docs/distributed.md).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import flowzero as tf
from flowzero.book import plots
from flowzero.book.trainer import Trainer, accuracy, distributed_accuracy
from flowzero.book.zoo import (
    MODELS,
    OPTIMIZERS,
    Data,
    build_model,
    load_data,
    make_optimizer,
)
from flowzero.cli.common import (
    DEFAULT_MODEL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CLIError,
    add_model_arguments,
    add_threads_argument,
    data_line,
    data_spec,
    ensure_dir,
    model_kwargs,
    non_negative_int,
    note,
    optimizer_names,
    positive_float,
    positive_int,
    say,
    write_json,
)
from flowzero.cli.progress import Board, ConsoleHooks, StopOnSigint, progress_bar_class
from flowzero.cli.rundir import (
    CHECKPOINT_DIR,
    CHECKPOINT_NAME,
    LOG_DIR,
    METRICS_FILE,
    PLOT_FILE,
    RUN_FILE,
    Resume,
    adopt,
    clear_run,
    fill_defaults,
    load_resume,
    refuse_to_mix,
    restore,
    save_state,
)

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_NAME",
    "LOG_DIR",
    "METRICS_FILE",
    "PLOT_FILE",
    "RUN_FILE",
    "add_parser",
    "load",
    "run",
]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train one of the book's networks on MNIST",
        description="Train one of the book's networks on MNIST (the bundled 4,000/1,000 "
        "subset unless full MNIST is in the data directory). Writes a checkpoint, "
        "metrics.json, training_curve.png and TensorBoard logs into --out. "
        "Unset options take the model's defaults (the book's settings, scaled to "
        "the subset); see docs/cli.md.",
    )
    add_model_arguments(p)
    p.add_argument(
        "--optimizer",
        choices=optimizer_names(),
        default=None,
        help="the book's optimizer (default: the model's, e.g. sgd for "
        "two_layer_net, adam for the conv nets)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="learning rate (default: the model's with its optimizer, else the "
        "book's default for the optimizer)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        metavar="N",
        help="mini-batch size (default: 100); under mpirun, per rank",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        metavar="N",
        help="epochs of ceil(train size / batch size) random mini-batches "
        "(default: 17 for the fully connected nets, 20 for the conv nets)",
    )
    length.add_argument(
        "--iters",
        type=positive_int,
        default=None,
        metavar="N",
        help="train for N steps instead of whole epochs",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seeds the initial weights and the mini-batch sampling (default: 0)",
    )
    p.add_argument(
        "--data",
        type=data_spec,
        default=None,
        metavar="auto|subset|full|PATH",
        help="MNIST: 'auto' (full if present in the data directory, else the bundled "
        "subset), 'subset', 'full' (downloads), or a directory holding the four "
        "MNIST .gz files (default: auto)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output directory (default: runs/<model>); one that holds a run "
        "needs --resume or --overwrite",
    )
    again = p.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its latest checkpoint: its "
        "settings, step count and mini-batch order; --epochs/--iters may "
        "give a longer total",
    )
    again.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run in --out (removes only the files a run writes)",
    )
    p.add_argument(
        "--save-every",
        type=positive_int,
        default=None,
        metavar="N",
        help="also save a checkpoint every N steps (the last 5 are kept)",
    )
    p.add_argument(
        "--eval-samples",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="measure the per-epoch train accuracy on the first N training samples "
        "(0: all; default: all, 1000 for the conv nets as the book)",
    )
    p.add_argument("--no-plot", action="store_true", help="do not draw training_curve.png")
    p.add_argument("--no-tensorboard", action="store_true", help="do not write TensorBoard logs")
    add_threads_argument(p)
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar or per-epoch lines; just the result"
    )
    # None: not given (--resume then takes the saved run's value); see rundir.fill_defaults.
    p.set_defaults(func=run, parser=p, model=None)


@dataclass
class Settings:
    model: str
    model_kwargs: dict[str, Any]
    optimizer: str
    lr: float
    batch_size: int
    epochs: int | None
    iters: int | None
    seed: int
    data: str
    out: str
    save_every: int | None
    eval_samples: int | None
    plot: bool
    tensorboard: bool
    quiet: bool


def resolve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Settings:
    """The run's settings: the flags given, the model's defaults for the rest."""
    spec = MODELS[args.model]
    d = spec.defaults
    optimizer = args.optimizer or d["optimizer"]
    if args.lr is not None:
        lr = args.lr
    elif optimizer == d["optimizer"]:
        lr = d["lr"]
    else:
        lr = OPTIMIZERS[optimizer][1]
    epochs = args.epochs
    if args.epochs is None and args.iters is None:
        epochs = d["epochs"]
    eval_samples = args.eval_samples if args.eval_samples is not None else d.get("eval_samples")
    return Settings(
        model=args.model,
        model_kwargs=model_kwargs(args, parser),
        optimizer=optimizer,
        lr=lr,
        batch_size=args.batch_size or d["batch_size"],
        epochs=epochs,
        iters=args.iters,
        seed=args.seed,
        data=args.data,
        out=os.path.abspath(args.out or os.path.join("runs", args.model)),
        save_every=args.save_every,
        eval_samples=eval_samples or None,
        plot=not args.no_plot,
        tensorboard=not args.no_tensorboard,
        quiet=args.quiet,
    )


def load(spec: str) -> Data:
    """load_data with its failures as one-line CLI errors."""
    try:
        return load_data(spec)
    except (OSError, ValueError) as exc:  # DataUnavailableError, DataIntegrityError, ...
        raise CLIError(f"cannot load MNIST ({spec}): {exc}") from None


# ---------------------------------------------------------------------------------------------
# The command


def _json_args(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k not in ("func", "parser")}


@dataclass
class Prepared:
    """Everything a run needs once the graph is built."""

    settings: Settings
    data: Data
    net: Any
    trainer: Trainer
    saver: Any
    board: Board | None
    paths: dict[str, str]
    world: int = 1  # MPI ranks (flowzero.distributed); 1: a plain single-process run
    bcast: Any = None  # broadcast_global_variables(0) when world > 1
    resume: Resume | None = None


def run(args: argparse.Namespace) -> int:
    import flowzero.distributed as dist

    parser = args.parser
    # A no-op without a multi-rank launch (mpi4py is then never imported).
    try:
        dist.init()
    except dist.DistributedError as exc:
        raise CLIError(str(exc)) from None
    world = dist.size()
    resume = None
    if args.resume:
        where = os.path.abspath(args.out or os.path.join("runs", args.model or DEFAULT_MODEL))
        resume = load_resume(where)
        saved_kwargs = adopt(args, parser, resume.config, world)
        s = resolve(args, parser)
        s.model_kwargs = saved_kwargs
    else:
        fill_defaults(args)
        s = resolve(args, parser)
    if not dist.is_root():  # only rank 0 prints, draws and logs
        s.quiet, s.plot, s.tensorboard = True, False, False
    spec = MODELS[s.model]
    out = ensure_dir(s.out, parser)
    if dist.is_root() and args.overwrite:
        removed, kept = clear_run(out)
        if removed:
            note(
                f"--overwrite: removed {removed} file(s) of the earlier run in {out}"
                + (
                    f"; {kept} other entr{'y' if kept == 1 else 'ies'} left as they were"
                    if kept
                    else ""
                )
            )
    elif dist.is_root() and resume is None:
        refuse_to_mix(out)
    ckpt_dir = os.path.join(out, CHECKPOINT_DIR)
    paths = {
        "checkpoint_dir": ckpt_dir,
        "metrics": os.path.join(out, METRICS_FILE),
        "plot": os.path.join(out, PLOT_FILE),
        "logdir": os.path.join(out, LOG_DIR),
    }
    started = time.perf_counter()

    data = load(s.data).for_model(spec.image_input)
    say(f"data: {data_line(data.source)}", s.quiet)
    tf.reset_default_graph()
    net = build_model(s.model, s.model_kwargs)
    global_step = tf.train.get_or_create_global_step()
    opt = make_optimizer(s.optimizer, s.lr)
    if world > 1:
        opt = dist.DistributedOptimizer(opt)  # one fused allreduce of the gradients per step
    train_op = opt.minimize(net.loss, global_step=global_step)
    bcast = dist.broadcast_global_variables(0) if world > 1 else None
    board = Board.create(paths["logdir"], net) if s.tensorboard else None
    saver = tf.train.Saver(max_to_keep=5)
    try:
        trainer = Trainer(
            net,
            train_op,
            data,
            s.batch_size,
            epochs=s.epochs,
            iters=s.iters,
            seed=s.seed,
            eval_samples=s.eval_samples,
            distributed=world > 1,
        )
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if resume is not None and resume.iteration >= trainer.total_iters:
        raise CLIError(
            f"--resume: the run in {out} has trained {resume.iteration} of its "
            f"{trainer.total_iters} steps already; give a longer total with --epochs N or "
            f"--iters N (counted from the run's start)",
            EXIT_USAGE,
        )
    config = {
        "format": "flowzero.run",
        "version": 1,
        "model": s.model,
        "model_kwargs": s.model_kwargs,
        "image_input": spec.image_input,
        "optimizer": s.optimizer,
        "lr": s.lr,
        "batch_size": s.batch_size,
        "epochs": s.epochs,
        "iters": s.iters,
        "seed": s.seed,
        "data": s.data,
        "data_source": data.source_info(),
        "checkpoint_name": CHECKPOINT_NAME,
        "flowzero_version": tf.__version__,
    }
    if world > 1:
        config["ranks"] = world
    if dist.is_root():
        try:
            write_json(os.path.join(ckpt_dir, RUN_FILE), config)
        except OSError as exc:
            raise CLIError(_write_error(exc)) from None
    if s.iters is None:
        length = (
            f"{trainer.n_epochs} epochs x {trainer.iters_per_epoch} steps = "
            f"{trainer.total_iters} steps"
        )
    else:
        length = f"{trainer.total_iters} steps (an epoch is {trainer.iters_per_epoch} steps)"
    batch = (
        f"batch {s.batch_size}"
        if world == 1
        else f"{world} ranks x batch {s.batch_size} = {world * s.batch_size}"
    )
    say(f"model: {s.model} {s.model_kwargs}; {s.optimizer} lr {s.lr}, {batch}, {length}", s.quiet)
    if resume is not None:
        done = resume.iteration / trainer.iters_per_epoch
        say(
            f"resuming: {resume.checkpoint} (step {resume.iteration} of "
            f"{trainer.total_iters}, {done:g} of {trainer.n_epochs} epochs done)",
            s.quiet,
        )
    prepared = Prepared(s, data, net, trainer, saver, board, paths, world, bcast, resume)
    # From here to the end, a first Ctrl-C only asks to stop: the checkpoint, the metrics and
    # the plot are still written.
    with StopOnSigint() as stop:
        try:
            return _train_and_report(prepared, stop, args, started)
        except (OSError, tf.errors.ResourceExhaustedError) as exc:  # a full disk, mostly
            raise CLIError(_write_error(exc)) from None


def _write_error(exc: BaseException) -> str:
    """One line for a failed write: what, where, and what to do about a full disk."""
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename!r}" if exc.filename else exc.strerror
    else:
        text = str(exc)
    hint = " (free some space, or pass --out on another disk)" if "space" in text.lower() else ""
    return f"cannot write the run's files: {text}{hint}"


def _train_and_report(
    p: Prepared, stop: StopOnSigint, args: argparse.Namespace, started: float
) -> int:
    s, data, net, trainer, board, paths = p.settings, p.data, p.net, p.trainer, p.board, p.paths
    saved: dict[str, Any] = {"path": None, "iteration": -1}
    prefix = os.path.join(paths["checkpoint_dir"], CHECKPOINT_NAME)
    root = True
    if p.world > 1:
        import flowzero.distributed as dist

        root = dist.is_root()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if p.resume is not None:
            restore(sess, p.saver, trainer.rng, p.resume)
            saved.update(path=p.resume.checkpoint, iteration=p.resume.iteration)
        if p.bcast is not None:
            sess.run(p.bcast)  # every rank starts from rank 0's weights

        def save(iteration: int) -> None:
            if root:  # the other ranks hold the same weights
                saved["path"] = p.saver.save(sess, prefix, global_step=iteration)
                save_state(
                    paths["checkpoint_dir"],
                    iteration,
                    trainer.rng.bit_generator.state,
                    trainer.result,
                )
            saved["iteration"] = iteration

        if board is not None:
            board.open(sess.graph, purge_from=_purge_from(p.resume, trainer.iters_per_epoch))
        hooks = ConsoleHooks(
            sess,
            stop,
            s.quiet,
            progress_bar_class(s.quiet),
            save,
            s.save_every,
            board,
            trainer.n_epochs,
        )
        try:
            result = trainer.run(sess, hooks, p.resume.result if p.resume else None)
        except KeyboardInterrupt:  # a second Ctrl-C mid-step: save what we have
            hooks.stopped(trainer.result.iterations)
            result = trainer.result
            result.stopped = True
            if p.world > 1:
                # The other ranks may be inside a collective: save here (rank 0) and end the
                # whole job, rather than leave them waiting for the watchdog.
                save(result.iterations)
                dist.abort(
                    f"flowzero train: interrupted (rank {dist.rank()}); the job ends"
                    + (f"; checkpoint: {saved['path']}" if root else ""),
                    EXIT_INTERRUPTED,
                )
        if saved["iteration"] != result.iterations:
            save(result.iterations)
        if p.world > 1:
            test_acc, test_correct = distributed_accuracy(sess, net, data.x_test, data.t_test)
        else:
            test_acc, test_correct = accuracy(sess, net, data.x_test, data.t_test)
        if board is not None:
            board.close()
    interrupted = result.stopped or stop.requested
    if p.world > 1:  # one exit status for the whole job
        interrupted = dist.average_metrics(float(interrupted)) > 0
        if not root:
            return EXIT_INTERRUPTED if interrupted or stop.requested else 0
    wall = time.perf_counter() - started

    epochs = result.epochs
    plot_path = None
    if s.plot:
        try:
            plot_path = plots.accuracy_curve(
                paths["plot"],
                [r.train_acc for r in epochs],
                [r.test_acc for r in epochs],
                title=f"{s.model} on MNIST {data.source.name}",
                epochs=[r.epoch for r in epochs],
            )
        except plots.MissingPlotting as exc:
            note(f"plot skipped: {exc}")
    metrics = {
        "format": "flowzero.metrics",
        "version": 1,
        "model": s.model,
        "model_kwargs": s.model_kwargs,
        "optimizer": s.optimizer,
        "lr": s.lr,
        "batch_size": s.batch_size,
        "seed": s.seed,
        "iters_per_epoch": trainer.iters_per_epoch,
        "planned_iterations": trainer.total_iters,
        "iterations": result.iterations,
        "interrupted": interrupted,
        "data": {"spec": s.data, "source": data.source_info()},
        "epochs": [asdict(r) for r in epochs],
        "train_acc": [r.train_acc for r in epochs],
        "test_acc": [r.test_acc for r in epochs],
        "loss": result.losses,
        "final": {
            "test_acc": test_acc,
            "test_correct": test_correct,
            "test_total": len(data.t_test),
            "train_acc": epochs[-1].train_acc if epochs else None,
        },
        "wall_time_s": wall,
        "train_time_s": result.seconds,
        "resumed_from": p.resume.iteration if p.resume else None,
        "checkpoint": saved["path"],
        "plot": plot_path,
        "logdir": paths["logdir"] if board is not None else None,
        "args": _json_args(args),
        "flowzero_version": tf.__version__,
    }
    if p.world > 1:
        metrics["ranks"] = p.world
        metrics["global_batch_size"] = p.world * s.batch_size
    write_json(paths["metrics"], metrics)

    if interrupted:
        say(f"interrupted after {result.iterations} of {trainer.total_iters} steps")
    say(
        f"test accuracy: {test_acc:.4f} ({test_correct}/{len(data.t_test)}, MNIST "
        f"{data.source.name}) after {result.iterations} steps in {wall:.1f} s"
    )
    say(f"checkpoint:  {saved['path']}")
    say(f"metrics:     {paths['metrics']}")
    if plot_path:
        say(f"plot:        {plot_path}")
    if board is not None:
        say(f"tensorboard: tensorboard --logdir {paths['logdir']}")
    return EXIT_INTERRUPTED if interrupted or stop.requested else 0


def _purge_from(resume: Resume | None, iters_per_epoch: int) -> int | None:
    """The first step whose TensorBoard records a resumed run writes anew: the step after its
    checkpoint, or the checkpoint's own step when that ended an epoch cut short (--iters)."""
    if resume is None:
        return None
    return resume.iteration + (0 if resume.iteration % iters_per_epoch else 1)
