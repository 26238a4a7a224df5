"""flowzero Graph -> the GraphDef for TensorBoard's Graphs tab.

TensorBoard reads a GraphDef from an event file: one NodeDef per Operation with its name (the
`/` separators become collapsible name-scope boxes), op type, inputs (`name`, `name:1`,
`^control`), and attrs. The nodes are TensorFlow's own (`flowzero.interop.graph_def`, the one
place that maps op types and attrs); for TensorBoard each node also gets `_output_shapes`
(shapes on the edges, -1 for an unknown dimension) and, where the op has no `dtype` attr of its
own, `dtype` = its first output's dtype; constants over 1 KiB are left out.
"""

from __future__ import annotations

from typing import Any


def to_graph_def(graph: Any, add_shapes: bool = True) -> Any:
    """The GraphDef (flowzero.proto.graph_pb2) of a flowzero Graph, for TensorBoard.

    Args:
        graph: a `tf.Graph` (e.g. `sess.graph`).
        add_shapes: add each node's `_output_shapes` attr (TF's `as_graph_def(add_shapes=True)`).

    Returns:
        A `GraphDef` with one NodeDef per Operation, in creation order.
    """
    from flowzero.interop.graph_def import to_graph_def as export

    return export(graph, add_shapes=add_shapes, tensorboard=True)
