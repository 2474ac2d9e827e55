"""Shared fixtures: tiny networks and data so the suite runs in minutes on 2 cores."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

#: The network of the classic Keras tutorials: no convolutional front end, the
#: decoders' loss alone. Most tests pin it, so that they test what they name;
#: the cross-validated defaults have tests of their own.
TUTORIAL = dict(conv_filters=(), subseries_weight=0.0)
TINY = dict(latent_dim=2, encoder_units=(8,), epochs=2, batch_size=16, random_state=0, **TUTORIAL)


def tiny(**params):
    """A small, fast, seeded transformer; keyword arguments override."""
    return LSTMAutoencoderTransformer(**{**TINY, **params})


@pytest.fixture
def sines():
    """60 noisy sine waves of 12 steps, 2 features, shifted by a random phase."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, 12)
    phase = rng.uniform(0, 2 * np.pi, (60, 1))
    X = np.stack([np.sin(t + phase), 3 * np.cos(t + phase) + 10], axis=-1)
    return (X + rng.normal(0, 0.05, X.shape)).astype(np.float32)


@pytest.fixture(scope="session")
def fitted_sines():
    """A transformer trained well enough to reconstruct sine waves (shared, read-only)."""
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, 12)
    phase = rng.uniform(0, 2 * np.pi, (200, 1))
    X = np.stack([np.sin(t + phase), 3 * np.cos(t + phase) + 10], axis=-1)
    X = X.astype(np.float32)
    ae = LSTMAutoencoderTransformer(
        latent_dim=2, encoder_units=(16,), epochs=40, batch_size=16, random_state=0, **TUTORIAL
    ).fit(X)
    return ae, X
