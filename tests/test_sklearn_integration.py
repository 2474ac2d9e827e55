"""The transformer inside scikit-learn: Pipeline, GridSearchCV, clone, pickle, joblib."""

import copy
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstm_ae import LSTMAutoencoderTransformer, check_sequences

from .helpers import ragged, sine_waves, tiny


def _two_shapes(n=80, seed=0):
    """Slow (class 0) and fast (class 1) sine waves with random phase and noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, 16)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    y = np.arange(n) % 2
    freq = np.where(y[:, None] == 0, 1.0, 3.0)
    X = np.sin(freq * t + phase) + rng.normal(0, 0.1, (n, 16))
    return X[..., None].astype(np.float32), y


def test_pipeline_with_a_classifier():
    X, y = _two_shapes()
    pipe = Pipeline(
        [
            ("ae", tiny(latent_dim=4, encoder_units=(16,), epochs=40)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression()),
        ]
    )
    pipe.fit(X[:60], y[:60])  # y reaches the classifier; the autoencoder ignores it
    assert pipe.score(X[60:], y[60:]) >= 0.85
    assert pipe.predict(X[60:]).shape == (20,)


@pytest.mark.slow  # n_jobs=2: two worker processes, each importing TensorFlow
def test_grid_search_without_labels_uses_reconstruction_score():
    X, _ = _two_shapes(48)
    search = GridSearchCV(
        tiny(epochs=3),
        {"latent_dim": [1, 4], "encoder_units": [(4,), (16,)]},
        cv=2,
        n_jobs=2,
    )
    search.fit(X)
    assert set(search.best_params_) == {"latent_dim", "encoder_units"}
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,) and (scores < 0).all()
    assert search.best_estimator_.transform(X).shape[1] == search.best_params_["latent_dim"]


def test_clone_and_params_including_routed_ones():
    ae = LSTMAutoencoderTransformer(latent_dim=3, optimizer__beta_1=0.7)
    params = ae.get_params()
    assert params["latent_dim"] == 3 and params["optimizer__beta_1"] == 0.7
    assert "kwargs" not in params
    c = clone(ae)
    assert c.get_params() == params and c is not ae
    c.set_params(latent_dim=5, optimizer__beta_1=0.9)
    assert c.latent_dim == 5 and c.optimizer__beta_1 == 0.9 and ae.latent_dim == 3
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        c.set_params(bogus=1)


def test_clone_of_a_fitted_estimator_is_unfitted(sines, fitted_tiny):
    ae = fitted_tiny
    codes = ae.transform(sines)
    c = clone(ae)
    assert c.get_params() == ae.get_params() and not hasattr(c, "_fitted_")
    with pytest.raises(NotFittedError, match="not fitted yet"):
        c.transform(sines)
    # The original keeps its model, and a refit of the clone gives its codes.
    np.testing.assert_array_equal(ae.transform(sines), codes)
    np.testing.assert_array_equal(c.fit(sines).transform(sines), codes)


@pytest.fixture(scope="module")
def fitted_on_lists():
    """``tiny()`` fitted on sine waves cut to 5 to 11 steps, and the list (read-only)."""
    L = ragged(sine_waves(60), 5, 7)
    return tiny().fit(L), L


@pytest.mark.parametrize(
    "dumps, loads",
    [(pickle.dumps, pickle.loads), ("joblib", "joblib"), ("deepcopy", "deepcopy")],
)
def test_pickle_joblib_and_deepcopy_round_trips(fitted_on_lists, tmp_path, dumps, loads):
    ae, L = fitted_on_lists
    Z = ae.transform(L)
    if dumps == "joblib":
        joblib.dump(ae, tmp_path / "ae.joblib")
        other = joblib.load(tmp_path / "ae.joblib")
    elif dumps == "deepcopy":
        other = copy.deepcopy(ae)
    else:
        other = loads(dumps(ae))
    assert other.model_ is not ae.model_
    np.testing.assert_array_equal(other.transform(L), Z)
    np.testing.assert_array_equal(other.score_samples(L), ae.score_samples(L))
    # encoder_ and decoder_ still share the loaded model's weights
    other.partial_fit(L)
    values = check_sequences(L).values  # NaN-padded; the encoder reads them scaled
    values = other.scaler_.transform(values.reshape(-1, values.shape[-1])).reshape(values.shape)
    np.testing.assert_allclose(
        other.encoder_.predict_on_batch(values.astype("float32")),
        other.transform(L),
        rtol=1e-6,
    )


def test_public_class_owes_nothing_to_scikeras(sines):
    """scikeras is a private collaborator: nothing of it reaches the public class."""
    assert not [c for c in LSTMAutoencoderTransformer.__mro__ if "scikeras" in c.__module__]
    scikeras_only = {
        "_keras_build_fn",
        "_more_tags",
        "_routing_prefixes",
        "_fit_kwargs",
        "_get_compile_kwargs",
        "_initialize_callbacks",
        "current_epoch",
        "initialized_",
        "target_encoder",
        "feature_encoder",
        "model",
        "build_fn",
        "warm_start",
    }
    scikeras_only -= set(dir(BaseEstimator))  # scikit-learn 1.6's own _more_tags
    ae = tiny(epochs=1, optimizer__beta_1=0.8).fit(sines)
    assert not scikeras_only & (set(dir(LSTMAutoencoderTransformer)) | set(dir(ae)))
    assert not [k for k in vars(ae) if k.startswith(("_fit_callbacks", "_predict_callbacks"))]
    assert float(ae.model_.optimizer.beta_1) == pytest.approx(0.8)  # routed still works


def test_fits_and_transforms_print_no_retracing_notice(sines):
    import logging

    import tensorflow as tf
    from sklearn.model_selection import GridSearchCV

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = tf.get_logger()
    logger.addHandler(handler)
    try:
        GridSearchCV(tiny(epochs=1), {"latent_dim": [2, 3]}, cv=3).fit(sines)
        ae = tiny(epochs=1, predict__batch_size=7).fit(sines)
        for n in range(1, 16):
            ae.transform(sines[:n])
            ae.score_samples(sines[:n])
            ae.inverse_transform(ae.transform(sines[:n]))
    finally:
        logger.removeHandler(handler)
    assert not [r.getMessage() for r in records if "retracing" in r.getMessage()]
    assert not logger.filters  # TensorFlow's logger is left as it was found


def test_routed_fit_parameters_reach_keras(sines):
    import keras

    class CountValidationBatches(keras.callbacks.Callback):
        batches = 0

        def on_test_batch_end(self, batch, logs=None):
            CountValidationBatches.batches += 1

    tiny(
        epochs=2,
        validation_split=0.25,  # 15 of the 60 sequences
        fit__validation_batch_size=5,
        # Batch hooks run once per execution: one step each, so every batch counts.
        compile__steps_per_execution=1,
        callbacks=[CountValidationBatches()],
    ).fit(sines)
    assert CountValidationBatches.batches == 2 * 3  # 3 validation batches of 5, each epoch
