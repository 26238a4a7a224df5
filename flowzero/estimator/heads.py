"""The canned estimators' heads (TF 1.15's estimator canned/head.py, v1 heads): logits in;
loss, predictions, eval metrics and export signatures out.

The training loss is the weighted sum over the batch (TF 1.x's default Reduction.SUM):
sum(weight * per-example loss), the weights read from `weight_column` (a feature name or a
numeric_column), 1 without one. Eval metrics are weighted the same way.

With `label_vocabulary` a classifier's labels are strings of the vocabulary (mapped to class
ids in the graph) and its `classes` predictions are those strings.
"""

from __future__ import annotations

from typing import Any

from flowzero.estimator.model_fn import EstimatorSpec, ModeKeys
from flowzero.framework import errors
from flowzero.framework.graph import Tensor


def _tf() -> Any:
    import flowzero

    return flowzero


def _labels_2d(labels: Any, dim: int, what: str) -> Tensor:
    tf = _tf()
    if labels is None:
        raise ValueError(
            "You must provide a labels Tensor. Given: None. Suggested "
            "troubleshooting steps: Check that your data contain your label "
            "feature. Check that your input_fn properly parses and returns labels."
        )
    if isinstance(labels, dict):
        if len(labels) != 1:
            raise ValueError(
                f"labels must be a Tensor (or a dict with one); got keys {sorted(labels)}."
            )
        labels = next(iter(labels.values()))
    labels = tf.convert_to_tensor(labels)
    shape = labels.shape.as_list() if labels.shape.ndims is not None else None
    if shape is not None:
        if len(shape) == 1 and dim == 1:
            return tf.expand_dims(labels, 1)
        if len(shape) != 2 or (shape[1] is not None and shape[1] != dim):
            raise errors.InvalidArgumentError(
                None,
                labels.op,
                f"{what}: labels shape must be [batch_size, {dim}]"
                f"{' or [batch_size]' if dim == 1 else ''}; got {labels.shape} (tensor "
                f"'{labels.name}'). Mismatched label shape.",
            )
    return labels


def check_weight_column(weight_column: Any) -> Any:
    """The weight column as a numeric_column (a name becomes one), or None.

    Raises:
        TypeError: it is neither a string nor a numeric_column.
    """
    if weight_column is None:
        return None
    tf = _tf()
    from flowzero.feature_column import NumericColumn

    if isinstance(weight_column, str):
        return tf.feature_column.numeric_column(weight_column)
    if not isinstance(weight_column, NumericColumn):
        raise TypeError(
            "Weight column must be either a string or _NumericColumn. Given type: "
            f"{type(weight_column)}."
        )
    if weight_column._variable_shape != 1:
        raise ValueError(
            f"Weight column '{weight_column.key}' must hold one value per example; its shape "
            f"is {list(weight_column.shape)}."
        )
    return weight_column


def check_label_vocabulary(label_vocabulary: Any, n_classes: int) -> tuple[str, ...] | None:
    if label_vocabulary is None:
        return None
    if not isinstance(label_vocabulary, (list, tuple)):
        raise TypeError(
            f"label_vocabulary should be a list or a tuple. Given type: {type(label_vocabulary)}"
        )
    if len(set(label_vocabulary)) != len(label_vocabulary):
        raise ValueError(f"label_vocabulary has duplicates: {list(label_vocabulary)}.")
    return tuple(label_vocabulary)


