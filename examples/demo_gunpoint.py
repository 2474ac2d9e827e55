"""Main job: GunPoint sequences -> LSTM autoencoder codes -> classifier, against PCA.

GunPoint (from aeon's bundled data, no download) holds 150-step motion traces
of an actor drawing a gun or pointing a finger. The LSTM autoencoder is fitted
without labels inside a Pipeline; a logistic regression classifies its codes.
The baseline is the same Pipeline with PCA of the same number of components.

Run with ``make demo``.
"""

import time

from _quiet_tensorflow import import_tensorflow_quietly

import_tensorflow_quietly()  # before anything imports TensorFlow

from aeon.datasets import load_gunpoint  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

N_COMPONENTS = 16


def main():
    # aeon's layout, (n_cases, n_channels, n_timepoints), read as it is
    X_train, y_train = load_gunpoint(split="train")
    X_test, y_test = load_gunpoint(split="test")
    print(
        f"GunPoint: {len(X_train)} training and {len(X_test)} test sequences of "
        f"{X_train.shape[2]} steps, {X_train.shape[1]} channel(s)"
    )
    lstm = make_pipeline(
        LSTMAutoencoderTransformer(
            latent_dim=N_COMPONENTS, data_format="channels_first", random_state=0
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
        ("PCA", pca, X_train[:, 0], X_test[:, 0]),
    ):
        start = time.perf_counter()
        model.fit(X_tr, y_train)
        seconds = time.perf_counter() - start
        rows.append((name, model.score(X_te, y_test), seconds))
    ae = lstm[0]
    # Each loss term of the last epoch (Keras names them when there are several:
    # the decoder's, and the contrasts' when subseries_weight or context_weight is set).
    terms = {k[: -len("_loss")]: v[-1] for k, v in ae.history_.items() if k.endswith("_loss")}
    terms = terms or {"reconstruction": ae.history_["loss"][-1]}
    print(
        f"autoencoder: {len(ae.history_['loss'])} epochs, final losses "
        + ", ".join(f"{k} {v:.4f}" for k, v in terms.items())
        + f"; test reconstruction score {ae.score(X_test):.4f} (minus mean squared "
        "error, scaled units)"
    )
    header = f"features ({N_COMPONENTS} components)"
    print(f"\n{header:<32}{'test accuracy':>14}{'fit s':>8}")
    for name, acc, seconds in rows:
        print(f"{name:<32}{acc:>14.3f}{seconds:>8.1f}")


if __name__ == "__main__":
    main()
