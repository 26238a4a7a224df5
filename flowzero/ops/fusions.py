"""The fusion table: op chains a plan runs as one kernel, and forward by-products that a
backward op of the same run reuses.

TensorFlow's Grappler remapper rewrites Conv2D+BiasAdd+Relu into _FusedConv2D and
MatMul+BiasAdd+Relu into _FusedMatMul; flowzero does the same when it compiles a Plan, never in
the user's graph. What a fusion saves is memory traffic: the intermediate activation is written
and read once instead of three times (SimpleConvNet's conv layer: 6.9 MB per pass).

This table says which chains exist; the head op's OpDef.fuse builds the kernel (and may decline
a matched chain), a producer's OpDef.compute_handing_over makes a by-product and a consumer's
OpDef.takes_handover accepts it. The runtime (flowzero/runtime/fusion.py) only matches the table
against a plan. To add a fusion: a row here, and the kernel on the head op's OpDef.
"""

from __future__ import annotations

from flowzero.framework.registry import Follow, Fusion, Handover, register_fusions

RELU = Follow(("Relu",), via=0, optional=True)

FUSIONS = (
    # y = relu(conv2d(x, w) + b), the bias on the channel axis: Conv2D.fuse (compute_fused).
    Fusion("Conv2D", (Follow(("BiasAdd",), via=0), RELU)),
    # y = relu(x @ w + b), b a vector or a scalar, on either side of the add: MatMul.fuse.
    Fusion("MatMul", (Follow(("Add", "BiasAdd"), via=None), RELU)),
    # dx = MaxPoolGrad(x, y, ReluGrad(g, y)) (Relu.gradient's rewrite under a max pool): the
    # mask applied while dx is written: ReluGrad.fuse (MaxPoolGrad.fuse_relu_grad).
    Fusion("ReluGrad", (Follow(("MaxPoolGrad",), via=2),)),
)

HANDOVERS = (
    # Conv2D's patch matrix: the filter gradient of the same input does not build it again.
    Handover(producer="Conv2D", consumer="Conv2DBackpropFilter"),
    # MaxPool's first-max offsets: MaxPoolGrad never reads the (4x larger) pooled input again.
    Handover(producer="MaxPool", consumer="MaxPoolGrad"),
    # MaxPoolGrad's channel sums of dx, made while dx is written (the compiled kernel): the
    # conv layer's bias gradient below a relu + max pool (None from the NumPy kernel).
    Handover(producer="MaxPoolGrad", consumer="BiasAddGrad"),
)

register_fusions(FUSIONS, HANDOVERS)
