"""tf.compat: `tf.compat.v1` (flowzero is TF1, so v1 is flowzero itself) and TF 1.15's
sub-namespaces (`tf.math`, `tf.linalg`, `tf.random`, ...) bound to flowzero's root functions.

    import flowzero.compat.v1 as tf   # what `import tensorflow.compat.v1 as tf` code expects
    tf.disable_v2_behavior()          # accepted: flowzero has only TF1's behaviour
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from flowzero.compat._tf1_names import NAMESPACES
from flowzero.compat.strings import (  # noqa: F401  (tf.compat's own names)
    as_bytes,
    as_str,
    as_str_any,
    as_text,
    as_unicode,
    bytes_or_text_types,
    complex_types,
    forward_compatible,
    integral_types,
    path_to_bytes,
    path_to_str,
    real_types,
)
from flowzero.tensor_util import dimension_at_index, dimension_value  # noqa: F401


def _resolve(root: Any, path: str) -> Any:
    # A module's own names only: a miss must not run its __getattr__ (which would import
    # lazy modules, or load the name list behind its error message, at `import flowzero`).
    obj = root
    for part in path.split("."):
        obj = vars(obj).get(part) if isinstance(obj, types.ModuleType) else getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def missing_attribute(namespace: str, name: str, module: Any) -> AttributeError:
    """The AttributeError for `tf.<namespace>.<name>` that flowzero lacks: for a name TF 1.15
    has, one that says so and points to docs/compat.md (no "Did you mean" guess at another
    function); for any other name, Python's own, with its suggestions.

    Args:
        namespace: "" for the root, else e.g. "nn" or "io.gfile".
        name: the attribute looked up.
        module: the flowzero module it was looked up on.
    """
    if name.startswith("__"):  # Python's own probes (__wrapped__, __path__, ...)
        return AttributeError(f"module '{module.__name__}' has no attribute '{name}'")
    from flowzero.compat._tf1_public import PUBLIC  # loaded only when a name is missing

    label = "tf" + (f".{namespace}" if namespace else "")
    tf_names = PUBLIC.get(namespace, ())
    if name in tf_names or name in NAMESPACES.get(namespace, {}):
        return AttributeError(
            f"flowzero does not implement {label}.{name} (TF 1.15 has it); docs/compat.md "
            f"lists what flowzero implements.",
            name=name,
            obj=None,  # no suggestion: another function of a similar name is not the answer
        )
    return AttributeError(
        f"module '{module.__name__}' has no attribute '{name}'", name=name, obj=module
    )


class Namespace(types.ModuleType):
    """One of TF 1.15's sub-namespaces, holding the names flowzero implements; a missing name
    is an AttributeError that says so (see missing_attribute)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        ns = self.__name__.split(".", 1)[1]
        obj = _namespace_only(ns, name, load=True)
        if obj is None:
            raise missing_attribute(ns, name, self)
        setattr(self, name, obj)
        return obj


