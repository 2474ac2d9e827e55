"""Self-supervised training terms beside reconstruction: masked spans and two contrasts.

All act in the training graph only; the encoder that ``transform`` runs is
untouched, so codes, decoders, saving and every input form work as without
them.

- :class:`SpanMasking` (``mask_ratio``) zeroes random spans of the valid
  input steps while training, so the decoders must rebuild the clean
  sequence from a corrupted one (masked, or denoising, reconstruction as in
  TST, Zerveas et al., KDD 2021).
- :class:`SubseriesCrops` and :class:`SubseriesContrast`
  (``subseries_weight``) teach the code to tell sequences apart: the code of
  a whole sequence must be closer to the code of one of its own random
  subseries than to the subseries of the other sequences of the batch (the
  subseries sampling of T-Loss, Franceschi et al., NeurIPS 2019, with a
  softmax over the batch, InfoNCE, in place of T-Loss's sampled negatives).
- :class:`ContextCrops` and :class:`ContextualContrast` (``context_weight``)
  teach the encoder's per-step states to be consistent across contexts and
  to tell sequences and moments apart: the states of a random crop must
  match the states of the same steps read within the whole sequence, against
  the other sequences at the same step and the other steps of the same
  sequence, at every time scale (the hierarchical contrastive loss of
  TS2Vec, Yue et al., AAAI 2022, with the whole sequence as one of its two
  overlapping views, so that one extra encoder pass suffices).

All random draws come from Keras ``SeedGenerator`` objects seeded by the
estimator, so no process-wide random state is read or changed.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from .._names import CONTEXT, SUBSERIES
from .layers import valid_steps

__all__ = [
    "SpanMasking",
    "SubseriesCrops",
    "SubseriesContrast",
    "ContextCrops",
    "ContextualContrast",
    "hierarchical_losses",
    "TermLoss",
    "SUBSERIES",
    "CONTEXT",
    "MAX_CONTEXT_STEPS",
    "MASK_SPAN",
    "MIN_CROP",
    "TEMPERATURE",
]


#: Longest crop of the context contrast, in steps of the encoder's states
#: (its temporal term compares every pair of them: batch x 256 x 256 here).
MAX_CONTEXT_STEPS = 128
#: Time scales the context contrast's loss can reach: enough halvings to
#: bring MAX_CONTEXT_STEPS states to one.
CONTEXT_LEVELS = 1 + math.ceil(math.log2(MAX_CONTEXT_STEPS))
#: Length, in steps, of each masked span (TST's mean span length is 3).
MASK_SPAN = 3
#: Shortest subseries, as a fraction of its sequence's valid length.
MIN_CROP = 0.25
#: Temperature of the contrast's cosine similarities.
TEMPERATURE = 0.1


def _generator(seed):
    # A Keras SeedGenerator draws statelessly from its own state variable:
    # seeded, it reads nothing global; None follows Keras's global seed.
    return keras.random.SeedGenerator(seed)


class SpanMasking(keras.layers.Layer):
    """Zero random spans of ``span`` valid steps while training; identity otherwise.

    Each valid step starts a span with probability ``p``, chosen so that
    ``1 - (1 - p) ** span == ratio``: away from a sequence's first steps,
    each valid step is masked with probability ``ratio``. NaN padding stays
    NaN, so the padding mask downstream is unchanged. All features of a
    masked step are zeroed, the mean of standard-scaled data.

    Parameters
    ----------
    ratio : float
        Expected fraction of valid steps masked, in [0, 1).
    span : int, default=MASK_SPAN
        Length of each span.
    seed : int, default=None
        Seed of the draws (None: Keras's global seed).
    """

    def __init__(self, ratio, span=MASK_SPAN, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.ratio, self.span = float(ratio), int(span)
        self.seed = None if seed is None else int(seed)
        self.start_probability = 1.0 - (1.0 - self.ratio) ** (1.0 / self.span)
        self.generator = _generator(self.seed)

    def masked_steps(self, inputs):
        """Boolean ``(batch, time)``: the steps this call masks (padding excluded)."""
        starts = keras.random.uniform(ops.shape(inputs)[:2], seed=self.generator)
        starts = ops.cast(starts < self.start_probability, "float32")
        # Step t is masked when a span starts in (t - span, t].
        count = ops.cumsum(starts, axis=1)
        shifted = ops.pad(count, [[0, 0], [self.span, 0]])[:, : ops.shape(count)[1]]
        return ops.logical_and(count - shifted > 0, valid_steps(inputs))

    def call(self, inputs, training=None):
        if not training:
            return inputs
        hidden = ops.expand_dims(self.masked_steps(inputs), -1)
        return ops.where(hidden, ops.zeros_like(inputs), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio, "span": self.span, "seed": self.seed}


def windows(inputs, start, length, cut=True):
    """``inputs[i, start[i] : start[i] + length[i]]`` for every ``i``, NaN-padded.

    Each window begins at step 0 of the output and NaN fills the rest; the
    time axis is cut to the longest window (``cut=False``: kept).
    """
    steps = ops.arange(ops.shape(inputs)[1], dtype="int32")[None, :]
    index = ops.minimum(start[:, None] + steps, ops.shape(inputs)[1] - 1)
    crops = ops.take_along_axis(inputs, ops.expand_dims(index, -1), axis=1)
    inside = ops.expand_dims(steps < length[:, None], -1)
    crops = ops.where(inside, crops, ops.full_like(crops, math.nan))
    return crops[:, : ops.max(length)] if cut else crops


def crop_bounds(inputs, min_fraction, generator):
    """``(start, length)``, int32 ``(batch,)`` each, of one random crop per sequence.

    A sequence of ``L`` valid steps gets ``ceil(u * L)`` steps, ``u``
    uniform in ``[min_fraction, 1]``, at a uniform start within it.
    """
    lengths = ops.sum(ops.cast(valid_steps(inputs), "float32"), axis=1)
    draws = keras.random.uniform((ops.shape(inputs)[0], 2), seed=generator)
    fraction = min_fraction + (1.0 - min_fraction) * draws[:, 0]
    length = ops.clip(ops.ceil(fraction * lengths), 1.0, ops.maximum(lengths, 1.0))
    start = ops.floor(draws[:, 1] * (lengths - length + 1.0))
    start = ops.clip(start, 0.0, ops.maximum(lengths - length, 0.0))
    return ops.cast(start, "int32"), ops.cast(length, "int32")


class SubseriesCrops(keras.layers.Layer):
    """One random subseries of each sequence, NaN-padded to the longest of the batch.

    A sequence of ``L`` valid steps gets a crop of ``ceil(u * L)`` steps,
    ``u`` uniform in ``[min_fraction, 1]``, at a uniform start within it;
    the crop begins at step 0 of the output and NaN fills the rest, so the
    encoder reads it with the padding mask. A new draw at every call.

    Parameters
    ----------
    min_fraction : float, default=MIN_CROP
        Shortest crop, as a fraction of the sequence's valid length.
    seed : int, default=None
        Seed of the draws (None: Keras's global seed).
    """

    def __init__(self, min_fraction=MIN_CROP, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.min_fraction = float(min_fraction)
        self.seed = None if seed is None else int(seed)
        self.generator = _generator(self.seed)

    def crop_bounds(self, inputs):
        """``(start, length)`` of each sequence's crop, int32 ``(batch,)`` each."""
        return crop_bounds(inputs, self.min_fraction, self.generator)

    def call(self, inputs):
        return windows(inputs, *self.crop_bounds(inputs))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "min_fraction": self.min_fraction, "seed": self.seed}


def contrast_losses(codes, crop_codes, temperature=TEMPERATURE):
    """Per-sequence InfoNCE loss between codes and the codes of their crops.

    ``s[i, j]`` is the cosine similarity of code ``i`` and crop code ``j``
    over ``temperature``; the loss of sequence ``i`` averages the
    cross-entropies of picking its own crop among the batch's crops (row
    ``i``) and its own code among the batch's codes (column ``i``). A batch
    of ``B`` unrelated codes scores about ``ln B``; 0 is perfect.
    """
    a = codes / ops.maximum(ops.norm(codes, axis=1, keepdims=True), 1e-8)
    b = crop_codes / ops.maximum(ops.norm(crop_codes, axis=1, keepdims=True), 1e-8)
    return _info_nce(a, b / temperature)


def _softmax_parts(s, axis):
    """``(exp(s - max), their sum, log-sum-exp)`` of ``s`` along ``axis`` (sums kept)."""
    top = tf.reduce_max(s, axis=axis, keepdims=True)
    scores = tf.exp(s - top)
    total = tf.reduce_sum(scores, axis=axis, keepdims=True)
    return scores, total, tf.math.log(total) + top


@tf.custom_gradient
def _info_nce(a, b):
    """``0.5 * (lse of row i + lse of column i) - s[i, i]`` of the scores ``s = a b^T``.

    Its gradient is written out (the row and column softmaxes, weighted by
    the upstream gradient, less the diagonal, times the other side): the
    values of automatic differentiation (tested) from a fraction of the
    operations that tracing every train step with the subseries term costs.
    """
    s = tf.matmul(a, b, transpose_b=True)
    row_scores, row_total, rows = _softmax_parts(s, 1)
    column_scores, column_total, columns = _softmax_parts(s, 0)
    losses = 0.5 * (rows[:, 0] + columns[0]) - tf.linalg.diag_part(s)

    def gradient(upstream):
        # d loss / d s: each row's softmax weighted by its sequence's
        # upstream gradient, each column's by its own, less the diagonal.
        g = 0.5 * (
            upstream[:, None] * row_scores / row_total
            + upstream[None, :] * column_scores / column_total
        ) - tf.linalg.diag(upstream)
        return tf.matmul(g, b), tf.matmul(g, a, transpose_a=True)

    return losses, gradient


class SubseriesContrast(keras.layers.Layer):
    """The per-sequence loss of :func:`contrast_losses`: ``[codes, crop codes] -> (batch,)``.

    Parameters
    ----------
    temperature : float, default=TEMPERATURE
        Temperature of the cosine similarities.
    """

    def __init__(self, temperature=TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        self.temperature = float(temperature)

    def call(self, inputs):
        codes, crop_codes = inputs
        return contrast_losses(codes, crop_codes, self.temperature)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


class ContextCrops(keras.layers.Layer):
    """One random crop per sequence, aligned with the encoder's states, and where they lie.

    All crops of a batch have the same length, ``ceil(u * m)`` steps with
    ``u`` uniform in ``[min_fraction, 1]`` and ``m`` the batch's shortest
    valid length (at most ``max_steps * stride`` steps); each starts at a
    uniform multiple of ``stride`` within its own sequence's valid steps, so
    that state ``k`` of a crop and state ``start / stride + k`` of its whole
    sequence are centred on the same input step. Returns ``[crops, index]``:
    the NaN-padded crops and, ``(batch, ceil(length / stride))``, the
    positions of each crop's states among its sequence's states.

    Parameters
    ----------
    stride : int, default=1
        Input steps per state of the encoder (the front end's total stride).
    min_fraction : float, default=MIN_CROP
        Shortest crop, as a fraction of the batch's shortest valid length.
    max_steps : int, default=MAX_CONTEXT_STEPS
        Longest crop, in states.
    seed : int, default=None
        Seed of the draws (None: Keras's global seed).
    """

    def __init__(
        self, stride=1, min_fraction=MIN_CROP, max_steps=MAX_CONTEXT_STEPS, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.stride, self.max_steps = int(stride), int(max_steps)
        self.min_fraction = float(min_fraction)
        self.seed = None if seed is None else int(seed)
        self.generator = _generator(self.seed)

    def crop_bounds(self, inputs):
        """``(start, length)``: int32 ``(batch,)`` starts and the batch's int32 crop length."""
        lengths = ops.sum(ops.cast(valid_steps(inputs), "float32"), axis=1)
        draws = keras.random.uniform((ops.shape(inputs)[0] + 1,), seed=self.generator)
        longest = ops.minimum(ops.maximum(ops.min(lengths), 1.0), self.max_steps * self.stride)
        fraction = self.min_fraction + (1.0 - self.min_fraction) * draws[0]
        length = ops.clip(ops.ceil(fraction * longest), 1.0, longest)
        # Starts 0, stride, 2 * stride, ... that keep the crop within the sequence.
        starts = ops.floor(ops.maximum(lengths - length, 0.0) / self.stride) + 1.0
        start = ops.minimum(ops.floor(draws[1:] * starts), starts - 1.0) * self.stride
        return ops.cast(start, "int32"), ops.cast(length, "int32")

    def call(self, inputs):
        start, length = self.crop_bounds(inputs)
        crops = windows(inputs, start, ops.full_like(start, length))
        states = (length + self.stride - 1) // self.stride
        index = start[:, None] // self.stride + ops.arange(states, dtype="int32")[None, :]
        return [crops, index]

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], None, input_shape[2]), (input_shape[0], None)]

    def get_config(self):
        return {
            **super().get_config(),
            "stride": self.stride,
            "min_fraction": self.min_fraction,
            "max_steps": self.max_steps,
            "seed": self.seed,
        }


