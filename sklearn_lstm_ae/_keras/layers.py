"""Keras layers: NaN-padding masks, masked convolutions and pooling, decoders (safe-mode)."""

import hashlib

import keras
import numpy as np
from keras import ops

from .._names import POOLED, PYRAMID_LEVELS, SUMMARY_WIDTH
from .recurrent import at_step, recurrent_class

__all__ = [
    "NaNPaddingMask",
    "RestoreMask",
    "SequenceDecoder",
    "MaskedPooling",
    "MaskedConv1D",
    "FeatureMapPooling",
    "recurrent_layer",
    "dense_layer",
    "sub_seeds",
    "named_seed",
    "valid_steps",
    "zero_nans",
]


def sub_seeds(seed, n):
    """``n`` independent int seeds derived from ``seed`` (n times None if it is None)."""
    if seed is None:
        return [None] * n
    return [int(s) for s in np.random.default_rng(seed).integers(1, 2**31 - 1, size=n)]


def named_seed(seed, name):
    """The int seed of the part called ``name`` of a network seeded by ``seed`` (None: None).

    A hash of both, so a part's seed depends on its name alone, never on
    how many parts were built before it.
    """
    if seed is None:
        return None
    digest = hashlib.sha256(f"{int(seed)}/{name}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "little") % (2**31 - 2)


def recurrent_layer(cell, units, *, seed=None, **kwargs):
    """An LSTM or GRU layer whose initial weights and dropout masks come from ``seed``.

    With an int ``seed`` the kernel, the recurrent kernel and the dropout
    masks each get a seed of their own (Keras's stateless draws), so the
    layer touches no global random state. With None, Keras's defaults.
    """
    if seed is not None:
        kernel, recurrent, dropout = sub_seeds(seed, 3)
        kwargs.update(
            kernel_initializer=keras.initializers.GlorotUniform(seed=kernel),
            recurrent_initializer=keras.initializers.Orthogonal(seed=recurrent),
            seed=dropout,
        )
    return recurrent_class(cell)(units, **kwargs)


def dense_layer(units, *, seed=None, **kwargs):
    """A Dense layer whose initial kernel comes from ``seed`` (Keras's default if None)."""
    if seed is not None:
        kwargs["kernel_initializer"] = keras.initializers.GlorotUniform(seed=seed)
    return keras.layers.Dense(units, **kwargs)


def valid_steps(inputs):
    """Boolean (batch, time): True where a time step holds no NaN."""
    return ops.logical_not(ops.any(ops.isnan(inputs), axis=-1))


def zero_nans(inputs):
    """``inputs`` with every NaN (the padding) replaced by 0."""
    return ops.where(ops.isnan(inputs), ops.zeros_like(inputs), inputs)


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
        return zero_nans(inputs)

    def compute_mask(self, inputs, mask=None):
        return valid_steps(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


class RestoreMask(keras.layers.Layer):
    """Return ``inputs[0]`` carrying the padding mask of the raw sequences ``inputs[1]``.

    Keras losses read the mask of a model output, so putting the input's mask
    back on the decoder's output keeps padded steps out of the training loss.
    """

    def call(self, inputs):
        return inputs[0]

    def compute_mask(self, inputs, mask=None):
        return valid_steps(inputs[1])

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def _per_step(dense, x):
    """``dense`` applied to every step of ``x`` (batch, time, units), as one 2-D matmul.

    Keras's ``Dense`` on a 3-D input traces a general ``tensordot`` (about
    20 operations, and its gradient); the same product on the steps laid
    end to end is a reshape, a matmul and a reshape back.
    """
    shape = ops.shape(x)
    flat = dense(ops.reshape(x, (-1, x.shape[-1])))
    return ops.reshape(flat, (shape[0], shape[1], dense.units))


class SequenceDecoder(keras.layers.Layer):
    """Decode a code vector into a sequence: stacked LSTMs and a per-step Dense.

    Unconditioned (the decoder of the classic Keras LSTM-autoencoder
    tutorials), every step reads the code, as with ``RepeatVector``.
    Conditioned, every step also reads the previous output: the true previous
    step while training (teacher forcing, pass ``teacher``) and the decoder's
    own previous output at inference (a ``scan`` over time).

    Parameters
    ----------
    n_timesteps : int
        Length of the decoded sequences, unless ``call`` is given ``like``
        (a sequence whose length to write) or ``steps``.
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
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell of the stacked layers.
    seed : int, default=None
        Seed of the initial weights and dropout masks of the stacked layers
        and the output Dense (None: Keras's unseeded defaults).
    upsample : int, default=1
        Output steps per recurrent step: the stacked layers run over
        ``ceil(n / upsample)`` steps, and the output Dense writes
        ``upsample`` steps from each (the decoder of a strided convolutional
        front end). Unconditioned decoders only.
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
        cell="lstm",
        seed=None,
        upsample=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.seed = None if seed is None else int(seed)
        self.upsample = int(upsample)
        if self.upsample > 1 and conditional:
            raise ValueError("An upsampling decoder cannot be conditional.")
        self.n_timesteps = int(n_timesteps)
        self.n_features = int(n_features)
        self.units = tuple(int(u) for u in units)
        self.activation = activation
        self.dropout = float(dropout)
        self.output_activation = output_activation
        self.conditional = bool(conditional)
        self.cell = cell
        layer_seeds = [named_seed(self.seed, f"lstm_{i}") for i in range(len(self.units))]
        output_seed = named_seed(self.seed, "output")
        self.lstms = [
            recurrent_layer(
                cell,
                n,
                seed=s,
                activation=activation,
                dropout=dropout,
                return_sequences=True,
                name=f"lstm_{i}",
            )
            for i, (n, s) in enumerate(zip(self.units, layer_seeds, strict=True))
        ]
        self.output_layer = dense_layer(
            self.n_features * self.upsample,
            seed=output_seed,
            activation=output_activation,
            name="output",
        )

    def build(self, code_shape, teacher_shape=None, like_shape=None):
        width = code_shape[-1] + (self.n_features if self.conditional else 0)
        for lstm in self.lstms:
            lstm.build((None, None, width))
            width = lstm.units
        self.output_layer.build((None, None, width))

    def _length(self, teacher, like, steps):
        """Steps to write: the teacher's or ``like``'s length, ``steps``, else n_timesteps."""
        for ref in (teacher, like):
            if ref is not None:
                return ops.shape(ref)[1]
        return self.n_timesteps if steps is None else steps

    def call(self, code, teacher=None, like=None, steps=None, training=None):
        n = self._length(teacher, like, steps)
        if self.conditional and teacher is None:
            return self._generate(code, n)
        # The code repeated over time: (batch, n, latent).
        up = self.upsample
        steps = n if up == 1 else (n + up - 1) // up
        # (A broadcast: Keras's ``repeat`` traces a general repeat of ~30 ops.)
        x = ops.broadcast_to(ops.expand_dims(code, 1), (ops.shape(code)[0], steps, code.shape[-1]))
        if self.conditional:
            # Step t reads the true step t - 1 (zeros before the first step).
            previous = ops.pad(teacher[:, :-1], [[0, 0], [1, 0], [0, 0]])
            x = ops.concatenate([x, ops.cast(previous, x.dtype)], axis=-1)
        for lstm in self.lstms:
            x = lstm(x, training=training)
        out = _per_step(self.output_layer, x)
        if up == 1:
            return out
        # Each recurrent step writes ``up`` consecutive steps; cut to n.
        out = ops.reshape(out, (ops.shape(out)[0], -1, self.n_features))
        return out[:, :n]

    def _generate(self, code, n):
        """Run the conditioned decoder on its own outputs for ``n`` steps, one at a time."""
        batch = ops.shape(code)[0]
        n_states = 2 if self.cell == "lstm" else 1  # (h, c) or h
        states = [[ops.zeros((batch, lstm.units), code.dtype)] * n_states for lstm in self.lstms]
        previous = ops.zeros((batch, self.n_features), code.dtype)
        outputs = ops.zeros((batch, n, self.n_features), code.dtype)

        def step(t, carry):
            states, previous, outputs = carry
            x = ops.concatenate([code, previous], axis=-1)
            new_states = []
            for lstm, state in zip(self.lstms, states, strict=True):
                x, new = lstm.cell(x, list(state), training=False)
                new_states.append(list(new) if isinstance(new, (list, tuple)) else [new])
            y = self.output_layer(x)
            outputs = ops.slice_update(outputs, (0, t, 0), ops.expand_dims(y, 1))
            return new_states, y, outputs

        return ops.fori_loop(0, n, step, (states, previous, outputs))[2]

    def compute_output_shape(self, code_shape, teacher_shape=None, like_shape=None):
        # (A call with ``steps`` writes that many steps; its static shape is
        # not tracked, only the values are used.)
        ref = teacher_shape or like_shape
        return (code_shape[0], self.n_timesteps if ref is None else ref[1], self.n_features)

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
            cell=self.cell,
            seed=self.seed,
            upsample=self.upsample,
        )
        return config


class MaskedConv1D(keras.layers.Layer):
    """A strided, optionally dilated ``Conv1D`` (ReLU) whose Keras mask follows its stride.

    Output step ``j`` reads ``kernel_size`` input steps ``dilation_rate``
    apart, from ``j * strides - dilation_rate * ((kernel_size - 1) // 2)``
    (zeros outside the sequence), whatever the length of the batch, and is
    valid when input step ``j * strides`` is; a sequence of ``n`` steps
    gives ``ceil(n / strides)``. A dilated, strided layer is the exception:
    its output step ``j`` is the strongest of the stride-1 responses at
    input steps ``j * strides`` to ``(j + 1) * strides - 1`` (valid ones
    only). Keeping every ``strides``-th response instead would, with a
    dilation that is a multiple of the stride, never read the steps in
    between.
    Invalid outputs are set to zero, so the next layer sees what a sequence
    alone sees past its end: a sequence gives the same output alone or
    padded in a batch of longer ones. (Keras's "same" padding would not: it
    shifts the windows with the parity of the batch's length.)

    Parameters
    ----------
    filters, kernel_size, strides, dilation_rate : int
        As in ``keras.layers.Conv1D``, which refuses a stride and a dilation
        together: a dilated, strided layer convolves at stride 1 and
        max-pools each ``strides`` steps.
    seed : int, default=None
        Seed of the initial kernel (None: Keras's unseeded default).
    """

    def __init__(self, filters, kernel_size, strides=1, dilation_rate=1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.strides, self.dilation_rate = int(strides), int(dilation_rate)
        self.seed = None if seed is None else int(seed)
        init = "glorot_uniform" if seed is None else keras.initializers.GlorotUniform(seed=seed)
        # Keras's Conv1D takes a stride or a dilation, not both.
        self._pool = self.strides if self.dilation_rate > 1 else 1
        self.conv = keras.layers.Conv1D(
            self.filters,
            self.kernel_size,
            strides=self.strides // self._pool,
            dilation_rate=self.dilation_rate,
            padding="valid",
            activation="relu",
            kernel_initializer=init,
            name="conv",
        )
        self.supports_masking = True

    def build(self, input_shape):
        self.conv.build((input_shape[0], None, input_shape[-1]))

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = inputs * ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        span = (self.kernel_size - 1) * self.dilation_rate
        left = self.dilation_rate * ((self.kernel_size - 1) // 2)
        out = self.conv(ops.pad(inputs, [[0, 0], [left, span - left], [0, 0]]))
        if self._pool > 1:
            if mask is not None:  # padded steps never win (ReLU: responses are at least 0)
                out = out * ops.expand_dims(ops.cast(mask, out.dtype), -1)
            extra = (-ops.shape(out)[1]) % self._pool  # whole blocks, at any batch length
            out = ops.pad(out, [[0, 0], [0, extra], [0, 0]])
            out = ops.max_pool(out, self._pool, self._pool, padding="valid")
        if mask is not None:
            out = out * ops.expand_dims(ops.cast(self.compute_mask(inputs, mask), out.dtype), -1)
        return out

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else mask[:, :: self.strides]

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        steps = None if steps is None else -(-steps // self.strides)
        return (input_shape[0], steps, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "dilation_rate": self.dilation_rate,
            "seed": self.seed,
        }


def _part_maxima(inputs, mask):
    """The max of ``inputs`` over each part of the valid steps, for each of ``PYRAMID_LEVELS``."""
    steps = ops.arange(ops.shape(inputs)[1], dtype="float32")[None, :]
    if mask is None:
        valid = ops.ones_like(steps) > 0
        length = ops.cast(ops.shape(inputs)[1], "float32")
    else:
        valid = ops.convert_to_tensor(mask)
        length = ops.sum(ops.cast(valid, "float32"), axis=1, keepdims=True)
    lowest = ops.convert_to_tensor(-3.0e38, inputs.dtype)
    maxima = []
    for k in PYRAMID_LEVELS:
        for j in range(k):
            start = ops.floor(j * length / k)
            stop = ops.maximum(ops.ceil((j + 1) * length / k), start + 1.0)
            inside = ops.logical_and(valid, ops.logical_and(steps >= start, steps < stop))
            maxima.append(ops.max(ops.where(inside[..., None], inputs, lowest), axis=1))
    return maxima


class MaskedPooling(keras.layers.Layer):
    """Pool a sequence of hidden states over its valid steps only.

    ``mode`` is "mean", "max", "meanmax" (the two concatenated), "lastmax"
    (the state at the last valid step beside the max) or "pyramid" (the
    last state, then the max over the whole sequence, over each half and
    over each quarter of its valid steps, in order: where in the sequence a
    state peaked, at three time scales). A part of ``L`` valid steps,
    ``j`` of ``k``, spans steps ``floor(j L / k)`` to ``ceil((j + 1) L /
    k)`` (excluded), never empty. Padded steps (where the Keras mask is
    False) never enter: a sequence gives the same summary alone or padded
    in a batch of longer ones. Done outside the recurrent layers, so those
    stay on cuDNN.
    """

    def __init__(self, mode="max", **kwargs):
        super().__init__(**kwargs)
        if mode not in POOLED:
            raise ValueError(f"mode must be one of {', '.join(map(repr, POOLED))}, got {mode!r}.")
        self.mode = mode
        self.supports_masking = True

    def call(self, inputs, mask=None, training=None):
        # Only the mode's parts are computed: each part's operations cost
        # tracing time in every train step.
        names = {"mean": ["mean"], "max": ["max"], "meanmax": ["mean", "max"], "pyramid": ["last"]}
        names = names.get(self.mode, ["last", "max"])
        if mask is None:
            pool = {
                "mean": lambda: ops.mean(inputs, axis=1),
                "max": lambda: ops.max(inputs, axis=1),
                "last": lambda: inputs[:, -1],
            }
        else:
            valid = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
            count = ops.maximum(ops.sum(valid, axis=1), 1.0)
            lowest = ops.convert_to_tensor(-3.0e38, inputs.dtype)
            pool = {
                "mean": lambda: ops.sum(inputs * valid, axis=1) / count,
                "max": lambda: ops.max(ops.where(valid > 0, inputs, lowest), axis=1),
                # Right-padded: the last valid step.
                "last": lambda: at_step(inputs, ops.cast(count[:, 0] - 1, "int32"), training),
            }
        parts = [pool[name]() for name in names]
        if self.mode == "pyramid":  # the whole sequence's max is level 1's one part
            parts += _part_maxima(inputs, mask)
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        width = input_shape[-1] * SUMMARY_WIDTH[self.mode]
        return (input_shape[0], width)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class FeatureMapPooling(keras.layers.Layer):
    """A summary with the front end's feature maps pooled beside it: which local shapes occur.

    Called on ``[summary, map_1, ..., map_k]``: a ``(batch, width)`` summary
    of the sequence and the ``(batch, steps_i, filters_i)`` outputs of the
    front end's convolutions (ReLU, so each filter's response is at least
    0). Each map gives, per filter, its maximum over the valid steps and the
    proportion of valid steps where it is positive (as MiniRocket pools its
    kernels' responses), masked for padding. The output is the summary
    followed by those, ``width + 2 * sum(filters_i)`` numbers: where a
    recurrent summary carries the order of events, these say which shapes
    occurred, wherever they were. The proportions pass no gradient (a step
    function); the maxima do.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        summary, *maps = inputs
        masks = mask[1:] if isinstance(mask, list | tuple) else [None] * len(maps)
        parts = [summary]
        for x, m in zip(maps, masks, strict=True):
            if m is None:
                valid = ops.ones_like(x[..., :1])
            else:
                valid = ops.expand_dims(ops.cast(m, x.dtype), -1)
            count = ops.maximum(ops.sum(valid, axis=1), 1.0)
            x = x * valid  # padded steps never enter (ReLU maps: a zero never wins the max)
            parts.append(ops.max(x, axis=1))
            parts.append(ops.sum(ops.cast(x > 0, x.dtype), axis=1) / count)
        return ops.concatenate(parts, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        summary, *maps = input_shape
        return (summary[0], summary[-1] + 2 * sum(m[-1] for m in maps))
