"""Network builders: the Keras encoder, decoders and the training and inference graphs."""

import keras

from ._layers import (
    MaskedConv1D,
    MaskedPooling,
    NaNPaddingMask,
    RestoreMask,
    SequenceDecoder,
    dense_layer,
    recurrent_layer,
    sub_seeds,
)
from ._objectives import (
    CONTEXT,
    SUBSERIES,
    ContextCrops,
    ContextualContrast,
    SpanMasking,
    SubseriesContrast,
    SubseriesCrops,
)

__all__ = [
    "build_autoencoder",
    "AutoencoderGraphs",
    "RECONSTRUCTION",
    "FUTURE",
    "SUBSERIES",
    "CONTEXT",
]

LATENT = "latent"
RECONSTRUCTION = "reconstruction"
FUTURE = "future"
SEQUENCES = "sequences"
ENCODER = "encoder_"  # prefix of the encoder's layers, in the order they run


def _teacher(head):
    return f"{head}_teacher"


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def build_autoencoder(network, spec, *, n_timesteps, n_features, masked=True, seed=None):
    """Build the LSTM autoencoder of the classic Keras tutorials, as a training graph.

    The graph is: (NaN padding -> Keras mask), an optional convolutional
    front end, stacked LSTM encoder (many to one), a linear
    ``Dense(latent_dim)`` code, then one or two decoders (one to many):
    ``"reconstruction"`` rebuilds the ``n_timesteps`` input steps,
    ``"future"`` predicts ``n_future`` steps after them (Srivastava et al.,
    2015). Each decoder repeats the code over time, runs stacked LSTMs and a
    per-step ``Dense(n_features)``.

    Parameters
    ----------
    network : NetworkConfig
        The layers (:class:`~sklearn_lstm_ae._config.NetworkConfig`): code
        size, encoder and decoder units, cell, pooling, front end, dropout,
        masked spans and the output's activation. The front end's strided
        ``Conv1D`` layers (:class:`~sklearn_lstm_ae._layers.MaskedConv1D`)
        shorten the sequence; unconditioned decoders then run their LSTMs
        over the shortened time axis and write ``conv_stride **
        len(conv_filters)`` steps from each.
    spec : TrainingSpec
        What the model is trained for
        (:class:`~sklearn_lstm_ae._config.TrainingSpec`): its decoders
        (``"reconstruction"``, ``"future"`` of ``n_future`` steps), whether
        they are conditional (the training graph then takes the targets as
        extra inputs ``"<head>_teacher"``), and the self-supervised outputs
        ``"subseries"`` and ``"context"`` (:mod:`sklearn_lstm_ae._objectives`).
    n_timesteps, n_features : int
        Shape of one (padded) training sequence; the time axis stays free.
    masked : bool, default=True
        Read trailing all-NaN steps as padding, skip them in the encoder and
        keep them out of the reconstruction loss. Without padding in the data
        the unmasked graph computes the same function and trains faster on CPU.
    seed : int, default=None
        Seed of every initial weight, dropout mask, masked span, subseries
        and context crop, each layer getting a seed of its own derived from it; no
        global random state is read or changed. None leaves Keras's unseeded
        defaults.

    Returns
    -------
    keras.Model
        Uncompiled model with a dict of outputs keyed by decoder name (and
        ``"subseries"`` and ``"context"``, losses per sequence). Its input is
        the sequences array, or a dict ``{"sequences": ...,
        "<head>_teacher": ...}`` when ``conditional``.
    """
    weights = spec.loss_weights
    reconstruct, conditional = RECONSTRUCTION in weights, spec.conditional
    n_future = spec.n_future if FUTURE in weights else 0
    subseries, context = SUBSERIES in weights, CONTEXT in weights
    encoder_units, decoder_units = network.encoder_units, network.decoder_units
    conv_filters, conv_kernel_size = network.conv_filters, network.conv_kernel_size
    conv_stride, pooling, cell = network.conv_stride, network.pooling, network.cell
    activation, dropout = network.activation, network.dropout
    n_layers = len(encoder_units)
    seeds = iter(sub_seeds(seed, 2 * n_layers + 3))
    # The front end's seeds come from a stream of their own, so that the
    # network without it keeps the weights it always had.
    conv_seeds = sub_seeds(None if seed is None else seed + 1, len(conv_filters))
    encoder = [
        MaskedConv1D(f, conv_kernel_size, conv_stride, seed=s, name=f"{ENCODER}conv_{i}")
        for i, (f, s) in enumerate(zip(conv_filters, conv_seeds, strict=True))
    ]
    # Unconditioned decoders run their LSTMs over the shortened time axis and
    # write several steps from each; a conditional decoder reads its previous
    # step, so it runs at the input's own rate (its input is the code).
    upsample = 1 if conditional else conv_stride ** len(conv_filters)
    for i, n in enumerate(encoder_units):
        options = dict(
            activation=activation,
            dropout=dropout,
            return_sequences=i < n_layers - 1 or pooling != "last",
        )
        layer = recurrent_layer(cell, n, seed=next(seeds), name=f"{ENCODER}{cell}_{i}", **options)
        if network.bidirectional:
            # The backward layer gets weights of its own (Keras would copy the
            # forward layer's config, seeded initialisers included).
            backward = recurrent_layer(
                cell, n, seed=next(seeds), go_backwards=True, name=f"backward_{cell}_{i}", **options
            )
            layer = keras.layers.Bidirectional(
                layer,
                backward_layer=backward if seed is not None else None,
                name=f"{ENCODER}bi{cell}_{i}",
            )
        encoder.append(layer)
    # The layers after the per-step states: pooling (if any) and the code.
    summary = [MaskedPooling(pooling, name=f"{ENCODER}pooling")] if pooling != "last" else []
    summary.append(dense_layer(network.latent_dim, seed=next(seeds), name=LATENT))
    heads = {RECONSTRUCTION: n_timesteps} if reconstruct else {}
    if n_future:
        heads[FUTURE] = n_future
    # A free time axis: the encoder reads, and the reconstruction decoder
    # writes, sequences of any length (n_timesteps only sizes the decoder
    # model that decodes codes alone).
    inputs = {SEQUENCES: keras.Input((None, n_features), name=SEQUENCES)}
    # The self-supervised terms draw from a stream of their own, so that the
    # network without them keeps the weights it always had.
    mask_seed, crop_seed = sub_seeds(None if seed is None else seed + 2, 2)
    (context_seed,) = sub_seeds(None if seed is None else seed + 3, 1)
    x = inputs[SEQUENCES]
    if network.mask_ratio:
        x = SpanMasking(network.mask_ratio, seed=mask_seed, name="span_masking")(x)
    x = NaNPaddingMask(name="padding_mask")(x) if masked else x
    states = _apply(encoder, x)
    code = _apply(summary, states)
    stepwise, encoder = encoder, encoder + summary
    outputs = {}
    for head, steps in heads.items():
        decoder = SequenceDecoder(
            steps,
            n_features,
            decoder_units,
            activation=activation,
            dropout=dropout,
            output_activation=network.output_activation,
            conditional=conditional,
            cell=cell,
            seed=next(seeds),
            upsample=upsample,
            name=head,
        )
        length = None if head == FUTURE else steps
        if conditional:
            teacher = inputs[_teacher(head)] = keras.Input(
                (length, n_features), name=_teacher(head)
            )
            outputs[head] = decoder(code, teacher=teacher)
        elif head == RECONSTRUCTION:
            outputs[head] = decoder(code, like=inputs[SEQUENCES])
        else:
            outputs[head] = decoder(code)
    if masked and reconstruct:
        outputs[RECONSTRUCTION] = RestoreMask(name="reconstruction_mask")(
            [outputs[RECONSTRUCTION], inputs[SEQUENCES]]
        )
    if subseries:
        # The same encoder layers (the same weights) read one random
        # subseries of each sequence; crops are NaN-padded, so always masked.
        crops = SubseriesCrops(seed=crop_seed, name="subseries_crops")(inputs[SEQUENCES])
        crop_code = _apply(encoder, NaNPaddingMask(name="subseries_mask")(crops))
        outputs[SUBSERIES] = SubseriesContrast(name=SUBSERIES)([code, crop_code])
    if context:
        # The encoder's states on a random crop of each sequence, against
        # its states on the same steps read within the whole sequence.
        stride = conv_stride ** len(conv_filters)
        crops, index = ContextCrops(stride, seed=context_seed, name="context_crops")(
            inputs[SEQUENCES]
        )
        crop_states = _apply(stepwise, NaNPaddingMask(name="context_mask")(crops))
        outputs[CONTEXT] = ContextualContrast(name=CONTEXT)([states, crop_states, index])
    return keras.Model(
        inputs if conditional else inputs[SEQUENCES], outputs, name="lstm_autoencoder"
    )


