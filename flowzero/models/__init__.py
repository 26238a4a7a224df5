"""The book's networks ("Deep Learning from Scratch"), written with the public TF1 API."""

from flowzero.models.deep_conv_net import DeepConvNet
from flowzero.models.lstm_classifier import LSTMClassifier
from flowzero.models.multi_layer_net import MultiLayerNet
from flowzero.models.multi_layer_net_extend import MultiLayerNetExtend
from flowzero.models.simple_conv_net import SimpleConvNet
from flowzero.models.two_layer_net import TwoLayerNet

__all__ = [
    "TwoLayerNet",
    "SimpleConvNet",
    "MultiLayerNet",
    "MultiLayerNetExtend",
    "DeepConvNet",
    "LSTMClassifier",
]
