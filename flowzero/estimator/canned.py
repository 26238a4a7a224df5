"""The canned estimators: DNN and linear classifiers and regressors over feature columns.

A canned estimator is an Estimator whose model_fn is (logits network) + (head). The network
is `tf.feature_column.input_layer` + dense hidden layers (DNN) or `tf.feature_column.
linear_model` (linear); the head turns logits into the loss (summed over the batch, TF 1.x's
default reduction), predictions, eval metrics and export signatures.
"""

from __future__ import annotations

import math
from typing import Any

from flowzero.estimator.estimator import Estimator
from flowzero.estimator.model_fn import EstimatorSpec, ModeKeys
from flowzero.framework import errors
from flowzero.framework.graph import Tensor


def _tf() -> Any:
    import flowzero

    return flowzero


_OPTIMIZERS = {
    "Adagrad": "AdagradOptimizer",
    "Adam": "AdamOptimizer",
    "RMSProp": "RMSPropOptimizer",
    "SGD": "GradientDescentOptimizer",
}


def _optimizer(opt: Any, default_lr: float) -> Any:
    """An optimizer from TF's shorthand: a name ('Adagrad', 'Adam', 'RMSProp', 'SGD', 'Ftrl'),
    an Optimizer, or a callable returning one."""
    tf = _tf()
    if isinstance(opt, str):
        if opt == "Ftrl":
            # NOTE: flowzero has no FTRL optimizer; the linear estimators' default trains with
            # Adagrad at FTRL's default learning rate instead.
            opt = "Adagrad"
        if opt not in _OPTIMIZERS:
            raise ValueError(
                f"Unsupported optimizer name: {opt}. Supported names are: "
                f"{sorted([*_OPTIMIZERS, 'Ftrl'])}"
            )
        return getattr(tf.train, _OPTIMIZERS[opt])(learning_rate=default_lr)
    if callable(opt) and not hasattr(opt, "minimize"):
        opt = opt()
    if not hasattr(opt, "minimize"):
        raise ValueError(f"The given optimizer is not a tf.train.Optimizer instance. Given: {opt}")
    return opt


# -- heads -------------------------------------------------------------------------------------
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


class _Head:
    def __init__(self, name: str, logits_dimension: int) -> None:
        self.name, self.logits_dimension = name, logits_dimension

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
        loss = tf.reduce_sum(per_example, name="head/loss")
        if mode == ModeKeys.EVAL:
            metrics = self.metrics(predictions, labels, per_example)
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


class _ClassifierHead(_Head):
    def __init__(self, n_classes: int) -> None:
        if n_classes < 2:
            raise ValueError(f"n_classes must be > 1 for classification: {n_classes}")
        super().__init__("classifier", 1 if n_classes == 2 else n_classes)
        self.n_classes = n_classes

    def _class_ids(self, labels: Any) -> Tensor:
        tf = _tf()
        y = _labels_2d(labels, 1, "classifier")
        if not y.dtype.is_integer:
            if y.dtype is tf.string:
                raise ValueError(
                    "Labels dtype should be integer. Instead got string; "
                    "label_vocabulary is not supported by flowzero."
                )
            y = tf.cast(y, tf.int64)
        return tf.cast(y, tf.int64)

    def predictions(self, logits: Tensor) -> dict[str, Tensor]:
        tf = _tf()
        names = tf.constant([str(i).encode() for i in range(self.n_classes)], tf.string)
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
        self, predictions: dict[str, Tensor], labels: Any, per_example: Tensor
    ) -> dict[str, Any]:
        tf = _tf()
        ids = self._class_ids(labels)
        out = {
            "accuracy": tf.metrics.accuracy(ids, predictions["class_ids"]),
            "average_loss": tf.metrics.mean(per_example),
        }
        if self.n_classes == 2:
            out["precision"] = tf.metrics.precision(ids, predictions["class_ids"])
            out["recall"] = tf.metrics.recall(ids, predictions["class_ids"])
            out["prediction/mean"] = tf.metrics.mean(predictions["logistic"])
            out["label/mean"] = tf.metrics.mean(tf.cast(ids, tf.float32))
        return out

    def export_outputs(self, predictions: dict[str, Tensor]) -> dict[str, Any]:
        from flowzero.estimator.export import ClassificationOutput

        out = super().export_outputs(predictions)
        out["classification"] = ClassificationOutput(
            scores=predictions["probabilities"], classes=predictions["classes"]
        )
        return out


