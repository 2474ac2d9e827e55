"""How the encoder defaults were chosen: cross-validation on the *training* splits only.

For each candidate encoder, the transformer is fitted (without labels) on a
dataset's training split, and a logistic regression on its codes is scored by
stratified 5-fold cross-validation on that same training split. Test splits
are never read here. Run: ``python benchmarks/select_defaults.py [--quick]``.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from aeon.datasets import load_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

DATASETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead")
CANDIDATES = {
    "last (tutorials)": dict(pooling="last"),
    "mean": dict(pooling="mean"),
    "max": dict(pooling="max"),
    "meanmax": dict(pooling="meanmax"),
    "lastmax": dict(pooling="lastmax"),
    "max, bidirectional": dict(pooling="max", bidirectional=True),
    "max, GRU": dict(pooling="max", cell="gru"),
    "lastmax, GRU": dict(pooling="lastmax", cell="gru"),
    "lastmax, bidirectional GRU": dict(pooling="lastmax", cell="gru", bidirectional=True),
}


def train_split(name):
    X, y = load_classification(name, split="train")
    return np.transpose(X, (0, 2, 1)).astype(np.float32), y


def cv_score(X, y, params, quick):
    ae = LSTMAutoencoderTransformer(latent_dim=16, random_state=0, **params)
    if quick:
        ae.set_params(max_updates=20)
    start = time.perf_counter()
    Z = ae.fit_transform(X)
    seconds = time.perf_counter() - start
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(clf, Z, y, cv=folds).mean(), seconds, len(ae.history_["loss"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES))
    args = parser.parse_args(argv)
    data = {name: train_split(name) for name in args.datasets}
    print("CV accuracy on the training split (5 folds); fit seconds, epochs run")
    print(f"{'encoder':22s}" + "".join(f"{n:>26s}" for n in data))
    scores = {}
    for label in args.candidates:
        row = f"{label:22s}"
        for name, (X, y) in data.items():
            acc, seconds, epochs = cv_score(X, y, CANDIDATES[label], args.quick)
            scores[label, name] = acc
            row += f"{acc:12.3f} {seconds:6.1f}s {epochs:5d}ep"
        print(row, flush=True)
    return scores


if __name__ == "__main__":
    main()
