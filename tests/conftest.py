"""Shared fixtures: tiny networks and data so the suite runs in minutes on 2 cores.

Helpers that tests call (``tiny``, the data builders) live in :mod:`tests.helpers`.
The fixtures import them (and with them TensorFlow) only when a test asks:
pytest-xdist's controller process loads this file too, and never runs a test.
"""

import copy
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture
def sines():
    """60 noisy sine waves of 12 steps, 2 features, shifted by a random phase."""
    from .helpers import sine_waves

    return sine_waves(60)


@pytest.fixture(scope="session")
def fitted_sines():
    """A transformer trained well enough to reconstruct sine waves (shared, read-only)."""
    from sklearn_lstm_ae import LSTMAutoencoderTransformer

    from .helpers import TUTORIAL, sine_waves

    X = sine_waves(200, seed=1, noise=0)
    ae = LSTMAutoencoderTransformer(
        latent_dim=2, encoder_units=(16,), epochs=40, batch_size=16, random_state=0, **TUTORIAL
    ).fit(X)
    return ae, X


@pytest.fixture(scope="session")
def fitted_tiny():
    """``tiny()`` fitted on the sine waves of ``sines`` (shared by the session, read-only)."""
    from .helpers import sine_waves, tiny

    return tiny().fit(sine_waves(60))


@pytest.fixture
def own_fitted_tiny(fitted_tiny):
    """A copy of ``fitted_tiny`` for a test that changes it (a copy costs a fifth of a fit)."""
    return copy.deepcopy(fitted_tiny)
