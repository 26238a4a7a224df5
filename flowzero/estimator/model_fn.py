"""EstimatorSpec (what a model_fn returns) and ModeKeys (which graph it is asked to build)."""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

from flowzero.framework.graph import Operation, Tensor


class ModeKeys:
    """The three graphs a model_fn builds: training, evaluation and inference."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


def _check_hooks(hooks: Any, what: str) -> tuple[Any, ...]:
    from flowzero.train.session_run_hook import SessionRunHook

    hooks = tuple(hooks or ())
    for h in hooks:
        if not isinstance(h, SessionRunHook):
            raise TypeError(
                f"All hooks must be SessionRunHook instances, given: {h!r} (in {what})."
            )
    return hooks


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_graph_element")


class EstimatorSpec(
    collections.namedtuple(
        "EstimatorSpec",
        [
            "mode",
            "predictions",
            "loss",
            "train_op",
            "eval_metric_ops",
            "export_outputs",
            "training_chief_hooks",
            "training_hooks",
            "scaffold",
            "evaluation_hooks",
            "prediction_hooks",
        ],
    )
):
    """What a model_fn returns (TF's tf.estimator.EstimatorSpec).

    TRAIN needs `loss` and `train_op`; EVAL needs `loss` (and usually `eval_metric_ops`, a dict
    name -> (value, update_op) from tf.metrics); PREDICT needs `predictions` (a tensor or a
    dict of tensors). Construct it as `tf.estimator.EstimatorSpec(mode, ...)`; the arguments
    are checked then, so a spec missing what its mode needs fails where it is built.
    """

    __slots__ = ()

    def __new__(
        cls,
        mode: str,
        predictions: Any = None,
        loss: Any = None,
        train_op: Any = None,
        eval_metric_ops: Any = None,
        export_outputs: Any = None,
        training_chief_hooks: Any = None,
        training_hooks: Any = None,
        scaffold: Any = None,
        evaluation_hooks: Any = None,
        prediction_hooks: Any = None,
    ) -> EstimatorSpec:
        if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
            raise ValueError(
                f"mode={mode!r} is not one of ModeKeys.TRAIN ('train'), EVAL "
                "('eval') or PREDICT ('infer')."
            )
        if mode == ModeKeys.TRAIN and train_op is None:
            raise ValueError(
                "Missing train_op: an EstimatorSpec for ModeKeys.TRAIN needs "
                "train_op (e.g. optimizer.minimize(loss, global_step=...))."
            )
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
            raise ValueError(
                f"Missing loss: an EstimatorSpec for mode {mode!r} needs a scalar loss tensor."
            )
        if loss is not None:
            if not _is_tensor(loss):
                raise TypeError(f"loss must be a Tensor; given: {loss!r}.")
            if loss.shape.ndims not in (None, 0) and loss.shape.num_elements() != 1:
                raise ValueError(
                    f"Loss must be scalar, given: {loss.shape} (tensor "
                    f"{loss.name}). Reduce it, e.g. with tf.reduce_mean."
                )
        if (
            train_op is not None
            and not isinstance(train_op, (Tensor, Operation))
            and not _is_tensor(train_op)
        ):
            raise TypeError(f"train_op must be an Operation or Tensor; given: {train_op!r}.")
        if mode == ModeKeys.PREDICT and predictions is None:
            raise ValueError(
                "Missing predictions: an EstimatorSpec for ModeKeys.PREDICT needs "
                "predictions (a tensor or a dict of tensors)."
            )
        if predictions is not None:
            items = predictions.values() if isinstance(predictions, Mapping) else [predictions]
            for p in items:
                if not _is_tensor(p):
                    raise TypeError(
                        f"predictions must be a Tensor or a dict of Tensors; given: {p!r}."
                    )
        metrics = dict(eval_metric_ops or {})
        for k, v in metrics.items():
            if not (isinstance(v, tuple) and len(v) == 2):
                raise TypeError(
                    f"eval_metric_ops[{k!r}] must be a (value, update_op) tuple "
                    f"as tf.metrics returns; given: {v!r}."
                )
        if export_outputs is not None and not isinstance(export_outputs, Mapping):
            raise TypeError(f"export_outputs must be a dict; given: {export_outputs!r}.")
        if scaffold is not None:
            from flowzero.train.monitored_session import Scaffold

            if not isinstance(scaffold, Scaffold):
                raise TypeError(f"scaffold must be tf.train.Scaffold; given: {scaffold!r}.")
        return super().__new__(
            cls,
            mode,
            predictions,
            loss,
            train_op,
            metrics,
            export_outputs,
            _check_hooks(training_chief_hooks, "training_chief_hooks"),
            _check_hooks(training_hooks, "training_hooks"),
            scaffold,
            _check_hooks(evaluation_hooks, "evaluation_hooks"),
            _check_hooks(prediction_hooks, "prediction_hooks"),
        )


__all__ = ["ModeKeys", "EstimatorSpec"]
