"""Writes docs/compat.md: for each public name of TensorFlow's `tf.compat.v1` and its modules,
whether flowzero has it (and if not, why).

    python scripts/compat_table.py            # rewrites docs/compat.md
    python scripts/compat_table.py --check    # exit status 1 if docs/compat.md is out of date

The names come from flowzero/compat/_tf1_public.py, recorded from TensorFlow by
scripts/tf1_namespaces.py, so this script needs flowzero only. tests/test_compat_table.py
fails when docs/compat.md differs from what this script writes now (a name was added or
removed without regenerating the table).
"""

from __future__ import annotations

import os
import sys
from typing import Any

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "docs", "compat.md")

# The namespaces issue #19 measured coverage over (1,565 names in TF 2.21's compat.v1).
MEASURED = [
    "",
    "nn",
    "train",
    "losses",
    "math",
    "summary",
    "image",
    "data",
    "metrics",
    "random",
    "linalg",
    "initializers",
    "errors",
    "saved_model",
    "graph_util",
    "strings",
    "sparse",
    "io",
    "dtypes",
    "debugging",
]

# Why a whole TensorFlow module is absent from flowzero.
MODULE_REASONS = {
    "autograph": "AutoGraph rewrites eager Python into graphs; flowzero programs build graphs "
    "directly",
    "distribute": "TF 2's distribution strategies; flowzero has its own data-parallel "
    "training (docs/distributed.md)",
    "distributions": "deprecated in TF 1.15 (moved to TensorFlow Probability)",
    "experimental": "TF 2 / experimental APIs",
    "feature_column": "not implemented yet",
    "keras": "tf.keras is not part of flowzero; TF1 models use tf.layers",
    "lite": "TensorFlow Lite conversion is out of scope",
    "mixed_precision": "flowzero computes in the dtypes a program asks for; no loss scaling",
    "mlir": "no MLIR compiler",
    "profiler": "not implemented yet (per-op timings: tf.RunMetadata)",
    "quantization": "quantized dtypes and kernels are out of scope",
    "tpu": "no TPUs",
    "xla": "no XLA compiler",
}


_QUANT = "quantized kernels and dtypes are out of scope"
_PS = (
    "gRPC cluster / parameter-server training is out of scope; data-parallel training is "
    "MPI (flowzero.distributed, docs/distributed.md)"
)
_RAGGED = "RaggedTensor is not implemented (flowzero has tf.SparseTensor)"
_SPEC = "TF 2 composite-tensor type specs (tf.function signatures)"
_CPU = "device configuration: flowzero runs on the CPU (threads: tf.ConfigProto)"
# Why a particular name is absent, where the reason is not "not implemented yet".
NAME_REASONS: dict[str, str] = {
    **{
        n: "custom C++ kernels cannot be loaded into flowzero's NumPy runtime"
        for n in ("load_op_library", "load_library", "load_file_system_library")
    },
    **{
        n: "persistent session tensors (handles) are not implemented"
        for n in ("get_session_handle", "get_session_tensor", "delete_session_tensor")
    },
    **{n: _SPEC for n in ("TypeSpec", "NoneTensorSpec", "OptionalSpec", "TensorArraySpec")},
    **{n: _SPEC for n in ("SparseTensorSpec", "IndexedSlicesSpec", "type_spec_from_value")},
    **{n: _RAGGED for n in ("RaggedTensor", "RaggedTensorSpec", "RaggedFeature")},
    "function": "TF 2's tf.function; TF1 programs build graphs directly",
    "wrap_function": "TF 2's tf.function API",
    "variable_creator_scope": "TF 2's variable-creator API",
    "vectorized_map": "TF 2's pfor vectorizer (tf.map_fn runs the same computation)",
    **{
        n: _PS
        for n in (
            "Server",
            "ServerDef",
            "ClusterDef",
            "JobDef",
            "replica_device_setter",
            "SyncReplicasOptimizer",
        )
    },
    **{
        n: "SDCA linear-model kernels are not implemented"
        for n in ("sdca_fprint", "sdca_optimizer", "sdca_shrink_l1")
    },
    "do_quantize_training_on_graphdef": _QUANT,
    "approx_max_k": "TPU-oriented approximate top-k (use tf.nn.top_k)",
    "approx_min_k": "TPU-oriented approximate top-k (use tf.nn.top_k on -x)",
    "approx_top_k": "TPU-oriented approximate top-k (use tf.nn.top_k)",
    **{
        n: "TF 2's object-based SavedModel API; flowzero reads and writes TF1 SavedModels "
        "(tf.saved_model.loader / builder)"
        for n in ("SaveOptions", "save", "load_v2", "Asset")
    },
    **{n: "TF 2 summary API" for n in ("all_v2_summary_ops", "initialize")},
    "CheckpointOptions": "TF 2's checkpoint I/O options (no devices to choose here)",
    "sobol_sample": "not implemented: needs the Joe-Kuo direction-number table (21,201 "
    "dimensions); tf.random ops cover pseudo-random draws",
    **{n: _CPU for n in ("set_log_device_placement", "get_log_device_placement", "check_pinned")},
    **{
        n: "TF 2 traceback filtering"
        for n in (
            "enable_traceback_filtering",
            "disable_traceback_filtering",
            "is_traceback_filtering_enabled",
        )
    },
    **{
        n: "TF 2's stateful Generator API; TF1 code seeds ops (tf.set_random_seed) or uses "
        "tf.random.stateless_*"
        for n in (
            "Generator",
            "Algorithm",
            "create_rng_state",
            "get_global_generator",
            "set_global_generator",
        )
    },
    "decode_webp": "an image format TensorFlow added after 1.15",
    "decode_jxl": "an image format TensorFlow added after 1.15",
    "decode_proto": "generic protobuf decoding needs descriptor sets; not implemented",
    "encode_proto": "generic protobuf encoding needs descriptor sets; not implemented",
}
# Whole-namespace reasons for namespaces flowzero has in part.
NAMESPACE_REASONS = {"config": _CPU, "sysconfig": "TensorFlow's C++ build flags (custom ops)"}


