"""Network builders: the Keras encoder, decoders and the training and inference graphs."""

import keras

from .._names import CONTEXT, FUTURE, RECONSTRUCTION, RESHAPING, SEQUENCES, SUBSERIES
from .augment import Augmentation, AugmentedTargets
from .layers import (
    FeatureMapPooling,
    MaskedConv1D,
    MaskedPooling,
    NaNPaddingMask,
    RestoreMask,
    SequenceDecoder,
    dense_layer,
    named_seed,
    recurrent_layer,
)
from .objectives import (
    ContextCrops,
    ContextualContrast,
    SpanMasking,
    SubseriesContrast,
    SubseriesCrops,
)

__all__ = [
    "build_autoencoder",
    "SeedPlan",
    "AutoencoderGraphs",
]

LATENT = "latent"
ENCODER = "encoder_"  # prefix of the encoder's layers, in the order they run
SHAPES = f"{ENCODER}shapes"  # the front end's maps pooled into the code


def _teacher(head):
    return f"{head}_teacher"


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def run_encoder(layers, x, maps=()):
    """Apply encoder layers in order; returns ``(output, maps)``.

    ``maps`` are the outputs of the front end's convolutions so far (given
    ones first): a :class:`~sklearn_lstm_ae._keras.layers.FeatureMapPooling`
    reads them beside its input.
    """
    maps = list(maps)
    for layer in layers:
        if isinstance(layer, FeatureMapPooling):
            x = layer([x, *maps])
        else:
            x = layer(x)
            if isinstance(layer, MaskedConv1D):
                maps.append(x)
    return x, maps


class SeedPlan:
    """Every layer's seed, derived from the fit's seed and the layer's name alone.

    Adding, removing or reordering a part never moves another part's
    weights: a layer's seed depends on nothing but its name. None gives
    every layer Keras's unseeded defaults.
    """

    def __init__(self, seed):
        self.seed = seed

    def __call__(self, name):
        return named_seed(self.seed, name)


def front_end(network, seeds):
    """The convolutional front end: strided ``MaskedConv1D`` layers (none for the tutorials').

    Layer ``i`` dilates its kernel by ``conv_dilation ** i``.
    """
    return [
        MaskedConv1D(
            f,
            network.conv_kernel_size,
            network.conv_stride,
            dilation_rate=network.conv_dilation**i,
            seed=seeds(f"{ENCODER}conv_{i}"),
            name=f"{ENCODER}conv_{i}",
        )
        for i, f in enumerate(network.conv_filters)
    ]


def recurrent_encoder(network, seeds):
    """The stacked LSTM (or GRU) layers; all return their states unless pooling is "last"."""
    layers, cell, n_layers = [], network.cell, len(network.encoder_units)
    for i, units in enumerate(network.encoder_units):
        options = dict(
            activation=network.activation,
            dropout=network.dropout,
            return_sequences=i < n_layers - 1 or network.pooling != "last",
        )
        name = f"{ENCODER}{cell}_{i}"
        layer = recurrent_layer(cell, units, seed=seeds(name), name=name, **options)
        if network.bidirectional:
            # The backward layer gets weights of its own (Keras would copy the
            # forward layer's config, seeded initialisers included).
            back = f"backward_{cell}_{i}"
            backward = recurrent_layer(
                cell, units, seed=seeds(back), go_backwards=True, name=back, **options
            )
            layer = keras.layers.Bidirectional(
                layer,
                backward_layer=backward if seeds.seed is not None else None,
                name=f"{ENCODER}bi{cell}_{i}",
            )
        layers.append(layer)
    return layers


def code_layers(network, seeds):
    """The layers after the per-step states: pooling over valid steps (if any) and the code."""
    pooling = network.pooling
    layers = [MaskedPooling(pooling, name=f"{ENCODER}pooling")] if pooling != "last" else []
    latent = dense_layer(network.latent_dim, seed=seeds(LATENT), name=LATENT)
    if not (network.conv_pooling and network.conv_filters):
        return [*layers, latent]
    shapes = FeatureMapPooling(name=SHAPES)
    if network.conv_pooling == "projected":  # both summaries, projected to latent_dim
        return [*layers, shapes, latent]
    return [*layers, latent, shapes]  # "appended": the pooled maps follow the code


def decoders(network, spec, n_timesteps, n_features, seeds):
    """The decoders ``spec`` trains, by name: reconstruction (n_timesteps), future (n_future)."""
    steps = {RECONSTRUCTION: n_timesteps, FUTURE: spec.n_future}
    # Unconditioned decoders run their LSTMs over the front end's shortened
    # time axis and write several steps from each; a conditional decoder
    # reads its previous step, so it runs at the input's own rate.
    upsample = 1 if spec.conditional else network.conv_stride ** len(network.conv_filters)
    return {
        head: SequenceDecoder(
            steps[head],
            n_features,
            network.decoder_units,
            activation=network.activation,
            dropout=network.dropout,
            output_activation=network.output_activation,
            conditional=spec.conditional,
            cell=network.cell,
            seed=seeds(head),
            upsample=upsample,
            name=head,
        )
        for head in spec.decoders
    }