class _Head:
    def __init__(self, name: str, logits_dimension: int, weight_column: Any = None) -> None:
        self.name, self.logits_dimension = name, logits_dimension
        self.weight_column = check_weight_column(weight_column)

    def _weights(self, features: Any) -> Tensor | None:
        """[batch, 1] float32 weights of the examples, or None (every weight 1)."""
        if self.weight_column is None:
            return None
        tf = _tf()
        if not isinstance(features, dict) or self.weight_column.key not in features:
            raise ValueError(
                f"weight_column '{self.weight_column.key}' is not among the features: "
                f"{sorted(features) if isinstance(features, dict) else type(features).__name__}."
            )
        with tf.name_scope("weights"):
            return self.weight_column._dense(features, False)

    def create_estimator_spec(
        self, features: Any, mode: str, logits: Tensor, labels: Any, optimizer: Any
    ) -> EstimatorSpec:
        tf = _tf()
        predictions = self.predictions(logits)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(
                mode, predictions=predictions, export_outputs=self.export_outputs(predictions)
            )
        per_example = self.per_example_loss(logits, labels)
        weights = self._weights(features)
        weighted = per_example if weights is None else tf.multiply(per_example, weights)
        loss = tf.reduce_sum(weighted, name="head/loss")
        if mode == ModeKeys.EVAL:
            with tf.name_scope("metrics"):
                metrics = self.metrics(predictions, labels, per_example, weights)
            return EstimatorSpec(mode, predictions=predictions, loss=loss, eval_metric_ops=metrics)
        step = tf.train.get_global_step()
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train_op = optimizer.minimize(loss, global_step=step)
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op)

    def export_outputs(self, predictions: dict[str, Tensor]) -> dict[str, Any]:
        from flowzero.estimator.export import PredictOutput

        return {
            "serving_default": PredictOutput(predictions),
            "predict": PredictOutput(predictions),
        }


class ClassifierHead(_Head):
    """Binary (sigmoid, one logit) or multi-class (softmax) classification."""

    def __init__(
        self, n_classes: int, weight_column: Any = None, label_vocabulary: Any = None
    ) -> None:
        if n_classes < 2:
            raise ValueError(f"n_classes must be > 1 for classification: {n_classes}")
        super().__init__("classifier", 1 if n_classes == 2 else n_classes, weight_column)
        self.n_classes = n_classes
        self.label_vocabulary = check_label_vocabulary(label_vocabulary, n_classes)

    def _class_ids(self, labels: Any) -> Tensor:
        tf = _tf()
        y = _labels_2d(labels, 1, "classifier")
        if self.label_vocabulary is not None:
            if y.dtype is not tf.string:
                raise ValueError(
                    f"Labels dtype should be string if there is a vocabulary. Given: {y.dtype}"
                )
            vocab = tf.constant([str(v).encode() for v in self.label_vocabulary], tf.string)
            hit = tf.equal(y, vocab)  # [batch, 1] vs [V]: [batch, V]
            ids = tf.expand_dims(tf.argmax(tf.cast(hit, tf.int32), axis=1), 1)
            found = tf.reduce_any(hit, axis=1, keepdims=True)
            check = tf.Assert(
                tf.reduce_all(found),
                ["Labels must be one of label_vocabulary", list(self.label_vocabulary)],
                name="assert_labels_in_vocabulary",
            )
            with tf.control_dependencies([check]):
                return tf.identity(ids)
        if not y.dtype.is_integer:
            if y.dtype is tf.string:
                raise ValueError(
                    "Labels dtype should be integer. Instead got string: pass "
                    "label_vocabulary to use string labels."
                )
            y = tf.cast(y, tf.int64)
        return tf.cast(y, tf.int64)

    def _class_names(self) -> Tensor:
        tf = _tf()
        if self.label_vocabulary is None:
            return tf.constant([str(i).encode() for i in range(self.n_classes)], tf.string)
        names = [str(v).encode() for v in self.label_vocabulary]
        names += [b"UNK"] * (self.n_classes - len(names))  # (TF's lookup default)
        return tf.constant(names, tf.string)

    def predictions(self, logits: Tensor) -> dict[str, Tensor]:
        tf = _tf()
        names = self._class_names()
        if self.n_classes == 2:
            logistic = tf.sigmoid(logits)
            probabilities = tf.concat([1.0 - logistic, logistic], axis=1)
            class_ids = tf.cast(tf.greater(logits, 0.0), tf.int64)
            out = {"logits": logits, "logistic": logistic}
        else:
            probabilities = tf.nn.softmax(logits)
            class_ids = tf.expand_dims(tf.argmax(logits, axis=1), 1)
            out = {"logits": logits}
        out.update(
            probabilities=probabilities, class_ids=class_ids, classes=tf.gather(names, class_ids)
        )
        return out

    def per_example_loss(self, logits: Tensor, labels: Any) -> Tensor:
        tf = _tf()
        ids = self._class_ids(labels)
        if self.n_classes == 2:
            return tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(ids, logits.dtype), logits=logits
            )
        return tf.expand_dims(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.reshape(ids, [-1]), logits=logits
            ),
            1,
        )

    def metrics(
        self, predictions: dict[str, Tensor], labels: Any, per_example: Tensor, weights: Any
    ) -> dict[str, Any]:
        """TF 1.15's: accuracy and average_loss; for two classes also precision, recall,
        prediction/mean, label/mean, accuracy_baseline, auc and auc_precision_recall; all
        weighted by the weight column."""
        tf = _tf()
        ids = self._class_ids(labels)
        out = {
            "accuracy": tf.metrics.accuracy(ids, predictions["class_ids"], weights=weights),
            "average_loss": tf.metrics.mean(per_example, weights=weights),
        }
        if self.n_classes == 2:
            logistic = predictions["logistic"]
            label_mean = tf.metrics.mean(tf.cast(ids, tf.float32), weights=weights)
            lm_value, lm_update = label_mean
            out.update(
                {
                    "precision": tf.metrics.precision(
                        ids, predictions["class_ids"], weights=weights
                    ),
                    "recall": tf.metrics.recall(ids, predictions["class_ids"], weights=weights),
                    "prediction/mean": tf.metrics.mean(logistic, weights=weights),
                    "label/mean": label_mean,
                    # the better of always answering 1 or always 0: max(mean, 1 - mean)
                    "accuracy_baseline": (
                        tf.maximum(lm_value, 1.0 - lm_value),
                        tf.maximum(lm_update, 1.0 - lm_update),
                    ),
                    "auc": tf.metrics.auc(ids, logistic, weights=weights, curve="ROC"),
                    "auc_precision_recall": tf.metrics.auc(
                        ids, logistic, weights=weights, curve="PR"
                    ),
                }
            )
        return out

    def export_outputs(self, predictions: dict[str, Tensor]) -> dict[str, Any]:
        from flowzero.estimator.export import ClassificationOutput

        out = super().export_outputs(predictions)
        out["classification"] = ClassificationOutput(
            scores=predictions["probabilities"], classes=predictions["classes"]
        )
        return out


