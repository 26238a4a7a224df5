"""What `flowzero train` adds around the training loop: Ctrl-C handling, the progress bar or
per-epoch lines, periodic checkpoints and TensorBoard logging (all through Trainer's Hooks)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import flowzero as tf
from flowzero.book.trainer import EpochRecord, Hooks
from flowzero.cli.common import note, say


class StopOnSigint:
    """The first Ctrl-C asks the run to stop after the current step (it then saves); a second
    raises KeyboardInterrupt at once."""

    def __init__(self) -> None:
        self.requested = False
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> StopOnSigint:
        # Signal handlers can only be set from the main thread; elsewhere Ctrl-C stays a plain
        # KeyboardInterrupt (which `flowzero train` also answers with a checkpoint).
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(
                signal.SIGINT,
                self._previous if self._previous is not None else signal.default_int_handler,
            )
            self._installed = False

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        note(
            "Ctrl-C: stopping after this step and saving a checkpoint "
            "(press Ctrl-C again to quit at once)"
        )


def progress_bar_class(quiet: bool) -> Any:
    """tqdm's class when a progress bar makes sense (a terminal, tqdm installed), else None."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        note(
            "tqdm is not installed: one line per epoch instead of a progress bar (pip install tqdm)"
        )
        return None
    return tqdm


class Board:
    """TensorBoard logging: epoch scalars and weight histograms as tf.summary ops, the graph."""

    def __init__(self, logdir: str, net: Any) -> None:
        import flowzero.summary  # noqa: F401  (tf.summary)

        self.logdir = logdir
        with tf.name_scope("epoch_values"):
            self.loss = tf.placeholder(tf.float32, [], name="loss")
            self.train_acc = tf.placeholder(tf.float32, [], name="train_accuracy")
            self.test_acc = tf.placeholder(tf.float32, [], name="test_accuracy")
        with tf.name_scope("epoch"):
            loss_summary = tf.summary.scalar("loss", self.loss)
            acc = [
                tf.summary.scalar("train_accuracy", self.train_acc),
                tf.summary.scalar("test_accuracy", self.test_acc),
            ]
        with tf.name_scope("params"):
            hists = [tf.summary.histogram(k, v) for k, v in net.params.items()]
        self.acc_op = tf.summary.merge(acc + hists)
        self.loss_op = loss_summary
        self.writer: Any = None

    @classmethod
    def create(cls, logdir: str, net: Any) -> Board | None:
        """A Board, or None (with a note) when the TensorBoard packages are missing."""
        try:
            import tensorboard.compat.proto.summary_pb2  # noqa: F401
            import tensorboardX  # noqa: F401
        except Exception as exc:  # ImportError, or a broken install
            note(
                f"TensorBoard logs skipped: tensorboard/tensorboardX not available ({exc}); "
                "pip install 'flowzero[tensorboard]'"
            )
            return None
        return cls(logdir, net)

    def open(self, graph: Any, purge_from: int | None = None) -> None:
        """A new event file with the graph. `purge_from` (a resumed run): a SessionLog START
        at that step makes TensorBoard drop what the earlier run logged from there on (TF's
        restart convention; the resumed run logs it again), so the files read as one run. The
        graph is the same as the earlier file's and is not written twice."""
        self.writer = tf.summary.FileWriter(self.logdir, graph if purge_from is None else None)
        if purge_from is not None:
            start = tf.summary.SessionLog(status=tf.summary.SessionLog.START)
            self.writer.add_session_log(start, global_step=purge_from)

    def epoch(self, sess: Any, record: EpochRecord) -> None:
        feed = {self.train_acc: record.train_acc, self.test_acc: record.test_acc}
        fetch = [self.acc_op]
        if record.loss is not None:
            feed[self.loss] = record.loss
            fetch.append(self.loss_op)
        for summary in sess.run(fetch, feed):
            self.writer.add_summary(summary, global_step=record.iteration)
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class ConsoleHooks(Hooks):
    """Progress bar (or plain lines), periodic checkpoints, TensorBoard, Ctrl-C."""

    def __init__(
        self,
        sess: Any,
        stop: StopOnSigint,
        quiet: bool,
        bar_class: Any,
        save: Any,
        save_every: int | None,
        board: Board | None,
        n_epochs: int,
    ) -> None:
        self.sess, self.stop, self.quiet, self.bar_class = sess, stop, quiet, bar_class
        self.save, self.save_every, self.board = save, save_every, board
        self.bar: Any = None
        self.n_epochs = n_epochs
        self._loss_sum = 0.0
        self._steps = 0

    def epoch_start(self, epoch: int, n_epochs: int, steps: int) -> None:
        self.n_epochs = n_epochs
        self._loss_sum, self._steps = 0.0, 0
        if self.bar_class is not None:
            width = len(str(n_epochs))
            self.bar = self.bar_class(
                total=steps,
                desc=f"epoch {epoch:>{width}}/{n_epochs}",
                unit="step",
                leave=False,
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def step(self, iteration: int, loss: float, batch_acc: float) -> None:
        self._loss_sum += loss
        self._steps += 1
        if self.bar is not None:
            self.bar.set_postfix(
                loss=f"{self._loss_sum / self._steps:.4f}", acc=f"{batch_acc:.3f}", refresh=False
            )
            self.bar.update(1)
        if self.save_every and iteration % self.save_every == 0:
            self.save(iteration)

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def epoch_end(self, record: EpochRecord) -> None:
        self._close_bar()
        if self.board is not None:
            self.board.epoch(self.sess, record)
        if self.quiet:
            return
        width = len(str(self.n_epochs))
        head = f"epoch {record.epoch:>{width}}/{self.n_epochs}"
        loss = "initial weights" if record.loss is None else f"loss {record.loss:.4f}"
        say(
            f"{head}  {loss:<15}  train acc {record.train_acc:.4f}  "
            f"test acc {record.test_acc:.4f}  ({record.seconds:.3f} s)"
        )

    def stopped(self, iteration: int) -> None:
        self._close_bar()

    def should_stop(self) -> bool:
        return self.stop.requested
