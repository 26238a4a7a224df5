"""Records TF 1.15's compat.v1 sub-namespaces (tf.math, tf.linalg, ...) as data for flowzero.

Run under an interpreter with TensorFlow installed (not a flowzero dependency):

    python scripts/tf1_namespaces.py    # rewrites flowzero/compat/_tf1_names.py and _tf1_public.py

_tf1_public.py lists every public name of `tf.compat.v1` and of its modules (the list behind
docs/compat.md, see scripts/compat_table.py, and behind the AttributeError for a missing name).

For each public name of each namespace it records the root-level name TensorFlow binds to the
same function (an `nn.` name for tf.nn's), so flowzero's namespaces can bind the very function
object flowzero has at the root (`tf.math.log1p is tf.log1p`), or None where TF has no alias.
A root alias counts when it is the same object, or the same function behind TF's deprecation
wrappers (same unwrapped function name and same first docstring line).
"""

from __future__ import annotations

import inspect
import json
import os
import sys

NAMESPACES = [
    "math",
    "linalg",
    "random",
    "dtypes",
    "initializers",
    "debugging",
    "io",
    "image",
    "strings",
    "signal",
    "spectral",
    "sparse",
    "manip",
    "queue",
    "bitwise",
    "audio",
]
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "flowzero", "compat", "_tf1_names.py"
)
PUBLIC_OUT = os.path.join(os.path.dirname(OUT), "_tf1_public.py")
# Modules left out of the public list: raw_ops is every kernel by its op name (not an API
# TF1 programs call), compat holds the other API versions.
SKIP_MODULES = {"raw_ops", "compat"}
NESTED_MODULES = ["io.gfile", "nn.rnn_cell"]


def _core(obj: object) -> object:
    try:
        obj = inspect.unwrap(obj)  # type: ignore[arg-type]
    except ValueError:
        pass
    return getattr(obj, "__wrapped__", obj)


def _first_doc_line(obj: object) -> str:
    return (getattr(obj, "__doc__", None) or "").strip().split("\n")[0]


def _same_function(a: object, b: object) -> bool:
    if _core(a) is _core(b):
        return True
    return (
        _first_doc_line(a) != ""
        and _first_doc_line(a) == _first_doc_line(b)
        and getattr(_core(a), "__name__", 1) == getattr(_core(b), "__name__", 2)
    )


def record() -> dict[str, dict[str, str | None]]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as real_tf

    v1 = real_tf.compat.v1
    by_id: dict[int, list[str]] = {}
    by_core: dict[int, list[str]] = {}  # behind deprecation wrappers
    for prefix, mod in (("", v1), ("nn.", v1.nn)):
        for n in dir(mod):
            if not n.startswith("_"):
                obj = getattr(mod, n)
                by_id.setdefault(id(obj), []).append(prefix + n)
                by_core.setdefault(id(_core(obj)), []).append(prefix + n)
    out: dict[str, dict[str, str | None]] = {}
    for ns in NAMESPACES:
        mod = getattr(v1, ns)
        names: dict[str, str | None] = {}
        for n in sorted(dir(mod)):
            obj = getattr(mod, n, None)
            if n.startswith("_") or obj is None or inspect.ismodule(obj):
                continue
            aliases = sorted(by_id.get(id(obj), []), key=lambda a: (a.split(".")[-1] != n, len(a)))
            if aliases:
                names[n] = aliases[0]
            elif hasattr(v1, n) and _same_function(obj, getattr(v1, n)):
                names[n] = n
            elif by_core.get(id(_core(obj))):
                names[n] = sorted(by_core[id(_core(obj))], key=len)[0]
            else:
                names[n] = None
        out[ns] = names
    out["io.gfile"] = {n: None for n in dir(v1.io.gfile) if not n.startswith("_")}
    return out


def record_public() -> dict[str, list[str]]:
    """Every public name of tf.compat.v1 ("") and of its modules (submodules excluded)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as real_tf

    v1 = real_tf.compat.v1
    modules = [
        n
        for n in dir(v1)
        if not n.startswith("_")
        and n not in SKIP_MODULES
        and inspect.ismodule(getattr(v1, n, None))
    ]
    out: dict[str, list[str]] = {}
    for ns in [""] + modules + NESTED_MODULES:
        mod = v1
        try:
            for part in filter(None, ns.split(".")):
                mod = getattr(mod, part)
            names = dir(mod)
        except Exception as e:  # noqa: BLE001 - a module TF cannot load is left out, said so
            sys.stderr.write(f"skipped tf.{ns}: {type(e).__name__}: {e}\n")
            continue
        out[ns] = sorted(
            n
            for n in names
            if not n.startswith("_") and not inspect.ismodule(getattr(mod, n, None))
        )
    return out


def write_public(public: dict[str, list[str]], path: str = PUBLIC_OUT) -> None:
    import tensorflow as real_tf

    lines = [
        '"""The public names of TensorFlow\'s `tf.compat.v1` (TF 1.15\'s API as TensorFlow '
        f"{real_tf.__version__} keeps it),",
        'per module ("" is the root), generated by scripts/tf1_namespaces.py; do not edit by hand.',
        "",
        "Read by scripts/compat_table.py (docs/compat.md) and, only when a name is missing, by",
        "the AttributeError that says so.",
        '"""',
        "",
        "PUBLIC: dict[str, tuple[str, ...]] = {",
    ]
    for ns in sorted(public):  # laid out as ruff format would
        names = public[ns]
        if len(names) < 2:
            inner = "".join(f"{json.dumps(n)}," for n in names)
            lines.append(f"    {json.dumps(ns)}: ({inner}),")
            continue
        lines.append(f"    {json.dumps(ns)}: (")
        lines.extend(f"        {json.dumps(n)}," for n in names)
        lines.append("    ),")
    lines.append("}")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def write(names: dict[str, dict[str, str | None]], path: str = OUT) -> None:
    lines = [
        '"""TF 1.15\'s compat.v1 sub-namespaces, name by name (generated by '
        "scripts/tf1_namespaces.py",
        "from TensorFlow's `tf.compat.v1`; do not edit by hand).",
        "",
        "Each namespace maps a public name to the root-level (or `nn.`) name TensorFlow binds to "
        "the",
        "same function (`tf.math.log1p` -> `log1p`, `tf.initializers.zeros` -> "
        "`zeros_initializer`), or to",
        "None where TensorFlow has no such alias.",
        '"""',
        "",
        "NAMESPACES: dict[str, dict[str, str | None]] = {",
    ]
    for ns in sorted(names):
        lines.append(f'    "{ns}": {{')
        for n in sorted(names[ns]):
            target = names[ns][n]
            lines.append(f'        "{n}": {"None" if target is None else json.dumps(target)},')
        lines.append("    },")
    lines.append("}")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.layers and tf.nn.rnn_cell load
    write(record())
    write_public(record_public())
    sys.stdout.write(f"wrote {os.path.normpath(OUT)} and {os.path.normpath(PUBLIC_OUT)}\n")
