"""tensorflow.python.*: TensorFlow's internal module paths, which TF1 programs import
(`from tensorflow.python.ops import math_ops`), bound to flowzero's own objects.

    from flowzero.python.framework import ops, tensor_shape, tensor_util
    from flowzero.python.ops import math_ops, array_ops
    math_ops.matmul is tf.matmul          # the very same function: one place per thing

Each module here (framework.ops, ops.math_ops, training.saver, client.device_lib, ...) is made
on first import from a table, and each name in it on first use:

1. names TF 1.15 had there that later TensorFlow moved (ops.Tensor, tensor_shape.scalar, ...)
   and TF's unexported helpers, listed by hand below (_EXTRA);
2. names TensorFlow exports publicly (math_ops.matmul is tf.matmul, nn_ops.conv2d is
   tf.nn.conv2d), from the table flowzero/python/_tf_names.py (scripts/gen_tf_python_names.py
   writes it from TensorFlow's modules): bound to flowzero's object at that public path;
3. TF's other names of the module, from flowzero's module of the same role (_HOMES).

A name flowzero lacks is an AttributeError that says flowzero does not implement
`tensorflow.python.<module>.<name>` yet. `import flowzero` does not import this package.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

from flowzero.python._tf_names import NAMES

# flowzero's modules that play the role of TF's (where TF's unexported names are looked up).
_HOMES: dict[str, tuple[str, ...]] = {
    "framework.ops": ("flowzero.framework.graph",),
    "framework.dtypes": ("flowzero.framework.dtypes",),
    "framework.tensor_shape": ("flowzero.framework.shapes",),
    "framework.tensor_util": ("flowzero.tensor_util",),
    "framework.constant_op": ("flowzero.ops.array_ops",),
    "framework.graph_util": ("flowzero.interop.graph_util",),
    "framework.errors": ("flowzero.framework.errors",),
    "framework.errors_impl": ("flowzero.framework.errors",),
    "framework.sparse_tensor": ("flowzero.framework.sparse_tensor",),
    "framework.function": ("flowzero.framework.function",),
    "framework.importer": ("flowzero.interop.importer",),
    "framework.meta_graph": ("flowzero.interop.meta_graph",),
    "ops.variables": ("flowzero.variables",),
    "ops.variable_scope": ("flowzero.variables",),
    "ops.init_ops": ("flowzero.variables",),
    "ops.rnn": ("flowzero.nn.rnn",),
    "ops.rnn_cell": ("flowzero.nn.rnn_cell",),
    "ops.rnn_cell_impl": ("flowzero.nn.rnn_cell_impl",),
    "ops.losses.losses": ("flowzero.losses",),
    "ops.metrics": ("flowzero.metrics",),
    "client.session": ("flowzero.runtime.session",),
    "client.device_lib": ("flowzero.runtime.device_lib",),
    "layers.utils": ("flowzero.layers.utils",),
    "util.nest": ("flowzero.framework.nest",),
    "summary.summary": ("flowzero.summary",),
    "summary.writer.writer": ("flowzero.summary.writer",),
    "data.ops.dataset_ops": ("flowzero.data",),
    "lib.io.tf_record": ("flowzero.platform.tf_record",),
    "lib.io.file_io": ("flowzero.platform.gfile",),
}
# ops.<family>: flowzero's op module of the same name, where there is one.
for _m in ("math_ops", "array_ops", "nn_ops", "control_flow_ops", "random_ops", "state_ops"):
    _HOMES.setdefault(f"ops.{_m}", (f"flowzero.ops.{_m}",))
for _m in ("check_ops", "logging_ops", "sparse_ops", "string_ops", "image_ops", "io_ops"):
    _HOMES.setdefault(f"ops.{_m}", (f"flowzero.ops.{_m}",))
for _m in ("data_flow_ops", "tensor_array_ops", "functional_ops", "script_ops", "ctc_ops"):
    _HOMES.setdefault(f"ops.{_m}", (f"flowzero.ops.{_m}",))
for _m in ("linalg_ops", "histogram_ops", "parsing_ops"):
    _HOMES.setdefault(f"ops.{_m}", (f"flowzero.ops.{_m}",))
_HOMES["ops.nn"] = ("flowzero.nn",)
_HOMES["ops.nn_impl"] = ("flowzero.ops.nn_impl",)
_HOMES["ops.embedding_ops"] = ("flowzero.nn.embedding_sparse",)
for _m in (
    "training_util moving_averages saver optimizer session_run_hook basic_session_run_hooks "
    "monitored_session queue_runner checkpoint_utils coordinator input server_lib "
    "checkpoint_management"
).split():
    _HOMES[f"training.{_m}"] = (f"flowzero.train.{_m}",)
_HOMES["training.training"] = ("flowzero.train",)
_HOMES["training.learning_rate_decay"] = ("flowzero.train.learning_rate",)
for _m in ("gfile", "tf_logging", "app", "flags"):
    _HOMES[f"platform.{_m}"] = (f"flowzero.platform.{_m}",)
for _m in ("core", "base", "convolutional", "normalization", "pooling"):
    _HOMES[f"layers.{_m}"] = (f"flowzero.layers.{_m}",)
_HOMES["layers.layers"] = ("flowzero.layers",)
for _m in (
    "builder loader tag_constants signature_constants signature_def_utils simple_save "
    "constants main_op"
).split():
    _HOMES[f"saved_model.{_m}"] = (f"flowzero.saved_model.{_m}",)
_HOMES["saved_model.saved_model"] = ("flowzero.saved_model",)
_HOMES["saved_model.utils"] = ("flowzero.saved_model",)
_HOMES["util.compat"] = ("flowzero.compat.strings",)

# TF's public namespaces where a module's names are looked up by their own name when the table
# has no public path for them (later TensorFlow exports another wrapper of tf.reduce_mean, so
# identity no longer links them); the root namespace ("") is tried last for every module.
_SPACES: dict[str, tuple[str, ...]] = {
    "ops.nn_ops": ("nn",),
    "ops.nn": ("nn",),
    "ops.nn_impl": ("nn",),
    "ops.math_ops": ("math",),
    "ops.gen_math_ops": ("math",),
    "ops.gen_nn_ops": ("nn",),
    "ops.linalg_ops": ("linalg",),
    "ops.image_ops": ("image",),
    "ops.string_ops": ("strings",),
    "ops.sparse_ops": ("sparse",),
    "ops.check_ops": ("debugging",),
    "ops.random_ops": ("random",),
    "ops.losses.losses": ("losses",),
    "ops.metrics": ("metrics",),
    "ops.rnn_cell": ("nn.rnn_cell",),
    "ops.rnn_cell_impl": ("nn.rnn_cell",),
    "ops.rnn": ("nn",),
    "util.nest": ("nest",),
    "framework.errors": ("errors",),
    "framework.errors_impl": ("errors",),
    "summary.summary": ("summary",),
}
for _key in NAMES:
    if _key.startswith("training."):
        _SPACES[_key] = ("train",)
    elif _key.startswith("layers."):
        _SPACES[_key] = ("layers",)
    elif _key.startswith("saved_model."):
        _SPACES[_key] = (_key.replace("saved_model.saved_model", "saved_model"), "saved_model")

# Names TF 1.15 had in a module that later TensorFlow moved or dropped, and helpers TF does not
# export: "tf.<public path>" (flowzero's public object) or "<flowzero module>:<name>".
_RNN_CELLS = (
    "RNNCell BasicRNNCell BasicLSTMCell LSTMCell GRUCell MultiRNNCell DropoutWrapper "
    "ResidualWrapper DeviceWrapper LSTMStateTuple"
).split()
_EXTRA: dict[str, dict[str, str]] = {
    "framework.ops": {
        "Tensor": "tf.Tensor",
        "IndexedSlices": "tf.IndexedSlices",
        "convert_to_tensor": "tf.convert_to_tensor",
        "convert_n_to_tensor": "tf.convert_n_to_tensor",
        "name_scope": "tf.name_scope",
        "reset_default_graph": "tf.reset_default_graph",
        "get_name_scope": "flowzero.python:_get_name_scope",
        "get_all_collection_keys": "flowzero.python:_get_all_collection_keys",
        "register_tensor_conversion_function": "tf.register_tensor_conversion_function",
    },
    "framework.tensor_shape": {
        "scalar": "flowzero.framework.shapes:scalar",
        "unknown_shape": "flowzero.framework.shapes:unknown_shape",
        "as_shape": "flowzero.framework.shapes:as_shape",
    },
    "framework.tensor_util": {"is_tensor": "tf.is_tensor"},
    "framework.graph_util": {
        n: f"tf.graph_util.{n}"
        for n in ("convert_variables_to_constants", "tensor_shape_from_node_def_name")
    },
    "ops.array_ops": {n: f"tf.{n}" for n in ("stack", "unstack", "parallel_stack")},
    "ops.control_flow_ops": {
        n: f"tf.{n}" for n in ("cond", "while_loop", "case", "Assert", "group", "tuple", "no_op")
    },
    "util.nest": {"is_sequence": "flowzero.framework.nest:is_sequence"},
    "framework.sparse_tensor": {"SparseTensor": "tf.SparseTensor"},
    "ops.variables": {"Variable": "tf.Variable"},
    "ops.rnn_cell": {n: f"tf.nn.rnn_cell.{n}" for n in _RNN_CELLS},
    "ops.rnn_cell_impl": {n: f"tf.nn.rnn_cell.{n}" for n in _RNN_CELLS},
    "ops.rnn": {n: f"tf.nn.{n}" for n in ("dynamic_rnn", "bidirectional_dynamic_rnn")},
    "layers.normalization": {
        "BatchNormalization": "tf.layers.BatchNormalization",
        "batch_normalization": "tf.layers.batch_normalization",
        "BatchNorm": "tf.layers.BatchNormalization",
        "batch_norm": "tf.layers.batch_normalization",
    },
    "layers.base": {"Layer": "tf.layers.Layer"},
    "client.device_lib": {"list_local_devices": "flowzero.runtime.device_lib:list_local_devices"},
    "training.training": {"Saver": "tf.train.Saver", "Optimizer": "tf.train.Optimizer"},
}
_PREFIX = "flowzero.python."


def _parse(table: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for tok in table.split():
        name, _, apis = tok.partition("=")
        out[name] = tuple(apis.split(",")) if apis else ()
    return out


def _public(path: str) -> Any:
    """flowzero's public object at tf.<path>, or None."""
    import flowzero

    obj: Any = flowzero
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except (AttributeError, ImportError):
            return None
    return obj


