"""Main job: GunPoint sequences -> LSTM autoencoder codes -> classifier, against PCA.

GunPoint (from aeon's bundled data, no download) holds 150-step motion traces
of an actor drawing a gun or pointing a finger. The LSTM autoencoder is fitted
without labels inside a Pipeline; a logistic regression classifies its codes.
The baseline is the same Pipeline with PCA of the same number of components.

Run with ``make demo``.
"""

import time

import numpy as np
from aeon.datasets import load_gunpoint
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstm_ae import LSTMAutoencoderTransformer

N_COMPONENTS = 8


def load(split):
    X, y = load_gunpoint(split=split)  # aeon layout: (n_cases, n_channels, n_timepoints)
    return np.transpose(X, (0, 2, 1)), y  # Keras layout: (n, n_timesteps, n_features)


def main():
    X_train, y_train = load("train")
    X_test, y_test = load("test")
    print(
        f"GunPoint: {len(X_train)} training and {len(X_test)} test sequences of "
        f"{X_train.shape[1]} steps, {X_train.shape[2]} feature(s)"
    )
    lstm = make_pipeline(
        LSTMAutoencoderTransformer(
            latent_dim=N_COMPONENTS,
            encoder_units=(64,),
            epochs=150,
            batch_size=16,
            random_state=0,
        ),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    pca = make_pipeline(
        PCA(n_components=N_COMPONENTS, random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    rows = []
    for name, model, X_tr, X_te in (
        ("LSTM autoencoder", lstm, X_train, X_test),
        ("PCA", pca, X_train[:, :, 0], X_test[:, :, 0]),
    ):
        start = time.perf_counter()
        model.fit(X_tr, y_train)
        seconds = time.perf_counter() - start
        rows.append((name, model.score(X_te, y_test), seconds))
    ae = lstm[0]
    print(
        f"autoencoder: {len(ae.history_['loss'])} epochs, final loss "
        f"{ae.history_['loss'][-1]:.4f}, test reconstruction score "
        f"{ae.score(X_test):.4f} (minus mean squared error, scaled units)"
    )
    header = f"features ({N_COMPONENTS} components)"
    print(f"\n{header:<32}{'test accuracy':>14}{'fit s':>8}")
    for name, acc, seconds in rows:
        print(f"{name:<32}{acc:>14.3f}{seconds:>8.1f}")


if __name__ == "__main__":
    main()