class _RegressionHead(_Head):
    def __init__(self, label_dimension: int) -> None:
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}.")
        super().__init__("regression", label_dimension)

    def _labels(self, labels: Any) -> Tensor:
        tf = _tf()
        return tf.cast(_labels_2d(labels, self.logits_dimension, "regressor"), tf.float32)

    def predictions(self, logits: Tensor) -> dict[str, Tensor]:
        return {"predictions": logits}

    def per_example_loss(self, logits: Tensor, labels: Any) -> Tensor:
        tf = _tf()
        return tf.square(logits - self._labels(labels))

    def metrics(
        self, predictions: dict[str, Tensor], labels: Any, per_example: Tensor
    ) -> dict[str, Any]:
        tf = _tf()
        return {
            "average_loss": tf.metrics.mean(per_example),
            "prediction/mean": tf.metrics.mean(predictions["predictions"]),
            "label/mean": tf.metrics.mean(self._labels(labels)),
        }


# -- networks ----------------------------------------------------------------------------------
def _dnn_logits(
    features: Any,
    feature_columns: Any,
    hidden_units: Any,
    units: int,
    activation_fn: Any,
    dropout: float | None,
    batch_norm: bool,
    mode: str,
) -> Tensor:
    tf = _tf()
    with tf.variable_scope("dnn"):
        with tf.variable_scope("input_from_feature_columns"):
            net = tf.feature_column.input_layer(features, feature_columns)
        for i, n in enumerate(hidden_units):
            with tf.variable_scope(f"hiddenlayer_{i}"):
                net = tf.layers.dense(
                    net,
                    n,
                    activation=activation_fn,
                    kernel_initializer=tf.glorot_uniform_initializer(),
                    name="hiddenlayer",
                )
                if dropout is not None and mode == ModeKeys.TRAIN:
                    net = tf.layers.dropout(net, rate=dropout, training=True)
                if batch_norm:
                    net = tf.layers.batch_normalization(net, training=mode == ModeKeys.TRAIN)
        with tf.variable_scope("logits"):
            return tf.layers.dense(
                net, units, kernel_initializer=tf.glorot_uniform_initializer(), name="logits"
            )


def _linear_logits(features: Any, feature_columns: Any, units: int, sparse_combiner: str) -> Tensor:
    tf = _tf()
    with tf.variable_scope("linear"):
        return tf.feature_column.linear_model(
            features, feature_columns, units=units, sparse_combiner=sparse_combiner
        )


def _check_common(feature_columns: Any, weight_column: Any, label_vocabulary: Any) -> list[Any]:
    if weight_column is not None:
        raise NotImplementedError("weight_column is not supported by flowzero's canned estimators.")
    if label_vocabulary is not None:
        raise NotImplementedError(
            "label_vocabulary is not supported by flowzero's canned "
            "estimators; pass integer class ids as labels."
        )
    cols = list(feature_columns or [])
    if not cols:
        raise ValueError("feature_columns must be a non-empty list of feature columns.")
    return cols