@tf.custom_gradient
def _pair_losses(z1, z2):
    """Cross-entropy of picking each vector's partner, ``(groups, n)``, for two ``(groups, n, d)``.

    Within a group, the ``2n`` vectors of both views score each other by dot
    product; vector ``i`` of one view must pick vector ``i`` of the other
    among the ``2n - 1`` others. Returns the mean of both directions.

    Its gradient is written out (the softmax of the scores, weighted by
    the upstream gradient, times the vectors): the same values as automatic
    differentiation (tested), from a third of the operations, which is what
    tracing a train step with the context term costs.
    """
    z = tf.concat([z1, z2], axis=1)
    s = tf.matmul(z, z, transpose_b=True)
    s = tf.linalg.set_diag(s, tf.zeros_like(tf.linalg.diag_part(s)) - 1e9)
    scores, total, lse = _softmax_parts(s, -1)
    first, second = tf.split(tf.squeeze(lse, -1), 2, axis=1)

    def gradient(upstream):
        weights = 0.5 * tf.concat([upstream, upstream], axis=1)[..., None]
        # d loss / d s: the softmax of the forward pass, 0 on the diagonal.
        g = scores / total * weights
        d1, d2 = tf.split(tf.matmul(g + tf.linalg.matrix_transpose(g), z), 2, axis=1)
        upstream = upstream[..., None]
        return d1 - upstream * z2, d2 - upstream * z1

    return 0.5 * (first + second) - tf.reduce_sum(z1 * z2, axis=-1), gradient


