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
    reconstruct=True,
    n_future=0,
    conditional=False,
    cell="lstm",
    bidirectional=False,
    pooling="last",
    conv_filters=(),
    conv_kernel_size=5,
    conv_stride=2,
    mask_ratio=0.0,
    subseries=False,
    context=False,
    seed=None,
):
    """Build the LSTM autoencoder of the classic Keras tutorials, as a training graph.

    The graph is: (NaN padding -> Keras mask), stacked LSTM encoder (many to
    one), a linear ``Dense(latent_dim)`` code, then one or two decoders (one to
    many): ``"reconstruction"`` rebuilds the ``n_timesteps`` input steps,
    ``"future"`` predicts ``n_future`` steps after them (Srivastava et al.,
    2015). Each decoder repeats the code over time, runs stacked LSTMs and a
    per-step ``Dense(n_features)``.

    Parameters
    ----------
    n_timesteps, n_features : int
        Shape of one (padded) input sequence.
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
        keep them out of the reconstruction loss. Without padding in the data
        the unmasked graph computes the same function and trains faster on CPU.
    output_activation : str, default=None
        Activation of the output layers: None (linear) for real values,
        "sigmoid" for 0/1 data trained with binary cross-entropy.
    reconstruct : bool, default=True
        Include the reconstruction decoder.
    n_future : int, default=0
        Include a future decoder predicting this many steps (0: none).
    conditional : bool, default=False
        Decoders read their previous output. The training graph then takes
        the targets as extra inputs ``"<head>_teacher"`` (teacher forcing).
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell of the encoder and decoders.
    bidirectional : bool, default=False
        Read the sequence both ways in every encoder layer.
    pooling : {"last", "mean", "max", "meanmax", "lastmax"}, default="last"
        What the code is computed from: the last layer's final state (the
        many-to-one encoder of the classic Keras LSTM-autoencoder tutorials),
        or its states pooled over the valid steps
        (:class:`~sklearn_lstm_ae._layers.MaskedPooling`).
    conv_filters : tuple of int, default=()
        Filters of strided ``Conv1D`` layers (ReLU) read before the first
        LSTM, a convolutional front end (:class:`~sklearn_lstm_ae._layers.MaskedConv1D`):
        local-shape detectors that also shorten the sequence by
        ``conv_stride`` per layer. Unconditioned decoders then run their
        LSTMs over the shortened time axis and write ``conv_stride **
        len(conv_filters)`` steps from each; conditional decoders run at the
        input's rate. Empty: the network of the tutorials.
    conv_kernel_size, conv_stride : int, default=5, 2
        Window and stride of every front-end convolution.
    mask_ratio : float, default=0.0
        Fraction of the valid input steps the encoder reads zeroed while
        training, in spans (:class:`~sklearn_lstm_ae._objectives.SpanMasking`);
        the decoders' targets stay the clean sequence. 0: no masking.
    subseries : bool, default=False
        Add the output ``"subseries"``: each sequence's contrastive loss
        between its code and the code of a random subseries of it, against
        the subseries of the other sequences of the batch
        (:mod:`sklearn_lstm_ae._objectives`).
    context : bool, default=False
        Add the output ``"context"``: each sequence's hierarchical
        contrastive loss between the encoder's per-step states of a random
        crop of it and the states of the same steps within the whole
        sequence (:class:`~sklearn_lstm_ae._objectives.ContextualContrast`).
        Needs per-step states: ``pooling`` other than "last".
    seed : int, default=None
        Seed of every initial weight, dropout mask, masked span, subseries
        and context crop, each layer getting a seed of its own derived from it; no
        global random state is read or changed. None leaves Keras's unseeded
        defaults.

    Returns
    -------
    keras.Model
        Uncompiled model with a dict of outputs keyed by decoder name (and
        ``"subseries"`` and ``"context"``, losses per sequence, with
        ``subseries`` and ``context``). Its
        input is the sequences array, or a dict ``{"sequences": ...,
        "<head>_teacher": ...}`` when ``conditional``.
    """
    n_layers = len(encoder_units)
    if context and pooling == "last":
        raise ValueError("context needs the encoder's per-step states: pooling must not be 'last'.")
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
        if bidirectional:
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
    summary.append(dense_layer(latent_dim, seed=next(seeds), name=LATENT))
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
    if mask_ratio:
        x = SpanMasking(mask_ratio, seed=mask_seed, name="span_masking")(x)
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
            output_activation=output_activation,
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