def _lookup(spec: str) -> Any:
    if spec.startswith("tf."):
        return _public(spec[3:])
    module, attr = spec.split(":")
    return getattr(importlib.import_module(module), attr, None)


class TFModule(types.ModuleType):
    """One of TensorFlow's internal modules (`tensorflow.python.<key>`), binding its names to
    flowzero's objects on first use."""

    _key: str

    def _names(self) -> dict[str, tuple[str, ...]]:
        cached = self.__dict__.get("_tf_names")
        if cached is None:
            cached = _parse(NAMES.get(self._key, ""))
            self.__dict__["_tf_names"] = cached
        return cached

    def _resolve(self, name: str) -> Any:
        extra = _EXTRA.get(self._key, {})
        if name in extra:
            return _lookup(extra[name])
        names = self._names()
        if name not in names:
            return None
        for api in names[name]:
            obj = _public(api)
            if obj is not None:
                return obj
        for space in (*_SPACES.get(self._key, ()), ""):
            obj = _public(f"{space}.{name}" if space else name)
            if obj is not None and not isinstance(obj, types.ModuleType):
                return obj
        for home in _HOMES.get(self._key, ()):
            mod = importlib.import_module(home)
            obj = mod.__dict__.get(name)
            if obj is None and hasattr(type(mod), "__getattr__"):
                try:  # a lazy module (flowzero.layers, flowzero.summary, ...)
                    obj = getattr(mod, name)
                except AttributeError:
                    obj = None
            if obj is not None and not isinstance(obj, types.ModuleType):
                return obj
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            if name == "__all__":
                return [n for n in self.__dir__() if not n.startswith("_")]
            raise AttributeError(name)
        obj = self._resolve(name)
        if obj is None:
            raise AttributeError(
                f"flowzero does not implement tensorflow.python.{self._key}.{name} yet "
                f"(module {self.__name__!r}); docs/compat.md lists what flowzero implements.",
                name=name,
                obj=None,
            )
        setattr(self, name, obj)
        return obj

    def __dir__(self) -> list[str]:
        """The names of TF's module that flowzero has (resolving each once)."""
        names = set(self._names()) | set(_EXTRA.get(self._key, {}))
        have = [n for n in sorted(names) if self._resolve(n) is not None]
        return sorted(set(have) | {n for n in self.__dict__ if not n.startswith("_")})


