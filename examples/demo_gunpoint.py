"""Main job: GunPoint sequences -> LSTM autoencoder codes -> classifier, against PCA and raw data.

GunPoint (from aeon's bundled data, no download) holds 150-step motion traces
of an actor drawing a gun or pointing a finger. The LSTM autoencoder, as
shipped (``LSTMAutoencoderTransformer()`` with only the data layout and a
seed set), is fitted without labels inside a Pipeline; a logistic regression
classifies its codes. The baselines are PCA at its best (the number of
components chosen by 5-fold cross-validation on the training split) and the
same classifier on the raw series. Each runs in its own Pipeline; only the
test split's accuracy is read from the test split.

Run with ``make demo``.
"""

import time

from _quiet_tensorflow import import_tensorflow_quietly

import_tensorflow_quietly()  # before anything imports TensorFlow

from aeon.datasets import load_gunpoint  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

PCA_SIZES = (2, 4, 8, 16, 32)


def classifier():
    return [StandardScaler(), LogisticRegression(max_iter=2000)]


def main():
    # aeon's layout, (n_cases, n_channels, n_timepoints), read as it is
    X_train, y_train = load_gunpoint(split="train")
    X_test, y_test = load_gunpoint(split="test")
    print(
        f"GunPoint: {len(X_train)} training and {len(X_test)} test sequences of "
        f"{X_train.shape[2]} steps, {X_train.shape[1]} channel(s)"
    )
    lstm = make_pipeline(
        LSTMAutoencoderTransformer(data_format="channels_first", random_state=0),
        *classifier(),
    )
    pca = GridSearchCV(
        make_pipeline(PCA(random_state=0), *classifier()),
        {"pca__n_components": PCA_SIZES},
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    )
    raw = make_pipeline(*classifier())
    rows = []
    for name, model, X_tr, X_te in (
        ("LSTM autoencoder, as shipped", lstm, X_train, X_test),
        ("PCA, size by CV on train", pca, X_train[:, 0], X_test[:, 0]),
        ("raw series", raw, X_train[:, 0], X_test[:, 0]),
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
    sizes = [ae.latent_dim, pca.best_params_["pca__n_components"], X_train.shape[2]]
    header = "features -> logistic regression"
    print(f"\n{header:<32}{'numbers':>8}{'test accuracy':>15}{'fit s':>8}")
    for (name, acc, seconds), size in zip(rows, sizes, strict=True):
        print(f"{name:<32}{size:>8}{acc:>15.3f}{seconds:>8.1f}")


if __name__ == "__main__":
    main()
