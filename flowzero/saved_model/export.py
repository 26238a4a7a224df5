"""export_model: a training checkpoint of one of the book's models -> a servable SavedModel.

What `flowzero export --checkpoint DIR --model M --out models/NAME/1` runs. The graph is
rebuilt one of two ways:

1. From the run config the CLI's `flowzero train` writes next to its checkpoints (`run.json` in
   the checkpoint directory or its parent): the model is built fresh from its name and
   constructor arguments, so the export holds only the inference graph.
2. Otherwise from the checkpoint's own meta graph (`<prefix>.meta`), found by the model's name
   scope: the input is the placeholder `<model>/x`, the logits are what the model's accuracy
   takes the argmax of.

Either way the signature `serving_default` maps `x` to `logits`, `probabilities` (softmax) and
`classes` (argmax, int32), and the variables come from the checkpoint.
"""

from __future__ import annotations

import json
import os
from typing import Any

import flowzero as tf
from flowzero.framework import errors
from flowzero.framework.graph import GraphKeys
from flowzero.saved_model.builder import SavedModelBuilder, _check_not_exported
from flowzero.saved_model.signature_constants import DEFAULT_SERVING_SIGNATURE_DEF_KEY
from flowzero.saved_model.signature_def_utils import predict_signature_def
from flowzero.saved_model.tag_constants import SERVING
from flowzero.train.checkpoint_utils import (
    checkpoint_exists,
    latest_checkpoint,
    read_checkpoint_index,
)

RUN_CONFIG_NAMES = ("run.json",)


def resolve_checkpoint(checkpoint: str) -> str:
    """The checkpoint prefix for `checkpoint`: a prefix itself, or a directory (its newest).

    Raises:
        tf.errors.NotFoundError: nothing restorable there.
    """
    checkpoint = os.fspath(checkpoint)
    if os.path.isdir(checkpoint):
        prefix = latest_checkpoint(checkpoint)
        if prefix is None:
            for sub in ("checkpoints", "ckpt"):  # a run directory holding its checkpoints
                if os.path.isdir(os.path.join(checkpoint, sub)):
                    prefix = latest_checkpoint(os.path.join(checkpoint, sub))
                    if prefix is not None:
                        break
        if prefix is None:
            raise errors.NotFoundError(
                None,
                None,
                f"No checkpoint in {checkpoint!r}: it has no "
                "'checkpoint' state file naming a complete checkpoint. "
                "Train with `flowzero train --out DIR` first.",
            )
        return prefix
    if checkpoint_exists(checkpoint):
        return checkpoint
    raise errors.NotFoundError(
        None,
        None,
        f"No checkpoint at {checkpoint!r} (neither a "
        "directory nor a checkpoint prefix with an .index file).",
    )


def find_run_config(prefix: str) -> dict[str, Any] | None:
    """The run config (`run.json`) of the run that wrote checkpoint `prefix`, if any:
    {"model": name, "model_kwargs": {...}} (also accepted: "kwargs", "model_args", or
    "model": {"name": ..., "kwargs": ...})."""
    d = os.path.dirname(os.path.abspath(prefix))
    for directory in (d, os.path.dirname(d)):
        for name in RUN_CONFIG_NAMES:
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                continue
            cfg = _model_config(doc)
            if cfg is not None:
                cfg["path"] = path
                return cfg
    return None


def _model_config(doc: Any) -> dict[str, Any] | None:
    if not isinstance(doc, dict):
        return None
    model = doc.get("model")
    kwargs: Any = None
    if isinstance(model, dict):
        kwargs = model.get("kwargs", model.get("model_kwargs"))
        model = model.get("name")
    if kwargs is None:
        for key in ("model_kwargs", "kwargs", "model_args"):
            if isinstance(doc.get(key), dict):
                kwargs = doc[key]
                break
    if not isinstance(model, str) or not isinstance(kwargs, dict):
        return None
    return {"model": model, "kwargs": dict(kwargs), "dtype": doc.get("dtype", "float32")}


def _model_classes() -> dict[str, type]:
    """The book's models by their CLI names (flowzero.book.zoo's table when present)."""
    try:
        from flowzero.book.zoo import MODELS
    except ImportError:  # NOTE: the CLI's zoo is optional here; the names are the scopes
        from flowzero import models as m

        return {
            "two_layer_net": m.TwoLayerNet,
            "simple_conv_net": m.SimpleConvNet,
            "multi_layer_net": m.MultiLayerNet,
            "multi_layer_net_extend": m.MultiLayerNetExtend,
            "deep_conv_net": m.DeepConvNet,
        }
    return {name: spec.cls for name, spec in MODELS.items()}


def _check_model_name(name: str) -> None:
    known = _model_classes()
    if name not in known:
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(known)}")


def _serving_outputs(logits: Any) -> dict[str, Any]:
    with tf.name_scope("serving"):
        return {
            "logits": logits,
            "probabilities": tf.nn.softmax(logits, name="probabilities"),
            "classes": tf.argmax(logits, 1, output_type=tf.int32, name="classes"),
        }


