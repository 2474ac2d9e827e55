"""Are the codes worth using? LSTM codes against the strongest simple baselines.

One run, on aeon's bundled datasets with their default train/test splits:

- the library's codes of every variant in ``VARIANTS`` (first the shipped
  defaults, ``LSTMAutoencoderTransformer()`` with nothing set but the seed:
  what a new user gets; then the front end, the front end with the
  subseries contrast and the LSTM encoder trained on reconstruction alone,
  each with 16 numbers, the previous code size), fitted with each
  of ``--seeds``, then three heads: a logistic regression (after
  standardising), an RBF SVM with C chosen by 3-fold cross-validation on the
  training codes (the head T-Loss and TS2Vec report), and a 1-NN; the mean
  and the range over the seeds, and the fit seconds;
- a transfer row: one transformer per seed fitted once, without labels, on
  the pooled training splits of all the datasets run (their lengths differ:
  length buckets), then used to encode each dataset (TimeNet and T-Loss
  report that an encoder trained on many datasets serves others); the
  network of this row is ``--transfer-variant`` (the defaults unless set),
  and ``--transfer-only`` runs this row alone;
- PCA at its best: the number of components chosen by 5-fold
  cross-validation of the logistic regression on the training split
  (``PCA_SIZES``), then the same three heads;
- the same two classifiers on the raw series (equal lengths only);
- MiniRocket (aeon) with a ridge classifier, the ceiling, measured here on
  the same splits (rather than copied from its paper);
- published anchors, printed with their source: 1-NN DTW from the UCR
  archive summary, TS2Vec (Yue et al., AAAI 2022, 320 dimensions) and
  T-Loss (Franceschi et al., NeurIPS 2019, K=10, RBF SVM head).

PickupGestureWiimoteZ has sequences of 29 to 361 steps: the library reads them
as they are; PCA, MiniRocket and the raw classifiers need one length, so they
get the sequences resampled (linear interpolation) to the longest training
length. BasicMotions (6 channels) and JapaneseVowels (12 channels, 7 to 26
steps) are multivariate: PCA and the raw classifiers read each sequence's
channels one after the other, MiniRocket reads them as channels. Fit
seconds are wall-clock on this machine. ``--quick`` is a smoke run (few
sequences, few updates) whose numbers mean nothing.

Run: ``python benchmarks/bench_representation.py [--quick] [--variants ...]
[--seeds 0 1 2] [--no-transfer | --transfer-only] [--transfer-variant NAME]``.
"""

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from aeon.datasets import load_classification  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeClassifierCV  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # select_defaults.py beside this
from select_defaults import DATASETS as SELECTION_DATASETS  # noqa: E402

#: The datasets the defaults were chosen on (``select_defaults.py``).
DATASETS = SELECTION_DATASETS
#: The PCA sizes the baseline's cross-validation chooses from (those above the
#: training folds' size or the series' length are left out).
PCA_SIZES = (2, 4, 8, 16, 32, 64, 128)
# Published accuracies on the same splits (not measured here).
DTW_1NN = {"GunPoint": 0.907, "ItalyPowerDemand": 0.950, "ArrowHead": 0.703}
DTW_SOURCE = "1-NN DTW: UCR archive summary (Dau et al., 2019)"
TS2VEC = {"GunPoint": 0.987, "ItalyPowerDemand": 0.960, "ArrowHead": 0.82}
TS2VEC_SOURCE = "TS2Vec: Yue et al., AAAI 2022, UCR table (ArrowHead about 0.82)"
TLOSS = {
    "GunPoint": 0.980,
    "ItalyPowerDemand": 0.954,
    "ArrowHead": 0.766,
    "PickupGestureWiimoteZ": 0.740,
    "ACSF1": 0.900,
}
TLOSS_SOURCE = "T-Loss: Franceschi et al., NeurIPS 2019, official repository, results_ucr.csv, K=10"
#: The library's rows: name -> parameters.
#: Each row but the defaults spells out every parameter in which it differs
#: from the LSTM encoder trained on reconstruction alone, so that a row names
#: the same network whatever the library's defaults are.
RECURRENT = dict(
    latent_dim=16,
    conv_filters=(),
    mask_ratio=0.0,
    subseries_weight=0.0,
    context_weight=0.0,
    augment=None,
    max_updates=1000,
)
FRONT_END = dict(RECURRENT, conv_filters=(32, 64), conv_kernel_size=5, conv_stride=2)
VARIANTS = {
    "defaults": {},  # the library's shipped defaults, whatever they are
    "front end": FRONT_END,
    "front end + subseries": dict(FRONT_END, subseries_weight=1.0),
    "reconstruction only": RECURRENT,  # the LSTM encoder
    "latent 128": dict(FRONT_END, latent_dim=128),  # the front end with a larger code
}


