"""Horovod's SessionRunHook for MonitoredTrainingSession programs: the same starting weights on
every rank.

    hooks = [dist.BroadcastGlobalVariablesHook(0), tf.train.StopAtStepHook(last_step=1000)]
    ckpt = "/tmp/train" if dist.rank() == 0 else None    # only the root saves and restores
    with tf.train.MonitoredTrainingSession(checkpoint_dir=ckpt, hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(train_op)

The root initializes (or restores its newest checkpoint), the other ranks initialize, and then
the hook gives every rank the root's variables: weights, optimizer slots and global step.
"""

from __future__ import annotations

from typing import Any

from flowzero.framework.graph import Operation, get_default_graph
from flowzero.train.session_run_hook import SessionRunHook

from .ops import broadcast_global_variables


class BroadcastGlobalVariablesHook(SessionRunHook):
    """Broadcasts every global variable from rank `root_rank` once the session is created (after
    initialization and any restore), as Horovod's hook of the same name does.

    Args:
        root_rank: the rank whose values every other rank takes.
        device: accepted for Horovod compatibility (flowzero runs on the CPU).
    """

    def __init__(self, root_rank: int = 0, device: str = "") -> None:
        self.root_rank = root_rank
        self.device = device
        self.bcast_op: Operation | None = None

    def begin(self) -> None:
        # Built here, while the graph may still change; rebuilt for a new graph (a second
        # MonitoredTrainingSession over another graph reuses the hook object).
        if self.bcast_op is None or self.bcast_op.graph is not get_default_graph():
            self.bcast_op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session: Any, coord: Any) -> None:
        session.run(self.bcast_op)


__all__ = ["BroadcastGlobalVariablesHook"]
