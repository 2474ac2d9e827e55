"""Test helpers: tiny seeded networks and the data builders several test modules share."""

import numpy as np

from sklearn_lstm_ae import LSTMAutoencoderTransformer

#: The network of the classic Keras tutorials: no convolutional front end, the
#: decoders' loss alone. Most tests pin it, so that they test what they name;
#: the cross-validated defaults have tests of their own.
TUTORIAL = dict(conv_filters=(), subseries_weight=0.0, augment=None)
TINY = dict(latent_dim=2, encoder_units=(8,), epochs=2, batch_size=16, random_state=0, **TUTORIAL)


def tiny(**params):
    """A small, fast, seeded transformer; keyword arguments override."""
    return LSTMAutoencoderTransformer(**{**TINY, **params})


def sine_waves(n, n_steps=12, seed=0, noise=0.05):
    """``n`` sine/cosine pairs of ``n_steps`` steps (2 features), random phases, float32."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n_steps)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    X = np.stack([np.sin(t + phase), 3 * np.cos(t + phase) + 10], axis=-1)
    if noise:
        X = X + rng.normal(0, noise, X.shape)
    return X.astype(np.float32)


def ragged(X, shortest, n_lengths):
    """The sequences of X cut to lengths ``shortest``, ``shortest + 1``, ... in turn (a list).

    Sequence ``i`` keeps its first ``shortest + i % n_lengths`` steps: a
    list of unequal lengths for the padded, masked and bucketed paths.
    """
    return [x[: shortest + i % n_lengths] for i, x in enumerate(X)]
