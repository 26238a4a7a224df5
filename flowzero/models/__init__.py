"""The book's networks ("Deep Learning from Scratch"), written with the public TF1 API."""

from flowzero.models.simple_conv_net import SimpleConvNet
from flowzero.models.two_layer_net import TwoLayerNet

__all__ = ["TwoLayerNet", "SimpleConvNet"]
