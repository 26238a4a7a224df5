"""The op catalogue: one module per family, each op one OpDef plus its public function.

Importing this package registers every op type.
"""

from flowzero.ops import (  # noqa: F401 - imported for registration
    activation_ops,
    array_ops,
    cast_ops,
    control_flow_ops,
    control_ops,
    conv_ops,
    division_ops,
    functional_ops,
    indexing_ops,
    linalg_ops,
    logging_ops,
    logic_ops,
    loss_ops,
    manip_ops,
    math_ops,
    matrix_ops,
    nn_impl,
    nn_ops,
    normalization_ops,
    pool_ops,
    random_ops,
    range_ops,
    reduction_ops,
    reshape_ops,
    rnn_ops,
    scan_ops,
    script_ops,
    slicing_ops,
    state_ops,
    tensor_array_ops,
    trig_ops,
    unary_ops,
)
