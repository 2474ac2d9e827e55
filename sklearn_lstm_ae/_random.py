"""Randomness owned by one estimator: seed streams and per-epoch batch orders, no global state.

A fit with an int ``random_state`` seeds every random part of itself from
that int alone: each weight initialiser and each dropout layer gets its own
seed (Keras's ``seed=`` arguments, stateless draws), the order of the training
batches is drawn by stateless TensorFlow ops keyed on ``(seed, epoch)``, and
length buckets by a NumPy ``Generator`` of the fit's own. Nothing reads or
writes Python's, NumPy's, TensorFlow's or Keras's process-wide seeds, so fits
in concurrent threads give what they give one after the other, and the
user's own random draws are untouched.

``random_state=None`` leaves every part unseeded, as plain Keras does: Keras
then draws initial weights from Python's global ``random`` module, and the
seed of the batch orders is drawn from it too (:func:`order_seed`), so a user
who seeds Keras globally in their own script still gets repeatable fits.
"""

import math
import random
from numbers import Integral

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils import check_random_state

__all__ = [
    "int_seed",
    "order_seed",
    "Seeds",
    "EpochShuffle",
    "shuffled_batches",
    "hold_out",
    "ordered_training",
]

_MAX_SEED = 2**31 - 1


def int_seed(random_state):
    """An int seed from ``random_state``: the int itself, or a draw from a RandomState."""
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def order_seed(seed):
    """The seed of a fit's batch orders: ``seed``, or a draw from Python's ``random`` if None.

    An unseeded fit draws it as Keras draws its unseeded initial weights, so
    ``keras.utils.set_random_seed`` in the user's script still repeats it.
    """
    return random.randint(1, _MAX_SEED) if seed is None else seed


class Seeds:
    """A stream of independent int seeds drawn from one ``random_state``.

    Call it to get the next seed; every seed is None when ``random_state`` is
    None. The same ``random_state`` gives the same stream, so each random part
    of a fit gets the same seed on every refit, whatever runs around it.
    """

    def __init__(self, random_state):
        self._rng = None if random_state is None else np.random.default_rng(int_seed(random_state))

    def __call__(self):
        return None if self._rng is None else int(self._rng.integers(1, _MAX_SEED))


class EpochShuffle(keras.callbacks.Callback):
    """Keep ``epoch`` (a variable the batch order is keyed on) at the epoch being trained."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)


def shuffled_batches(x, y, batch_size, seed, epochs=None):
    """Batches of the arrays ``x`` and ``y`` in a new order every epoch, drawn from ``seed`` alone.

    The order of epoch ``e`` is the argsort of ``stateless_uniform(seed=(seed,
    e))``: it depends on nothing but ``seed`` and ``e``, not on TensorFlow's
    global seed or on other fits running at the same time. The batches are
    gathered in a ``tf.data`` pipeline, as Keras does for arrays.

    Parameters
    ----------
    x, y : ndarray or dict of ndarray
        Inputs and targets, sequences on the first axis.
    batch_size : int
        Sequences per batch (the last batch may be smaller).
    seed : int
        Seed of the orders.
    epochs : (int, int), default=None
        The epochs ``[start, stop)`` to train: the dataset then holds all of
        their batches, each epoch's order keyed on its number, and needs no
        callback (the multi-worker step reads it with one iterator).

    Returns
    -------
    dataset : tf.data.Dataset
        One epoch of ``(x, y)`` batches per iteration, or all ``epochs``.
    callback : EpochShuffle or None
        Must run in ``Model.fit``: it sets the epoch the next order is keyed
        on. None with ``epochs``.
    """
    data = tf.nest.map_structure(tf.convert_to_tensor, (x, y))
    n = int(tf.nest.flatten(data)[0].shape[0])
    key = tf.constant(int(seed), dtype=tf.int64)
    if epochs is None:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="shuffle_epoch")
        numbers = tf.data.Dataset.range(1).map(lambda _: epoch.read_value())
        callback = EpochShuffle(epoch)
    else:
        numbers, callback = tf.data.Dataset.range(*epochs), None

    def order(e):
        draws = tf.random.stateless_uniform([n], seed=tf.stack([key, e]))
        return tf.argsort(draws)

    def gather(indices):
        return tf.nest.map_structure(lambda t: tf.gather(t, indices), data)

    count = -(-n // batch_size) * (1 if epochs is None else epochs[1] - epochs[0])
    dataset = (
        numbers.map(order)
        .flat_map(lambda idx: tf.data.Dataset.from_tensor_slices(idx).batch(batch_size))
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
        .apply(tf.data.experimental.assert_cardinality(count))
        .prefetch(tf.data.AUTOTUNE)
    )
    return dataset, callback


def hold_out(x, y, validation_split):
    """Keras's ``validation_split`` on arrays: ``((x, y) kept, (x, y) held out)``.

    The last sequences are held out, never shuffled, as Keras splits them.
    """
    n = len(keras.tree.flatten(x)[0])
    at = int(math.floor(n * (1.0 - validation_split)))

    def cut(part):
        return keras.tree.map_structure(lambda a: a[part], (x, y))

    return cut(slice(None, at)), cut(slice(at, None))


def ordered_training(x, y, *, batch_size, validation_split, seed, epochs=None):
    """What ``Model.fit`` needs to train on arrays in batches ordered from ``seed``.

    Call it outside any ``tf.distribute`` scope (its epoch counter is a plain
    variable). Keras's ``validation_split`` (the last sequences held out,
    never shuffled) is done here, since Keras splits arrays, not datasets.

    Returns
    -------
    dataset : tf.data.Dataset
        The training batches (:func:`shuffled_batches`).
    fit_kwargs : dict
        ``shuffle=False``, and the held-out ``validation_data`` if any.
    callback : EpochShuffle or None
        To run in ``Model.fit`` (None when ``epochs`` spans the training,
        see :func:`shuffled_batches`).
    """
    fit_kwargs = {"shuffle": False}
    if validation_split:
        (x, y), held_out = hold_out(x, y, validation_split)
        fit_kwargs.update(validation_split=0.0, validation_data=held_out)
    dataset, callback = shuffled_batches(x, y, batch_size, seed, epochs)
    return dataset, fit_kwargs, callback
