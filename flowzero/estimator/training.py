"""train_and_evaluate with TrainSpec / EvalSpec (one process: train, evaluating as it goes)."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

from flowzero.platform import tf_logging as logging


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks"])):
    """What to train on (`input_fn`), for how long (`max_steps`, None: until the input ends),
    with which extra `hooks`."""

    __slots__ = ()

    def __new__(
        cls, input_fn: Callable[..., Any], max_steps: int | None = None, hooks: Any = None
    ) -> TrainSpec:
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn!r}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        return super().__new__(cls, input_fn, max_steps, tuple(hooks or ()))


class EvalSpec(
    collections.namedtuple(
        "EvalSpec",
        ["input_fn", "steps", "name", "hooks", "exporters", "start_delay_secs", "throttle_secs"],
    )
):
    """What to evaluate on (`input_fn`, `steps` batches or None: the whole input), how often
    (at most every `throttle_secs`, after a new checkpoint), and `exporters` to run after each
    evaluation (each `export(estimator, export_path, checkpoint_path, eval_result,
    is_the_final_export)`)."""

    __slots__ = ()

    def __new__(
        cls,
        input_fn: Callable[..., Any],
        steps: int | None = 100,
        name: str | None = None,
        hooks: Any = None,
        exporters: Any = None,
        start_delay_secs: float = 120,
        throttle_secs: float = 600,
    ) -> EvalSpec:
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn!r}")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        if exporters is None:
            exporters = ()
        elif not isinstance(exporters, (list, tuple)):
            exporters = (exporters,)
        return super().__new__(
            cls,
            input_fn,
            steps,
            name,
            tuple(hooks or ()),
            tuple(exporters),
            start_delay_secs,
            throttle_secs,
        )


def train_and_evaluate(
    estimator: Any, train_spec: TrainSpec, eval_spec: EvalSpec
) -> tuple[dict[str, Any] | None, list[Any]]:
    """Trains `estimator` up to train_spec.max_steps, evaluating after a checkpoint is saved
    (at most every eval_spec.throttle_secs) and once more at the end (TF's local mode).

    Returns:
        (the last evaluation's results, the exporters' results).
    """
    from flowzero.estimator.estimator import Estimator
    from flowzero.train.basic_session_run_hooks import CheckpointSaverListener

    if not isinstance(estimator, Estimator):
        raise TypeError(f"estimator must be a tf.estimator.Estimator; given {estimator!r}.")
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(f"train_spec must be a TrainSpec; given {train_spec!r}.")
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(f"eval_spec must be an EvalSpec; given {eval_spec!r}.")
    state: dict[str, Any] = {"result": None, "step": None, "last": None, "exports": []}

    def evaluate(step: int, final: bool) -> None:
        result = estimator.evaluate(
            eval_spec.input_fn, steps=eval_spec.steps, hooks=eval_spec.hooks, name=eval_spec.name
        )
        state.update(result=result, step=step, last=time.monotonic())
        ckpt = estimator.latest_checkpoint()
        for exporter in eval_spec.exporters:
            import os

            path = os.path.join(estimator.model_dir, "export", exporter.name)
            state["exports"].append(exporter.export(estimator, path, ckpt, result, final))

    class _EvalAfterSave(CheckpointSaverListener):
        def after_save(self, session: Any, global_step_value: int) -> None:
            if global_step_value == 0 or global_step_value == state["step"]:
                return
            if (
                state["last"] is not None
                and time.monotonic() - state["last"] < eval_spec.throttle_secs
            ):
                return
            logging.info("Evaluating at step %d.", global_step_value)
            evaluate(global_step_value, final=False)

    estimator.train(
        train_spec.input_fn,
        hooks=train_spec.hooks,
        max_steps=train_spec.max_steps,
        saving_listeners=[_EvalAfterSave()],
    )
    final_step = estimator._checkpoint_step()
    if state["step"] is None or final_step != state["step"]:
        evaluate(final_step or 0, final=True)
    return state["result"], state["exports"]


__all__ = ["TrainSpec", "EvalSpec", "train_and_evaluate"]