def hierarchical_losses(z1, z2, levels=CONTEXT_LEVELS):
    """Per-sequence hierarchical contrastive loss of two views' states, ``(batch, steps, d)`` each.

    At each time scale (the states, then max-pooled by 2, halving until one
    step is left), the instance term asks each state to pick its partner in
    the other view among the batch's states at that step, and the temporal
    term among the states of its own sequence at the other steps. Each
    scale adds half of each term (the one-step scale, half its instance
    term: TS2Vec's ``alpha=0.5``), and the sum is divided by the number of
    scales; its mean over the batch is TS2Vec's loss. Odd lengths
    keep their last step when halved (TS2Vec drops it); scales beyond
    ``levels`` are folded into the last one by a max over all steps.
    """
    total = ops.zeros(ops.shape(z1)[:1])
    count = ops.zeros(())
    for _ in range(levels):
        steps = ops.shape(z1)[1]
        active = ops.cast(steps > 1, "float32")
        instance = ops.mean(_pair_losses(*(ops.transpose(z, (1, 0, 2)) for z in (z1, z2))), 0)
        temporal = ops.mean(_pair_losses(z1, z2), axis=1)
        total = total + active * 0.5 * (instance + temporal)
        count = count + active
        z1, z2 = (ops.max_pool(z, 2, 2, padding="same") for z in (z1, z2))
    z1, z2 = (ops.max(z, axis=1, keepdims=True) for z in (z1, z2))
    instance = _pair_losses(*(ops.transpose(z, (1, 0, 2)) for z in (z1, z2)))[0]
    return (total + 0.5 * instance) / (count + 1.0)