def load(name, split, limit=None):
    """Sequences as a list of (length, channels) arrays (aeon gives (channels, length))."""
    X, y = load_classification(name, split=split)
    seqs = [np.asarray(x, dtype=np.float32).T for x in X]
    if limit:
        seqs, y = seqs[:limit], y[:limit]
    return seqs, np.asarray(y)


def to_length(seqs, length):
    """Resample every sequence to ``length`` steps: ``(n, channels, length)``."""
    grid = np.linspace(0, 1, length)
    return np.stack([[np.interp(grid, np.linspace(0, 1, len(s)), c) for c in s.T] for s in seqs])


def best_pca(features, y):
    """PCA whose size the logistic regression's 5-fold CV on ``features`` chooses."""
    fold = len(features) + (-len(features)) // 5  # the smallest training fold
    sizes = [k for k in PCA_SIZES if k <= min(fold, features.shape[1])]
    search = GridSearchCV(
        make_pipeline(PCA(random_state=0), StandardScaler(), LogisticRegression(max_iter=5000)),
        {"pca__n_components": sizes},
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    ).fit(features, y)
    return PCA(search.best_params_["pca__n_components"], random_state=0)


def classifiers(y):
    # The SVM's C by 3-fold CV on the training codes (fewer folds if a class is rarer).
    folds = StratifiedKFold(min(3, int(np.unique(y, return_counts=True)[1].min())))
    svm = GridSearchCV(
        make_pipeline(StandardScaler(), SVC(kernel="rbf")),
        {"svc__C": np.logspace(-2, 4, 7)},
        cv=folds,
    )
    return {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        "svm": svm,
        "1nn": KNeighborsClassifier(1),
    }


def evaluate(features_train, features_test, y, y_test):
    return {
        name: clf.fit(features_train, y).score(features_test, y_test)
        for name, clf in classifiers(y).items()
    }


def library_rows(train, test, y, y_test, *, variants, seeds, quick):
    """Every variant fitted with every seed: accuracies and fit seconds, one list per seed."""
    rows = {}
    for variant in variants:
        runs = {"logreg": [], "svm": [], "1nn": [], "fit_s": [], "epochs": []}
        for seed in seeds:
            ae = LSTMAutoencoderTransformer(**VARIANTS[variant], random_state=seed)
            if quick:
                ae.set_params(max_updates=4)
            start = time.perf_counter()
            Z = ae.fit_transform(train)
            runs["fit_s"].append(time.perf_counter() - start)
            runs["epochs"].append(len(ae.history_["loss"]))
            for head, acc in evaluate(Z, ae.transform(test), y, y_test).items():
                runs[head].append(acc)
        rows[variant] = runs
    return rows


TRANSFER = "transfer (pooled)"


