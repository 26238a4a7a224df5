"""The book's training loop (common/trainer.py, ch. 5 train_neuralnet.py) for a flowzero graph.

Each step draws a random mini-batch with replacement, as the book's
`np.random.choice(train_size, batch_size)`; an epoch is `ceil(train_size / batch_size)` steps,
after which train and test accuracy are measured. Everything random comes from one seeded
generator, so the same seed gives the same run.

The loop knows nothing about progress bars, checkpoints or TensorBoard: the caller passes
`Hooks` (the `flowzero train` command adds all three through them).

With `distributed=True` (several MPI ranks, flowzero.distributed; `train_op` from a
DistributedOptimizer) each rank trains on its own shard of every epoch
(`dist.iterate_shard`, `batch_size` samples per rank and step, an epoch is
`dist.steps_per_epoch` steps), and every number the hooks and the result see is the same on all
ranks: step losses averaged across ranks, accuracies over the whole sets (each rank scores its
`dist.shard_range` and the counts are summed), and the stop decision agreed after every step.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from flowzero.book.zoo import Data, training_feed
from flowzero.datasets import random_batch

EVAL_BATCH = 500  # images per forward pass when measuring accuracy (bounds conv memory)


def predict(sess: Any, net: Any, x: np.ndarray, batch: int = EVAL_BATCH) -> np.ndarray:
    """The predicted class of every image in `x` (argmax of the logits), in test mode."""
    out = [
        np.argmax(sess.run(net.logits, {net.x: x[i : i + batch]}), axis=1)
        for i in range(0, len(x), batch)
    ]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def accuracy(sess: Any, net: Any, x: np.ndarray, t: np.ndarray) -> tuple[float, int]:
    """(fraction correct, number correct) of the predictions for `x` against labels `t`."""
    correct = int(np.sum(predict(sess, net, x) == t))
    return (correct / len(t) if len(t) else 0.0), correct


def distributed_accuracy(sess: Any, net: Any, x: np.ndarray, t: np.ndarray) -> tuple[float, int]:
    """`accuracy` over all of `x`, with the work split across MPI ranks: each rank scores its
    `dist.shard_range` and the correct counts are summed (a collective: call it on every rank).
    Gives exactly what `accuracy` gives in one process."""
    import flowzero.distributed as dist

    part = dist.shard_range(len(t))
    _, local = accuracy(sess, net, x[part], t[part])
    # The mean of integer counts over ranks, times the number of ranks: their exact sum.
    correct = int(round(dist.average_metrics(float(local)) * dist.size()))
    return (correct / len(t) if len(t) else 0.0), correct


@dataclass
class EpochRecord:
    """Accuracies after `epoch` (0: the initial weights) at `iteration`; `loss` is the mean
    training loss over the epoch's steps (None for epoch 0)."""

    epoch: int
    iteration: int
    loss: float | None
    train_acc: float
    test_acc: float
    seconds: float


@dataclass
class TrainResult:
    epochs: list[EpochRecord] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)  # one per step
    iterations: int = 0
    stopped: bool = False  # True when Hooks.should_stop ended the run early
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "epochs": [asdict(r) for r in self.epochs],
            "losses": self.losses,
            "iterations": self.iterations,
            "stopped": self.stopped,
            "seconds": self.seconds,
        }


class Hooks:
    """Callbacks of `Trainer.run`; the defaults do nothing."""

    def epoch_start(self, epoch: int, n_epochs: int, steps: int) -> None:
        """Epoch `epoch` of `n_epochs` begins; it will take `steps` steps."""

    def step(self, iteration: int, loss: float, batch_acc: float) -> None:
        """Step `iteration` (1-based, over the whole run) is done."""

    def epoch_end(self, record: EpochRecord) -> None:
        """An epoch ended and was evaluated (also called once for epoch 0)."""

    def stopped(self, iteration: int) -> None:
        """`should_stop` ended the run after `iteration` steps."""

    def should_stop(self) -> bool:
        """Checked before every step; True ends the run there."""
        return False


