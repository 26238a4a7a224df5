"""The op catalogue: one module per family, each op one OpDef plus its public function.

Importing this package registers every op type.
"""

from flowzero.ops import (  # noqa: F401 - imported for registration
    array_ops,
    control_ops,
    conv_ops,
    loss_ops,
    math_ops,
    nn_ops,
    random_ops,
    reduction_ops,
    state_ops,
)