def transfer_rows(datasets, *, seeds, quick, params=None):
    """One transformer per seed fitted on the pooled training splits, scored on each dataset.

    Returns ``{dataset: runs}`` in the layout of :func:`library_rows`; the
    fit seconds are those of the one pooled fit.
    """
    limit = 20 if quick else None
    splits = {name: (load(name, "train", limit), load(name, "test", limit)) for name in datasets}
    # One network reads one number of channels: the univariate sets are pooled.
    splits = {name: s for name, s in splits.items() if s[0][0][0].shape[1] == 1}
    pooled = [s for (train, _), _ in splits.values() for s in train]
    keys = ("logreg", "svm", "1nn", "fit_s", "epochs", "n_codes")
    rows = {name: {key: [] for key in keys} for name in splits}
    for seed in seeds:
        ae = LSTMAutoencoderTransformer(**(params or {}), random_state=seed)
        if quick:
            ae.set_params(max_updates=4)
        start = time.perf_counter()
        ae.fit(pooled)
        seconds = time.perf_counter() - start
        for name, ((train, y), (test, y_test)) in splits.items():
            runs = rows[name]
            runs["fit_s"].append(seconds)
            runs["epochs"].append(len(ae.history_["loss"]))
            runs["n_codes"].append(len(ae.get_feature_names_out()))
            for head, acc in evaluate(ae.transform(train), ae.transform(test), y, y_test).items():
                runs[head].append(acc)
    return rows


def run_dataset(name, quick, variants=("defaults",), seeds=(0,)):
    limit = 20 if quick else None
    train, y = load(name, "train", limit)
    test, y_test = load(name, "test", limit)
    equal = len({len(s) for s in train + test}) == 1
    length = max(len(s) for s in train)
    raw_train, raw_test = to_length(train, length), to_length(test, length)
    flat_train, flat_test = (r.reshape(len(r), -1) for r in (raw_train, raw_test))
    row = {"n_train": len(train), "n_test": len(test), "length": length, "equal": equal}

    seqs_train = train if not equal else np.stack(train)
    seqs_test = test if not equal else np.stack(test)
    row["library"] = library_rows(
        seqs_train, seqs_test, y, y_test, variants=variants, seeds=seeds, quick=quick
    )
    first = row["library"][variants[0]]
    row["lstm"] = {head: float(np.mean(first[head])) for head in ("logreg", "svm", "1nn")}
    row["lstm_fit_s"] = float(np.mean(first["fit_s"]))
    row["lstm_epochs"] = int(np.mean(first["epochs"]))

    start = time.perf_counter()
    pca = best_pca(flat_train, y)
    P = pca.fit_transform(flat_train)
    row["pca_fit_s"] = time.perf_counter() - start
    row["pca_size"] = pca.n_components
    row["pca"] = evaluate(P, pca.transform(flat_test), y, y_test)

    row["raw"] = evaluate(flat_train, flat_test, y, y_test) if equal else None

    from aeon.transformations.collection.convolution_based import MiniRocket

    rocket = MiniRocket(n_kernels=1000 if quick else 10000, random_state=0)
    start = time.perf_counter()
    R = rocket.fit_transform(raw_train)
    ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(R, y)
    row["rocket_fit_s"] = time.perf_counter() - start
    row["rocket"] = ridge.score(rocket.transform(raw_test), y_test)
    return row


