"""RunConfig: where an Estimator writes, how often it checkpoints and logs, its random seed."""

from __future__ import annotations

from typing import Any

_USE_DEFAULT = object()

_FIELDS = (
    "model_dir",
    "tf_random_seed",
    "save_summary_steps",
    "save_checkpoints_steps",
    "save_checkpoints_secs",
    "session_config",
    "keep_checkpoint_max",
    "keep_checkpoint_every_n_hours",
    "log_step_count_steps",
    "train_distribute",
    "device_fn",
    "protocol",
    "eval_distribute",
    "experimental_distribute",
    "experimental_max_worker_delay_secs",
    "session_creation_timeout_secs",
)


class RunConfig:
    """TF1's tf.estimator.RunConfig (one process: the chief).

    Args:
        model_dir: where checkpoints and summaries go (the Estimator's model_dir wins if both).
        tf_random_seed: the graph-level seed of every graph the Estimator builds.
        save_summary_steps: write summaries every this many steps (0/None: never).
        save_checkpoints_steps / save_checkpoints_secs: checkpoint every N steps or seconds (at
            most one; default every 600 seconds), plus at the start and the end of train().
        keep_checkpoint_max: how many recent checkpoints to keep.
        keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
        log_step_count_steps: log the loss and the step rate every this many steps.
        Distribution arguments are accepted and ignored (flowzero.distributed is separate).
    """

    def __init__(
        self,
        model_dir: str | None = None,
        tf_random_seed: int | None = None,
        save_summary_steps: int | None = 100,
        save_checkpoints_steps: Any = _USE_DEFAULT,
        save_checkpoints_secs: Any = _USE_DEFAULT,
        session_config: Any = None,
        keep_checkpoint_max: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000,
        log_step_count_steps: int | None = 100,
        train_distribute: Any = None,
        device_fn: Any = None,
        protocol: Any = None,
        eval_distribute: Any = None,
        experimental_distribute: Any = None,
        experimental_max_worker_delay_secs: Any = None,
        session_creation_timeout_secs: int = 7200,
    ) -> None:
        if save_checkpoints_steps is _USE_DEFAULT and save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_steps, save_checkpoints_secs = None, 600
        elif save_checkpoints_secs is _USE_DEFAULT:
            save_checkpoints_secs = None
        elif save_checkpoints_steps is _USE_DEFAULT:
            save_checkpoints_steps = None
        if save_checkpoints_steps and save_checkpoints_secs:
            raise ValueError(
                "Can not provide both save_checkpoints_steps and save_checkpoints_secs."
            )
        for name, v in (
            ("save_checkpoints_steps", save_checkpoints_steps),
            ("save_summary_steps", save_summary_steps),
            ("log_step_count_steps", log_step_count_steps),
            ("keep_checkpoint_max", keep_checkpoint_max),
        ):
            if v is not None and (not isinstance(v, int) or v < 0):
                raise ValueError(f"{name} must be a non-negative int or None; got {v!r}.")
        if tf_random_seed is not None and not isinstance(tf_random_seed, int):
            raise ValueError(f"tf_random_seed must be an int or None; got {tf_random_seed!r}.")
        self._model_dir = model_dir
        self._tf_random_seed = tf_random_seed
        self._save_summary_steps = save_summary_steps
        self._save_checkpoints_steps = save_checkpoints_steps
        self._save_checkpoints_secs = save_checkpoints_secs
        self._session_config = session_config
        self._keep_checkpoint_max = keep_checkpoint_max
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._log_step_count_steps = log_step_count_steps
        self._train_distribute = train_distribute
        self._device_fn = device_fn
        self._protocol = protocol
        self._eval_distribute = eval_distribute
        self._experimental_distribute = experimental_distribute
        self._experimental_max_worker_delay_secs = experimental_max_worker_delay_secs
        self._session_creation_timeout_secs = session_creation_timeout_secs

    def replace(self, **kwargs: Any) -> RunConfig:
        """A copy with the given fields changed."""
        unknown = set(kwargs) - set(_FIELDS)
        if unknown:
            raise ValueError(
                f"RunConfig.replace: unknown fields {sorted(unknown)}; allowed: {list(_FIELDS)}."
            )
        args = {f: getattr(self, f"_{f}") for f in _FIELDS}
        args.update(kwargs)
        if (
            "save_checkpoints_steps" in kwargs
            and "save_checkpoints_secs" not in kwargs
            and kwargs["save_checkpoints_steps"]
        ):
            args["save_checkpoints_secs"] = None
        if (
            "save_checkpoints_secs" in kwargs
            and "save_checkpoints_steps" not in kwargs
            and kwargs["save_checkpoints_secs"]
        ):
            args["save_checkpoints_steps"] = None
        return RunConfig(**args)

    def __repr__(self) -> str:
        return (
            "RunConfig("
            + ", ".join(
                f"{f}={getattr(self, '_' + f)!r}"
                for f in _FIELDS
                if getattr(self, "_" + f) is not None
            )
            + ")"
        )

    # single-process facts
    is_chief = True
    master = ""
    evaluation_master = ""
    num_ps_replicas = 0
    num_worker_replicas = 1
    task_id = 0
    task_type = "worker"
    global_id_in_cluster = 0
    cluster_spec = None
    service = None


def _field(name: str) -> property:
    return property(lambda self: getattr(self, "_" + name), doc=f"The {name} setting.")


for _f in _FIELDS:
    setattr(RunConfig, _f, _field(_f))

__all__ = ["RunConfig"]
