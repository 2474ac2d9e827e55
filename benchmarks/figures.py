"""The benchmark page's figures, drawn from the results files (run by the docs build).

Each function draws one figure with matplotlib from a file in this folder:
``accuracy`` (representation_results.csv), ``time_to_quality``
(time_to_quality_results.jsonl), ``selection_panel`` (panel_results.jsonl),
``anomaly_auc_pr`` (bench_anomaly_results.jsonl), ``anomaly_panel``
(anomaly_panel_results.jsonl) and ``anomaly_scores`` (fits the series
detector on KDD-TSAD 135, shipped in aeon, about 10 s on 2 cores).
``python benchmarks/figures.py out_dir`` writes them all as PNG files.
"""

import csv
import json
import os
import sys
import textwrap
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

# matplotlib's plot directive runs this code in this folder, without __file__.
HERE = os.path.dirname(os.path.abspath(globals().get("__file__", "figures.py")))


def _read_jsonl(name):
    with open(os.path.join(HERE, name)) as f:
        return [json.loads(line) for line in f if line.strip()]


def accuracy():
    """Test accuracy per dataset: the shipped defaults against the baselines."""
    with open(os.path.join(HERE, "representation_results.csv")) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    columns = {
        "defaults + logreg": "defaults_logreg",
        "defaults + RBF SVM": "defaults_svm",
        "PCA (CV) + logreg": "pca_cv_logreg",
        "raw 1-NN": "raw_1nn",
        "MiniRocket (measured)": "minirocket",
        "T-Loss K=10 (published)": "tloss",
    }
    x = np.arange(len(rows))
    width = 0.8 / len(columns)
    fig, ax = plt.subplots(figsize=(10, 4))
    for k, (label, key) in enumerate(columns.items()):
        values = [float(r[key]) if r[key] else np.nan for r in rows]
        ax.bar(x + (k - len(columns) / 2 + 0.5) * width, values, width, label=label)
    ax.set_xticks(x, [r["dataset"] for r in rows], rotation=15)
    ax.set_ylim(0.4, 1.02)
    ax.set_ylabel("test accuracy")
    ax.legend(ncols=3, fontsize="small", loc="lower left")
    ax.set_title("Codes of LSTMAutoencoderTransformer(random_state=s), mean of 3 seeds")
    fig.tight_layout()
    return fig


def time_to_quality():
    """Mean CV accuracy of the codes against mean fit seconds, per configuration and budget."""
    groups = defaultdict(lambda: defaultdict(list))
    for row in _read_jsonl("time_to_quality_results.jsonl"):
        name = row["candidate"].split(", latent 128")[0] + (
            ", batch 64" if "batch 64" in row["candidate"] else ""
        )
        if "Keras's LSTM loop" in row["candidate"]:
            name += " (Keras's LSTM loop)"
        groups[name][row["candidate"]].append(row)
    complete = max(len(rs) for budgets in groups.values() for rs in budgets.values())
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for name, budgets in sorted(groups.items()):
        points = sorted(  # budgets of every dataset and seed only: a mean over fewer is biased
            (
                np.mean([r["fit_s"] for r in rs]),
                np.mean([r["logreg"] for r in rs]),
                np.mean([r["svm"] for r in rs]),
            )
            for rs in budgets.values()
            if len(rs) == complete
        )
        seconds, logreg, svm = np.array(points).T
        axes[0].plot(seconds, logreg, "o-", label=name)
        axes[1].plot(seconds, svm, "o-", label=name)
    for ax, head in zip(axes, ("logistic regression", "RBF SVM"), strict=True):
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(plt.ScalarFormatter())
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel("mean fit seconds (2 CPU cores)")
        ax.set_ylabel(f"CV accuracy, {head}")
    axes[0].legend(fontsize="small")
    fig.suptitle("What a fit second buys: 4 datasets x 3 seeds, training splits only")
    fig.tight_layout()
    return fig


