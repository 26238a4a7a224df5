"""tf.contrib.factorization.KMeans: the graph for k-means clustering (TF 1.15's clustering_ops).

Composed from existing ops plus the three clustering kernels of flowzero/ops/clustering_ops.py
(NearestNeighbors, KmeansPlusPlusInitialization, KMC2ChainInitialization). The graph is TF's:

- variables `clusters` (the centers, shape unknown until chosen), `initialized` (bool), and for
  mini-batch training the per-center counts (and, with mini_batch_steps_per_iteration > 1, a
  second copy `clusters_updated` and the `update_in_steps` countdown);
- `init_op` chooses the centers still missing (run it until `initialized` is True);
- `training_op` runs one Lloyd iteration (full batch) or one mini-batch update
  x += (sum(d_i) - k x) / (n + k) of each center x seen n times before and k times now.

With the cosine metric inputs are L2-normalized, and the score of a point is 1 - cos(x, c).

Example:
    >>> from flowzero.contrib.factorization import KMeans
    >>> x = tf.placeholder(tf.float32, [None, 2])
    >>> kmeans = KMeans(x, num_clusters=2, initial_clusters=[[0.0, 0.0], [5.0, 5.0]])
    >>> (all_scores, cluster_idx, scores, initialized, centers, init_op,
    ...  train_op) = kmeans.training_graph()
    >>> sess = tf.Session()
    >>> sess.run(tf.global_variables_initializer())
    >>> data = np.array([[0.0, 1.0], [1.0, 0.0], [4.0, 5.0], [6.0, 5.0]], np.float32)
    >>> sess.run(init_op, {x: data})
    >>> for _ in range(3):
    ...     _ = sess.run(train_op, {x: data})
    >>> print(np.round(sess.run(centers), 3))
    [[0.5 0.5]
     [5.  5. ]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, control_dependencies, convert_to_tensor, get_seed
from flowzero.ops import (
    array_ops,
    cast_ops,
    check_ops,
    control_flow_ops,
    control_ops,
    indexing_ops,
    linalg_ops,
    logic_ops,
    manip_ops,
    math_ops,
    nn_impl,
    random_ops,
    reduction_ops,
    reshape_ops,
    scatter_ops,
    segment_ops,
    sort_ops,
    state_ops,
    unary_ops,
)
from flowzero.ops.clustering_ops import (
    kmc2_chain_initialization,
    kmeans_plus_plus_initialization,
    nearest_neighbors,
)
from flowzero.variables import Variable

# Squared Euclidean distance |u - v|^2.
SQUARED_EUCLIDEAN_DISTANCE = "squared_euclidean"
# Cosine distance 1 - u.v / (|u| |v|).
COSINE_DISTANCE = "cosine"

RANDOM_INIT = "random"
KMEANS_PLUS_PLUS_INIT = "kmeans_plus_plus"
KMC2_INIT = "kmc2"

# The name of the variable holding the cluster centers (the estimator reads it back).
CLUSTERS_VAR_NAME = "clusters"

_INITS = (RANDOM_INIT, KMEANS_PLUS_PLUS_INIT, KMC2_INIT)
_METRICS = (SQUARED_EUCLIDEAN_DISTANCE, COSINE_DISTANCE)


def _normalize(x: Any) -> Tensor:
    return nn_impl.l2_normalize(x, dim=1)


class KMeans:
    """Creates the graph for k-means clustering (TF 1.15's tf.contrib.factorization.KMeans).

    Full batch (`use_mini_batch=False`): each training step is one Lloyd iteration over the
    whole input. Mini-batch: each step moves the centers towards the batch's points; with
    `mini_batch_steps_per_iteration` > 1 the steps update a second copy of the centers, which
    is copied back to the centers used for assignment every that many steps.

    Args:
        inputs: an input Tensor [num_points, dims], or a list of them (shards).
        num_clusters: the number of clusters (an int or int Tensor); ignored when
            `initial_clusters` is a Tensor or array.
        initial_clusters: a Tensor or array of initial centers; a function
            `f(inputs, k)` returning up to k centers; or "random", "kmeans_plus_plus" or
            "kmc2" to choose them from `inputs`.
        distance_metric: "squared_euclidean" or "cosine".
        use_mini_batch: mini-batch k-means instead of full-batch.
        mini_batch_steps_per_iteration: steps after which the updated centers are synced back.
        random_seed: seed of the initial choice of centers.
        kmeans_plus_plus_num_retries: extra draws per k-means++ pick (negative: a heuristic).
        kmc2_chain_length: candidates per k-MC2 Markov chain.

    Raises:
        ValueError: `initial_clusters` is an unknown string, or `distance_metric` unknown.
    """

    def __init__(
        self,
        inputs: Any,
        num_clusters: Any,
        initial_clusters: Any = RANDOM_INIT,
        distance_metric: str = SQUARED_EUCLIDEAN_DISTANCE,
        use_mini_batch: bool = False,
        mini_batch_steps_per_iteration: int = 1,
        random_seed: int = 0,
        kmeans_plus_plus_num_retries: int = 2,
        kmc2_chain_length: int = 200,
    ) -> None:
        if isinstance(initial_clusters, str) and initial_clusters not in _INITS:
            raise ValueError(
                f"KMeans: unsupported initial_clusters (initialization algorithm) "
                f"'{initial_clusters}'; use one of {', '.join(map(repr, _INITS))}, a Tensor "
                "of centers or a function (inputs, num_clusters) -> centers."
            )
        if distance_metric not in _METRICS:
            raise ValueError(
                f"KMeans: unsupported distance_metric '{distance_metric}'; use one of "
                f"{', '.join(map(repr, _METRICS))}."
            )
        self._inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._inputs = [convert_to_tensor(i) for i in self._inputs]
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._use_mini_batch = bool(use_mini_batch)
        self._mini_batch_steps_per_iteration = int(mini_batch_steps_per_iteration)
        self._seed = get_seed(random_seed)[0]
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._kmc2_chain_length = kmc2_chain_length

    # -- distances and assignment ------------------------------------------------------------
    @classmethod
    def _distance_graph(cls, inputs: list[Tensor], clusters: Tensor, metric: str) -> list[Tensor]:
        """For each input shard, its [num_points, num_clusters] distances to the centers (the
        cosine one assumes inputs and centers are normalized already)."""
        if metric == SQUARED_EUCLIDEAN_DISTANCE:
            return cls._compute_euclidean_distance(inputs, clusters)
        return cls._compute_cosine_distance(inputs, clusters, inputs_normalized=True)

    @classmethod
    def _compute_euclidean_distance(cls, inputs: list[Tensor], clusters: Tensor) -> list[Tensor]:
        # |x|^2 - 2 x.c + |c|^2, the first and last terms broadcast.
        c_sq = reshape_ops.transpose(
            reduction_ops.reduce_sum(unary_ops.square(clusters), 1, keepdims=True)
        )
        return [
            reduction_ops.reduce_sum(unary_ops.square(inp), 1, keepdims=True)
            - 2 * linalg_ops.matmul(inp, clusters, transpose_b=True)
            + c_sq
            for inp in inputs
        ]

    @classmethod
    def _compute_cosine_distance(
        cls, inputs: list[Tensor], clusters: Tensor, inputs_normalized: bool = True
    ) -> list[Tensor]:
        if not inputs_normalized:
            clusters = _normalize(clusters)
        out = []
        for inp in inputs:
            if not inputs_normalized:
                inp = _normalize(inp)
            out.append(1 - linalg_ops.matmul(inp, clusters, transpose_b=True))
        return out

    def _infer_graph(
        self, inputs: list[Tensor], clusters: Tensor
    ) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...], tuple[Tensor, ...]]:
        """(all_scores, scores, cluster_idx): per shard, the distances to every center, to the
        nearest one, and the nearest one's index (int64)."""
        all_scores = self._distance_graph(inputs, clusters, self._distance_metric)
        if self._distance_metric == COSINE_DISTANCE and not self._clusters_l2_normalized():
            clusters = _normalize(clusters)
        scores, idx = [], []
        for inp in inputs:
            # For unit vectors |x - c|^2 = 2 (1 - cos(x, c)): NearestNeighbors serves cosine too.
            indices, distances = nearest_neighbors(inp, clusters, 1)
            if self._distance_metric == COSINE_DISTANCE:
                distances = distances * 0.5
            scores.append(reshape_ops.squeeze(distances, [-1]))
            idx.append(reshape_ops.squeeze(indices, [-1]))
        return tuple(all_scores), tuple(scores), tuple(idx)

    def _clusters_l2_normalized(self) -> bool:
        """Whether the centers variable itself is kept normalized."""
        return self._distance_metric == COSINE_DISTANCE and (
            not self._use_mini_batch or self._mini_batch_steps_per_iteration > 1
        )

    # -- variables ---------------------------------------------------------------------------
    def _create_variables(self, num_clusters: Tensor) -> tuple[Any, Any, Any, Any, Any]:
        # An empty start: the centers' shape is only known once init_op has chosen them.
        init_value = array_ops.placeholder_with_default([], shape=None)
        centers = Variable(init_value, name=CLUSTERS_VAR_NAME, validate_shape=False)
        initialized = Variable(False, dtype=dtypes.bool, name="initialized")
        if self._use_mini_batch and self._mini_batch_steps_per_iteration > 1:
            centers_updated = Variable(init_value, name="clusters_updated", validate_shape=False)
            update_in_steps = Variable(
                self._mini_batch_steps_per_iteration, dtype=dtypes.int64, name="update_in_steps"
            )
            counts = Variable(array_ops.zeros([num_clusters], dtype=dtypes.int64))
        else:
            centers_updated = centers
            update_in_steps = None
            counts = (
                Variable(array_ops.ones([num_clusters], dtype=dtypes.int64))
                if self._use_mini_batch
                else None
            )
        return centers, initialized, counts, centers_updated, update_in_steps

    # -- the graph ---------------------------------------------------------------------------
    def training_graph(self) -> tuple[Any, ...]:
        """Builds the training graph.

        Returns:
            (all_scores, cluster_idx, scores, cluster_centers_initialized,
            cluster_centers_var, init_op, training_op): all_scores, cluster_idx and scores are
            tuples with one Tensor per input shard (distances [n, k], nearest center's int64
            index [n], distance to it [n]); run init_op (until cluster_centers_initialized is
            True), then training_op once per step.
        """
        init = self._initial_clusters
        if isinstance(init, str) or callable(init):
            initial_clusters = init
            num_clusters = convert_to_tensor(self._num_clusters)
        else:
            initial_clusters = convert_to_tensor(init)
            num_clusters = array_ops.shape(initial_clusters)[0]

        inputs = self._inputs
        centers_var, initialized, counts, centers_updated, update_in_steps = self._create_variables(
            num_clusters
        )
        init_op = _InitializeClustersOpFactory(
            self._inputs,
            num_clusters,
            initial_clusters,
            self._distance_metric,
            self._seed,
            self._kmeans_plus_plus_num_retries,
            self._kmc2_chain_length,
            centers_var,
            centers_updated,
            initialized,
        ).op()
        centers: Any = centers_var
        if self._distance_metric == COSINE_DISTANCE:
            inputs = [_normalize(i) for i in inputs]
            if not self._clusters_l2_normalized():
                centers = _normalize(centers)

        all_scores, scores, cluster_idx = self._infer_graph(inputs, centers)
        if self._use_mini_batch:
            # NOTE: TF leaves the order of the step's reads and writes to its executor (a
            # race); here the assignment reads the centers before the sync copies them, and
            # the update reads the old counts and centers before scattering into them.
            with control_dependencies(list(cluster_idx)):
                sync = self._mini_batch_sync_updates_op(
                    update_in_steps, centers_var, centers_updated, counts
                )
            with control_dependencies([sync]):
                training_op = self._mini_batch_training_op(
                    inputs, cluster_idx, centers_updated, counts
                )
        else:
            training_op = self._full_batch_training_op(
                inputs, num_clusters, cluster_idx, centers_var
            )
        return (all_scores, cluster_idx, scores, initialized, centers_var, init_op, training_op)

    def _mini_batch_sync_updates_op(
        self, update_in_steps: Any, centers_var: Any, centers_updated: Any, counts: Any
    ) -> Any:
        """Every mini_batch_steps_per_iteration steps: centers := (normalized) updated copy,
        counts := 0; otherwise a countdown."""
        if not (self._use_mini_batch and self._mini_batch_steps_per_iteration > 1):
            return control_ops.no_op()

        def sync() -> Tensor:
            # Reset the countdown first, then copy the centers, then zero the counts.
            with control_dependencies(
                [state_ops.assign(update_in_steps, self._mini_batch_steps_per_iteration - 1)]
            ):
                new = (
                    _normalize(centers_updated)
                    if self._distance_metric == COSINE_DISTANCE
                    else centers_updated
                )
                with control_dependencies([state_ops.assign(centers_var, new)]):
                    with control_dependencies(
                        [state_ops.assign(counts, array_ops.zeros_like(counts))]
                    ):
                        return control_ops.identity(update_in_steps)

        return control_flow_ops.cond(
            update_in_steps <= 0, sync, lambda: state_ops.assign_sub(update_in_steps, 1)
        )

    def _mini_batch_training_op(
        self, inputs: list[Tensor], cluster_idx_list: Any, centers: Any, counts: Any
    ) -> Any:
        updates = []
        for inp, cluster_idx in zip(inputs, cluster_idx_list):
            cluster_idx = reshape_ops.reshape(cluster_idx, [-1])
            # Aggregate per distinct center so that each is updated once.
            unique_ids, unique_idx = sort_ops.unique(cluster_idx)
            num_unique = array_ops.size(unique_ids)
            old_counts = indexing_ops.gather(counts, unique_ids)
            old_centers = indexing_ops.gather(centers, unique_ids)
            count_updates = segment_ops.unsorted_segment_sum(
                array_ops.ones_like(unique_idx, dtype=counts.dtype), unique_idx, num_unique
            )
            # A center x seen n times before and by k points d_i now moves by
            # (sum_i d_i - k x) / (n + k).
            center_updates = segment_ops.unsorted_segment_sum(inp, unique_idx, num_unique)
            bshape = manip_ops.concat(
                [
                    reshape_ops.reshape(num_unique, [1]),
                    array_ops.ones(
                        reshape_ops.reshape(array_ops.rank(inp) - 1, [1]), dtype=dtypes.int32
                    ),
                ],
                0,
            )
            center_updates -= (
                cast_ops.cast(reshape_ops.reshape(count_updates, bshape), inp.dtype) * old_centers
            )
            rate = unary_ops.reciprocal(cast_ops.cast(old_counts + count_updates, inp.dtype))
            center_updates *= reshape_ops.reshape(rate, bshape)
            with control_dependencies([old_counts, old_centers]):
                updates.append(scatter_ops.scatter_add(counts, unique_ids, count_updates))
                updates.append(scatter_ops.scatter_add(centers, unique_ids, center_updates))
        return control_ops.group(*updates)

    def _full_batch_training_op(
        self, inputs: list[Tensor], num_clusters: Tensor, cluster_idx_list: Any, centers: Any
    ) -> Any:
        sums, cnts = [], []
        epsilon = convert_to_tensor(1e-6, dtype=inputs[0].dtype)
        for inp, cluster_idx in zip(inputs, cluster_idx_list):
            sums.append(segment_ops.unsorted_segment_sum(inp, cluster_idx, num_clusters))
            ones = array_ops.ones(reshape_ops.reshape(array_ops.shape(inp)[0], [-1]))
            cnts.append(
                segment_ops.unsorted_segment_sum(
                    reshape_ops.reshape(ones, [-1, 1]), cluster_idx, num_clusters
                )
            )
        new_centers = math_ops.add_n(sums) / (
            cast_ops.cast(math_ops.add_n(cnts), sums[0].dtype) + epsilon
        )
        if self._clusters_l2_normalized():
            new_centers = _normalize(new_centers)
        return state_ops.assign(centers, new_centers)


class _InitializeClustersOpFactory:
    """Builds init_op, which chooses the centers still missing:

    remaining = num_clusters - len(centers)
    if remaining == 0: check that `initialized` is True
    else: check remaining > 0; choose up to `remaining` new centers (normalized for cosine);
          centers := centers + new (and the updated copy too); initialized := (none missing).
    """

    def __init__(
        self,
        inputs: list[Tensor],
        num_clusters: Tensor,
        initial_clusters: Any,
        distance_metric: str,
        seed: Any,
        kmeans_plus_plus_num_retries: int,
        kmc2_chain_length: int,
        centers: Any,
        centers_updated: Any,
        initialized: Any,
    ) -> None:
        self._inputs = inputs
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._seed = seed
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._kmc2_chain_length = kmc2_chain_length
        self._centers = centers
        self._centers_updated = centers_updated
        self._initialized = initialized
        self._num_selected = array_ops.shape(centers)[0]
        self._num_remaining = num_clusters - self._num_selected
        self._num_data = math_ops.add_n([array_ops.shape(i)[0] for i in inputs])

    def _random(self) -> Tensor:
        from flowzero.nn import embedding_lookup

        indices = random_ops.random_uniform(
            reshape_ops.reshape(self._num_remaining, [-1]),
            minval=0,
            maxval=cast_ops.cast(self._num_data, dtypes.int64),
            seed=self._seed,
            dtype=dtypes.int64,
        )
        return embedding_lookup(self._inputs, indices, partition_strategy="div")

    def _kmeans_plus_plus(self) -> Tensor:
        # Only the first shard's points are candidates (as TF).
        inp = self._inputs[0]
        if self._distance_metric == COSINE_DISTANCE:
            inp = _normalize(inp)
        return kmeans_plus_plus_initialization(
            inp,
            cast_ops.cast(self._num_remaining, dtypes.int64),
            self._seed,
            self._kmeans_plus_plus_num_retries,
        )

    def _kmc2_multiple_centers(self) -> Tensor:
        """Adds new centers by k-MC2 and returns how many are still missing: the first shard
        is cut into subsets of kmc2_chain_length points, each subset's Markov chain adding one
        center; with fewer points, one chain over all of them. The first center ever is the
        shard's first point (the input is assumed shuffled); as in TF, a run that starts with
        no centers adds only that one (whether any were chosen is read once per run)."""
        first = self._inputs[0]
        batch_size = array_ops.shape(first)[0]
        max_to_sample = cast_ops.cast(batch_size / self._kmc2_chain_length, dtypes.int32)
        num_to_sample = math_ops.maximum(math_ops.minimum(self._num_remaining, max_to_sample), 1)
        chain = self._kmc2_chain_length

        def body(i: Tensor, _: Tensor) -> tuple[Tensor, Tensor]:
            def sample_random() -> Tensor:
                c = reshape_ops.reshape(first[0], [1, -1])
                return _normalize(c) if self._distance_metric == COSINE_DISTANCE else c

            def sample_chain() -> Tensor:
                # Read the centers anew in every iteration: the previous one assigned them.
                current = state_ops.read_variable(self._centers._ref())
                start = i * chain
                subset = first[start : start + chain]
                _, distances = nearest_neighbors(subset, current, 1)
                pick = kmc2_chain_initialization(reshape_ops.squeeze(distances), self._seed)
                c = reshape_ops.reshape(subset[pick], [1, -1])
                if self._distance_metric == COSINE_DISTANCE:
                    c = _normalize(c)
                return manip_ops.concat([current, c], 0)

            new = control_flow_ops.cond(
                logic_ops.equal(self._num_selected, 0), sample_random, sample_chain
            )
            assigned = state_ops.assign(self._centers, new, validate_shape=False)
            if self._centers_updated is not self._centers:
                assigned = state_ops.assign(self._centers_updated, assigned, validate_shape=False)
            return i + 1, self._num_clusters - array_ops.shape(assigned)[0]

        _, remaining = control_flow_ops.while_loop(
            lambda i, _: logic_ops.less(i, num_to_sample), body, [0, 0]
        )
        return remaining

    def _greedy_batch_sampler(self, sampler: Callable[[], Tensor]) -> Tensor:
        # A batch no larger than what is missing becomes centers whole (mini-batch may do it).
        return control_flow_ops.cond(
            self._num_data <= self._num_remaining,
            lambda: manip_ops.concat(self._inputs, 0),
            sampler,
        )

    def _single_batch_sampler(self, sampler: Callable[[], Tensor]) -> Tensor:
        # The one batch must hold at least as many points as centers are missing.
        with control_dependencies(
            [
                check_ops.assert_greater_equal(
                    self._num_data,
                    self._num_remaining,
                    message="KMeans: num_clusters must be <= the number of input points",
                )
            ]
        ):
            return sampler()

    def _choose_initial_centers(self) -> Tensor:
        init = self._initial_clusters
        if isinstance(init, str):
            if init == RANDOM_INIT:
                return self._greedy_batch_sampler(self._random)
            return self._single_batch_sampler(self._kmeans_plus_plus)
        if callable(init):
            return init(self._inputs, self._num_remaining)
        with control_dependencies(
            [check_ops.assert_equal(self._num_remaining, array_ops.shape(init)[0])]
        ):
            return control_ops.identity(init)

    def _add_new_centers(self) -> Tensor:
        """Adds some centers; returns how many are still missing."""
        new = self._choose_initial_centers()
        if self._distance_metric == COSINE_DISTANCE:
            new = _normalize(new)
        # An empty centers variable has no shape that concat would accept.
        all_centers = control_flow_ops.cond(
            logic_ops.equal(self._num_selected, 0),
            lambda: new,
            lambda: manip_ops.concat([self._centers, new], 0),
        )
        a = state_ops.assign(self._centers, all_centers, validate_shape=False)
        if self._centers_updated is not self._centers:
            a = state_ops.assign(self._centers_updated, a, validate_shape=False)
        return self._num_clusters - array_ops.shape(a)[0]

    def _initialize(self) -> Any:
        with control_dependencies([check_ops.assert_positive(self._num_remaining)]):
            if isinstance(self._initial_clusters, str) and self._initial_clusters == KMC2_INIT:
                now_remaining = self._kmc2_multiple_centers()
            else:
                now_remaining = self._add_new_centers()
            return control_flow_ops.cond(
                logic_ops.equal(now_remaining, 0),
                lambda: state_ops.assign(self._initialized, True),
                control_ops.no_op,
            )

    def op(self) -> Any:
        """The init op."""
        return control_flow_ops.cond(
            logic_ops.equal(self._num_remaining, 0),
            lambda: check_ops.assert_equal(self._initialized, True),
            self._initialize,
        )


__all__ = [
    "KMeans",
    "SQUARED_EUCLIDEAN_DISTANCE",
    "COSINE_DISTANCE",
    "RANDOM_INIT",
    "KMEANS_PLUS_PLUS_INIT",
    "KMC2_INIT",
    "CLUSTERS_VAR_NAME",
]
