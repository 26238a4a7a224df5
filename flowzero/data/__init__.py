"""tf.data: input pipelines (`Dataset`) and the iterators that feed a graph from them."""

from flowzero.data.dataset import (
    Dataset,
    Iterator,
    make_initializable_iterator,
    make_one_shot_iterator,
)

__all__ = ["Dataset", "Iterator", "make_initializable_iterator", "make_one_shot_iterator"]
