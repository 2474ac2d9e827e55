"""How the encoder defaults were chosen: cross-validation on the *training* splits only.

For each candidate encoder and each seed, the transformer is fitted (without
labels) on a dataset's training split, and two heads on its codes are scored
by stratified 5-fold cross-validation on that same training split: a
logistic regression, and an RBF SVM whose C is chosen by an inner 3-fold
search within each training fold. Scores are means over the seeds. Test
splits are never read here.

Run: ``python benchmarks/select_defaults.py [--quick] [--candidates ...] [--seeds 0 1 2]
[--out results.jsonl]``; with ``--out`` every (candidate, dataset, seed) result
is appended to that file as soon as it is measured, so a long run can be read
(or resumed: results already in the file are not measured again) while it goes.
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from aeon.datasets import load_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402

# The four short univariate sets, a long one (ACSF1, 1,460 steps) and two
# multivariate ones (BasicMotions: 6 channels; JapaneseVowels: 12 channels of
# 7 to 26 steps).
DATASETS = (
    "GunPoint",
    "ItalyPowerDemand",
    "ArrowHead",
    "PickupGestureWiimoteZ",
    "ACSF1",
    "BasicMotions",
    "JapaneseVowels",
)
# The candidates spell out every parameter that differs from the recurrent
# network, so a candidate means the same network whatever the library's
# defaults are when it is measured (results are kept in --out and resumed).
RECURRENT = dict(
    conv_filters=(),
    mask_ratio=0.0,
    subseries_weight=0.0,
    context_weight=0.0,
    augment=None,
    max_updates=1000,
)
FRONT_END = dict(RECURRENT, conv_filters=(32, 64), conv_kernel_size=5, conv_stride=2)
CANDIDATES = {
    "last (tutorials)": dict(RECURRENT, pooling="last"),
    "mean": dict(RECURRENT, pooling="mean"),
    "max": dict(RECURRENT, pooling="max"),
    "meanmax": dict(RECURRENT, pooling="meanmax"),
    "lastmax": dict(RECURRENT, pooling="lastmax"),
    "max, bidirectional": dict(RECURRENT, pooling="max", bidirectional=True),
    "max, GRU": dict(RECURRENT, pooling="max", cell="gru"),
    "lastmax, GRU": dict(RECURRENT, pooling="lastmax", cell="gru"),
    "lastmax, bidirectional GRU": dict(
        RECURRENT, pooling="lastmax", cell="gru", bidirectional=True
    ),
    "front end (32, 64) / 2": dict(FRONT_END),
    "front end (32,) / 4": dict(RECURRENT, conv_filters=(32,), conv_kernel_size=7, conv_stride=4),
    # Self-supervised terms beside reconstruction, on the recurrent network and on the front end.
    "lastmax + masked spans 0.15": dict(RECURRENT, mask_ratio=0.15),
    "lastmax + subseries 0.25": dict(RECURRENT, subseries_weight=0.25),
    "lastmax + subseries 1": dict(RECURRENT, subseries_weight=1.0),
    "front end + subseries 1": dict(FRONT_END, subseries_weight=1.0),
    "front end + subseries 0.25": dict(FRONT_END, subseries_weight=0.25),
    # Larger codes (the benchmark's "latent 128" row is chosen here, not on test splits).
    "front end, latent 32": dict(FRONT_END, latent_dim=32),
    "front end, latent 128": dict(FRONT_END, latent_dim=128),
    "front end + subseries 1, latent 128": dict(FRONT_END, subseries_weight=1.0, latent_dim=128),
    # Half the updates, for the fit-time budget (the default budget since): what
    # the accuracy per fit-second trade-off costs, and the contrast's weight there.
    "front end, 500 updates": dict(FRONT_END, max_updates=500),
    "front end, latent 128, 500 updates": dict(FRONT_END, latent_dim=128, max_updates=500),
    "front end + subseries 1, 500 updates": dict(FRONT_END, subseries_weight=1.0, max_updates=500),
    "front end + subseries 0.25, 500 updates": dict(
        FRONT_END, subseries_weight=0.25, max_updates=500
    ),
    # The code size, at the default budget: 16 to 320 numbers (the literature's
    # encoders hand a classifier 128 to 320).
    "front end, latent 64, 500 updates": dict(FRONT_END, latent_dim=64, max_updates=500),
    "front end, latent 320, 500 updates": dict(FRONT_END, latent_dim=320, max_updates=500),
    # Wider pooled states: with 64 units "lastmax" pools 128 numbers, so a
    # linear code larger than 128 holds no more than they do.
    "front end, encoder (128,), latent 256, 500 updates": dict(
        FRONT_END, encoder_units=(128,), latent_dim=256, max_updates=500
    ),
    # A deeper front end: a third strided layer halves the recurrent steps again.
    "front end (32, 64, 64) / 2, latent 128, 500 updates": dict(
        FRONT_END, conv_filters=(32, 64, 64), latent_dim=128, max_updates=500
    ),
    # Time to quality (bench_time_to_quality.py): the defaults and the front end
    # with the contrast at other budgets, and batches of 64 at a scaled rate.
    **{
        f"front end, latent 128, {n} updates": dict(FRONT_END, latent_dim=128, max_updates=n)
        for n in (125, 250, 1000)
    },
    **{
        f"front end + subseries 1, latent 128, {n} updates": dict(
            FRONT_END, subseries_weight=1.0, latent_dim=128, max_updates=n
        )
        for n in (125, 250, 500)
    },
    **{
        f"front end, latent 128, batch 64, {n} updates": dict(
            FRONT_END, latent_dim=128, batch_size=64, optimizer__learning_rate=0.0014, max_updates=n
        )
        for n in (125, 250, 500)
    },
    "front end + masked spans 0.15": dict(FRONT_END, mask_ratio=0.15),
    "front end + context 1": dict(FRONT_END, context_weight=1.0),
    "front end + subseries 1 + context 1": dict(
        FRONT_END, subseries_weight=1.0, context_weight=1.0
    ),
}


def train_split(name):
    """The training split as a list of (length, channels) arrays (lengths may differ)."""
    X, y = load_classification(name, split="train")
    return [np.asarray(x, dtype=np.float32).T for x in X], np.asarray(y)


def heads():
    svm = GridSearchCV(
        make_pipeline(StandardScaler(), SVC(kernel="rbf")),
        {"svc__C": np.logspace(-2, 4, 7)},
        cv=StratifiedKFold(3),
    )
    return {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "svm": svm,
    }


def cv_score(X, y, params, seed, quick):
    """``({head: CV accuracy}, fit seconds, epochs)`` of one candidate and seed."""
    ae = LSTMAutoencoderTransformer(**{"latent_dim": 16, **params}, random_state=seed)
    if quick:
        ae.set_params(max_updates=20)
    start = time.perf_counter()
    Z = ae.fit_transform(X)
    seconds = time.perf_counter() - start
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = {name: cross_val_score(clf, Z, y, cv=folds).mean() for name, clf in heads().items()}
    return scores, seconds, len(ae.history_["loss"])


def _recorded(path):
    """Results already in ``path``: ``{(candidate, dataset, seed): result}``."""
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {(r["candidate"], r["dataset"], r["seed"]): r for r in rows}


def measured(label, name, X, y, seed, args, done, params=None):
    """One (candidate, dataset, seed) result, read from ``--out`` if it is there.

    ``params`` (default: the candidate's) lets a label that is not a
    candidate, such as a candidate run another way, record its results.
    """
    if (label, name, seed) in done:
        return done[label, name, seed]
    params = CANDIDATES[label] if params is None else params
    scores, seconds, epochs = cv_score(X, y, params, seed, args.quick)
    result = dict(candidate=label, dataset=name, seed=seed, fit_s=seconds, epochs=epochs, **scores)
    if args.out:
        with open(args.out, "a") as f:  # one line per result, appended as measured
            f.write(json.dumps(result) + "\n")
    return result


def arguments(argv, description, datasets, what, choices, flags=()):
    """The options of a CV run, ``--<what>`` naming ``choices``; ``(args, done, data)``.

    ``done`` holds the results already in ``--out``; ``data`` the training
    splits by name (``--quick``: their first 30 sequences).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--datasets", nargs="*", default=datasets)
    parser.add_argument(f"--{what}", nargs="*", default=list(choices))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--out", help="append each result to this JSON-lines file")
    for flag, text in flags:  # the calling script's own switches
        parser.add_argument(flag, action="store_true", help=text)
    args = parser.parse_args(argv)
    data = {name: train_split(name) for name in args.datasets}
    if args.quick:
        data = {name: (X[:30], y[:30]) for name, (X, y) in data.items()}
    return args, _recorded(args.out), data


def main(argv=None):
    description = __doc__.splitlines()[0]
    args, done, data = arguments(argv, description, DATASETS, "candidates", CANDIDATES)
    print(
        f"CV accuracy on the training split (5 folds), logreg / SVM, mean over seeds "
        f"{args.seeds}; mean fit seconds. The last column is the mean over the datasets, "
        "with its standard error over the seeds."
    )
    print("| encoder | " + " | ".join(data) + " | mean |")
    print("|---|" + "---|" * (len(data) + 1))
    scores = {}
    for label in args.candidates:
        cells, by_seed = [], []
        for name, (X, y) in data.items():
            runs = [measured(label, name, X, y, seed, args, done) for seed in args.seeds]
            lr = float(np.mean([r["logreg"] for r in runs]))
            svm = float(np.mean([r["svm"] for r in runs]))
            seconds = float(np.mean([r["fit_s"] for r in runs]))
            scores[label, name] = {"logreg": lr, "svm": svm, "fit_s": seconds}
            cells.append(f"{lr:.3f} / {svm:.3f} ({seconds:.0f} s)")
            by_seed.append([(r["logreg"], r["svm"]) for r in runs])
        # (seeds, heads): each seed's mean over the datasets.
        per_seed = np.mean(by_seed, axis=0)
        mean = per_seed.mean(axis=0)
        se = per_seed.std(axis=0, ddof=1) / np.sqrt(len(per_seed)) if len(per_seed) > 1 else [0, 0]
        total = " / ".join(f"{m:.3f} ± {e:.3f}" for m, e in zip(mean, se, strict=True))
        print(f"| {label} | " + " | ".join(cells) + f" | {total} |", flush=True)
    return scores


if __name__ == "__main__":
    main()
