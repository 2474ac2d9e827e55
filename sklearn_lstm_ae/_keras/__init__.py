"""The Keras objects of the package: layers, recurrent fast paths, optimizer, objectives, networks.

Everything here that a saved model can name is registered below, in one
place, under the package name ``sklearn_lstm_ae`` (Keras's ``registered_name``
``sklearn_lstm_ae>ClassName``): importing any module of this subpackage
registers them all, and nothing else in the package defines a Keras object.

- :mod:`.recurrent`: Keras's LSTM and GRU with the CPU fast paths, and the
  switch that turns them off (``standard_ops``);
- :mod:`.layers`: NaN-padding masks, masked convolutions and pooling,
  decoders;
- :mod:`.objectives`: masked spans and the two contrasts beside reconstruction;
- :mod:`.augment`: crops, jitter, scaling and time warps of the training input;
- :mod:`.optimizers`: Keras's Adam with a fused update;
- :mod:`.network`: the builders of the encoder, decoders and graphs.
"""

import keras

from .augment import Augmentation, AugmentedTargets
from .layers import (
    FeatureMapPooling,
    MaskedConv1D,
    MaskedPooling,
    NaNPaddingMask,
    RestoreMask,
    SequenceDecoder,
)
from .objectives import (
    ContextCrops,
    ContextualContrast,
    SpanMasking,
    SubseriesContrast,
    SubseriesCrops,
    TermLoss,
)
from .optimizers import FusedAdam
from .recurrent import FusedLSTM, ScanGRU

__all__ = ["PACKAGE", "REGISTERED"]

#: The one package name the package's Keras objects are registered under.
PACKAGE = "sklearn_lstm_ae"

#: Every Keras object of the package, registered for loading (safe mode included).
REGISTERED = (
    FusedLSTM,
    ScanGRU,
    NaNPaddingMask,
    RestoreMask,
    SequenceDecoder,
    MaskedConv1D,
    MaskedPooling,
    FeatureMapPooling,
    SpanMasking,
    Augmentation,
    AugmentedTargets,
    SubseriesCrops,
    SubseriesContrast,
    ContextCrops,
    ContextualContrast,
    TermLoss,
    FusedAdam,
)
for _cls in REGISTERED:
    keras.saving.register_keras_serializable(package=PACKAGE)(_cls)
del _cls
