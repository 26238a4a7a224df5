"""tf.contrib.factorization.KMeansClustering: k-means as a tf.estimator.Estimator (TF 1.15).

The model_fn builds KMeans' training graph over the input_fn's points; training first runs
init_op until the centers are chosen (a training hook, after the session starts), then one
Lloyd iteration or mini-batch step per training step. The loss is the sum of the distances of
the batch's points to their nearest centers; `score` evaluates it on one batch; `predict`
gives each point's `cluster_index` and `all_distances`; `transform` the distances only;
`cluster_centers` reads the centers from the newest checkpoint.

Example:
    >>> points = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 8.0]], np.float32)
    >>> def input_fn():
    ...     return tf.train.limit_epochs(tf.constant(points), num_epochs=1)
    >>> kmeans = tf.contrib.factorization.KMeansClustering(
    ...     num_clusters=2, model_dir="kmeans_model", use_mini_batch=False,
    ...     initial_clusters=np.array([[1.0, 1.0], [8.0, 8.0]], np.float32))
    >>> for _ in range(3):
    ...     _ = kmeans.train(input_fn)
    >>> print(np.round(kmeans.cluster_centers(), 3))   # the centers of the two pairs
    [[0.  0.5]
     [9.  8.5]]
    >>> print([int(i) for i in kmeans.predict_cluster_index(input_fn)])
    [0, 0, 1, 1]
    >>> print(round(float(kmeans.score(input_fn)), 3))   # 4 * 0.5 ** 2
    1.0
"""

from __future__ import annotations

import time
from typing import Any

from flowzero.contrib.factorization import clustering_ops
from flowzero.estimator.estimator import Estimator
from flowzero.estimator.export import PredictOutput
from flowzero.estimator.model_fn import EstimatorSpec
from flowzero.framework.graph import control_dependencies
from flowzero.train.session_run_hook import SessionRunArgs, SessionRunHook


class _LossRelativeChangeHook(SessionRunHook):
    """Stops training once the loss changes by less than `tolerance` (relative) in a step."""

    def __init__(self, loss_tensor: Any, tolerance: float) -> None:
        self._loss_tensor = loss_tensor
        self._tolerance = tolerance
        self._prev_loss: Any = None

    def before_run(self, run_context: Any) -> SessionRunArgs:
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context: Any, run_values: Any) -> None:
        loss = run_values.results
        if self._prev_loss:
            change = abs(loss - self._prev_loss) / (1 + abs(self._prev_loss))
            if change < self._tolerance:
                run_context.request_stop()
        self._prev_loss = loss


class _InitializeClustersHook(SessionRunHook):
    """Runs init_op (each run may take a new input batch) until every center is chosen;
    a non-chief worker waits for the chief to finish."""

    def __init__(self, init_op: Any, is_initialized_var: Any, is_chief: bool) -> None:
        self._init_op = init_op
        self._is_initialized_var = is_initialized_var
        self._is_chief = is_chief

    def after_create_session(self, session: Any, coord: Any) -> None:
        while not session.run(self._is_initialized_var):
            if self._is_chief:
                session.run(self._init_op)
            else:
                time.sleep(1)


def _parse_features_if_necessary(features: Any, feature_columns: Any) -> Any:
    """A dict of features becomes one [n, k] Tensor: through feature_columns when given,
    else its (column) tensors side by side in sorted key order."""
    from flowzero.ops.manip_ops import concat

    if not isinstance(features, dict):
        return features
    if feature_columns:
        from flowzero.feature_column import input_layer

        return input_layer(features, feature_columns)
    return concat([features[k] for k in sorted(features)], axis=1)


class _ModelFn:
    def __init__(
        self,
        num_clusters: Any,
        initial_clusters: Any,
        distance_metric: str,
        random_seed: int,
        use_mini_batch: bool,
        mini_batch_steps_per_iteration: int,
        kmeans_plus_plus_num_retries: int,
        relative_tolerance: float | None,
        feature_columns: Any,
    ) -> None:
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._random_seed = random_seed
        self._use_mini_batch = use_mini_batch
        self._mini_batch_steps_per_iteration = mini_batch_steps_per_iteration
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._relative_tolerance = relative_tolerance
        self._feature_columns = feature_columns

    def model_fn(self, features: Any, mode: str, config: Any) -> EstimatorSpec:
        """The KMeans graph as an EstimatorSpec: train_op = one training step (and the global
        step + 1), loss = sum of the distances to the nearest centers, predictions =
        {all_distances, cluster_index}, eval metric `score` = mean loss. input_fn returns the
        points only (or (points, None))."""
        from flowzero.metrics import mean
        from flowzero.ops.control_ops import identity
        from flowzero.ops.reduction_ops import reduce_sum
        from flowzero.ops.state_ops import assign_add
        from flowzero.summary import scalar
        from flowzero.train import get_global_step

        points = _parse_features_if_necessary(features, self._feature_columns)
        (all_distances, cluster_index, losses, is_initialized, _, init_op, training_op) = (
            clustering_ops.KMeans(
                inputs=points,
                num_clusters=self._num_clusters,
                initial_clusters=self._initial_clusters,
                distance_metric=self._distance_metric,
                use_mini_batch=self._use_mini_batch,
                mini_batch_steps_per_iteration=self._mini_batch_steps_per_iteration,
                random_seed=self._random_seed,
                kmeans_plus_plus_num_retries=self._kmeans_plus_plus_num_retries,
            ).training_graph()
        )
        loss = reduce_sum(losses)
        scalar("loss/raw", loss)
        incr_step = assign_add(get_global_step(), 1)
        with control_dependencies([training_op, incr_step]):
            train_op = identity(loss)

        hooks: list[Any] = [_InitializeClustersHook(init_op, is_initialized, config.is_chief)]
        if self._relative_tolerance is not None:
            hooks.append(_LossRelativeChangeHook(loss, self._relative_tolerance))
        export_outputs = {
            KMeansClustering.ALL_DISTANCES: PredictOutput(all_distances[0]),
            KMeansClustering.CLUSTER_INDEX: PredictOutput(cluster_index[0]),
            "serving_default": PredictOutput(cluster_index[0]),
        }
        return EstimatorSpec(
            mode=mode,
            predictions={
                KMeansClustering.ALL_DISTANCES: all_distances[0],
                KMeansClustering.CLUSTER_INDEX: cluster_index[0],
            },
            loss=loss,
            train_op=train_op,
            eval_metric_ops={KMeansClustering.SCORE: mean(loss)},
            training_hooks=hooks,
            export_outputs=export_outputs,
        )


