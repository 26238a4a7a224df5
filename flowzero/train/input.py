"""Queue-based input pipelines (TF1 before tf.data): producers and batchers.

    filenames = tf.train.string_input_producer(["a.png", "b.png"], num_epochs=2)
    image = tf.image.decode_png(tf.read_file(filenames.dequeue()))
    images = tf.train.shuffle_batch([image], batch_size=32, capacity=200, min_after_dequeue=50)

Each function adds a queue and a QueueRunner (in the QUEUE_RUNNERS collection) whose threads
fill it once `tf.train.start_queue_runners` runs (MonitoredSession starts them itself).
`num_epochs` counts passes in a local variable, so run `tf.local_variables_initializer()`;
after the last pass the pipeline's dequeues raise OutOfRangeError.
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
)
from flowzero.ops.data_flow_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from flowzero.train.queue_runner import QueueRunner, add_queue_runner


def _tf() -> Any:
    import flowzero

    return flowzero


def limit_epochs(tensor: Any, num_epochs: int | None = None, name: str | None = None) -> Tensor:
    """`tensor`, `num_epochs` times; then OutOfRangeError (None: forever).

    The count is the local variable `<name>/epochs`: run tf.local_variables_initializer().
    """
    tf = _tf()
    if num_epochs is None:
        return convert_to_tensor(tensor)
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    g = get_default_graph()
    with g.name_scope(name or "limit_epochs"):
        t = convert_to_tensor(tensor)
        epochs = tf.Variable(
            tf.zeros([], tf.int64),
            name="epochs",
            trainable=False,
            collections=[GraphKeys.LOCAL_VARIABLES],
        )
        counter = tf.count_up_to(epochs, num_epochs)
        with control_dependencies([counter]):
            return tf.identity(t, name="fraction_of_epochs")


def input_producer(
    input_tensor: Any,
    element_shape: Any = None,
    num_epochs: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    capacity: int = 32,
    shared_name: str | None = None,
    summary_name: str | None = None,
    name: str | None = None,
    cancel_op: Any = None,
) -> FIFOQueue:
    """A queue fed with the rows of `input_tensor` (shuffled each epoch if `shuffle`),
    `num_epochs` times. Returns the queue; dequeue from it."""
    tf = _tf()
    g = get_default_graph()
    with g.name_scope(name or "input_producer"):
        t = convert_to_tensor(input_tensor)
        shape = t.shape.as_list()[1:] if t.shape.ndims is not None else None
        if element_shape is not None:
            shape = list(element_shape)
        if shape is None or any(d is None for d in shape):
            raise ValueError(
                "Either `input_tensor` must have a fully defined shape below "
                "dimension 0, or `element_shape` must be specified."
            )
        t = limit_epochs(t, num_epochs)
        if shuffle:
            t = tf.random_shuffle(t, seed=seed)
        # (TF's name: the queue of string_input_producer's scope `input_producer/` is the
        # op `input_producer`; called directly, `input_producer/fifo_queue`)
        q = FIFOQueue(
            capacity=capacity,
            dtypes=[t.dtype],
            shapes=[shape],
            shared_name=shared_name,
            name=name or "fifo_queue",
        )
        enq = q.enqueue_many([t])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        return q


def string_input_producer(
    string_tensor: Any,
    num_epochs: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    capacity: int = 32,
    shared_name: str | None = None,
    name: str | None = None,
    cancel_op: Any = None,
) -> FIFOQueue:
    """A queue of the strings (file names) in `string_tensor`, shuffled each epoch if
    `shuffle`, `num_epochs` times.

    Example:
        >>> queue = tf.train.string_input_producer(["f1.csv", "f2.csv"], num_epochs=1)
        >>> name = queue.dequeue()
    """
    from flowzero.ops.common import static_value

    with get_default_graph().name_scope(name or "input_producer") as scope:
        t = convert_to_tensor(string_tensor, dtype=dtypes.string)
        v = static_value(t)
        if v is not None and v.size == 0:
            raise ValueError("string_input_producer requires a non-null input tensor")
        return input_producer(
            t, [], num_epochs, shuffle, seed, capacity, shared_name, name=scope, cancel_op=cancel_op
        )


def range_input_producer(
    limit: int,
    num_epochs: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    capacity: int = 32,
    shared_name: str | None = None,
    name: str | None = None,
) -> FIFOQueue:
    """A queue of the integers 0 .. limit-1 (int32), shuffled each epoch if `shuffle`."""
    tf = _tf()
    with get_default_graph().name_scope(name or "input_producer") as scope:
        r = tf.range(limit)
        return input_producer(r, [], num_epochs, shuffle, seed, capacity, shared_name, name=scope)


def slice_input_producer(
    tensor_list: Any,
    num_epochs: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    capacity: int = 32,
    shared_name: str | None = None,
    name: str | None = None,
) -> list[Tensor]:
    """One row of each tensor in `tensor_list` per dequeue (the same row index for all),
    shuffled each epoch if `shuffle`, `num_epochs` times.

    Example:
        >>> images = np.arange(12, dtype=np.float32).reshape(6, 2)
        >>> labels = np.arange(6)
        >>> image, label = tf.train.slice_input_producer([images, labels], num_epochs=5)
        >>> print(image.shape, label.shape)   # one row at a time
        (2,) ()
    """
    tf = _tf()
    tensors = [convert_to_tensor(t) for t in tensor_list]
    if not tensors:
        raise ValueError("Expected at least one tensor in slice_input_producer().")
    n = tensors[0].shape.as_list()[0] if tensors[0].shape.ndims else None
    with get_default_graph().name_scope(name or "input_producer"):
        size = n if n is not None else tf.shape(tensors[0])[0]
        for t in tensors[1:]:
            m = t.shape.as_list()[0] if t.shape.ndims else None
            if n is not None and m is not None and m != n:
                raise ValueError(
                    f"slice_input_producer: all tensors need the same first "
                    f"dimension; got {n} and {m}."
                )
        queue = range_input_producer(
            size,
            num_epochs=num_epochs,
            shuffle=shuffle,
            seed=seed,
            capacity=capacity,
            shared_name=shared_name,
        )
        index = queue.dequeue()
        return [tf.gather(t, index) for t in tensors]


# -- batching ----------------------------------------------------------------------------------
def _flatten(tensors: Any) -> tuple[list[Tensor], Any]:
    """TF's rule (input.py's _as_tensor_list): a dict gives its values sorted by key; a list or
    tuple gives its elements, each converted to one tensor (so `[xy[0:-1], xy[-1:]]`, lists of
    scalar tensors, batches as two tensors of shape [3] and [1], not four scalars)."""
    if isinstance(tensors, Tensor):
        return [tensors], None
    if isinstance(tensors, dict):
        keys = sorted(tensors, key=str)
        flat = [convert_to_tensor(tensors[k]) for k in keys]
        structure: Any = keys
    else:
        flat = [convert_to_tensor(t) for t in tensors]
        structure = list
    if not flat:
        raise ValueError("Cannot batch an empty list of tensors.")
    return flat, structure


def _shapes(
    flat: list[Tensor], shapes: Any, enqueue_many: bool, dynamic_pad: bool
) -> list[list[int | None]]:
    if shapes is not None:
        return [list(s) for s in shapes]
    out = []
    for t in flat:
        if t.shape.ndims is None:
            raise ValueError(
                f"All shapes must be fully defined: tensor '{t.name}' has an "
                "unknown rank. Pass shapes=."
            )
        s = t.shape.as_list()[1:] if enqueue_many else t.shape.as_list()
        if not dynamic_pad and any(d is None for d in s):
            raise ValueError(
                f"All shapes must be fully defined: {[x.shape for x in flat]} "
                "(pass shapes=, or dynamic_pad=True to pad)."
            )
        out.append(s)
    return out


def _batch(
    tensors_list: list[Any],
    threads_per_list: int,
    name: str,
    keep_input: Any,
    batch_size: int,
    capacity: int,
    enqueue_many: bool,
    shapes: Any,
    dynamic_pad: bool,
    allow_smaller_final_batch: bool,
    shared_name: str | None,
    shuffle: tuple[int, int | None] | None = None,
) -> Any:
    """Every batcher (batch, shuffle_batch, their _join and maybe_ forms): a queue fed by
    `threads_per_list` enqueue ops per tensor list. `shuffle` is (min_after_dequeue, seed) for
    a RandomShuffleQueue, None for a FIFO queue (padding with dynamic_pad); `keep_input` (the
    maybe_ batchers) filters what is enqueued, None keeps everything."""
    if batch_size is None or (isinstance(batch_size, int) and batch_size <= 0):
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}.")
    flats = [_flatten(t) for t in tensors_list]
    flat0, structure = flats[0]
    for f, _ in flats[1:]:
        if [t.dtype for t in f] != [t.dtype for t in flat0]:
            raise ValueError("batch_join: every tensor list must have the same dtypes.")
    with get_default_graph().name_scope(name) as scope:
        shp = _shapes(flat0, shapes, enqueue_many, dynamic_pad)
        dts = [t.dtype for t in flat0]
        if shuffle is not None:
            min_after_dequeue, seed = shuffle
            q: Any = RandomShuffleQueue(
                capacity, min_after_dequeue, dts, shp, seed=seed, shared_name=shared_name
            )
        elif dynamic_pad:
            q = PaddingFIFOQueue(capacity, dts, shp, shared_name=shared_name)
        else:
            q = FIFOQueue(capacity, dts, shp, shared_name=shared_name)
        enqueue = q.enqueue_many if enqueue_many else q.enqueue
        if keep_input is not None:  # the maybe_* batchers: enqueue only what is kept
            enqueue = _keep_filter(enqueue, keep_input, enqueue_many)
        ops = [enqueue(f) for f, _ in flats for _ in range(threads_per_list)]
        add_queue_runner(QueueRunner(q, ops))
        # (TF names the batch op after the scope itself: `shuffle_batch`, `batch_1`)
        dequeue = q.dequeue_up_to if allow_smaller_final_batch else q.dequeue_many
        out = dequeue(batch_size, name=scope)
    out = out if isinstance(out, list) else [out]
    if structure is None:
        return out[0]
    if structure is list:
        return out
    return dict(zip(structure, out))


def _keep_filter(enqueue: Any, keep: Any, enqueue_many: bool) -> Any:
    """`enqueue` wrapped to enqueue only what `keep` keeps (a cond for a scalar, a boolean
    mask of the rows for a vector)."""
    from flowzero.ops import control_flow_ops, control_ops
    from flowzero.ops.indexing_ops import boolean_mask

    def filtered(tensors: list[Any]) -> Any:
        if keep.shape.ndims == 1:
            return enqueue([boolean_mask(t, keep) for t in tensors])
        return control_flow_ops.cond(keep, lambda: enqueue(tensors), control_ops.no_op)

    return filtered


def batch(
    tensors: Any,
    batch_size: int,
    num_threads: int = 1,
    capacity: int = 32,
    enqueue_many: bool = False,
    shapes: Any = None,
    dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """Batches `tensors` (a tensor, list or dict) through a FIFO queue filled by
    `num_threads` threads. The result has the structure of `tensors`, each with a leading
    batch dimension; with allow_smaller_final_batch the last batch may be smaller.

    Example:
        >>> images = np.arange(12, dtype=np.float32).reshape(6, 2)
        >>> image, label = tf.train.slice_input_producer(
        ...     [images, np.arange(6)], num_epochs=1, shuffle=False)
        >>> image_batch, label_batch = tf.train.batch(
        ...     [image, label], batch_size=4, allow_smaller_final_batch=True)
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())   # the epoch counter
        >>> coord = tf.train.Coordinator()
        >>> threads = tf.train.start_queue_runners(sess, coord)
        >>> sess.run(label_batch)
        array([0, 1, 2, 3])
        >>> sess.run(label_batch)   # the smaller final batch
        array([4, 5])
        >>> coord.request_stop()
        >>> coord.join(threads)
    """

    return _batch(
        [tensors],
        num_threads,
        name or "batch",
        None,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
    )


def batch_join(
    tensors_list: Any,
    batch_size: int,
    capacity: int = 32,
    enqueue_many: bool = False,
    shapes: Any = None,
    dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """Like batch, with one enqueue thread per tensor list in `tensors_list`."""

    return _batch(
        list(tensors_list),
        1,
        name or "batch_join",
        None,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
    )


def shuffle_batch(
    tensors: Any,
    batch_size: int,
    capacity: int,
    min_after_dequeue: int,
    num_threads: int = 1,
    seed: int | None = None,
    enqueue_many: bool = False,
    shapes: Any = None,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """Batches `tensors` in random order: a RandomShuffleQueue that keeps at least
    `min_after_dequeue` elements to draw from (until its input ends).

    Example:
        >>> images = np.arange(200, dtype=np.float32).reshape(100, 2)
        >>> image, label = tf.train.slice_input_producer([images, np.arange(100)])
        >>> image_batch, label_batch = tf.train.shuffle_batch([image, label], batch_size=8,
        ...     capacity=50, min_after_dequeue=20, seed=1)
        >>> sess = tf.Session()
        >>> coord = tf.train.Coordinator()
        >>> threads = tf.train.start_queue_runners(sess, coord)
        >>> sess.run(image_batch).shape
        (8, 2)
        >>> coord.request_stop()
        >>> coord.join(threads)
    """

    return _batch(
        [tensors],
        num_threads,
        name or "shuffle_batch",
        None,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        False,
        allow_smaller_final_batch,
        shared_name,
        (min_after_dequeue, seed),
    )


def shuffle_batch_join(
    tensors_list: Any,
    batch_size: int,
    capacity: int,
    min_after_dequeue: int,
    seed: int | None = None,
    enqueue_many: bool = False,
    shapes: Any = None,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """Like shuffle_batch, with one enqueue thread per tensor list in `tensors_list`."""

    return _batch(
        list(tensors_list),
        1,
        name or "shuffle_batch_join",
        None,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        False,
        allow_smaller_final_batch,
        shared_name,
        (min_after_dequeue, seed),
    )


__all__ = [
    "limit_epochs",
    "input_producer",
    "string_input_producer",
    "range_input_producer",
    "slice_input_producer",
    "batch",
    "batch_join",
    "shuffle_batch",
    "shuffle_batch_join",
]
