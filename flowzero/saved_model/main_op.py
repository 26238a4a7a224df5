"""The op a SavedModel's loader runs after restoring the variables (TF's
tf.saved_model.main_op)."""

from __future__ import annotations

from typing import Any

from flowzero.framework.graph import Operation, Tensor, control_dependencies, get_default_graph


def main_op() -> Operation:
    """Initializes the local variables (TF also initializes lookup tables, which flowzero
    does not have).

    Example:
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> seen = tf.Variable(0, name="seen", collections=[tf.GraphKeys.LOCAL_VARIABLES])
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())   # `seen` is local: not exported
        >>> builder = tf.saved_model.builder.SavedModelBuilder("export")
        >>> builder.add_meta_graph_and_variables(
        ...     sess, ["serve"], main_op=tf.saved_model.main_op.main_op())
        >>> builder.save()
        'export'
        >>> with tf.Session(graph=tf.Graph()) as sess:
        ...     _ = tf.saved_model.loader.load(sess, ["serve"], "export")   # runs the main op
        ...     print(sess.run("seen:0"))
        0
    """
    from flowzero.ops.control_ops import group
    from flowzero.variables import local_variables_initializer

    return group(local_variables_initializer(), name="main_op")


def main_op_with_restore(restore_op_name: Any) -> Operation:
    """main_op(), then the restore op: an op that restores and initializes.

    Args:
        restore_op_name: the restore Operation (TF wants the op; its name, e.g.
            `saver.saver_def.restore_op_name`, is taken too).
    """
    from flowzero.ops.control_ops import group

    op = restore_op_name
    if isinstance(op, (str, bytes)):
        name = op.decode() if isinstance(op, bytes) else op
        op = get_default_graph().as_graph_element(name)
    if not isinstance(op, (Operation, Tensor)):
        raise TypeError(
            f"main_op_with_restore: restore_op_name must be an Operation, a Tensor or a name; "
            f"got {type(restore_op_name).__name__}."
        )
    with control_dependencies([main_op()]):
        return group(op, name="main_op_with_restore")


__all__ = ["main_op", "main_op_with_restore"]