# Names TF 1.15 has only inside a namespace (no root alias): the flowzero function each is.
_NAMESPACE_ONLY: dict[str, dict[str, str]] = {
    "math": {
        "erfinv": "special_ops.erfinv",
        "ndtri": "special_ops.ndtri",
        "xlogy": "more_math_ops.xlogy",
        "xdivy": "more_math_ops.xdivy",
        "xlog1py": "more_math_ops.xlog1py",
        "erfcinv": "special_ops.erfcinv",
        "nextafter": "more_math_ops.nextafter",
        "multiply_no_nan": "more_math_ops.multiply_no_nan",
        "reciprocal_no_nan": "more_math_ops.reciprocal_no_nan",
        "cumulative_logsumexp": "more_math_ops.cumulative_logsumexp",
        "reduce_variance": "more_math_ops.reduce_variance",
        "reduce_std": "more_math_ops.reduce_std",
        "reduce_euclidean_norm": "more_math_ops.reduce_euclidean_norm",
        "polyval": "more_math_ops.polyval",
        "bessel_i0": "special_more_ops.bessel_i0",
        "bessel_i0e": "special_more_ops.bessel_i0e",
        "bessel_i1": "special_more_ops.bessel_i1",
        "bessel_i1e": "special_more_ops.bessel_i1e",
    },
    "signal": {"rfft": "spectral_ops.rfft", "irfft": "spectral_ops.irfft"},
    "debugging": {"assert_shapes": "check_ops.assert_shapes"},
    "random": {
        "categorical": "stateless_random_ops.categorical",
        "stateless_uniform": "stateless_random_ops.stateless_random_uniform",
        "stateless_normal": "stateless_random_ops.stateless_random_normal",
        "stateless_truncated_normal": "stateless_random_ops.stateless_truncated_normal",
        "stateless_multinomial": "stateless_random_ops.stateless_multinomial",
        "stateless_categorical": "stateless_random_ops.stateless_categorical",
        "stateless_poisson": "stateless_random_ops.stateless_random_poisson",
        "stateless_gamma": "stateless_random_ops.stateless_random_gamma",
        "stateless_binomial": "stateless_random_ops.stateless_random_binomial",
        "stateless_parameterized_truncated_normal": (
            "stateless_random_ops.stateless_parameterized_truncated_normal"
        ),
        "split": "stateless_random_ops.split",
        "fold_in": "stateless_random_ops.fold_in",
    },
    "strings": {
        "format": "string_convert_ops.format",
        "length": "string_ops.string_length",
        "lower": "string_ops.lower",
        "upper": "string_ops.upper",
        "regex_full_match": "string_ops.regex_full_match",
        "substr": "string_ops.substr",
        "unsorted_segment_join": "string_ops.unsorted_segment_join",
        "ngrams": "string_seq_ops.ngrams",
        "split": "string_seq_ops.strings_split",
        "unicode_transcode": "string_seq_ops.unicode_transcode",
        "unicode_encode": "string_seq_ops.unicode_encode",
    },
    "linalg": {
        "adjoint": "linalg_more_ops.adjoint",
        "matvec": "linalg_more_ops.matvec",
        "logdet": "linalg_more_ops.logdet",
        "normalize": "linalg_more_ops.normalize",
        "lu": "lu_ops.lu",
        "lu_reconstruct": "lu_ops.lu_reconstruct",
        "lu_solve": "lu_ops.lu_solve",
        "lu_matrix_inverse": "lu_ops.lu_matrix_inverse",
        "slogdet": "lu_ops.slogdet",
        "pinv": "lu_ops.pinv",
        "matrix_rank": "lu_ops.matrix_rank",
        "expm": "matrix_function_ops.expm",
        "logm": "matrix_function_ops.logm",
        "tridiagonal_solve": "matrix_function_ops.tridiagonal_solve",
        "tridiagonal_matmul": "matrix_function_ops.tridiagonal_matmul",
        "LinearOperator": "linear_operator.LinearOperator",
        "LinearOperatorFullMatrix": "linear_operator.LinearOperatorFullMatrix",
        "LinearOperatorDiag": "linear_operator.LinearOperatorDiag",
        "LinearOperatorIdentity": "linear_operator.LinearOperatorIdentity",
        "LinearOperatorScaledIdentity": "linear_operator.LinearOperatorScaledIdentity",
        "LinearOperatorLowerTriangular": "linear_operator.LinearOperatorLowerTriangular",
        "LinearOperatorComposition": "linear_operator.LinearOperatorComposition",
    },
    "initializers": {
        "he_normal": "variables.he_normal",
        "he_uniform": "variables.he_uniform",
        "lecun_normal": "variables.lecun_normal",
        "lecun_uniform": "variables.lecun_uniform",
        "identity": "variables.Identity",
    },
    "io": {
        "TFRecordCompressionType": "platform.tf_record.TFRecordCompressionType",
        "TFRecordOptions": "platform.tf_record.TFRecordOptions",
        "TFRecordWriter": "platform.tf_record.TFRecordWriter",
        "tf_record_iterator": "platform.tf_record.tf_record_iterator",
        "match_filenames_once": "io_ops.match_filenames_once",
        "decode_bmp": "image_codec_ops.decode_bmp",
        "decode_gif": "image_codec_ops.decode_gif",
        "decode_image": "image_codec_ops.decode_image",
        "decode_jpeg": "image_codec_ops.decode_jpeg",
        "decode_png": "image_codec_ops.decode_png",
        "encode_jpeg": "image_codec_ops.encode_jpeg",
        "encode_png": "image_codec_ops.encode_png",
        "extract_jpeg_shape": "image_codec_ops.extract_jpeg_shape",
        "is_jpeg": "image_codec_ops.is_jpeg",
        "parse_sequence_example": "parsing_seq_ops.parse_sequence_example",
    },
    "spectral": {"rfft": "spectral_ops.rfft", "irfft": "spectral_ops.irfft"},
    "bitwise": {
        n: f"bitwise_ops.{n}"
        for n in ("bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift")
    },
    # Imported on first use (as the root's tf.FIFOQueue): see Namespace.__getattr__.
    "queue": {
        n: f"ops.data_flow_ops.{n}"
        for n in ("FIFOQueue", "PaddingFIFOQueue", "QueueBase", "RandomShuffleQueue")
    },
    "sparse": {
        "from_dense": "sparse_ops.from_dense",
        "expand_dims": "sparse_array_ops.sparse_expand_dims",
        "eye": "sparse_array_ops.sparse_eye",
        "bincount": "sparse_count_ops.sparse_bincount",
        "cross": "sparse_cross_ops.sparse_cross",
    },
}


