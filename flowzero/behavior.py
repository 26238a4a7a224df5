"""What flowzero is and does, in TF's words: the version constants (tf.VERSION,
tf.GRAPH_DEF_VERSION, ..., and the tf.version namespace) and TF 1.15's behaviour switches.

Each switch reports what flowzero does. Turning one to the behaviour flowzero has is accepted;
turning one to a behaviour flowzero does not implement raises NotImplementedError (as
tf.enable_v2_behavior does).
"""

from __future__ import annotations

import platform
import types

# flowzero's own version (the package's), reported where TF reports its own.
VERSION = "0.1.0"
GIT_VERSION = f"flowzero-v{VERSION}"
COMPILER_VERSION = platform.python_compiler()  # flowzero is pure Python over NumPy
CXX11_ABI_FLAG = 0
CXX_VERSION = 0
MONOLITHIC_BUILD = 0
# The GraphDef versions flowzero writes (TF 1.15's producer version; see
# flowzero/interop/graph_def.py) and the oldest it accepts.
GRAPH_DEF_VERSION = 134
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0

version = types.ModuleType("flowzero.version", "tf.version: flowzero's version constants.")
for _k in (
    "VERSION",
    "GIT_VERSION",
    "COMPILER_VERSION",
    "GRAPH_DEF_VERSION",
    "GRAPH_DEF_VERSION_MIN_CONSUMER",
    "GRAPH_DEF_VERSION_MIN_PRODUCER",
):
    setattr(version, _k, globals()[_k])


def _unsupported(what: str) -> NotImplementedError:
    return NotImplementedError(
        f"flowzero implements TF 1.x graph mode only; {what} is not supported."
    )


def resource_variables_enabled() -> bool:
    """False: flowzero's variables are TF1's reference variables (VariableV2)."""
    return False


def disable_resource_variables() -> None:
    """Accepted: flowzero's variables are reference variables already."""


def enable_resource_variables() -> None:
    """Raises NotImplementedError: flowzero has no resource variables."""
    raise _unsupported("enable_resource_variables()")


def control_flow_v2_enabled() -> bool:
    """False: tf.cond and tf.while_loop build TF1-style control flow."""
    return False


def disable_control_flow_v2() -> None:
    """Accepted: flowzero builds TF1-style control flow already."""


def enable_control_flow_v2() -> None:
    """Raises NotImplementedError: flowzero has no functional (v2) control flow."""
    raise _unsupported("enable_control_flow_v2()")


def disable_tensor_equality() -> None:
    """Accepted: `==` on Tensors compares identity (TF1's behaviour) already."""


def enable_tensor_equality() -> None:
    """Raises NotImplementedError: Tensors are compared (and hashed) by identity."""
    raise _unsupported("enable_tensor_equality()")


def disable_v2_tensorshape() -> None:
    """Accepted: TensorShape entries are tf.Dimension objects (TF1's behaviour) already."""


def enable_v2_tensorshape() -> None:
    """Raises NotImplementedError: TensorShape entries are tf.Dimension objects."""
    raise _unsupported("enable_v2_tensorshape()")


def executing_eagerly_outside_functions() -> bool:
    """Whether ops outside any function run eagerly: as tf.executing_eagerly(), but True
    inside a function that tf.contrib.eager.defun traces too."""
    from flowzero.framework.graph import get_default_graph

    return bool(getattr(get_default_graph(), "_eager", False))


__all__ = [
    "VERSION",
    "GIT_VERSION",
    "COMPILER_VERSION",
    "CXX11_ABI_FLAG",
    "CXX_VERSION",
    "MONOLITHIC_BUILD",
    "GRAPH_DEF_VERSION",
    "GRAPH_DEF_VERSION_MIN_CONSUMER",
    "GRAPH_DEF_VERSION_MIN_PRODUCER",
    "version",
    "resource_variables_enabled",
    "disable_resource_variables",
    "enable_resource_variables",
    "control_flow_v2_enabled",
    "disable_control_flow_v2",
    "enable_control_flow_v2",
    "disable_tensor_equality",
    "enable_tensor_equality",
    "disable_v2_tensorshape",
    "enable_v2_tensorshape",
    "executing_eagerly_outside_functions",
]
