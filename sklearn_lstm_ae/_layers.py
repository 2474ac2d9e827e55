"""Keras layers for NaN-padded sequences, registered so safe-mode loading finds them."""

import keras
from keras import ops

__all__ = ["NaNPaddingMask", "RestoreMask"]

_PACKAGE = "sklearn_lstm_ae"


def _valid_steps(inputs):
    """Boolean (batch, time): True where a time step holds no NaN."""
    return ops.logical_not(ops.any(ops.isnan(inputs), axis=-1))


@keras.saving.register_keras_serializable(package=_PACKAGE)
class NaNPaddingMask(keras.layers.Layer):
    """Replace NaN padding by zeros and emit the padding as a Keras mask.

    Trailing all-NaN time steps are padding: downstream recurrent layers skip
    them, so a sequence gives the same output alone or padded in a batch of
    longer ones. Right-padded masks keep Keras on its cuDNN LSTM kernel.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.where(ops.isnan(inputs), ops.zeros_like(inputs), inputs)

    def compute_mask(self, inputs, mask=None):
        return _valid_steps(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RestoreMask(keras.layers.Layer):
    """Return ``inputs[0]`` carrying the padding mask of the raw sequences ``inputs[1]``.

    Keras losses read the mask of a model output, so putting the input's mask
    back on the decoder's output keeps padded steps out of the training loss.
    """

    def call(self, inputs):
        return inputs[0]

    def compute_mask(self, inputs, mask=None):
        return _valid_steps(inputs[1])

    def compute_output_shape(self, input_shape):
        return input_shape[0]