def _levels_for(steps):
    """Halvings that bring ``steps`` states to one, at most CONTEXT_LEVELS (it when unknown).

    A crop has at most as many states as its sequence, and a scale with one
    step adds exact zeros to :func:`hierarchical_losses`: stopping there
    gives the same loss and gradients from a graph a fraction of the size
    (a 12-step sequence traces 4 scales, not 8).
    """
    if steps is None:
        return CONTEXT_LEVELS
    return min(CONTEXT_LEVELS, math.ceil(math.log2(max(int(steps), 1))))


class ContextualContrast(keras.layers.Layer):
    """``[states, crop states, index] -> (batch,)``: :func:`hierarchical_losses` of the crop.

    ``states`` are the encoder's per-step states of the whole sequences,
    ``crop states`` those of the crops of :class:`ContextCrops`, and
    ``index`` where each crop's states lie among its sequence's. The
    padding masks stop here: every state it reads is valid.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs, mask=None):
        states, crop_states, index = inputs
        whole = ops.take_along_axis(states, ops.expand_dims(index, -1), axis=1)
        return hierarchical_losses(
            whole, crop_states[:, : ops.shape(index)[1]], levels=_levels_for(states.shape[1])
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)


class TermLoss(keras.losses.Loss):
    """The loss of an output that already is a per-sequence loss: its mean.

    Compiled for the self-supervised outputs (``"subseries"``,
    ``"context"``), so that Keras weighs them with ``loss_weights`` and logs
    them as ``subseries_loss`` and ``context_loss`` beside the decoders'.
    The target is ignored (a placeholder of zeros).
    """

    def __init__(self, name="term_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return ops.cast(y_pred, "float32") + 0.0 * ops.cast(y_true, "float32")