def table(rows):
    head = (
        "| dataset | LSTM codes + logreg | LSTM codes + SVM | LSTM codes + 1-NN "
        "| PCA (size by CV) + logreg | PCA + SVM | PCA + 1-NN "
        "| raw + logreg | raw 1-NN | MiniRocket + ridge | 1-NN DTW (published) "
        "| TS2Vec (published) | T-Loss K=10 + SVM (published) | LSTM fit s |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]

    def fmt(x):
        return "n/a" if x is None else f"{x:.3f}"

    for name, r in rows.items():
        raw = r["raw"] or {"logreg": None, "1nn": None}
        lines.append(
            f"| {name} | {fmt(r['lstm']['logreg'])} | {fmt(r['lstm']['svm'])} "
            f"| {fmt(r['lstm']['1nn'])} "
            f"| {fmt(r['pca']['logreg'])} ({r['pca_size']}) | {fmt(r['pca']['svm'])} "
            f"| {fmt(r['pca']['1nn'])} "
            f"| {fmt(raw['logreg'])} | {fmt(raw['1nn'])} | {fmt(r['rocket'])} "
            f"| {fmt(DTW_1NN.get(name))} | {fmt(TS2VEC.get(name))} | {fmt(TLOSS.get(name))} "
            f"| {r['lstm_fit_s']:.1f} ({r['lstm_epochs']} epochs) |"
        )
    return "\n".join(lines)


def spread(values):
    """Mean and range over seeds: ``0.873 (0.860-0.887)``."""
    return f"{np.mean(values):.3f} ({np.min(values):.3f}-{np.max(values):.3f})"


def seeds_line(name, variant, runs):
    """One row of one network over the seeds: each head's mean and range, the mean fit seconds."""
    return (
        f"| {name} | {variant} | {spread(runs['logreg'])} | {spread(runs['svm'])} "
        f"| {spread(runs['1nn'])} | {np.mean(runs['fit_s']):.1f} |"
    )


def seeds_table(rows, seeds):
    lines = [
        f"| dataset | codes | logreg | SVM | 1-NN | fit s | (mean and range over seeds {seeds})",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines += [seeds_line(name, variant, runs) for variant, runs in r["library"].items()]
        pca = r["pca"]
        lines.append(
            f"| {name} | PCA({r['pca_size']}, size by CV) | {pca['logreg']:.3f} "
            f"| {pca['svm']:.3f} | {pca['1nn']:.3f} "
            f"| {r['pca_fit_s']:.2f} |"
        )
    return "\n".join(lines)


def transfer_table(transfer, variant, seeds):
    """The transfer row alone: one line per dataset, mean and range over the seeds."""
    lines = [
        f"| dataset | {TRANSFER}: '{variant}' | logreg | SVM | 1-NN | pooled fit s |"
        f" (mean and range over seeds {seeds})",
        "|---|---|---|---|---|---|",
    ]
    lines += [seeds_line(name, TRANSFER, runs) for name, runs in transfer.items()]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: numbers mean nothing")
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--no-transfer", action="store_true", help="skip the pooled-training transfer row"
    )
    parser.add_argument(
        "--transfer-variant",
        default="defaults",
        choices=list(VARIANTS),
        help="the network of the transfer row (default: the library's defaults)",
    )
    parser.add_argument(
        "--transfer-only",
        action="store_true",
        help="only the transfer row (the other rows are seeded: an earlier run gives them)",
    )
    args = parser.parse_args(argv)
    if args.transfer_only and args.no_transfer:
        parser.error("--transfer-only and --no-transfer leave nothing to run")
    rows = {}
    if not args.no_transfer:
        transfer = transfer_rows(
            args.datasets,
            seeds=tuple(args.seeds),
            quick=args.quick,
            params=VARIANTS[args.transfer_variant],
        )
        print("transfer: done", flush=True)
    if args.transfer_only:
        print()
        print(transfer_table(transfer, args.transfer_variant, args.seeds))
        return {name: {"library": {TRANSFER: runs}} for name, runs in transfer.items()}
    for name in args.datasets:
        rows[name] = run_dataset(name, args.quick, tuple(args.variants), tuple(args.seeds))
        print(f"{name}: done", flush=True)
    if not args.no_transfer:
        for name, runs in transfer.items():  # the univariate datasets
            rows[name]["library"][TRANSFER] = runs
    print()
    print(table(rows))
    print()
    print(seeds_table(rows, args.seeds))
    print()
    print(f"Published columns: {DTW_SOURCE}; {TS2VEC_SOURCE}; {TLOSS_SOURCE}.")
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores. "
        f"LSTM columns of the first table: '{args.variants[0]}', mean over the seeds. "
        "PickupGestureWiimoteZ: resampled to its longest training length for PCA, "
        "MiniRocket and raw classifiers; the LSTM reads the sequences as they are. "
        f"'{TRANSFER}': '{args.transfer_variant}' fitted once per seed on the training splits of "
        f"the univariate sets among {', '.join(args.datasets)} together, fit seconds of "
        "that one fit."
    )
    return rows


if __name__ == "__main__":
    main()
