"""Randomness that belongs to one estimator: no process-wide seed read or written by a fit."""

import random
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV

from sklearn_lstm_ae._random import Seeds, shuffled_batches

from .helpers import ragged, tiny


class _Batches(keras.utils.PyDataset):
    def __init__(self, X, size):
        super().__init__()
        self.X, self.size = X, size

    def __len__(self):
        return -(-len(self.X) // self.size)

    def __getitem__(self, i):
        return self.X[i * self.size : (i + 1) * self.size]


def _weights(ae):
    return [w.copy() for w in ae.model_.get_weights()]


@pytest.mark.parametrize(
    "params, data",
    [
        (dict(dropout=0.2), "arrays"),
        (dict(validation_split=0.25, bidirectional=True), "arrays"),
        (dict(cell="gru", mode="composite", n_future=2), "arrays"),
        (dict(), "ragged"),  # length-bucketed batches
        (dict(), "batches"),  # a PyDataset
    ],
)
def test_a_fit_leaves_every_global_random_state_as_it_was(sines, params, data):
    X = {"arrays": sines, "ragged": ragged(sines, 6, 7), "batches": _Batches(sines, 16)}[data]
    tf.random.set_seed(7)
    expected = [tf.random.uniform([4]).numpy() for _ in range(2)]
    tf.random.set_seed(7)
    first = tf.random.uniform([4]).numpy()
    python, numpy = random.getstate(), np.random.get_state()  # noqa: NPY002
    tiny(**params).fit(X)
    # The user's next TensorFlow draw is the one it would have been without the fit.
    np.testing.assert_array_equal(first, expected[0])
    np.testing.assert_array_equal(tf.random.uniform([4]).numpy(), expected[1])
    assert random.getstate() == python
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(after, numpy, strict=True))


def test_a_fit_does_not_depend_on_the_global_seeds(sines):
    tf.random.set_seed(1)
    keras.utils.set_random_seed(1)
    a = _weights(tiny(dropout=0.2).fit(sines))
    keras.utils.set_random_seed(2)
    b = _weights(tiny(dropout=0.2).fit(sines))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_concurrent_fits_in_threads_give_what_sequential_fits_give(sines):
    configs = [dict(random_state=0, dropout=0.1), dict(random_state=1)]
    sequential = [_weights(tiny(**c).fit(sines)) for c in configs]
    threaded = [None] * len(configs)

    def fit(i):
        threaded[i] = _weights(tiny(**configs[i]).fit(sines))

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(len(configs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seq, thr in zip(sequential, threaded, strict=True):
        for x, y in zip(seq, thr, strict=True):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(sequential[0][0], sequential[1][0])  # seeds matter


def test_a_threaded_grid_search_reproduces_the_sequential_one(sines):
    grid = {"dropout": [0.0, 0.2]}  # the scores are compared; neither search refits
    search = GridSearchCV(tiny(epochs=2), grid, cv=2, refit=False)
    sequential = search.fit(sines).cv_results_["mean_test_score"]
    with parallel_backend("threading", n_jobs=2):
        threaded = GridSearchCV(tiny(epochs=2), grid, cv=2, n_jobs=2, refit=False).fit(sines)
    np.testing.assert_array_equal(threaded.cv_results_["mean_test_score"], sequential)


def test_every_layer_gets_weights_of_its_own(sines):
    """Seeded layers must not share draws: the two directions start apart."""
    model = tiny(bidirectional=True, epochs=1).fit(sines).model_
    (bi,) = [layer for layer in model.layers if isinstance(layer, keras.layers.Bidirectional)]
    forward, backward = bi.forward_layer.get_weights(), bi.backward_layer.get_weights()
    assert backward[0].shape == forward[0].shape
    assert not np.allclose(forward[0], backward[0])


def test_unseeded_fits_follow_keras_global_seed(sines):
    """random_state=None leaves randomness to Keras, so its global seed still applies."""
    keras.utils.set_random_seed(3)
    a = _weights(tiny(random_state=None).fit(sines))
    keras.utils.set_random_seed(3)
    b = _weights(tiny(random_state=None).fit(sines))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_seeds_are_a_stream_of_their_own():
    assert [Seeds(None)() for _ in range(2)] == [None, None]
    a, b = Seeds(5), Seeds(5)
    first = [a() for _ in range(4)]
    assert first == [b() for _ in range(4)] and len(set(first)) == 4
    assert Seeds(np.random.RandomState(0))() == Seeds(np.random.RandomState(0))()


def test_shuffled_batches_draw_a_new_order_each_epoch_from_the_seed_alone():
    x = np.arange(10, dtype=np.float32)[:, None]
    dataset, callback = shuffled_batches(x, x * 2, 4, seed=11)
    assert dataset.cardinality().numpy() == 3

    def epoch(e):
        callback.on_epoch_begin(e)
        batches = list(dataset.as_numpy_iterator())
        for bx, by in batches:
            np.testing.assert_array_equal(by, bx * 2)  # rows stay paired
        return np.concatenate([bx[:, 0] for bx, _ in batches])

    e0, e1 = epoch(0), epoch(1)
    assert sorted(e0) == list(range(10)) and sorted(e1) == list(range(10))
    assert not np.array_equal(e0, e1)
    tf.random.set_seed(123)  # the global seed plays no part
    np.testing.assert_array_equal(epoch(0), e0)
    again, callback = shuffled_batches(x, x * 2, 4, seed=11)
    callback.on_epoch_begin(1)
    np.testing.assert_array_equal(
        np.concatenate([bx[:, 0] for bx, _ in again.as_numpy_iterator()]), e1
    )


def test_validation_split_holds_out_the_last_sequences_as_keras_does(sines):
    ae = tiny(validation_split=0.25, epochs=2).fit(sines)
    assert len(ae.history_["val_loss"]) == 2
    # The last epoch's validation loss is the model's loss on the last quarter.
    held_out = -ae.score_samples(sines[45:]).mean()
    assert ae.history_["val_loss"][-1] == pytest.approx(held_out, rel=1e-4)
    assert ae.history_["loss"][-1] != pytest.approx(held_out, rel=1e-4)
