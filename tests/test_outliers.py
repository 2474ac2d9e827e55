"""The outlier detector: scikit-learn's outlier API on reconstruction errors."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_lstm_ae import LSTMAutoencoderOutlierDetector

from .helpers import tiny


@pytest.fixture(scope="module")
def waves():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 16)
    X = np.sin(t + rng.uniform(0, 2 * np.pi, (200, 1)))[:, :, None].astype(np.float32)
    return X + rng.normal(0, 0.02, X.shape).astype(np.float32)


@pytest.fixture(scope="module")
def detector(waves):
    ae = tiny(latent_dim=3, encoder_units=(16,), epochs=30)
    return LSTMAutoencoderOutlierDetector(ae, contamination=0.05).fit(waves)


def test_outlier_api_and_threshold(detector, waves):
    scores = detector.score_samples(waves)
    assert scores.shape == (200,) and (scores <= 0).all()
    np.testing.assert_allclose(detector.decision_function(waves), scores - detector.offset_)
    labels = detector.predict(waves)
    assert set(np.unique(labels)) <= {-1, 1}
    # contamination sets the share of training sequences called outliers
    assert abs(np.mean(labels == -1) - 0.05) <= 0.01
    assert detector.autoencoder_ is not detector.autoencoder  # cloned


def test_locates_an_anomaly_inside_a_sequence(detector, waves):
    X = waves[:20].copy()
    X[:10, 9:12, 0] += 1.5  # a spike in the middle of ten sequences
    labels = detector.predict(X)
    assert (labels[:10] == -1).all()
    assert np.mean(labels[10:] == -1) <= 0.2
    errors = detector.timestep_errors(X)
    assert errors.shape == (20, 16)
    profile = errors[:10].mean(axis=0)  # mean error per step over the spiked sequences
    assert 9 <= np.argmax(profile) <= 11
    assert profile[9:12].mean() > 2 * np.delete(profile, [9, 10, 11]).mean()


def test_padding_and_errors(detector, waves):
    X = [waves[0], waves[1, :10]]
    errors = detector.timestep_errors(X)
    assert np.isnan(errors[1, 10:]).all() and not np.isnan(errors[1, :10]).any()
    with pytest.raises(ValueError, match="mode='predict'.*no reconstruction decoder"):
        LSTMAutoencoderOutlierDetector(tiny(mode="predict")).fit(waves)
    with pytest.raises(ValueError, match="'contamination' parameter"):
        LSTMAutoencoderOutlierDetector(tiny(), contamination=0.7).fit(waves)
    unfitted = clone(detector)
    with pytest.raises(Exception, match="not fitted"):
        unfitted.predict(waves)