def _from_run_config(cfg: dict[str, Any], prefix: str) -> tuple[Any, Any, dict[str, Any]]:
    _check_model_name(cfg["model"])
    g = tf.Graph()
    with g.as_default():
        dtype = tf.as_dtype(cfg["dtype"])
        try:  # the CLI's own builder (it may add fixed constructor arguments)
            from flowzero.book.zoo import build_model
        except ImportError:
            net = _model_classes()[cfg["model"]](**cfg["kwargs"], dtype=dtype)
        else:
            net = build_model(cfg["model"], cfg["kwargs"], dtype=dtype)
        outputs = _serving_outputs(net.logits)
        sess = tf.Session(graph=g)
        tf.train.Saver(g.get_collection(GraphKeys.GLOBAL_VARIABLES)).restore(sess, prefix)
    return sess, net.x, outputs


def _from_meta_graph(model_name: str, prefix: str) -> tuple[Any, Any, dict[str, Any]]:
    index = read_checkpoint_index(prefix)
    meta_file = index.get("meta_graph_file")
    if not meta_file:
        raise errors.NotFoundError(
            None,
            None,
            f"Checkpoint {prefix} has no meta graph and no "
            "run.json was found next to it, so the model cannot be "
            "rebuilt. Save with write_meta_graph=True.",
        )
    meta_path = os.path.join(os.path.dirname(os.path.abspath(prefix)), os.path.basename(meta_file))
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(meta_path)
        try:
            x = g.get_tensor_by_name(f"{model_name}/x:0")
        except (KeyError, ValueError):
            raise errors.NotFoundError(
                None,
                None,
                f"The checkpoint's graph has no input "
                f"'{model_name}/x': was it trained as {model_name}?",
            ) from None
        scope = f"{model_name}/"
        argmaxes = [
            op
            for op in g.get_operations()
            if op.type == "ArgMax" and op.name.startswith(scope) and op.inputs[0].shape.ndims == 2
        ]
        if not argmaxes:
            raise errors.NotFoundError(
                None,
                None,
                f"Cannot find {model_name}'s logits in the checkpoint's graph (no argmax of them).",
            )
        outputs = _serving_outputs(argmaxes[0].inputs[0])
        sess = tf.Session(graph=g)
        if saver is not None:
            saver.restore(sess, prefix)
    return sess, x, outputs


def export_model(checkpoint: str, model_name: str | None, out_dir: str) -> dict[str, Any]:
    """Exports the book's model `model_name` trained into `checkpoint` as a SavedModel.

    Args:
        checkpoint: a checkpoint directory (its newest checkpoint is used), a run directory
            holding `checkpoints/`, or a checkpoint prefix.
        model_name: one of the book's models by its CLI name (two_layer_net, ...); None takes it
            from the run config.
        out_dir: the export directory, usually `BASE/NAME/<version>`; must not exist.

    Returns:
        {"export_dir", "checkpoint", "source" ("run_config" | "meta_graph"), "model",
         "signature"}: what was written.

    Raises:
        ExportDirectoryExistsError: `out_dir` exists and is not empty.
        tf.errors.NotFoundError: no checkpoint, or the model cannot be found in it.
        ValueError: an unknown model name, or one that differs from the run's.
    """
    _check_not_exported(out_dir)  # fail before the (slow) restore
    prefix = resolve_checkpoint(checkpoint)
    cfg = find_run_config(prefix)
    if model_name is not None:
        _check_model_name(model_name)  # ValueError listing the valid names
    if cfg is not None and model_name is not None and cfg["model"] != model_name:
        raise ValueError(
            f"The run config {cfg['path']} says the checkpoint is a {cfg['model']}"
            f", not a {model_name}."
        )
    if cfg is not None:
        try:
            sess, x, outputs = _from_run_config(cfg, prefix)
        except errors.InvalidArgumentError as e:
            raise errors.InvalidArgumentError(
                None, None, f"The run config {cfg['path']}: {e.message}"
            ) from None
        source, model_name = "run_config", cfg["model"]
    elif model_name is None:
        raise ValueError(f"No run.json next to {prefix}: say which model it is (--model).")
    else:
        sess, x, outputs = _from_meta_graph(model_name, prefix)
        source = "meta_graph"
    try:
        sig = predict_signature_def({"x": x}, outputs)
        b = SavedModelBuilder(out_dir)
        b.add_meta_graph_and_variables(
            sess, [SERVING], signature_def_map={DEFAULT_SERVING_SIGNATURE_DEF_KEY: sig}
        )
        b.save()
    finally:
        sess.close()
    return {
        "export_dir": out_dir,
        "checkpoint": prefix,
        "source": source,
        "model": model_name,
        "signature": sig.to_json(),
    }


__all__ = ["export_model", "resolve_checkpoint", "find_run_config"]