class _DNN(Estimator):
    def __init__(
        self,
        head: _Head,
        hidden_units: Any,
        feature_columns: Any,
        model_dir: Any,
        optimizer: Any,
        activation_fn: Any,
        dropout: float | None,
        config: Any,
        warm_start_from: Any,
        batch_norm: bool,
    ) -> None:
        if not hidden_units:
            raise ValueError("hidden_units must be a non-empty list of layer sizes.")
        cols = feature_columns

        def model_fn(features: Any, labels: Any, mode: str, config: Any) -> EstimatorSpec:
            tf = _tf()
            act = activation_fn if activation_fn is not None else tf.nn.relu
            logits = _dnn_logits(
                features, cols, hidden_units, head.logits_dimension, act, dropout, batch_norm, mode
            )
            opt = _optimizer(optimizer, 0.05) if mode == ModeKeys.TRAIN else None
            return head.create_estimator_spec(features, mode, logits, labels, opt)

        super().__init__(
            model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


class _Linear(Estimator):
    def __init__(
        self,
        head: _Head,
        feature_columns: Any,
        model_dir: Any,
        optimizer: Any,
        config: Any,
        warm_start_from: Any,
        sparse_combiner: str,
    ) -> None:
        cols = feature_columns
        default_lr = min(0.2, 1 / math.sqrt(len(cols)))

        def model_fn(features: Any, labels: Any, mode: str, config: Any) -> EstimatorSpec:
            logits = _linear_logits(features, cols, head.logits_dimension, sparse_combiner)
            opt = _optimizer(optimizer, default_lr) if mode == ModeKeys.TRAIN else None
            return head.create_estimator_spec(features, mode, logits, labels, opt)

        super().__init__(
            model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


class DNNClassifier(_DNN):
    """A feed-forward classifier (TF1's tf.estimator.DNNClassifier).

    Example:
        >>> clf = tf.estimator.DNNClassifier(hidden_units=[64, 32], n_classes=3,
        ...     feature_columns=[tf.feature_column.numeric_column("x", shape=[4])])
        >>> clf.train(input_fn, steps=200)
    """

    def __init__(
        self,
        hidden_units: Any,
        feature_columns: Any,
        model_dir: Any = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        optimizer: Any = "Adagrad",
        activation_fn: Any = None,
        dropout: float | None = None,
        input_layer_partitioner: Any = None,
        config: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        batch_norm: bool = False,
    ) -> None:
        cols = _check_common(feature_columns, weight_column, label_vocabulary)
        super().__init__(
            _ClassifierHead(n_classes),
            hidden_units,
            cols,
            model_dir,
            optimizer,
            activation_fn,
            dropout,
            config,
            warm_start_from,
            batch_norm,
        )


class DNNRegressor(_DNN):
    """A feed-forward regressor (TF1's tf.estimator.DNNRegressor); squared-error loss."""

    def __init__(
        self,
        hidden_units: Any,
        feature_columns: Any,
        model_dir: Any = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        optimizer: Any = "Adagrad",
        activation_fn: Any = None,
        dropout: float | None = None,
        input_layer_partitioner: Any = None,
        config: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        batch_norm: bool = False,
    ) -> None:
        cols = _check_common(feature_columns, weight_column, None)
        super().__init__(
            _RegressionHead(label_dimension),
            hidden_units,
            cols,
            model_dir,
            optimizer,
            activation_fn,
            dropout,
            config,
            warm_start_from,
            batch_norm,
        )


class LinearClassifier(_Linear):
    """A linear (logistic / softmax regression) classifier (TF1's tf.estimator.
    LinearClassifier). NOTE: the default optimizer 'Ftrl' trains with Adagrad."""

    def __init__(
        self,
        feature_columns: Any,
        model_dir: Any = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        optimizer: Any = "Ftrl",
        config: Any = None,
        partitioner: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        sparse_combiner: str = "sum",
    ) -> None:
        cols = _check_common(feature_columns, weight_column, label_vocabulary)
        super().__init__(
            _ClassifierHead(n_classes),
            cols,
            model_dir,
            optimizer,
            config,
            warm_start_from,
            sparse_combiner,
        )


class LinearRegressor(_Linear):
    """A linear regressor (TF1's tf.estimator.LinearRegressor); squared-error loss. NOTE: the
    default optimizer 'Ftrl' trains with Adagrad."""

    def __init__(
        self,
        feature_columns: Any,
        model_dir: Any = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        optimizer: Any = "Ftrl",
        config: Any = None,
        partitioner: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        sparse_combiner: str = "sum",
    ) -> None:
        cols = _check_common(feature_columns, weight_column, None)
        super().__init__(
            _RegressionHead(label_dimension),
            cols,
            model_dir,
            optimizer,
            config,
            warm_start_from,
            sparse_combiner,
        )


__all__ = ["DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor"]