def _reason(ns: str, name: str) -> str:
    low = name.lower()
    if "tpu" in low:
        return "TPU-only"
    if ns.split(".")[0] in MODULE_REASONS:
        return MODULE_REASONS[ns.split(".")[0]]
    if ns in NAMESPACE_REASONS:
        return NAMESPACE_REASONS[ns]
    if name in NAME_REASONS:
        return NAME_REASONS[name]
    if "eager" in low or low.startswith("enable_") and "v2" in low:
        return "TF 2 eager behaviour; flowzero always builds graphs"
    if low.startswith(("quint", "qint", "quantiz", "dequantiz", "fake_quant")):
        return _QUANT
    if "ragged" in low:
        return _RAGGED
    return "not implemented yet"


def _resolve(root: Any, ns: str) -> Any:
    obj = root
    for part in filter(None, ns.split(".")):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return None
    return obj


def _has(mod: Any, name: str) -> bool:
    if mod is None:
        return False
    try:
        getattr(mod, name)
    except AttributeError:
        return False
    except Exception:  # noqa: BLE001 - present, but needs an optional dependency to load
        return True
    return True


def status() -> dict[str, list[tuple[str, bool]]]:
    """For each TensorFlow module, its names and whether flowzero has each."""
    sys.path.insert(0, ROOT)
    import flowzero
    from flowzero.compat._tf1_public import PUBLIC

    out: dict[str, list[tuple[str, bool]]] = {}
    for ns, names in PUBLIC.items():
        mod = _resolve(flowzero, ns)
        out[ns] = [(n, _has(mod, n)) for n in names]
    return out


def _label(ns: str) -> str:
    return "tf" if ns == "" else f"tf.{ns}"


def _percent(have: int, total: int) -> str:
    return f"{100 * have / total:.0f} %" if total else "-"


def render() -> str:
    table = status()
    lines = [
        "# TensorFlow 1.x API: what flowzero implements",
        "",
        "Generated by `scripts/compat_table.py` from `flowzero/compat/_tf1_public.py`, the "
        "public names",
        "of TensorFlow's `tf.compat.v1` (TF 1.15's API as TensorFlow 2.21 keeps it) recorded by",
        "`scripts/tf1_namespaces.py`. Do not edit by hand: run `python scripts/compat_table.py` "
        "after",
        "adding or removing a public name (tests/test_compat_table.py fails until then).",
        "",
        "A name flowzero lacks raises an `AttributeError` that says so and points here.",
        "",
        "## Summary",
        "",
        "| namespace | TensorFlow names | in flowzero | share |",
        "|---|---:|---:|---:|",
    ]
    measured_have = measured_total = all_have = all_total = 0
    for ns in sorted(table, key=lambda n: (n != "", n)):
        rows = table[ns]
        have = sum(ok for _, ok in rows)
        lines.append(
            f"| [`{_label(ns)}`](#{_label(ns).replace('.', '')}) | {len(rows)} | "
            f"{have} | {_percent(have, len(rows))} |"
        )
        all_have += have
        all_total += len(rows)
        if ns in MEASURED:
            measured_have += have
            measured_total += len(rows)
    lines += [
        f"| **the 20 namespaces issue #19 measures** | {measured_total} | {measured_have} | "
        f"{_percent(measured_have, measured_total)} |",
        f"| **all of the above** | {all_total} | {all_have} | {_percent(all_have, all_total)} |",
        "",
    ]
    for ns in sorted(table, key=lambda n: (n != "", n)):
        rows = table[ns]
        if not rows:
            continue
        lines += [f"## {_label(ns)}", "", "| name | flowzero |", "|---|---|"]
        for name, ok in rows:
            lines.append(
                f"| `{_label(ns)}.{name}` | {'yes' if ok else 'no: ' + _reason(ns, name)} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        try:
            with open(OUT) as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            sys.stderr.write("docs/compat.md is out of date: run python scripts/compat_table.py\n")
            return 1
        return 0
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, OUT)
    sys.stdout.write(f"wrote {os.path.relpath(OUT, ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
