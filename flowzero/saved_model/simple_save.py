"""simple_save: the one-call export for serving (TF's tf.saved_model.simple_save)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowzero.saved_model import signature_constants, tag_constants
from flowzero.saved_model.builder import SavedModelBuilder
from flowzero.saved_model.signature_def_utils import predict_signature_def


def simple_save(
    session: Any,
    export_dir: Any,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    legacy_init_op: Any = None,
) -> str:
    """Exports `session`'s graph and variables with one Predict signature, `serving_default`,
    under the `serve` tag: what a model server loads.

    Args:
        session: the Session holding the trained values.
        export_dir: the export directory, e.g. 'models/mnist/1' (must not exist, or be empty).
        inputs: {name: Tensor} the clients feed, e.g. {"x": net.x}.
        outputs: {name: Tensor} they get back, e.g. {"probabilities": tf.nn.softmax(logits)}.

    Returns:
        export_dir.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 2], name="x")
        >>> w = tf.Variable([[1.0, -1.0], [0.0, 1.0]], name="w")
        >>> logits = tf.matmul(x, w)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> tf.saved_model.simple_save(sess, "models/demo/1", inputs={"x": x},
        ...                            outputs={"logits": logits})
        'models/demo/1'
    """
    b = SavedModelBuilder(export_dir)
    b.add_meta_graph_and_variables(
        session,
        [tag_constants.SERVING],
        signature_def_map={
            signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: predict_signature_def(
                inputs, outputs
            )
        },
    )
    return b.save()


__all__ = ["simple_save"]
