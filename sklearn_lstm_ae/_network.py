"""Network builders: the Keras encoder, decoder and autoencoder graphs."""

import keras

from ._layers import NaNPaddingMask, RestoreMask

__all__ = ["build_autoencoder", "AutoencoderGraphs"]

LATENT = "latent"
REPEAT = "repeat_latent"
OUTPUT = "reconstruction"


def _lstm_layers(units, *, prefix, activation, dropout, last_returns_sequences):
    return [
        keras.layers.LSTM(
            n,
            activation=activation,
            dropout=dropout,
            return_sequences=last_returns_sequences or i < len(units) - 1,
            name=f"{prefix}_lstm_{i}",
        )
        for i, n in enumerate(units)
    ]


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def build_autoencoder(
    *,
    n_timesteps,
    n_features,
    latent_dim,
    encoder_units,
    decoder_units,
    activation="tanh",
    dropout=0.0,
    masked=True,
    output_activation=None,
):
    """Build the LSTM autoencoder that the seeds write by hand.

    The graph is: (NaN padding -> Keras mask), stacked LSTM encoder (many to
    one), a linear ``Dense(latent_dim)`` code, ``RepeatVector(n_timesteps)``,
    stacked LSTM decoder (one to many) and a per-step ``Dense(n_features)``.

    Parameters
    ----------
    n_timesteps, n_features : int
        Shape of one (padded) sequence.
    latent_dim : int
        Size of the encoded vector.
    encoder_units, decoder_units : tuple of int
        Units of the stacked LSTM layers, first layer first.
    activation : str, default="tanh"
        Activation of the LSTM cells; "tanh" keeps Keras on its cuDNN kernel.
    dropout : float, default=0.0
        Dropout on the inputs of every LSTM layer while training.
    masked : bool, default=True
        Read trailing all-NaN steps as padding, skip them in the encoder and
        keep them out of the loss. Without padding in the data the unmasked
        graph computes the same function and trains faster on CPU.
    output_activation : str, default=None
        Activation of the output layer: None (linear) for real values,
        "sigmoid" for 0/1 data trained with binary cross-entropy.

    Returns
    -------
    keras.Model
        Uncompiled model mapping ``(batch, n_timesteps, n_features)`` to a
        reconstruction of the same shape.
    """
    encoder = _lstm_layers(
        encoder_units,
        prefix="encoder",
        activation=activation,
        dropout=dropout,
        last_returns_sequences=False,
    )
    encoder.append(keras.layers.Dense(latent_dim, name=LATENT))
    decoder = [keras.layers.RepeatVector(n_timesteps, name=REPEAT)]
    decoder += _lstm_layers(
        decoder_units,
        prefix="decoder",
        activation=activation,
        dropout=dropout,
        last_returns_sequences=True,
    )
    decoder.append(keras.layers.Dense(n_features, activation=output_activation, name=OUTPUT))
    return _assemble(encoder, decoder, (n_timesteps, n_features), masked)


def _assemble(encoder, decoder, shape, masked, name="lstm_autoencoder"):
    inputs = keras.Input(shape, name="sequences")
    x = NaNPaddingMask(name="padding_mask")(inputs) if masked else inputs
    out = _apply(decoder, _apply(encoder, x))
    if masked:
        out = RestoreMask(name="output_mask")([out, inputs])
    return keras.Model(inputs, out, name=name)


class AutoencoderGraphs:
    """Keras models sharing the layers (and weights) of a trained autoencoder.

    Built lazily from the layer names of ``model``, so they are never pickled
    and always share weights with it.

    Parameters
    ----------
    model : keras.Model
        A model made by :func:`build_autoencoder`.
    """

    def __init__(self, model):
        self.model = model
        self._cache = {}

    def _layers(self, prefix):
        names = [layer.name for layer in self.model.layers]
        return [self.model.get_layer(n) for n in names if n.startswith(prefix)]

    @property
    def encoder_layers(self):
        return self._layers("encoder_lstm_") + [self.model.get_layer(LATENT)]

    @property
    def decoder_layers(self):
        return (
            [self.model.get_layer(REPEAT)]
            + self._layers("decoder_lstm_")
            + [self.model.get_layer(OUTPUT)]
        )

    @property
    def latent_dim(self):
        return self.model.get_layer(LATENT).units

    @property
    def input_shape(self):
        return tuple(self.model.inputs[0].shape[1:])

    def _get(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def autoencoder(self, masked):
        """Sequences -> reconstruction, with or without padding masks."""
        return self._get(
            ("autoencoder", masked),
            lambda: _assemble(self.encoder_layers, self.decoder_layers, self.input_shape, masked),
        )

    def encoder(self, masked=True):
        """Sequences -> codes ``(batch, latent_dim)``."""

        def make():
            inputs = keras.Input(self.input_shape, name="sequences")
            x = NaNPaddingMask(name="padding_mask")(inputs) if masked else inputs
            return keras.Model(inputs, _apply(self.encoder_layers, x), name="encoder")

        return self._get(("encoder", masked), make)

    def decoder(self):
        """Codes ``(batch, latent_dim)`` -> sequences (in scaled units)."""

        def make():
            code = keras.Input((self.latent_dim,), name="code")
            return keras.Model(code, _apply(self.decoder_layers, code), name="decoder")

        return self._get("decoder", make)