def _get_name_scope() -> str:
    """The current name scope of the default graph (TF's ops.get_name_scope)."""
    from flowzero.framework.graph import get_default_graph

    return get_default_graph().get_name_scope()


def _get_all_collection_keys() -> list[str]:
    """The collection names of the default graph (TF's ops.get_all_collection_keys)."""
    from flowzero.framework.graph import get_default_graph

    return get_default_graph().get_all_collection_keys()


_PACKAGES = frozenset(
    ".".join(key.split(".")[:i]) for key in NAMES for i in range(1, key.count(".") + 1)
)


class TFPackage(TFModule):
    """A package of TensorFlow's internal modules (`tensorflow.python.ops`): its submodules
    are imported on first use (`flowzero.python.ops.math_ops`)."""

    def __getattr__(self, name: str) -> Any:
        child = f"{self._key}.{name}"
        if not name.startswith("_") and (child in NAMES or child in _PACKAGES):
            return importlib.import_module(_PREFIX + child)
        return super().__getattr__(name)

    def __dir__(self) -> list[str]:
        return sorted(
            {k[len(self._key) + 1 :].split(".")[0] for k in NAMES if k.startswith(self._key + ".")}
            | set(super().__dir__())
        )


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports `flowzero.python.<key>` for the keys of the table (modules) and their prefixes
    (packages)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith(_PREFIX):
            return None
        key = fullname[len(_PREFIX) :]
        if key not in NAMES and key not in _PACKAGES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=key in _PACKAGES)

    def create_module(self, spec: Any) -> types.ModuleType:
        key = spec.name[len(_PREFIX) :]
        cls = TFPackage if key in _PACKAGES else TFModule
        module = cls(spec.name, f"tensorflow.python.{key}, bound to flowzero's objects.")
        module._key = key
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


if not any(isinstance(f, _Finder) for f in sys.meta_path):
    sys.meta_path.insert(0, _Finder())


def __getattr__(name: str) -> Any:
    if name in _PACKAGES or name in NAMES:
        return importlib.import_module(_PREFIX + name)
    raise AttributeError(
        f"flowzero does not implement tensorflow.python.{name} yet; docs/compat.md lists "
        f"what flowzero implements.",
        name=name,
        obj=None,
    )
