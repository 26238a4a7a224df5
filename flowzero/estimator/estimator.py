"""tf.estimator.Estimator: train, evaluate, predict and export a model_fn.

Every call builds a fresh Graph: the input_fn's tensors, the global step, then the model_fn's
EstimatorSpec for the mode. Training runs a MonitoredTrainingSession over `model_dir`, so it
resumes from the newest checkpoint there and leaves checkpoints (flowzero's Saver format) and
summaries behind; evaluation and prediction restore the newest checkpoint into their own graph.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from flowzero.estimator.model_fn import EstimatorSpec, ModeKeys
from flowzero.estimator.run_config import RunConfig
from flowzero.framework import errors
from flowzero.framework.graph import Graph, Tensor
from flowzero.platform import tf_logging as logging


def _fn_args(fn: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _check_steps(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, (int, np.integer)) or value <= 0):
        raise ValueError(f"Must specify {name} > 0, given: {value!r}")


class Estimator:
    """TF1's tf.estimator.Estimator.

    Args:
        model_fn: `model_fn(features, labels, mode, params, config)` -> EstimatorSpec (params
            and config are passed only if it takes them).
        model_dir: where checkpoints and summaries go (default: a new temp directory, or
            config.model_dir).
        config: a RunConfig.
        params: a dict passed to model_fn as `params`.
        warm_start_from: a checkpoint (or directory) whose matching variables initialize a
            model trained from scratch.

    Example:
        >>> def model_fn(features, labels, mode):   # y = w * x
        ...     w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
        ...     pred = w * features["x"]
        ...     if mode == tf.estimator.ModeKeys.PREDICT:
        ...         return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
        ...     loss = tf.reduce_mean(tf.square(pred - labels))
        ...     train_op = tf.train.GradientDescentOptimizer(0.05).minimize(
        ...         loss, global_step=tf.train.get_global_step())
        ...     return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
        >>> x = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
        >>> train_input_fn = tf.estimator.inputs.numpy_input_fn(
        ...     {"x": x}, 2 * x, batch_size=4, num_epochs=None, shuffle=False)
        >>> est = tf.estimator.Estimator(model_fn=model_fn, model_dir="linear")
        >>> _ = est.train(input_fn=train_input_fn, steps=50)
        >>> print(round(float(est.get_variable_value("w")), 4))
        2.0
        >>> eval_input_fn = tf.estimator.inputs.numpy_input_fn({"x": x}, 2 * x, shuffle=False)
        >>> est.evaluate(input_fn=eval_input_fn)
        {'loss': 0.0, 'global_step': 50}
    """

    def __init__(
        self,
        model_fn: Callable[..., Any],
        model_dir: str | None = None,
        config: RunConfig | None = None,
        params: Any = None,
        warm_start_from: Any = None,
    ) -> None:
        if not callable(model_fn):
            raise ValueError(f"model_fn must be callable; given: {model_fn!r}.")
        args = _fn_args(model_fn)
        if "features" not in args:
            raise ValueError(f"model_fn ({model_fn}) must include features argument.")
        if params is not None and "params" not in args:
            raise ValueError(
                f"model_fn ({model_fn}) does not include params argument, but "
                f"params ({params}) is passed to Estimator."
            )
        if config is None:
            config = RunConfig()
        elif not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of RunConfig, but provided {config!r}.")
        if (
            model_dir is not None
            and config.model_dir is not None
            and os.path.abspath(model_dir) != os.path.abspath(config.model_dir)
        ):
            raise ValueError(
                f"model_dir are set both in constructor and RunConfig, but with "
                f"different values. In constructor: '{model_dir}', in RunConfig: "
                f"'{config.model_dir}'."
            )
        model_dir = model_dir or config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            logging.warning("Using temporary folder as model directory: %s", model_dir)
        self._model_dir = os.fspath(model_dir)
        self._config = config.replace(model_dir=self._model_dir)
        self._model_fn = model_fn
        self._model_fn_args = args
        self._params = dict(params or {})
        self._warm_start_from = warm_start_from

    # -- facts ---------------------------------------------------------------------------------
    @property
    def model_dir(self) -> str:
        return self._model_dir

    @property
    def config(self) -> RunConfig:
        return self._config

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def model_fn(self) -> Callable[..., Any]:
        return self._model_fn

    def latest_checkpoint(self) -> str | None:
        from flowzero.train.checkpoint_utils import latest_checkpoint

        return latest_checkpoint(self._model_dir)

    def get_variable_names(self) -> list[str]:
        from flowzero.train.checkpoint_utils import list_variables

        return [name for name, _ in list_variables(self._checkpoint_or_raise())]

    def get_variable_value(self, name: str) -> np.ndarray:
        from flowzero.train.checkpoint_utils import load_variable

        return load_variable(self._checkpoint_or_raise(), name)

    def _checkpoint_or_raise(self) -> str:
        ckpt = self.latest_checkpoint()
        if ckpt is None:
            raise ValueError(f"Could not find trained model in model_dir: {self._model_dir}.")
        return ckpt

    # -- graph building ------------------------------------------------------------------------
    def _new_graph(self) -> Graph:
        g = Graph()
        if self._config.tf_random_seed is not None:
            g.seed = self._config.tf_random_seed
        return g

    def _call_input_fn(self, input_fn: Callable[..., Any], mode: str) -> tuple[Any, Any]:
        if not callable(input_fn):
            raise TypeError(f"input_fn must be callable; given: {input_fn!r}.")
        args = _fn_args(input_fn)
        kwargs: dict[str, Any] = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self.params
        if "config" in args:
            kwargs["config"] = self._config
        result = input_fn(**kwargs)
        from flowzero.data.dataset import Dataset

        if isinstance(result, Dataset):
            result = result.make_one_shot_iterator().get_next()
        if isinstance(result, (tuple, list)):
            if len(result) != 2:
                raise ValueError(
                    f"input_fn should return (features, labels) as a len 2 tuple, "
                    f"or a Dataset of them; got a sequence of {len(result)}."
                )
            return result[0], result[1]
        return result, None

    def _call_model_fn(self, features: Any, labels: Any, mode: str) -> EstimatorSpec:
        kwargs: dict[str, Any] = {}
        if "labels" in self._model_fn_args:
            kwargs["labels"] = labels
        elif labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        if "mode" in self._model_fn_args:
            kwargs["mode"] = mode
        if "params" in self._model_fn_args:
            kwargs["params"] = self.params
        if "config" in self._model_fn_args:
            kwargs["config"] = self._config
        spec = self._model_fn(features=features, **kwargs)
        if not isinstance(spec, EstimatorSpec):
            raise ValueError(f"model_fn should return an EstimatorSpec; got {spec!r}.")
        if spec.mode != mode:
            logging.warning(
                "model_fn returned an EstimatorSpec for mode %r when asked for %r.", spec.mode, mode
            )
        return spec

    def _saver(self) -> Any:
        from flowzero.train.saver import Saver

        c = self._config
        return Saver(
            allow_empty=True,
            max_to_keep=c.keep_checkpoint_max,
            keep_checkpoint_every_n_hours=c.keep_checkpoint_every_n_hours,
        )

    def _scaffold(self, spec: EstimatorSpec, warm_start: bool = False) -> Any:
        from flowzero.train.monitored_session import Scaffold

        user = spec.scaffold
        saver = user.saver if user is not None and user.saver is not None else self._saver()
        init_fn = None
        if warm_start and self._warm_start_from is not None:
            init_fn = self._warm_start_init_fn(user)
        return (
            Scaffold(copy_from_scaffold=user, saver=saver, init_fn=init_fn)
            if user is not None
            else Scaffold(saver=saver, init_fn=init_fn)
        )

    def _warm_start_init_fn(self, user: Any) -> Callable[[Any, Any], None]:
        src = self._warm_start_from
        src = getattr(src, "ckpt_to_initialize_from", src)
        user_fn = user.init_fn if user is not None else None

        def init_fn(scaffold: Any, sess: Any) -> None:
            from flowzero.train.checkpoint_utils import list_variables
            from flowzero.train.saver import Saver
            from flowzero.variables import trainable_variables

            path = os.fspath(src)
            if os.path.isdir(path):
                from flowzero.train.checkpoint_utils import latest_checkpoint

                path = latest_checkpoint(path) or path
            have = {name for name, _ in list_variables(path)}
            vs = [v for v in trainable_variables() if v.op.name in have]
            if vs:
                Saver(vs).restore(sess, path)
            if user_fn is not None:
                user_fn(sess)

        return init_fn

    # -- train ---------------------------------------------------------------------------------
    def train(
        self,
        input_fn: Callable[..., Any],
        hooks: Any = None,
        steps: int | None = None,
        max_steps: int | None = None,
        saving_listeners: Any = None,
    ) -> Estimator:
        """Trains from the newest checkpoint in model_dir (or from scratch) until input_fn is
        exhausted, `steps` more steps have run, or the global step reaches `max_steps`.

        Raises:
            ValueError: both steps and max_steps, or a non-positive one.
            tf.errors.NotFoundError / InvalidArgumentError: model_dir holds a checkpoint of
                another model (a missing variable, a different shape).
        """
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        _check_steps("steps", steps)
        _check_steps("max_steps", max_steps)
        if max_steps is not None:
            done = self._checkpoint_step()
            if done is not None and max_steps <= done:
                logging.info("Skipping training since max_steps has already saved.")
                return self
        from flowzero.train import basic_session_run_hooks as h
        from flowzero.train.monitored_session import MonitoredTrainingSession
        from flowzero.train.training_util import get_or_create_global_step

        all_hooks = list(hooks or [])
        if steps is not None or max_steps is not None:
            all_hooks.append(h.StopAtStepHook(num_steps=steps, last_step=max_steps))
        g = self._new_graph()
        with g.as_default():
            global_step = get_or_create_global_step(g)
            features, labels = self._call_input_fn(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
            from flowzero.summary.summary_ops import scalar

            if self._config.save_summary_steps:
                _summary_or_skip(scalar, "loss", spec.loss)
            all_hooks.append(h.NanTensorHook(spec.loss))
            if self._config.log_step_count_steps:
                all_hooks.append(
                    h.LoggingTensorHook(
                        {"loss": spec.loss, "step": global_step},
                        every_n_iter=self._config.log_step_count_steps,
                    )
                )
            all_hooks.extend(spec.training_hooks)
            scaffold = self._scaffold(spec, warm_start=True)
            chief_hooks = list(spec.training_chief_hooks)
            c = self._config
            listeners = list(saving_listeners or [])
            if c.save_checkpoints_secs or c.save_checkpoints_steps or listeners:
                secs, stps = c.save_checkpoints_secs, c.save_checkpoints_steps
                if not secs and not stps:
                    secs = 600
                chief_hooks.append(
                    h.CheckpointSaverHook(
                        self._model_dir,
                        save_secs=secs,
                        save_steps=stps,
                        scaffold=scaffold,
                        listeners=listeners,
                    )
                )
            with MonitoredTrainingSession(
                checkpoint_dir=self._model_dir,
                scaffold=scaffold,
                hooks=all_hooks,
                chief_only_hooks=chief_hooks,
                save_checkpoint_secs=0,
                save_summaries_steps=c.save_summary_steps or None,
                log_step_count_steps=c.log_step_count_steps,
                config=c.session_config,
            ) as sess:
                loss = None
                while not sess.should_stop():
                    _, loss = sess.run([spec.train_op, spec.loss])
            if loss is not None:
                logging.info("Loss for final step: %s.", loss)
        return self

    def _checkpoint_step(self) -> int | None:
        ckpt = self.latest_checkpoint()
        if ckpt is None:
            return None
        from flowzero.train.checkpoint_utils import load_variable

        try:
            return int(load_variable(ckpt, "global_step"))
        except (errors.NotFoundError, KeyError, ValueError):
            return None

    # -- evaluate ------------------------------------------------------------------------------
    def evaluate(
        self,
        input_fn: Callable[..., Any],
        steps: int | None = None,
        hooks: Any = None,
        checkpoint_path: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Evaluates the newest checkpoint (or `checkpoint_path`) on input_fn's data, for
        `steps` batches or until the input is exhausted.

        Returns:
            {metric name: value} for eval_metric_ops, plus 'loss' (the mean of the batches'
            losses) and 'global_step'. Also written as summaries to model_dir/eval[_name].
        """
        _check_steps("steps", steps)
        from flowzero.metrics import mean
        from flowzero.ops.control_ops import group
        from flowzero.train import basic_session_run_hooks as h
        from flowzero.train.monitored_session import ChiefSessionCreator, MonitoredSession
        from flowzero.train.session_run_hook import SessionRunHook
        from flowzero.train.training_util import get_or_create_global_step

        ckpt = checkpoint_path or self.latest_checkpoint()
        if ckpt is None:
            logging.info(
                "Could not find trained model in model_dir: %s, running "
                "initialization to evaluate.",
                self._model_dir,
            )
        g = self._new_graph()
        with g.as_default():
            global_step = get_or_create_global_step(g)
            features, labels = self._call_input_fn(input_fn, ModeKeys.EVAL)
            spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
            metrics = dict(spec.eval_metric_ops)
            if "loss" not in metrics:
                metrics["loss"] = mean(spec.loss)
            update_op = group(*[u for _, u in metrics.values()])
            value_ops = {k: v for k, (v, _) in metrics.items()}
            value_ops["global_step"] = global_step
            final = h.FinalOpsHook(value_ops)

            class _StopAfterNEvals(SessionRunHook):
                def __init__(self, n: int | None) -> None:
                    self.n, self.done = n, 0

                def after_run(self, run_context: Any, run_values: Any) -> None:
                    self.done += 1
                    if self.n is not None and self.done >= self.n:
                        run_context.request_stop()

            counter = _StopAfterNEvals(steps)
            all_hooks = [counter, *spec.evaluation_hooks, *(hooks or []), final]
            creator = ChiefSessionCreator(
                scaffold=self._scaffold(spec), checkpoint_filename_with_path=ckpt
            )
            with MonitoredSession(creator, all_hooks) as sess:
                while not sess.should_stop():
                    sess.run(update_op)
        results = {k: _py(v) for k, v in final.final_ops_values.items()}
        logging.info(
            "Saving dict for global step %d: %s",
            results["global_step"],
            ", ".join(f"{k} = {v}" for k, v in sorted(results.items())),
        )
        self._write_eval_summaries(results, name)
        return results

    def _write_eval_summaries(self, results: dict[str, Any], name: str | None) -> None:
        from flowzero.train.basic_session_run_hooks import _summary_pb2, summary_writer_for

        out = os.path.join(self._model_dir, f"eval_{name}" if name else "eval")
        try:
            writer = summary_writer_for(out)
            if writer is None:
                return
            pb = _summary_pb2()
        except ImportError:
            return
        values = [
            pb.Summary.Value(tag=k, simple_value=float(v))
            for k, v in results.items()
            if k != "global_step" and np.ndim(v) == 0 and np.asarray(v).dtype.kind in "fiub"
        ]
        writer.add_summary(pb.Summary(value=values), results["global_step"])
        writer.flush()

    # -- predict -------------------------------------------------------------------------------
    def predict(
        self,
        input_fn: Callable[..., Any],
        predict_keys: Any = None,
        hooks: Any = None,
        checkpoint_path: str | None = None,
        yield_single_examples: bool = True,
    ) -> Iterator[Any]:
        """Yields predictions (one example at a time, or one batch) until input_fn is exhausted.

        Raises:
            ValueError: no checkpoint to predict from, or an unknown predict_key.
        """
        from flowzero.train.monitored_session import ChiefSessionCreator, MonitoredSession
        from flowzero.train.training_util import get_or_create_global_step

        ckpt = checkpoint_path or self.latest_checkpoint()
        if ckpt is None:
            logging.info(
                "Could not find trained model in model_dir: %s, running initialization to predict.",
                self._model_dir,
            )
        g = self._new_graph()
        with g.as_default():
            get_or_create_global_step(g)
            features, _ = self._call_input_fn(input_fn, ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
            preds = spec.predictions
            if predict_keys is not None:
                if not isinstance(preds, Mapping):
                    raise ValueError(
                        "predict_keys argument is not valid in case of non-dict predictions."
                    )
                keys = [predict_keys] if isinstance(predict_keys, str) else list(predict_keys)
                missing = [k for k in keys if k not in preds]
                if missing:
                    raise ValueError(
                        f"Expected to run at least one output from {sorted(preds)},"
                        f" provided {missing}."
                    )
                preds = {k: preds[k] for k in keys}
            creator = ChiefSessionCreator(
                scaffold=self._scaffold(spec), checkpoint_filename_with_path=ckpt
            )
            with MonitoredSession(creator, [*spec.prediction_hooks, *(hooks or [])]) as sess:
                while not sess.should_stop():
                    batch = sess.run(preds)
                    if not yield_single_examples:
                        yield batch
                        continue
                    if isinstance(batch, Mapping):
                        n = _batch_length(batch)
                        for i in range(n):
                            yield {k: v[i] for k, v in batch.items()}
                    else:
                        yield from batch

    # -- export --------------------------------------------------------------------------------
    def export_saved_model(
        self,
        export_dir_base: Any,
        serving_input_receiver_fn: Any,
        assets_extra: Any = None,
        as_text: bool = False,
        checkpoint_path: str | None = None,
        experimental_mode: str = ModeKeys.PREDICT,
    ) -> bytes:
        """Exports the PREDICT graph with the newest checkpoint's values as a SavedModel in
        `export_dir_base/<timestamp>/` (a version directory `flowzero serve` picks up).

        Returns:
            The export directory, as bytes (as TF returns it).

        Raises:
            ValueError: no checkpoint to export, or a receiver fn that is not one.
        """
        from flowzero.estimator.export import PredictOutput, ServingInputReceiver
        from flowzero.runtime.session import Session
        from flowzero.saved_model.builder import SavedModelBuilder
        from flowzero.saved_model.signature_constants import DEFAULT_SERVING_SIGNATURE_DEF_KEY
        from flowzero.saved_model.tag_constants import SERVING
        from flowzero.train.training_util import get_or_create_global_step

        if serving_input_receiver_fn is None or not callable(serving_input_receiver_fn):
            raise ValueError("An input_receiver_fn must be defined.")
        ckpt = checkpoint_path or self.latest_checkpoint()
        if ckpt is None:
            raise ValueError(f"Couldn't find trained model at {self._model_dir}.")
        g = self._new_graph()
        with g.as_default():
            get_or_create_global_step(g)
            receiver = serving_input_receiver_fn()
            if not isinstance(receiver, ServingInputReceiver):
                raise ValueError(
                    f"serving_input_receiver_fn must return a "
                    f"ServingInputReceiver; got {receiver!r}."
                )
            spec = self._call_model_fn(receiver.features, None, experimental_mode)
            outputs = dict(spec.export_outputs or {})
            if not outputs:
                outputs = {DEFAULT_SERVING_SIGNATURE_DEF_KEY: PredictOutput(spec.predictions)}
            elif DEFAULT_SERVING_SIGNATURE_DEF_KEY not in outputs:
                if len(outputs) != 1:
                    raise ValueError(
                        f"Multiple export_outputs were provided, but none of them "
                        f"is specified as the default. Use "
                        f"'{DEFAULT_SERVING_SIGNATURE_DEF_KEY}' as one key."
                    )
                outputs[DEFAULT_SERVING_SIGNATURE_DEF_KEY] = next(iter(outputs.values()))
            sigs = {k: o.as_signature_def(receiver.receiver_tensors) for k, o in outputs.items()}
            export_dir = _timestamped_dir(os.fspath(export_dir_base))
            with Session(graph=g) as sess:
                self._scaffold(spec).saver.restore(sess, ckpt)
                from flowzero.variables import local_variables_initializer

                sess.run(local_variables_initializer())
                builder = SavedModelBuilder(export_dir)
                builder.add_meta_graph_and_variables(sess, [SERVING], signature_def_map=sigs)
                builder.save(as_text)
        return export_dir.encode()

    def export_savedmodel(
        self,
        export_dir_base: Any,
        serving_input_receiver_fn: Any,
        assets_extra: Any = None,
        as_text: bool = False,
        checkpoint_path: str | None = None,
        strip_default_attrs: bool = False,
    ) -> bytes:
        """The TF 1.x name of export_saved_model."""
        return self.export_saved_model(
            export_dir_base, serving_input_receiver_fn, assets_extra, as_text, checkpoint_path
        )


def _summary_or_skip(scalar: Any, name: str, tensor: Tensor) -> None:
    try:
        scalar(name, tensor)
    except ImportError:  # pragma: no cover - summaries are optional
        pass


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _batch_length(batch: Mapping[str, Any]) -> int:
    lengths = {len(v) for v in batch.values() if np.ndim(v) > 0}
    if len(lengths) != 1:
        raise ValueError(
            f"Batch length of predictions should be the same; got "
            f"{ {k: np.shape(v) for k, v in batch.items()} }."
        )
    return lengths.pop()


def _timestamped_dir(base: str) -> str:
    os.makedirs(base, exist_ok=True)
    stamp = int(time.time())
    while os.path.exists(os.path.join(base, str(stamp))):
        stamp += 1  # never wait: the next free second is as good a version number
    return os.path.join(base, str(stamp))


__all__ = ["Estimator"]
