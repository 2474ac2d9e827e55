"""Keras layers: NaN-padding masks and sequence decoders, registered for safe-mode loading."""

import keras
from keras import ops

__all__ = ["NaNPaddingMask", "RestoreMask", "SequenceDecoder"]

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


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SequenceDecoder(keras.layers.Layer):
    """Decode a code vector into a sequence: stacked LSTMs and a per-step Dense.

    Unconditioned (the seeds' decoder), every step reads the code, as with
    ``RepeatVector``. Conditioned, every step also reads the previous output:
    the true previous step while training (teacher forcing, pass ``teacher``)
    and the decoder's own previous output at inference (a ``scan`` over time).

    Parameters
    ----------
    n_timesteps : int
        Length of the decoded sequences.
    n_features : int
        Features per decoded step.
    units : tuple of int
        Units of the stacked LSTM layers.
    activation : str, default="tanh"
        LSTM activation.
    dropout : float, default=0.0
        Dropout on the LSTM inputs while training.
    output_activation : str, default=None
        Activation of the per-step Dense output.
    conditional : bool, default=False
        Feed each step the previous output.
    """

    def __init__(
        self,
        n_timesteps,
        n_features,
        units,
        activation="tanh",
        dropout=0.0,
        output_activation=None,
        conditional=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.n_timesteps = int(n_timesteps)
        self.n_features = int(n_features)
        self.units = tuple(int(u) for u in units)
        self.activation = activation
        self.dropout = float(dropout)
        self.output_activation = output_activation
        self.conditional = bool(conditional)
        self.lstms = [
            keras.layers.LSTM(
                n, activation=activation, dropout=dropout, return_sequences=True, name=f"lstm_{i}"
            )
            for i, n in enumerate(self.units)
        ]
        self.output_layer = keras.layers.Dense(
            self.n_features, activation=output_activation, name="output"
        )

    def build(self, code_shape, teacher_shape=None):
        width = code_shape[-1] + (self.n_features if self.conditional else 0)
        for lstm in self.lstms:
            lstm.build((None, self.n_timesteps, width))
            width = lstm.units
        self.output_layer.build((None, self.n_timesteps, width))

    def _steps(self, code):
        """The code repeated over time: (batch, n_timesteps, latent)."""
        return ops.repeat(ops.expand_dims(code, 1), self.n_timesteps, axis=1)

    def call(self, code, teacher=None, training=None):
        x = self._steps(code)
        if self.conditional and teacher is None:
            return self._generate(code)
        if self.conditional:
            # Step t reads the true step t - 1 (zeros before the first step).
            previous = ops.pad(teacher[:, :-1], [[0, 0], [1, 0], [0, 0]])
            x = ops.concatenate([x, ops.cast(previous, x.dtype)], axis=-1)
        for lstm in self.lstms:
            x = lstm(x, training=training)
        return self.output_layer(x)

    def _generate(self, code):
        """Run the conditioned decoder on its own outputs, one step at a time."""
        batch = ops.shape(code)[0]
        states = []
        for lstm in self.lstms:
            states += [ops.zeros((batch, lstm.units), code.dtype)] * 2
        previous = ops.zeros((batch, self.n_features), code.dtype)
        outputs = ops.zeros((batch, self.n_timesteps, self.n_features), code.dtype)

        def step(t, carry):
            states, previous, outputs = carry
            x = ops.concatenate([code, previous], axis=-1)
            new_states = []
            for i, lstm in enumerate(self.lstms):
                x, (h, c) = lstm.cell(x, [states[2 * i], states[2 * i + 1]], training=False)
                new_states += [h, c]
            y = self.output_layer(x)
            outputs = ops.slice_update(outputs, (0, t, 0), ops.expand_dims(y, 1))
            return new_states, y, outputs

        return ops.fori_loop(0, self.n_timesteps, step, (states, previous, outputs))[2]

    def compute_output_shape(self, code_shape, teacher_shape=None):
        return (code_shape[0], self.n_timesteps, self.n_features)

    def get_config(self):
        config = super().get_config()
        config.update(
            n_timesteps=self.n_timesteps,
            n_features=self.n_features,
            units=list(self.units),
            activation=self.activation,
            dropout=self.dropout,
            output_activation=self.output_activation,
            conditional=self.conditional,
        )
        return config