def anomaly_auc_pr():
    """AUC-PR of the per-point scores per series: the detector against aeon's detectors."""
    best = defaultdict(dict)
    for row in _read_jsonl("bench_anomaly_results.jsonl"):
        name = row["detector"].replace(" (whole period)", "")
        scores = best[row["series"]].setdefault(name, [])
        scores.append(row["auc_pr"])
    series = sorted(best)
    detectors = ["LSTM autoencoder (defaults)"] + sorted(
        {d for s in series for d in best[s]} - {"LSTM autoencoder (defaults)"}
    )
    x = np.arange(len(series))
    width = 0.8 / len(detectors)
    fig, ax = plt.subplots(figsize=(10, 4.4))
    for k, name in enumerate(detectors):
        # The detector: mean over its random states; aeon's: the better window.
        reduce = np.mean if name.startswith("LSTM") else np.max
        values = [reduce(best[s][name]) if name in best[s] else np.nan for s in series]
        ax.bar(x + (k - len(detectors) / 2 + 0.5) * width, values, width, label=name)
    ax.set_xticks(x, series)
    ax.set_ylabel("AUC-PR")
    ax.legend(ncols=4, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.set_title("Per-point anomaly scores on labelled series")
    fig.tight_layout()
    return fig


def selection_panel():
    """CV accuracy on the selection panel's training splits: candidates and baselines, both heads.

    The confirmation runs (5 folds, seeds 0 to 2), averaged over the seeds.
    """
    runs = defaultdict(lambda: defaultdict(list))
    for row in _read_jsonl("panel_results.jsonl"):
        if row["folds"] == 5:
            runs[row["candidate"]][row["dataset"]].append(row)
    datasets = list(dict.fromkeys(d for per in runs.values() for d in per))
    # Complete rows only: every dataset, every seed.
    runs = {
        label: per
        for label, per in runs.items()
        if len(per) == len(datasets) and all(len(rows) == 3 for rows in per.values())
    }
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    x = np.arange(len(datasets))
    width = 0.8 / len(runs)
    for ax, head, title in zip(
        axes, ("logreg", "svm"), ("logistic regression", "RBF SVM"), strict=True
    ):
        for k, (label, per) in enumerate(runs.items()):
            values = [np.mean([r[head] for r in per[d]]) if d in per else np.nan for d in datasets]
            ax.bar(x + (k - len(runs) / 2 + 0.5) * width, values, width, label=label)
        ax.set_ylabel(f"CV accuracy, {title}")
        ax.set_ylim(0, 1.02)
    axes[1].set_xticks(
        x, [textwrap.fill(d, 12, break_long_words=False) for d in datasets], fontsize="x-small"
    )
    axes[1].legend(ncols=2, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.25))
    axes[0].set_title("Selection panel: 5-fold CV on training splits, mean of seeds 0, 1, 2")
    fig.tight_layout()
    return fig


def anomaly_panel():
    """AUC-PR per series of the anomaly panel: the rule chosen on the others, and aeon's best."""
    sys.path.insert(0, HERE)
    from anomaly_panel import leave_one_out

    chosen, _ = leave_one_out(_read_jsonl("anomaly_panel_results.jsonl"))
    x = np.arange(len(chosen))
    fig, ax = plt.subplots(figsize=(10, 5.2))
    bars = [
        (
            [r["default"] for r in chosen],
            "the detector's rule (two-sided harmonic window mean, features weighed apart)",
        ),
        ([r["auc_pr"] for r in chosen], "rule chosen on the other series"),
        (
            [np.nan if r["raw_nn"] is None else r["raw_nn"] for r in chosen],
            "raw windows' nearest normal window (reference, no network)",
        ),
        (
            [np.nan if r["aeon"] is None else r["aeon"] for r in chosen],
            "best aeon detector, better window",
        ),
    ]
    for i, (values, label) in enumerate(bars):
        ax.bar(x + 0.2 * (i - 1.5), values, 0.2, label=label)
    names = [textwrap.fill(r["series"], 16) for r in chosen]
    ax.set_xticks(x, names, fontsize="small")
    ax.set_ylabel("AUC-PR")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    ax.set_title("Anomaly panel, leave one series out (mean of 2 seeds)")
    fig.tight_layout()
    return fig


def anomaly_scores():
    """The series detector's scores on KDD-TSAD 135, with the labelled anomaly shaded."""
    from aeon.datasets import load_kdd_tsad_135

    from sklearn_lstm_ae import LSTMAutoencoderSeriesDetector

    train, _ = load_kdd_tsad_135(split="train")
    test, labels = load_kdd_tsad_135(split="test")
    detector = LSTMAutoencoderSeriesDetector(random_state=0).fit(np.asarray(train, float))
    scores = detector.predict(np.asarray(test, float))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4), sharex=True)
    top.plot(np.asarray(test, float), lw=0.6)
    top.set_ylabel("series")
    bottom.plot(scores, lw=0.8, color="C3")
    bottom.set_ylabel("score")
    bottom.set_xlabel("time point of the test part")
    for ax in (top, bottom):
        for start in np.flatnonzero(np.diff(np.r_[0, labels.astype(int)]) == 1):
            end = start + int(np.argmin(labels[start:])) if not labels[-1] else len(labels)
            ax.axvspan(start, end, color="C1", alpha=0.3)
    top.set_title(f"KDD-TSAD 135: LSTMAutoencoderSeriesDetector scores (window {detector.window_})")
    fig.tight_layout()
    return fig


# matplotlib's plot directive runs this module as __main__ too, but without __file__.
if __name__ == "__main__" and "__file__" in globals():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for draw in (
        accuracy,
        time_to_quality,
        selection_panel,
        anomaly_auc_pr,
        anomaly_panel,
        anomaly_scores,
    ):
        draw().savefig(os.path.join(out, f"{draw.__name__}.png"), dpi=100)