def _decode(heads, code, inputs, conditional):
    """Each decoder's output; conditional ones read teachers, added to ``inputs``."""
    outputs, sequences = {}, inputs[SEQUENCES]
    for head, decoder in heads.items():
        if conditional:
            length = None if head == FUTURE else decoder.n_timesteps
            shape = (length, decoder.n_features)
            teacher = inputs[_teacher(head)] = keras.Input(shape, name=_teacher(head))
            outputs[head] = decoder(code, teacher=teacher)
        elif head == RECONSTRUCTION:
            outputs[head] = decoder(code, like=sequences)
        else:
            outputs[head] = decoder(code)
    return outputs


def subseries_term(encoder, code, sequences, seeds):
    """The subseries contrast: the same encoder (weights) reads a random crop of each sequence."""
    crops = SubseriesCrops(seed=seeds("subseries_crops"), name="subseries_crops")(sequences)
    crop_code, _ = run_encoder(encoder, NaNPaddingMask(name="subseries_mask")(crops))
    return SubseriesContrast(name=SUBSERIES)([code, crop_code])


def context_term(stepwise, states, sequences, network, seeds):
    """The context contrast: the states of a random crop against the same steps read whole."""
    stride = network.conv_stride ** len(network.conv_filters)
    crop = ContextCrops(stride, seed=seeds("context_crops"), name="context_crops")
    crops, index = crop(sequences)
    crop_states = _apply(stepwise, NaNPaddingMask(name="context_mask")(crops))
    return ContextualContrast(name=CONTEXT)([states, crop_states, index])


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
        ``Conv1D`` layers (:class:`~sklearn_lstm_ae._keras.layers.MaskedConv1D`)
        shorten the sequence; unconditioned decoders then run their LSTMs
        over the shortened time axis and write ``conv_stride **
        len(conv_filters)`` steps from each.
    spec : TrainingSpec
        What the model is trained for
        (:class:`~sklearn_lstm_ae._config.TrainingSpec`): its decoders
        (``"reconstruction"``, ``"future"`` of ``n_future`` steps), whether
        they are conditional (the training graph then takes the targets as
        extra inputs ``"<head>_teacher"``), and the self-supervised outputs
        ``"subseries"`` and ``"context"`` (:mod:`sklearn_lstm_ae._keras.objectives`).
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
    seeds = SeedPlan(seed)
    stepwise = front_end(network, seeds) + recurrent_encoder(network, seeds)
    encoder = stepwise + code_layers(network, seeds)
    # A free time axis: the encoder reads, and the reconstruction decoder
    # writes, sequences of any length (n_timesteps only sizes the decoder
    # model that decodes codes alone).
    inputs = {SEQUENCES: keras.Input((None, n_features), name=SEQUENCES)}
    sequences = read = inputs[SEQUENCES]
    if network.augment:
        augment = Augmentation(network.augment, seed=seeds("augmentation"), name="augmentation")
        read, view, factor = augment(sequences)
    x = read
    if network.mask_ratio:
        x = SpanMasking(network.mask_ratio, seed=seeds("span_masking"), name="span_masking")(x)
    x = NaNPaddingMask(name="padding_mask")(x) if masked else x
    states, maps = run_encoder(stepwise, x)
    code, _ = run_encoder(encoder[len(stepwise) :], states, maps)
    heads = decoders(network, spec, n_timesteps, n_features, seeds)
    outputs = _decode(heads, code, inputs, spec.conditional)
    if network.augment:  # the loss against the targets becomes the augmented input's
        reshaped = bool(set(network.augment) & set(RESHAPING))
        for head in outputs:
            correct = AugmentedTargets(
                reshaped and head == RECONSTRUCTION, name=f"augmented_{head}"
            )
            outputs[head] = correct([outputs[head], sequences, view, factor])
    if masked and RECONSTRUCTION in outputs:
        restore = RestoreMask(name="reconstruction_mask")
        outputs[RECONSTRUCTION] = restore([outputs[RECONSTRUCTION], sequences])
    if SUBSERIES in spec.terms:
        outputs[SUBSERIES] = subseries_term(encoder, code, read, seeds)
    if CONTEXT in spec.terms:
        outputs[CONTEXT] = context_term(stepwise, states, read, network, seeds)
    model_inputs = inputs if spec.conditional else sequences
    return keras.Model(model_inputs, outputs, name="lstm_autoencoder")


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
        """The encoder's layers in the order they run (the model's, which is topological)."""
        return [
            layer
            for layer in self.model.layers
            if layer.name.startswith(ENCODER) or layer.name == LATENT
        ]

    @property
    def heads(self):
        """Names of the decoders, reconstruction first."""
        names = {layer.name for layer in self.model.layers}
        return [h for h in (RECONSTRUCTION, FUTURE) if h in names]

    @property
    def latent_dim(self):
        return self.model.get_layer(LATENT).units

    @property
    def code_width(self):
        """Numbers per code: ``latent_dim``, plus the pooled maps appended after it."""
        layers = [layer.name for layer in self.encoder_layers]
        if layers[-1] != SHAPES:
            return self.latent_dim
        maps = [layer for layer in self.encoder_layers if isinstance(layer, MaskedConv1D)]
        return self.latent_dim + 2 * sum(layer.filters for layer in maps)

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
        return inputs, run_encoder(self.encoder_layers, x)[0]

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
            code = keras.Input((self.code_width,), name="code")
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
