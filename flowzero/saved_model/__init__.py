"""tf.saved_model: export a trained graph for serving, and load it back.

An export is a directory: the serialized graph (JSON + .npz), the variable values (a flowzero
checkpoint: JSON index + .npz, never pickle) and a JSON descriptor naming the meta graphs, their
tags and signatures. It is written into a temp directory and renamed into place, so a model
server watching `BASE/NAME/` never sees half of one. docs/deploy.md has the details.

Example:
    >>> x = tf.placeholder(tf.float32, [None, 2], name="x")
    >>> w = tf.Variable([[1.0, -1.0], [0.0, 1.0]], name="w")
    >>> logits = tf.matmul(x, w)
    >>> sess = tf.Session()
    >>> sess.run(tf.global_variables_initializer())
    >>> tf.saved_model.simple_save(sess, "models/demo/1", inputs={"x": x},
    ...                            outputs={"probabilities": tf.nn.softmax(logits)})
    'models/demo/1'
    >>> with tf.Session(graph=tf.Graph()) as sess:
    ...     meta = tf.saved_model.loader.load(sess, ["serve"], "models/demo/1")
    ...     sig = meta.signature_def["serving_default"]
    ...     probs = sess.run(sig.outputs["probabilities"].name, {sig.inputs["x"].name: [[1, 1]]})
    >>> probs.round(4)
    array([[0.7311, 0.2689]], dtype=float32)
"""

from flowzero.saved_model import (
    builder,
    constants,
    loader,
    main_op,
    signature_constants,
    signature_def_utils,
    tag_constants,
)
from flowzero.saved_model import signature_def_utils as utils
from flowzero.saved_model.builder import SavedModelBuilder
from flowzero.saved_model.builder import SavedModelBuilder as Builder
from flowzero.saved_model.constants import (
    ASSETS_DIRECTORY,
    ASSETS_KEY,
    DEBUG_DIRECTORY,
    DEBUG_INFO_FILENAME_PB,
    LEGACY_INIT_OP_KEY,
    MAIN_OP_KEY,
    SAVED_MODEL_FILENAME_PB,
    SAVED_MODEL_FILENAME_PBTXT,
    SAVED_MODEL_SCHEMA_VERSION,
    VARIABLES_DIRECTORY,
    VARIABLES_FILENAME,
)
from flowzero.saved_model.export import export_model
from flowzero.saved_model.format import (
    ExportDirectoryExistsError,
    MetaGraphDef,
    contains_saved_model,
)
from flowzero.saved_model.loader import load, maybe_saved_model_directory
from flowzero.saved_model.main_op import main_op_with_restore
from flowzero.saved_model.signature_constants import (
    CLASSIFY_INPUTS,
    CLASSIFY_METHOD_NAME,
    CLASSIFY_OUTPUT_CLASSES,
    CLASSIFY_OUTPUT_SCORES,
    DEFAULT_SERVING_SIGNATURE_DEF_KEY,
    PREDICT_INPUTS,
    PREDICT_METHOD_NAME,
    PREDICT_OUTPUTS,
    REGRESS_INPUTS,
    REGRESS_METHOD_NAME,
    REGRESS_OUTPUTS,
)
from flowzero.saved_model.signature_def_utils import (
    SignatureDef,
    TensorInfo,
    build_signature_def,
    build_tensor_info,
    classification_signature_def,
    get_tensor_from_tensor_info,
    is_valid_signature,
    predict_signature_def,
    regression_signature_def,
)
from flowzero.saved_model.simple_save import simple_save
from flowzero.saved_model.tag_constants import GPU, SERVING, TPU, TRAINING

__all__ = [
    "builder",
    "loader",
    "signature_constants",
    "signature_def_utils",
    "tag_constants",
    "utils",
    "SavedModelBuilder",
    "simple_save",
    "load",
    "export_model",
    "contains_saved_model",
    "ExportDirectoryExistsError",
    "MetaGraphDef",
    "SignatureDef",
    "TensorInfo",
    "build_signature_def",
    "build_tensor_info",
    "predict_signature_def",
    "DEFAULT_SERVING_SIGNATURE_DEF_KEY",
    "PREDICT_METHOD_NAME",
    "CLASSIFY_METHOD_NAME",
    "REGRESS_METHOD_NAME",
    "SERVING",
    "TRAINING",
    "GPU",
    "TPU",
    "constants",
    "main_op",
    "Builder",
    "ASSETS_DIRECTORY",
    "ASSETS_KEY",
    "DEBUG_DIRECTORY",
    "DEBUG_INFO_FILENAME_PB",
    "LEGACY_INIT_OP_KEY",
    "MAIN_OP_KEY",
    "SAVED_MODEL_FILENAME_PB",
    "SAVED_MODEL_FILENAME_PBTXT",
    "SAVED_MODEL_SCHEMA_VERSION",
    "VARIABLES_DIRECTORY",
    "VARIABLES_FILENAME",
    "CLASSIFY_INPUTS",
    "CLASSIFY_OUTPUT_CLASSES",
    "CLASSIFY_OUTPUT_SCORES",
    "PREDICT_INPUTS",
    "PREDICT_OUTPUTS",
    "REGRESS_INPUTS",
    "REGRESS_OUTPUTS",
    "classification_signature_def",
    "regression_signature_def",
    "is_valid_signature",
    "get_tensor_from_tensor_info",
    "main_op_with_restore",
    "maybe_saved_model_directory",
]
