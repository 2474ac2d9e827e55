"""Time to quality: the codes' CV accuracy on the training splits against the seconds of fit.

For the shipped defaults, for the front end with the subseries contrast (the
best documented configuration on GunPoint) and for the defaults with batches
of 64 at a learning rate scaled by sqrt(2), each at several budgets of
updates: ``select_defaults.py``'s measure (the transformer fitted without
labels on a training split, then a logistic regression and an RBF SVM
scored on its codes by stratified 5-fold cross-validation on that split),
with the seconds of ``fit_transform``. One row per (configuration, budget):
the mean over datasets and seeds, so the curve reads as "accuracy after N
seconds of fit". Test splits are never read.

``--keras-loop`` also measures the defaults at 500 updates with their LSTMs
trained through Keras's own loop instead of the fused ``BlockLSTM`` kernel
(``bench_training.keras_loop``), at the same seeds.

Run: ``python benchmarks/bench_time_to_quality.py [--quick] [--seeds 0 1 2]
[--keras-loop] [--out benchmarks/time_to_quality_results.jsonl]``. Every result
is appended to ``--out`` as it is measured, and a run resumes from what is there.
"""

import os
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the scripts beside this one

import numpy as np  # noqa: E402
from bench_training import keras_loop  # noqa: E402
from select_defaults import CANDIDATES, arguments, measured  # noqa: E402

DATASETS = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "PickupGestureWiimoteZ")
#: (configuration, budget) -> the select_defaults.py candidate that measures it.
CURVES = {
    "defaults": {n: f"front end, latent 128, {n} updates" for n in (125, 250, 500, 1000)},
    "front end + subseries 1": {
        n: f"front end + subseries 1, latent 128, {n} updates" for n in (125, 250, 500)
    },
    "defaults, batch 64": {
        n: f"front end, latent 128, batch 64, {n} updates" for n in (125, 250, 500)
    },
}
CURVES["front end + subseries 1"][1000] = "front end + subseries 1, latent 128"
#: The candidate that --keras-loop measures again, and the suffix of its label.
LOOPED = CURVES["defaults"][500]
LOOP = " (Keras's LSTM loop)"


def _row(curve, budget, runs):
    """The mean of one (configuration, budget) over datasets and seeds, printed as a table row."""
    row = dict(
        curve=curve,
        updates=budget,
        fit_s=float(np.mean([r["fit_s"] for r in runs])),
        logreg=float(np.mean([r["logreg"] for r in runs])),
        svm=float(np.mean([r["svm"] for r in runs])),
    )
    print(
        f"| {curve} | {budget} | {row['fit_s']:.1f} | {row['logreg']:.3f} | {row['svm']:.3f} |",
        flush=True,
    )
    return row


def main(argv=None):
    description = __doc__.splitlines()[0]
    flags = [("--keras-loop", "also the defaults at 500 updates through Keras's LSTM loop")]
    args, done, data = arguments(argv, description, DATASETS, "curves", CURVES, flags)
    options = SimpleNamespace(quick=args.quick, out=args.out)
    print(
        f"Mean over {', '.join(data)} and seeds {args.seeds}: fit seconds, and CV accuracy "
        "on the training splits (logistic regression / RBF SVM)"
    )
    print("| configuration | updates | fit s | logreg | SVM |")
    print("|---|---|---|---|---|")
    rows = []
    for curve in args.curves:
        for budget, label in sorted(CURVES[curve].items()):
            runs = [
                measured(label, name, X, y, seed, options, done)
                for name, (X, y) in data.items()
                for seed in args.seeds
            ]
            rows.append(_row(curve, budget, runs))
    if args.keras_loop:
        with keras_loop():
            runs = [
                measured(LOOPED + LOOP, name, X, y, seed, options, done, CANDIDATES[LOOPED])
                for name, (X, y) in data.items()
                for seed in args.seeds
            ]
        rows.append(_row("defaults" + LOOP, 500, runs))
    return rows


if __name__ == "__main__":
    main()
