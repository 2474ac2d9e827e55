"""Main job: GunPoint sequences -> LSTM autoencoder codes -> classifier, against PCA.

GunPoint (from aeon's bundled data, no download) holds 150-step motion traces
of an actor drawing a gun or pointing a finger. The LSTM autoencoder is fitted
without labels inside a Pipeline; a logistic regression classifies its codes.
The baseline is the same Pipeline with PCA of the same number of components.

Run with ``make demo``.
"""

import os
import time

# Keep TensorFlow's C++ log quiet ("3": also the "failed call to cuInit" error
# printed on machines without a GPU). Set before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _import_tensorflow_quietly():
    """Import TensorFlow with the C++ notices it prints while loading hidden.

    TensorFlow's shared libraries print oneDNN and CUDA-probe lines straight to
    the process's stderr as they load, before ``TF_CPP_MIN_LOG_LEVEL`` can act;
    on a machine without a GPU they read like faults. Only this import is
    silenced: errors raised by it still propagate.
    """
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()

import numpy as np  # noqa: E402
from aeon.datasets import load_gunpoint  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

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