class RegressionHead(_Head):
    """Squared-error regression of `label_dimension` values per example."""

    def __init__(self, label_dimension: int, weight_column: Any = None) -> None:
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}.")
        super().__init__("regression", label_dimension, weight_column)

    def _labels(self, labels: Any) -> Tensor:
        tf = _tf()
        return tf.cast(_labels_2d(labels, self.logits_dimension, "regressor"), tf.float32)

    def predictions(self, logits: Tensor) -> dict[str, Tensor]:
        return {"predictions": logits}

    def per_example_loss(self, logits: Tensor, labels: Any) -> Tensor:
        tf = _tf()
        return tf.square(logits - self._labels(labels))

    def metrics(
        self, predictions: dict[str, Tensor], labels: Any, per_example: Tensor, weights: Any
    ) -> dict[str, Any]:
        tf = _tf()
        if weights is not None and self.logits_dimension > 1:
            weights = tf.multiply(weights, tf.ones_like(per_example))  # one per value
        return {
            "average_loss": tf.metrics.mean(per_example, weights=weights),
            "prediction/mean": tf.metrics.mean(predictions["predictions"], weights=weights),
            "label/mean": tf.metrics.mean(self._labels(labels), weights=weights),
        }


__all__ = ["ClassifierHead", "RegressionHead", "check_label_vocabulary", "check_weight_column"]
