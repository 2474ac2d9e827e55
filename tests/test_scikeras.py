"""Training through scikeras, and through public Keras alone when scikeras is not as expected."""

import keras
import numpy as np
import pytest

from sklearn_lstm_ae import _fallbacks, _scikeras

from .helpers import ragged, tiny


def _fit_both(monkeypatch, data, **params):
    through = tiny(**params).fit(data)
    monkeypatch.setattr(_scikeras, "SCIKERAS", False)
    monkeypatch.setattr(_fallbacks, "_NOTED", set())
    with pytest.warns(RuntimeWarning, match="trained through public Keras"):
        plain = tiny(**params).fit(data)
    monkeypatch.setattr(_scikeras, "SCIKERAS", True)
    return through, plain


def _assert_same(a, b, data):
    assert a.history_.keys() == b.history_.keys()
    for key in a.history_:
        np.testing.assert_allclose(a.history_[key], b.history_[key], rtol=1e-6, err_msg=key)
    np.testing.assert_allclose(a.transform(data), b.transform(data), rtol=1e-5, atol=1e-6)
    assert type(a.model_.optimizer) is type(b.model_.optimizer)
    configs = [{**m.optimizer.get_config(), "name": None} for m in (a.model_, b.model_)]
    assert configs[0] == configs[1]


def test_scikeras_is_used_here():
    assert _scikeras.SCIKERAS


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(
            optimizer="rmsprop",
            optimizer__learning_rate=0.01,
            optimizer__rho=0.8,
            loss="mae",
            metrics=["mse"],
            validation_split=0.25,
            compile__steps_per_execution=1,
            fit__validation_batch_size=8,
        ),
        dict(optimizer=keras.optimizers.Adam(beta_1=0.8), shuffle=False, loss="huber"),
    ],
    ids=["defaults", "routed", "instance"],
)
def test_without_scikeras_public_keras_trains_the_same_model(sines, monkeypatch, params):
    through, plain = _fit_both(monkeypatch, sines, **params)
    _assert_same(through, plain, sines)


def test_without_scikeras_buckets_callbacks_and_warm_starts_train_the_same(sines, monkeypatch):
    lists = ragged(sines, 5, 8)  # length buckets: a PyDataset

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.counted = getattr(self.model, "counted", 0) + 1

    through, plain = _fit_both(monkeypatch, lists, callbacks=[Count()])
    _assert_same(through, plain, lists)
    assert through.model_.counted == plain.model_.counted == 2
    through.partial_fit(lists)
    monkeypatch.setattr(_scikeras, "SCIKERAS", False)
    plain.partial_fit(lists)
    _assert_same(through, plain, lists)
