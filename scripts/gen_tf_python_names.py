"""Writes flowzero/python/_tf_names.py: the public names of TensorFlow's internal modules
(`tensorflow.python.<module>`) that TF1 programs import, each with the public TF1 paths
(`tf.<path>`) that TensorFlow exports it under.

Run with a TensorFlow installed (the oracle venv):
    /root/tfvenv/bin/python scripts/gen_tf_python_names.py

The names come from the installed TensorFlow's modules (2.x keeps the TF1 layout of
tensorflow.python); names TF 1.15 had there and later TF moved are listed by hand in
flowzero/python/__init__.py (_EXTRA).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODULES = """
framework.ops framework.dtypes framework.tensor_shape framework.tensor_util
framework.constant_op framework.graph_util framework.errors framework.errors_impl
framework.sparse_tensor framework.random_seed framework.function framework.graph_io
framework.importer framework.meta_graph framework.device
ops.math_ops ops.array_ops ops.nn_ops ops.nn ops.nn_impl ops.init_ops ops.variable_scope
ops.variables ops.control_flow_ops ops.random_ops ops.state_ops ops.rnn ops.rnn_cell
ops.rnn_cell_impl ops.clip_ops ops.data_flow_ops ops.embedding_ops ops.gen_math_ops
ops.gen_array_ops ops.gen_nn_ops ops.check_ops ops.logging_ops ops.sparse_ops ops.string_ops
ops.image_ops ops.resource_variable_ops ops.tensor_array_ops ops.functional_ops ops.metrics
ops.losses.losses ops.partitioned_variables ops.template ops.linalg_ops ops.special_math_ops
ops.gradients ops.gradients_impl ops.lookup_ops ops.parsing_ops ops.io_ops ops.script_ops
ops.ctc_ops ops.histogram_ops ops.summary_ops_v2
training.training_util training.moving_averages training.saver training.optimizer
training.session_run_hook training.basic_session_run_hooks training.monitored_session
training.queue_runner training.training training.learning_rate_decay training.adam
training.gradient_descent training.momentum training.checkpoint_utils training.coordinator
training.input training.slot_creator training.server_lib training.checkpoint_management
training.summary_io
platform.gfile platform.tf_logging platform.app platform.flags platform.test
platform.resource_loader platform.sysconfig
client.session client.device_lib client.timeline
layers.core layers.base layers.utils layers.convolutional layers.normalization layers.pooling
layers.layers
util.nest util.compat util.deprecation util.tf_inspect
summary.summary summary.writer.writer summary.summary_iterator
saved_model.builder saved_model.loader saved_model.tag_constants
saved_model.signature_constants saved_model.signature_def_utils saved_model.utils
saved_model.simple_save saved_model.constants saved_model.saved_model saved_model.main_op
tools.inspect_checkpoint tools.freeze_graph lib.io.tf_record lib.io.file_io
data.ops.dataset_ops
""".split()


_OWN = ("tensorflow", "absl", "tf_keras", "keras")


def _public_paths() -> dict[int, list[str]]:
    """id(object) -> its public TF1 paths (tf.compat.v1 and its namespaces), for functions,
    classes and dtypes (identity means nothing for small ints and strings)."""
    import tensorflow.compat.v1 as tf1

    from flowzero.compat._tf1_public import PUBLIC

    paths: dict[int, list[str]] = {}
    for ns in sorted(PUBLIC, key=lambda n: (n.count("."), n)):
        mod = tf1
        for part in [p for p in ns.split(".") if p]:
            mod = getattr(mod, part, None)
        if mod is None:
            continue
        for name in PUBLIC[ns]:
            obj = getattr(mod, name, None)
            if obj is None or isinstance(obj, types.ModuleType):
                continue
            if not (callable(obj) or type(obj).__name__ == "DType"):
                continue
            paths.setdefault(id(obj), []).append(f"{ns}.{name}" if ns else name)
    return paths


def _names(mod: types.ModuleType, paths: dict[int, list[str]]) -> dict[str, list[str]]:
    consts: dict[str, list[str]] = {}
    for api_names, name in getattr(mod, "_tf_api_constants_v1", []) or []:
        consts[name] = list(api_names)
    out: dict[str, list[str]] = {}
    for name in sorted(dir(mod)):
        if name.startswith("_"):
            continue
        obj = getattr(mod, name)
        if isinstance(obj, types.ModuleType):
            continue
        if callable(obj) and not str(getattr(obj, "__module__", "")).startswith(_OWN):
            continue  # typing, functools, six, ...: the module's own imports
        apis = consts.get(name) or paths.get(id(obj), [])
        # The path of the same name first (tf.floor before tf.math.floor).
        apis = sorted(apis, key=lambda a: (a.rsplit(".", 1)[-1] != name, a.count("."), a))
        apis = [a for a in apis if not a.startswith(("raw_ops.", "compat."))]
        if mod.__name__.rsplit(".", 1)[-1].startswith("gen_") and not apis:
            continue  # raw op wrappers: only those TF exports
        out[name] = apis
    return out


def main() -> None:
    paths = _public_paths()
    lines = [
        '"""Generated by scripts/gen_tf_python_names.py: for each of TensorFlow\'s internal',
        "modules, its public names, each as `name` (not exported by TF) or `name=path,...` (TF's",
        'public TF1 paths, tf.<path>). Do not edit by hand."""',
        "",
        "# ruff: noqa: E501",
        "# fmt: off",
        "NAMES: dict[str, str] = {",
    ]
    for m in MODULES:
        mod = importlib.import_module(f"tensorflow.python.{m}")
        names = _names(mod, paths)
        toks = [n + ("=" + ",".join(a) if a else "") for n, a in names.items()]
        lines.append(f"    {json.dumps(m)}: (")
        line = ""
        for t in toks:
            if len(line) + len(t) + 1 > 88:
                lines.append(f"        {json.dumps(line)}")
                line = ""
            line += t + " "
        if line or not toks:
            lines.append(f"        {json.dumps(line)}")
        lines.append("    ),")
    lines.append("}")
    lines.append("# fmt: on")
    path = os.path.join(os.path.dirname(__file__), "..", "flowzero", "python", "_tf_names.py")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
