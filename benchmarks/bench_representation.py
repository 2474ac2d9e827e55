"""Are the codes worth using? Default LSTM codes against the strongest simple baselines.

One run, on aeon's bundled datasets with their default train/test splits:

- the library's default codes (``latent_dim=16``), then a logistic regression
  (after standardising) and a 1-NN on the codes;
- PCA(16), then the same two classifiers;
- the same two classifiers on the raw series (equal lengths only);
- MiniRocket (aeon) with a ridge classifier, the ceiling, measured here;
- published anchors, printed with their source: 1-NN DTW from the UCR
  archive summary, and TS2Vec (Yue et al., AAAI 2022, 320 dimensions).

PickupGestureWiimoteZ has sequences of 29 to 361 steps: the library reads them
as they are; PCA, MiniRocket and the raw classifiers need one length, so they
get the sequences resampled (linear interpolation) to the longest training
length. Fit seconds are wall-clock on this machine. ``--quick`` is a smoke run
(few sequences, few updates) whose numbers mean nothing.

Run: ``python benchmarks/bench_representation.py [--quick]``.
"""

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from aeon.datasets import load_classification  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeClassifierCV  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

DATASETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "PickupGestureWiimoteZ")
N_COMPONENTS = 16
# Published accuracies on the same splits (not measured here).
DTW_1NN = {"GunPoint": 0.907, "ItalyPowerDemand": 0.950, "ArrowHead": 0.703}
DTW_SOURCE = "1-NN DTW: UCR archive summary (Dau et al., 2019)"
TS2VEC = {"GunPoint": 0.987, "ItalyPowerDemand": 0.960, "ArrowHead": 0.82}
TS2VEC_SOURCE = "TS2Vec: Yue et al., AAAI 2022, UCR table (ArrowHead about 0.82)"


def load(name, split, limit=None):
    """Sequences as a list of (length, 1) arrays (aeon gives (channels, length))."""
    X, y = load_classification(name, split=split)
    seqs = [np.asarray(x, dtype=np.float32).T for x in X]
    if limit:
        seqs, y = seqs[:limit], y[:limit]
    return seqs, np.asarray(y)


def to_length(seqs, length):
    """Resample every sequence to ``length`` steps: ``(n, length)``."""
    grid = np.linspace(0, 1, length)
    return np.stack([np.interp(grid, np.linspace(0, 1, len(s)), s[:, 0]) for s in seqs])


def classifiers():
    return {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        "1nn": KNeighborsClassifier(1),
    }


def evaluate(features_train, features_test, y, y_test):
    return {
        name: clf.fit(features_train, y).score(features_test, y_test)
        for name, clf in classifiers().items()
    }


def run_dataset(name, quick):
    limit = 20 if quick else None
    train, y = load(name, "train", limit)
    test, y_test = load(name, "test", limit)
    equal = len({len(s) for s in train + test}) == 1
    length = max(len(s) for s in train)
    raw_train, raw_test = to_length(train, length), to_length(test, length)
    row = {"n_train": len(train), "n_test": len(test), "length": length, "equal": equal}

    ae = LSTMAutoencoderTransformer(latent_dim=N_COMPONENTS, random_state=0)
    if quick:
        ae.set_params(max_updates=4)
    start = time.perf_counter()
    Z = ae.fit_transform(train if not equal else np.stack(train))
    row["lstm_fit_s"] = time.perf_counter() - start
    row["lstm_epochs"] = len(ae.history_["loss"])
    row["lstm"] = evaluate(Z, ae.transform(test), y, y_test)

    pca = PCA(min(N_COMPONENTS, len(train), length), random_state=0)
    start = time.perf_counter()
    P = pca.fit_transform(raw_train)
    row["pca_fit_s"] = time.perf_counter() - start
    row["pca"] = evaluate(P, pca.transform(raw_test), y, y_test)

    row["raw"] = evaluate(raw_train, raw_test, y, y_test) if equal else None

    from aeon.transformations.collection.convolution_based import MiniRocket

    rocket = MiniRocket(n_kernels=1000 if quick else 10000, random_state=0)
    start = time.perf_counter()
    R = rocket.fit_transform(raw_train[:, None, :])
    ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(R, y)
    row["rocket_fit_s"] = time.perf_counter() - start
    row["rocket"] = ridge.score(rocket.transform(raw_test[:, None, :]), y_test)
    return row


def table(rows):
    head = (
        "| dataset | LSTM codes + logreg | LSTM codes + 1-NN | PCA(16) + logreg | PCA(16) + 1-NN "
        "| raw + logreg | raw 1-NN | MiniRocket + ridge | 1-NN DTW (published) "
        "| TS2Vec (published) | LSTM fit s |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]

    def fmt(x):
        return "n/a" if x is None else f"{x:.3f}"

    for name, r in rows.items():
        raw = r["raw"] or {"logreg": None, "1nn": None}
        lines.append(
            f"| {name} | {fmt(r['lstm']['logreg'])} | {fmt(r['lstm']['1nn'])} "
            f"| {fmt(r['pca']['logreg'])} | {fmt(r['pca']['1nn'])} "
            f"| {fmt(raw['logreg'])} | {fmt(raw['1nn'])} | {fmt(r['rocket'])} "
            f"| {fmt(DTW_1NN.get(name))} | {fmt(TS2VEC.get(name))} "
            f"| {r['lstm_fit_s']:.1f} ({r['lstm_epochs']} epochs) |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: numbers mean nothing")
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    args = parser.parse_args(argv)
    rows = {}
    for name in args.datasets:
        rows[name] = run_dataset(name, args.quick)
        print(f"{name}: done", flush=True)
    print()
    print(table(rows))
    print()
    print(f"Published columns: {DTW_SOURCE}; {TS2VEC_SOURCE}.")
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores. "
        "PickupGestureWiimoteZ: resampled to its longest training length for PCA, "
        "MiniRocket and raw classifiers; the LSTM reads the sequences as they are."
    )
    return rows


if __name__ == "__main__":
    main()
