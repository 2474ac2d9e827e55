"""Training-time augmentations of the encoder's input: crops, jitter, scaling, time warps.

A small training set seen once per epoch is a small training set; seen
through random, label-preserving changes it is many (Um et al., "Data
augmentation of wearable sensor data", ICMI 2017, whose strengths are used
here). :class:`Augmentation` draws them anew for every batch, in the training
graph only, so every way of training (arrays, buckets, a ``PyDataset``,
``partial_fit``, distribution strategies) gets them, and ``transform`` reads
the sequences as they are.

The autoencoder must then rebuild what its encoder read, not the original:
:class:`AugmentedTargets` corrects the decoders' outputs so that the loss
against the original targets equals the loss against the augmented ones.

All random draws come from Keras ``SeedGenerator`` objects seeded by the
estimator, so no process-wide random state is read or changed.
"""

import math

import keras
from keras import ops

from .._names import AUGMENTATIONS
from .layers import valid_steps, zero_nans
from .objectives import crop_bounds, windows

__all__ = [
    "Augmentation",
    "AugmentedTargets",
    "warp_steps",
    "CROP_FRACTION",
    "JITTER",
    "SCALE",
    "WARP",
    "WARP_KNOTS",
]

#: Shortest crop, as a fraction of the sequence's valid length.
CROP_FRACTION = 0.5
#: Standard deviation of the noise added to every value (standard-scaled units).
JITTER = 0.05
#: Standard deviation of the factor, around 1, that multiplies each sequence.
SCALE = 0.1
#: Standard deviation of the log speed of each stretch of a time warp.
WARP = 0.2
#: Stretches of a time warp, each read at its own speed.
WARP_KNOTS = 4


def warp_steps(inputs, speeds):
    """Each sequence resampled along a warped time axis; padding stays NaN.

    A sequence of ``L`` valid steps is cut into ``k = speeds.shape[1]``
    equal stretches, stretch ``j`` read at ``speeds[:, j]`` (> 0); the
    positions read are rescaled so that step 0 and step ``L - 1`` stay in
    place, and values between steps are interpolated linearly.
    """
    valid = valid_steps(inputs)
    lengths = ops.sum(ops.cast(valid, "float32"), axis=1, keepdims=True)
    steps = ops.arange(ops.shape(inputs)[1], dtype="float32")[None, :]
    knots = ops.shape(speeds)[1]
    stretch = ops.floor(steps * ops.cast(knots, "float32") / ops.maximum(lengths, 1.0))
    stretch = ops.cast(ops.clip(stretch, 0, knots - 1), "int32")
    speed = ops.take_along_axis(speeds, stretch, axis=1)
    speed = ops.where(valid, speed, ops.zeros_like(speed))
    position = ops.cumsum(speed, axis=1) - speed[:, :1]
    last = ops.maximum(lengths - 1.0, 0.0)
    end = ops.take_along_axis(position, ops.cast(last, "int32"), axis=1)
    position = ops.clip(position * last / ops.maximum(end, 1e-6), 0.0, last)
    low = ops.floor(position)
    high = ops.minimum(low + 1.0, last)
    weight = ops.expand_dims(position - low, -1)
    values = zero_nans(inputs)

    def read(index):
        return ops.take_along_axis(values, ops.expand_dims(ops.cast(index, "int32"), -1), axis=1)

    warped = read(low) * (1.0 - weight) + read(high) * weight
    return ops.where(ops.expand_dims(valid, -1), warped, ops.full_like(warped, math.nan))


class Augmentation(keras.layers.Layer):
    """Random crops, time warps, scaling and jitter of each sequence while training.

    Applied in this order, each when named in ``kinds``:

    - ``"crop"``: a random subseries of at least ``CROP_FRACTION`` of the
      valid steps, moved to step 0, NaN padding after it;
    - ``"warp"``: a smooth random time warp (:func:`warp_steps`), stretches
      read at speeds ``exp(N(0, WARP**2))``;
    - ``"scale"``: the sequence times a factor ``N(1, SCALE**2)``;
    - ``"jitter"``: noise ``N(0, JITTER**2)`` added to every value.

    Called as ``layer(sequences)``, it returns ``[augmented, view, factor]``:
    what the encoder reads, the crop and warp of the sequences (the
    reconstruction's target before scaling) and each sequence's factor,
    ``(batch, 1, 1)``. Outside training it returns the sequences, the
    sequences and ones. Padding stays NaN.

    Parameters
    ----------
    kinds : sequence of str
        The augmentations, names from ``("crop", "jitter", "scale", "warp")``.
    seed : int, default=None
        Seed of the draws (None: Keras's global seed).
    """

    def __init__(self, kinds, seed=None, **kwargs):
        super().__init__(**kwargs)
        unknown = sorted(set(kinds) - set(AUGMENTATIONS))
        if unknown:
            raise ValueError(f"unknown augmentations {unknown}; known: {AUGMENTATIONS}")
        self.kinds = tuple(k for k in AUGMENTATIONS if k in kinds)
        self.seed = None if seed is None else int(seed)
        self.generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs, training=None):
        batch = ops.shape(inputs)[0]
        ones = ops.ones((batch, 1, 1), inputs.dtype)
        if not training:
            return [inputs, inputs, ones]
        view = inputs
        if "crop" in self.kinds:
            start, length = crop_bounds(view, CROP_FRACTION, self.generator)
            view = windows(view, start, length, cut=False)
        if "warp" in self.kinds:
            log_speeds = keras.random.normal((batch, WARP_KNOTS), seed=self.generator)
            view = warp_steps(view, ops.exp(WARP * log_speeds))
        factor = ones
        if "scale" in self.kinds:
            factor = 1.0 + SCALE * keras.random.normal((batch, 1, 1), seed=self.generator)
        augmented = view * factor
        if "jitter" in self.kinds:
            noise = keras.random.normal(ops.shape(view), seed=self.generator)
            augmented = augmented + JITTER * noise
        return [augmented, view, factor]

    def compute_output_shape(self, input_shape):
        return [input_shape, input_shape, (input_shape[0], 1, 1)]

    def get_config(self):
        return {**super().get_config(), "kinds": list(self.kinds), "seed": self.seed}


class AugmentedTargets(keras.layers.Layer):
    """A decoder's output corrected so that its loss is the augmented input's.

    Called as ``layer([output, sequences, view, factor])`` with what
    :class:`Augmentation` returned. The loss of a difference (mean squared
    or absolute error, Huber, log-cosh) against the original target then
    equals, per step and up to the weight ``1 / factor``, the loss against
    the augmented target:

    - a reconstruction of crops or warps (``reshaped=True``):
      ``output / factor + sequences - view`` on the view's valid steps, and
      the original target elsewhere (a crop's lost steps add nothing to the
      loss);
    - any other output (the future, or a reconstruction under scaling and
      jitter alone, whose view is the sequences): ``output / factor``.

    Outside training the view is the sequences and the factor is 1: the
    output passes unchanged.

    Parameters
    ----------
    reshaped : bool, default=True
        The output rebuilds the input steps and the view moved them (crops
        or warps).
    """

    def __init__(self, reshaped=True, **kwargs):
        super().__init__(**kwargs)
        self.reshaped = bool(reshaped)

    def call(self, inputs):
        output, sequences, view, factor = inputs
        output = output / factor
        if not self.reshaped:
            return output
        original = zero_nans(sequences)
        shifted = output + original - zero_nans(view)
        kept = ops.expand_dims(valid_steps(view), -1)
        return ops.where(kept, shifted, original)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "reshaped": self.reshaped}