class KMeansClustering(Estimator):
    """An Estimator for k-means clustering (TF 1.15's tf.contrib.factorization one).

    Args:
        num_clusters: the number of clusters (ignored when `initial_clusters` is an array).
        model_dir: where checkpoints and summaries go.
        initial_clusters: an array of centers, a function `f(inputs, k)` returning up to k
            centers from a batch, RANDOM_INIT or KMEANS_PLUS_PLUS_INIT.
        distance_metric: SQUARED_EUCLIDEAN_DISTANCE or COSINE_DISTANCE.
        random_seed: seed of the initial choice of centers.
        use_mini_batch: mini-batch k-means (the default) rather than full batch (where every
            training step's batch must be the whole input).
        mini_batch_steps_per_iteration: steps between syncs of the updated centers.
        kmeans_plus_plus_num_retries: extra draws per k-means++ pick.
        relative_tolerance: stop training when the loss changes by less than this.
        config: a tf.estimator.RunConfig.
        feature_columns: feature columns for dict features (else all, sorted by key).

    Raises:
        ValueError: an unknown `initial_clusters` string or `distance_metric`.
    """

    SQUARED_EUCLIDEAN_DISTANCE = clustering_ops.SQUARED_EUCLIDEAN_DISTANCE
    COSINE_DISTANCE = clustering_ops.COSINE_DISTANCE
    RANDOM_INIT = clustering_ops.RANDOM_INIT
    KMEANS_PLUS_PLUS_INIT = clustering_ops.KMEANS_PLUS_PLUS_INIT
    # evaluate()'s metric: the sum of the distances of the points to their nearest centers.
    SCORE = "score"
    # predict()'s keys.
    CLUSTER_INDEX = "cluster_index"
    ALL_DISTANCES = "all_distances"
    CLUSTER_CENTERS_VAR_NAME = clustering_ops.CLUSTERS_VAR_NAME

    def __init__(
        self,
        num_clusters: Any,
        model_dir: str | None = None,
        initial_clusters: Any = RANDOM_INIT,
        distance_metric: str = SQUARED_EUCLIDEAN_DISTANCE,
        random_seed: int = 0,
        use_mini_batch: bool = True,
        mini_batch_steps_per_iteration: int = 1,
        kmeans_plus_plus_num_retries: int = 2,
        relative_tolerance: float | None = None,
        config: Any = None,
        feature_columns: Any = None,
    ) -> None:
        inits = (self.RANDOM_INIT, self.KMEANS_PLUS_PLUS_INIT)
        if isinstance(initial_clusters, str) and initial_clusters not in inits:
            raise ValueError(
                f"KMeansClustering: unsupported initial_clusters (initialization algorithm) "
                f"'{initial_clusters}'; use one of {', '.join(map(repr, inits))}, an array of "
                "centers or a function (inputs, num_clusters) -> centers."
            )
        metrics = (self.SQUARED_EUCLIDEAN_DISTANCE, self.COSINE_DISTANCE)
        if distance_metric not in metrics:
            raise ValueError(
                f"KMeansClustering: unsupported distance_metric '{distance_metric}'; use one "
                f"of {', '.join(map(repr, metrics))}."
            )
        fn = _ModelFn(
            num_clusters,
            initial_clusters,
            distance_metric,
            random_seed,
            use_mini_batch,
            mini_batch_steps_per_iteration,
            kmeans_plus_plus_num_retries,
            relative_tolerance,
            feature_columns,
        )
        super().__init__(model_fn=fn.model_fn, model_dir=model_dir, config=config)

    def _predict_one_key(self, input_fn: Any, predict_key: str) -> Any:
        for result in self.predict(input_fn=input_fn, predict_keys=[predict_key]):
            yield result[predict_key]

    def predict_cluster_index(self, input_fn: Any) -> Any:
        """Yields the index of each input point's nearest center."""
        yield from self._predict_one_key(input_fn, self.CLUSTER_INDEX)

    def score(self, input_fn: Any) -> Any:
        """The sum of the distances of one batch's points to their nearest centers (not
        negated, unlike scikit-learn's)."""
        return self.evaluate(input_fn=input_fn, steps=1)[self.SCORE]

    def transform(self, input_fn: Any) -> Any:
        """Yields each input point's distances to all centers (squared Euclidean distances
        for that metric, where scikit-learn gives Euclidean ones)."""
        yield from self._predict_one_key(input_fn, self.ALL_DISTANCES)

    def cluster_centers(self) -> Any:
        """The cluster centers in the newest checkpoint."""
        return self.get_variable_value(self.CLUSTER_CENTERS_VAR_NAME)


__all__ = ["KMeansClustering"]
