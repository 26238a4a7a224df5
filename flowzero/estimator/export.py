"""tf.estimator.export: what a served model reads (ServingInputReceiver) and returns
(PredictOutput, ClassificationOutput, RegressionOutput)."""

from __future__ import annotations

import collections
from collections.abc import Callable, Mapping
from typing import Any

from flowzero.framework.graph import Tensor

SINGLE_RECEIVER_DEFAULT_NAME = "input"
SINGLE_FEATURE_DEFAULT_NAME = "feature"


def _check_tensor_dict(value: Any, what: str, default_key: str) -> dict[str, Tensor]:
    if value is None:
        raise ValueError(f"{what} must be defined.")
    if not isinstance(value, Mapping):
        value = {default_key: value}
    out = {}
    for k, t in value.items():
        if not isinstance(k, str):
            raise ValueError(f"{what} keys must be strings: {k!r}.")
        if not isinstance(t, Tensor):
            raise ValueError(f"{what}[{k!r}] must be a Tensor; given: {t!r}.")
        out[k] = t
    return out


class ServingInputReceiver(
    collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"]
    )
):
    """The serving graph's inputs: `receiver_tensors` (placeholders a request feeds, a dict or
    one tensor) and the `features` the model_fn receives (a dict or one tensor)."""

    __slots__ = ()

    def __new__(
        cls, features: Any, receiver_tensors: Any, receiver_tensors_alternatives: Any = None
    ) -> ServingInputReceiver:
        if features is None:
            raise ValueError("features must be defined.")
        if isinstance(features, Mapping):
            _check_tensor_dict(features, "features", SINGLE_FEATURE_DEFAULT_NAME)
        elif not isinstance(features, Tensor):
            raise ValueError(
                f"features must be a Tensor or a dict of Tensors; given: {features!r}."
            )
        receivers = _check_tensor_dict(
            receiver_tensors, "receiver_tensors", SINGLE_RECEIVER_DEFAULT_NAME
        )
        return super().__new__(cls, features, receivers, receiver_tensors_alternatives)


def build_raw_serving_input_receiver_fn(
    features: Any, default_batch_size: int | None = None
) -> Callable[[], ServingInputReceiver]:
    """A serving_input_receiver_fn that feeds `features` raw: one placeholder per feature, of
    its dtype and shape (the batch dimension `default_batch_size`, None = any).

    Example:
        >>> def model_fn(features, labels, mode):   # y = 2 x, nothing to train
        ...     step = tf.train.get_or_create_global_step()
        ...     return tf.estimator.EstimatorSpec(mode, predictions={"y": 2.0 * features["x"]},
        ...         loss=tf.constant(0.0), train_op=tf.assign_add(step, 1))
        >>> estimator = tf.estimator.Estimator(model_fn, model_dir="model")
        >>> _ = estimator.train(lambda: ({"x": tf.constant([1.0])}, None), steps=1)
        >>> fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
        ...     {"x": tf.placeholder(tf.float32, [None])})
        >>> path = estimator.export_saved_model("export", fn)   # bytes, export/<timestamp>
        >>> with tf.Session(graph=tf.Graph()) as sess:
        ...     sig = tf.saved_model.loader.load(sess, ["serve"], path).signature_def
        ...     serving = sig["serving_default"]
        ...     y = sess.run(serving.outputs["y"].name, {serving.inputs["x"].name: [3.0]})
        >>> y
        array([6.], dtype=float32)
    """
    single = not isinstance(features, Mapping)
    feats = _check_tensor_dict(features, "features", SINGLE_FEATURE_DEFAULT_NAME)

    def serving_input_receiver_fn() -> ServingInputReceiver:
        from flowzero.ops.array_ops import placeholder

        receivers = {}
        for name, t in feats.items():
            dims = t.shape.known
            shape = None if dims is None else [default_batch_size, *dims[1:]]
            receivers[name] = placeholder(dtype=t.dtype, shape=shape, name=t.op.name)
        out = receivers[SINGLE_FEATURE_DEFAULT_NAME] if single else dict(receivers)
        return ServingInputReceiver(out, receivers)

    return serving_input_receiver_fn


class ExportOutput:
    """One signature of an exported model (a value of EstimatorSpec.export_outputs)."""

    def as_signature_def(self, receiver_tensors: Mapping[str, Tensor]) -> Any:
        raise NotImplementedError


class PredictOutput(ExportOutput):
    """Any named outputs (a dict of tensors, or one tensor, named 'output')."""

    def __init__(self, outputs: Any) -> None:
        self._outputs = _check_tensor_dict(outputs, "Prediction outputs", "output")

    @property
    def outputs(self) -> dict[str, Tensor]:
        return self._outputs

    def as_signature_def(self, receiver_tensors: Mapping[str, Tensor]) -> Any:
        from flowzero.saved_model.signature_def_utils import predict_signature_def

        return predict_signature_def(receiver_tensors, self._outputs)


class ClassificationOutput(PredictOutput):
    """Class `scores` (float, [batch, n]) and/or `classes` ([batch, n]). NOTE: served as a
    predict-style signature over the raw receiver tensors (flowzero has no tf.Example)."""

    def __init__(self, scores: Tensor | None = None, classes: Tensor | None = None) -> None:
        if scores is None and classes is None:
            raise ValueError("At least one of scores and classes must be set.")
        outs = {}
        if scores is not None:
            outs["scores"] = scores
        if classes is not None:
            outs["classes"] = classes
        super().__init__(outs)


class RegressionOutput(PredictOutput):
    """One float `value` per example (served as the output 'outputs')."""

    def __init__(self, value: Tensor) -> None:
        if not isinstance(value, Tensor) or not value.dtype.is_floating:
            raise ValueError(f"Regression output value must be a float32 Tensor; got {value!r}")
        super().__init__({"outputs": value})


__all__ = [
    "ServingInputReceiver",
    "build_raw_serving_input_receiver_fn",
    "ExportOutput",
    "PredictOutput",
    "ClassificationOutput",
    "RegressionOutput",
]