# Modules that `import flowzero` does not load: their names are bound on first use.
_ON_FIRST_USE = frozenset({"ops.data_flow_ops"})


def _namespace_only(ns: str, name: str, load: bool = False) -> Any:
    path = _NAMESPACE_ONLY.get(ns, {}).get(name)
    if path is None:
        return None
    module, attr = path.rsplit(".", 1)
    if module in _ON_FIRST_USE:
        if not load:
            return None
        return getattr(importlib.import_module(f"flowzero.{module}"), attr)
    if "." in module:  # outside flowzero.ops, e.g. "platform.tf_record": imported here
        return getattr(importlib.import_module(f"flowzero.{module}"), attr)
    mod = sys.modules.get(f"flowzero.ops.{module}") or sys.modules[f"flowzero.{module}"]
    return getattr(mod, attr)


# Namespaces that are modules of their own (flowzero/<name>.py, imported on first use), which
# bind TF's root aliases themselves.
MODULES = frozenset({"image", "audio"})


def build(root: Any) -> dict[str, Namespace]:
    """The sub-namespaces with at least one name flowzero has, each name bound to the very
    object at flowzero's root (`tf.math.log1p is tf.log1p`), or for a name TF has only in the
    namespace, to flowzero's function for it."""
    made: dict[str, Namespace] = {}
    for ns, names in NAMESPACES.items():
        if ns in MODULES:
            continue
        mod = Namespace(f"flowzero.{ns}", f"tf.{ns}: TF 1.15's names that flowzero implements.")
        for name, target in names.items():
            obj = _resolve(root, target) if target is not None else None
            if obj is None:
                obj = _namespace_only(ns, name)
            if obj is not None:
                setattr(mod, name, obj)
        if ns in _NAMESPACE_ONLY or any(not k.startswith("__") for k in vars(mod)):
            made[ns] = mod
    gfile = made.pop("io.gfile", None)
    if "io" in made:  # tf.io.gfile: the module of TF's file API
        made["io"].gfile = gfile or importlib.import_module("flowzero.platform.gfile")  # type: ignore[attr-defined]
    for ns, mod in made.items():
        sys.modules.setdefault(f"flowzero.{ns}", mod)
    return made


def disable_eager_execution() -> None:
    """Accepted: graph building is TF1's default (eager execution is only on after
    tf.enable_eager_execution())."""


def disable_v2_behavior() -> None:
    """Accepted: flowzero always behaves as TF 1.x."""


def enable_v2_behavior() -> None:
    raise NotImplementedError(
        "flowzero implements TF 1.x graph mode only; enable_v2_behavior() is not supported."
    )


def executing_eagerly() -> bool:
    """Whether ops run as soon as they are called: after tf.enable_eager_execution(), outside
    any `with tf.Graph().as_default():` and outside a function tf.contrib.eager.defun traces."""
    from flowzero.framework.graph import get_default_graph

    g = get_default_graph()
    return bool(getattr(g, "_eager", False)) and not getattr(g, "_defun_depth", 0)