class Trainer:
    """Trains `net` with `train_op` on `data` (already shaped for the model).

    Args:
        net: a flowzero.models network (x, t, loss, accuracy, logits[, training]).
        train_op: the op one step runs (an optimizer's minimize()).
        data: the training and test sets.
        batch_size: samples per step.
        epochs / iters: how long to train (exactly one of them); with `iters`, the last epoch
            may be shorter than the others.
        seed: seeds the mini-batch sampling.
        eval_samples: measure train accuracy on the first `eval_samples` training samples only
            (the book's ch. 7 Trainer uses 1,000); None: all of them. Test accuracy always uses
            the whole test set.
        record_initial: evaluate the initial weights as epoch 0 (as the book's loops, which
            also measure before the first epoch ends).
        distributed: data-parallel over the ranks of flowzero.distributed (see the module
            docstring); False (default): one process, the book's sampling with replacement.
    """

    def __init__(
        self,
        net: Any,
        train_op: Any,
        data: Data,
        batch_size: int,
        *,
        epochs: int | None = None,
        iters: int | None = None,
        seed: int = 0,
        eval_samples: int | None = None,
        record_initial: bool = True,
        distributed: bool = False,
    ) -> None:
        if (epochs is None) == (iters is None):
            raise ValueError("give exactly one of epochs and iters")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive; got {batch_size}")
        self.net, self.train_op, self.data = net, train_op, data
        self.batch_size = batch_size
        self.distributed = distributed
        self.seed = seed
        if distributed:
            import flowzero.distributed as dist

            self.iters_per_epoch = dist.steps_per_epoch(len(data.x_train), batch_size)
            if self.iters_per_epoch == 0:
                raise ValueError(
                    f"{len(data.x_train)} training samples do not fill one global batch of "
                    f"{batch_size} x {dist.size()} ranks; use a smaller batch size"
                )
        else:
            self.iters_per_epoch = max(math.ceil(len(data.x_train) / batch_size), 1)
        self.total_iters = iters if iters is not None else epochs * self.iters_per_epoch
        if self.total_iters < 0:
            raise ValueError(f"the number of steps must not be negative; got {self.total_iters}")
        self.n_epochs = math.ceil(self.total_iters / self.iters_per_epoch)
        self.rng = np.random.default_rng(seed)
        self.eval_samples = eval_samples
        self.record_initial = record_initial
        self._feed_extra = training_feed(net)
        self.result = TrainResult()

    def evaluate(
        self, sess: Any, epoch: int, iteration: int, loss: float | None, started: float
    ) -> EpochRecord:
        d = self.data
        n = len(d.x_train) if self.eval_samples is None else self.eval_samples
        score = distributed_accuracy if self.distributed else accuracy
        train_acc, _ = score(sess, self.net, d.x_train[:n], d.t_train[:n])
        test_acc, _ = score(sess, self.net, d.x_test, d.t_test)
        return EpochRecord(
            epoch, iteration, loss, train_acc, test_acc, time.perf_counter() - started
        )

    def run(
        self, sess: Any, hooks: Hooks | None = None, resume: TrainResult | None = None
    ) -> TrainResult:
        """Runs the whole schedule in `sess` (variables already initialised).

        With `resume` (the result of an earlier run of the same schedule up to its
        `iterations`, whose variables `sess` holds and whose sampler state `self.rng` has) the
        run goes on from the step after it: the epoch count, the epoch records and the losses
        continue, and an epoch cut short is finished.
        """
        hooks = hooks or Hooks()
        net, d, ipe = self.net, self.data, self.iters_per_epoch
        fetches = [net.loss, net.accuracy, self.train_op]
        # Kept on self and updated after every step, so a caller that catches an exception
        # (a second Ctrl-C) still knows how far the run got.
        result = self.result = TrainResult()
        t0 = time.perf_counter()
        it = 0
        if resume is not None:
            it = result.iterations = resume.iterations
            result.epochs, result.losses = list(resume.epochs), list(resume.losses[:it])
            if it % ipe and result.epochs and result.epochs[-1].iteration == it:
                result.epochs.pop()  # a run cut short mid-epoch (--iters): that epoch goes on
        elif self.record_initial:
            record = self.evaluate(sess, 0, 0, None, t0)
            result.epochs.append(record)
            hooks.epoch_end(record)
        stop_agreed = False  # distributed: the ranks' joint stop decision after the last step
        for epoch in range(it // ipe + 1, self.n_epochs + 1):
            started = time.perf_counter()
            first = (epoch - 1) * ipe  # steps before this epoch
            steps = min(epoch * ipe, self.total_iters) - it
            if steps <= 0:  # a resumed run that had already finished
                break
            hooks.epoch_start(epoch, self.n_epochs, steps)
            batches = self._shard(epoch, it - first) if self.distributed else None
            for _ in range(steps):
                if stop_agreed if self.distributed else hooks.should_stop():
                    result.stopped = True
                    break
                if batches is not None:
                    xb, tb = next(batches)
                else:
                    xb, tb = random_batch(
                        d.x_train, d.t_train, self.batch_size, self.rng, replace=True
                    )
                loss, acc, _ = sess.run(fetches, {net.x: xb, net.t: tb, **self._feed_extra})
                if self.distributed:
                    loss, acc, stop_agreed = self._agree(loss, acc, hooks.should_stop())
                it += 1
                result.losses.append(float(loss))
                result.iterations = it
                hooks.step(it, float(loss), float(acc))
            if result.stopped:
                hooks.stopped(it)
                break
            epoch_losses = result.losses[first:it]
            mean_loss = float(np.mean(epoch_losses)) if epoch_losses else None
            record = self.evaluate(sess, epoch, it, mean_loss, started)
            result.epochs.append(record)
            hooks.epoch_end(record)
        result.seconds = time.perf_counter() - t0
        return result

    def _shard(self, epoch: int, skip: int = 0) -> Any:
        """This rank's batches of `epoch` (1-based here; 0-based for dist.iterate_shard),
        without the first `skip` (already trained on before a resume)."""
        import itertools

        import flowzero.distributed as dist

        d = self.data
        batches = dist.iterate_shard(d.x_train, d.t_train, self.batch_size, epoch - 1, self.seed)
        return itertools.islice(batches, skip, None)

    @staticmethod
    def _agree(loss: float, acc: float, stop: bool) -> tuple[float, float, bool]:
        """One collective per step: the loss and batch accuracy averaged over the ranks, and
        whether any rank wants to stop (so that all ranks stop after the same step)."""
        import flowzero.distributed as dist

        loss, acc, stop_any = dist.average_metrics([float(loss), float(acc), float(stop)])
        return loss, acc, stop_any > 0