def training_inputs(values, targets, conditional):
    """The ``x`` that ``model.fit`` needs: the sequences, plus decoder teachers if conditional."""
    if not conditional:
        return values
    teachers = {_teacher(h): t for h, t in targets.items() if h in (RECONSTRUCTION, FUTURE)}
    return {SEQUENCES: values, **teachers}


class AutoencoderGraphs:
    """Inference models sharing the layers (and weights) of a trained autoencoder.

    Built lazily from the layer names of ``model``, so they are never pickled
    and always share weights with it. Conditional decoders run on their own
    outputs here (no teacher).

    Parameters
    ----------
    model : keras.Model
        A model made by :func:`build_autoencoder`.
    """

    def __init__(self, model):
        self.model = model
        self._cache = {}

    @property
    def encoder_layers(self):
        layers = [layer for layer in self.model.layers if layer.name.startswith(ENCODER)]
        return layers + [self.model.get_layer(LATENT)]

    @property
    def heads(self):
        """Names of the decoders, reconstruction first."""
        names = {layer.name for layer in self.model.layers}
        return [h for h in (RECONSTRUCTION, FUTURE) if h in names]

    @property
    def latent_dim(self):
        return self.model.get_layer(LATENT).units

    @property
    def input_shape(self):
        (seqs,) = [t for t in self.model.inputs if t.name.startswith(SEQUENCES)] or [
            self.model.inputs[0]
        ]
        return tuple(seqs.shape[1:])

    def _get(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def _encode(self, masked):
        inputs = keras.Input(self.input_shape, name=SEQUENCES)
        x = NaNPaddingMask(name="padding_mask")(inputs) if masked else inputs
        return inputs, _apply(self.encoder_layers, x)

    def encoder(self, masked=True):
        """Sequences -> codes ``(batch, latent_dim)``."""

        def make():
            return keras.Model(*self._encode(masked), name="encoder")

        return self._get(("encoder", masked), make)

    def decoder(self, head=RECONSTRUCTION, steps=None):
        """Codes ``(batch, latent_dim)`` -> ``steps`` steps of decoder ``head`` (scaled units).

        ``steps=None`` writes the decoder's own length: ``n_timesteps_`` for
        the reconstruction, ``n_future`` for the future.
        """

        def make():
            code = keras.Input((self.latent_dim,), name="code")
            out = self.model.get_layer(head)(code, steps=steps)
            return keras.Model(code, out, name=f"{head}_decoder")

        return self._get(("decoder", head, steps), make)

    def autoencoder(self, masked, head=RECONSTRUCTION):
        """Sequences -> decoder ``head``'s output, with or without padding masks."""

        def make():
            inputs, code = self._encode(masked)
            layer = self.model.get_layer(head)
            out = layer(code, like=inputs) if head == RECONSTRUCTION else layer(code)
            return keras.Model(inputs, out, name=f"{head}_model")

        return self._get(("autoencoder", masked, head), make)
