"""Anomalies in a long series: the default LSTMAutoencoderSeriesDetector against aeon's detectors.

Labelled series, each a normal training part and a test part with labelled
anomalies (every score is per time point of the test part):

* **KDD-TSAD 135** (UCR anomaly archive, shipped in aeon): a heart-rate
  recording, 1,200 normal points, then 7,501 with one 12-point anomaly.
* **ECG, 3 anomalies** (TimeEval's ``ecg-diff-count-3``, shipped in aeon
  1.6; skipped where the loader is gone): 10,000 normal points, then 10,000
  with three 100-point anomalies.
* **Injected** anomalies, seeded (``inject``): a normal series cut 30 / 70 into
  train and test, and four anomalies in the test part, one of each kind: a
  spike (4 standard deviations, one point), a level shift (1.5 standard
  deviations over one period), a changed shape (one period time-reversed)
  and a frozen sensor (one period held at its first value). The normal
  series are 300 days of ItalyPowerDemand (24 points a day, concatenated)
  and the first 7,000 points of the ECG's normal part.

The detector runs with its defaults (``LSTMAutoencoderSeriesDetector()``,
``--seeds`` random states; the table gives their mean and range). aeon's
detectors get the window the detector chose (half the dominant period, at
least 64 points): STOMP
and DWT-MLEAD score the test part alone (unsupervised, as aeon documents
them); LeftSTAMPi streams train then test, with the training part as its
initial matrix profile; KMeansAD and ROCKAD are fitted on the training part
(semi-supervised); MERLIN searches discord lengths from half a window to a
window and marks the discords it finds (0/1, so its AUCs score a ranking of
two values). The detectors with a window are also run with the whole period,
since the matrix profile often prefers it. ROCKAD is skipped where the
training part has more than 3,000 points (its neighbour search took 204 s
on 10,000).

Metrics: AUC-ROC and AUC-PR of the per-point scores, aeon's range-based
VUS-PR, the UCR archive's top-1 rule (the highest score lies within
``max(100, L)`` points of a labelled anomaly of length L) and seconds for
fit plus scoring. Each result is appended to ``--out`` as it is measured
(JSON lines), and rows already there are not run again.

Run: ``pip install "sklearn-lstm-ae[bench]"`` (aeon and stumpy), then
``python benchmarks/bench_anomaly.py [--quick] [--seeds 3]``. ``--timing``
times fit plus scoring of 10,000 points with the defaults (three runs per
case, in turn; run it on a quiet machine). ``--quick``
is a smoke run (a short synthetic series, a tiny budget) whose numbers mean
nothing.
"""

import argparse
import itertools
import json
import os
import statistics
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from sklearn_lstm_ae import (  # noqa: E402
    LSTMAutoencoderSeriesDetector,
    LSTMAutoencoderTransformer,
    dominant_period,
    sliding_windows,
    windows_to_series,
)

AEON = ("STOMP", "LeftSTAMPi", "DWT-MLEAD", "KMeansAD", "ROCKAD", "MERLIN")
WINDOWED = ("STOMP", "LeftSTAMPi", "KMeansAD", "ROCKAD")
ROCKAD_MAX_TRAIN = 3000


def inject(series, period, seed=0):
    """A normal ``series`` -> ``(train, test, labels)``: 30% train, four anomalies in the test."""
    rng = np.random.default_rng(seed)
    series = np.asarray(series, dtype=float)
    n_train = len(series) * 3 // 10
    train, test = series[:n_train], series[n_train:].copy()
    labels = np.zeros(len(test), dtype=int)
    sd = train.std()
    for kind, centre in zip(
        rng.permutation(4), (np.linspace(0.1, 0.85, 4) * len(test)).astype(int), strict=True
    ):
        at = int(centre + rng.integers(-period, period))
        end = at + (1 if kind == 0 else period)
        if kind == 0:  # spike
            test[at] += 4 * sd * rng.choice([-1, 1])
        elif kind == 1:  # level shift
            test[at:end] += 1.5 * sd
        elif kind == 2:  # changed shape: one period played backwards
            test[at:end] = test[at:end][::-1].copy()
        else:  # frozen sensor
            test[at:end] = test[at]
        labels[at:end] = 1
    return train, test, labels


def load_series(quick):
    """``{name: (train, test, labels)}``; the ECG rows only where aeon still ships them."""
    if quick:
        t = np.arange(3000)
        base = np.sin(2 * np.pi * t / 200) + np.random.default_rng(0).normal(0, 0.05, len(t))
        return {"injected, sine": inject(base, 200)}
    from aeon.datasets import load_classification, load_kdd_tsad_135

    train, _ = load_kdd_tsad_135(split="train")
    test, labels = load_kdd_tsad_135(split="test")
    out = {"KDD-TSAD 135": (np.asarray(train, float), np.asarray(test, float), labels)}
    X, _ = load_classification("ItalyPowerDemand", split="test")
    out["injected, ItalyPowerDemand"] = inject(X[:300, 0, :].ravel(), 24, seed=0)
    try:
        from aeon.datasets import load_ecg_diff_count_3
    except ImportError:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated in aeon 1.6
        test, labels, train, _ = load_ecg_diff_count_3("semi-supervised")
    out["ECG, 3 anomalies"] = (np.asarray(train, float), np.asarray(test, float), labels)
    out["injected, ECG"] = inject(np.asarray(train, float)[:7000], 20, seed=1)
    return out


def ucr_hit(scores, labels):
    """The UCR archive's rule: the top score within max(100, L) points of an anomaly of length L."""
    top = int(np.argmax(scores))
    edges = np.flatnonzero(np.diff(np.r_[0, labels, 0]))
    for begin, end in zip(edges[::2], edges[1::2] - 1, strict=True):
        margin = max(100, end - begin + 1)
        if begin - margin < top < end + margin:
            return True
    return False


def metrics(scores, labels):
    from aeon.benchmarking.metrics.anomaly_detection import range_pr_vus_score
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {
        "auc_roc": float(roc_auc_score(labels, scores)),
        "auc_pr": float(average_precision_score(labels, scores)),
        "vus_pr": float(range_pr_vus_score(labels, scores)),
        "top1": ucr_hit(scores, labels),
    }


def aeon_scores(name, window, train, test):
    """Per-point scores of one of aeon's detectors, fitted as described above; None if skipped."""
    from aeon.anomaly_detection.series.distance_based import (
        MERLIN,
        ROCKAD,
        STOMP,
        KMeansAD,
        LeftSTAMPi,
    )
    from aeon.anomaly_detection.series.distribution_based import DWT_MLEAD

    if name == "STOMP":
        return STOMP(window_size=window).fit_predict(test)
    if name == "LeftSTAMPi":
        both = np.r_[train, test]
        return LeftSTAMPi(window_size=window, n_init_train=len(train)).fit_predict(both)[
            len(train) :
        ]
    if name == "DWT-MLEAD":
        return DWT_MLEAD().fit_predict(test)
    if name == "KMeansAD":
        return KMeansAD(window_size=window, random_state=0).fit(train).predict(test)
    if name == "ROCKAD":
        if len(train) > ROCKAD_MAX_TRAIN:
            return None
        return ROCKAD(window_size=window, random_state=0).fit(train).predict(test)
    return MERLIN(min_length=max(4, window // 2), max_length=window).fit_predict(test)


def _done(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {(r["series"], r["detector"], r.get("seed")): r for r in rows}


def _record(path, row):
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


#: Networks trained to generalise from a short normal part (the anomaly
#: panel's candidates, and ``--short``'s rows): label -> the transformer's
#: parameters beside the detector's own (``augment=None``).
REGULARISED = {
    "masked 15%": {"mask_ratio": 0.15},
    "dropout 0.2": {"dropout": 0.2},
    "jitter": {"augment": "jitter"},
}


def _detector_rows(networks):
    """``{row label: transformer parameters or None}``: the defaults, then ``networks``."""
    return {
        "LSTM autoencoder (defaults)": None,
        **{f"LSTM autoencoder, {label}": params for label, params in networks.items()},
    }


def run(series, seeds, quick, out, networks=None):
    """The detector (and each of ``networks``, a ``REGULARISED``-like dict) against aeon's."""
    done = _done(out)
    rows = []
    for (name, (train, test, labels)), (label, params) in itertools.product(
        series.items(), _detector_rows(networks or {}).items()
    ):
        for seed in seeds:
            key = (name, label, seed)
            if key not in done:
                kwargs = {} if params is None else {"augment": None, **params}
                if quick:
                    kwargs["max_updates"] = 20
                ae = LSTMAutoencoderTransformer(**kwargs) if kwargs else None
                start = time.perf_counter()
                detector = LSTMAutoencoderSeriesDetector(ae, random_state=seed).fit(train)
                scores = detector.predict(test)
                seconds = time.perf_counter() - start
                done[key] = {
                    "series": name,
                    "detector": key[1],
                    "seed": seed,
                    "window": detector.window_,
                    "seconds": seconds,
                    **metrics(scores, labels),
                }
                _record(out, done[key])
            rows.append(done[key])
    for name, (train, test, labels) in series.items():
        # The detector's own rule, so the two never drift apart.
        window, period = LSTMAutoencoderSeriesDetector()._choose_window(
            np.asarray(train, dtype=float).reshape(len(train), -1)
        )
        runs = [(det, window) for det in AEON]
        if period is not None and period != window:  # the windowed ones at the whole period
            runs += [(det, period) for det in WINDOWED]
        for det, size in [("DWT-MLEAD", window)] if quick else runs:
            label = det if size == window else f"{det} (whole period)"
            key = (name, label, None)
            if key not in done:
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    scores = aeon_scores(det, size, train, test)
                if scores is None:
                    continue
                seconds = time.perf_counter() - start
                row = {"series": name, "detector": label, "seed": None, "window": size}
                scores = np.asarray(scores, dtype=float)  # MERLIN marks discords 0/1
                done[key] = {**row, "seconds": seconds, **metrics(scores, labels)}
                _record(out, done[key])
            rows.append(done[key])
    return rows


def table(rows):
    """Markdown: one line per series and detector, seeds pooled (mean, and range of AUC-PR)."""
    lines = [
        "| series | detector | window | AUC-ROC | AUC-PR | VUS-PR | top-1 | fit+score s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    groups = {}
    for r in rows:
        groups.setdefault((r["series"], r["detector"]), []).append(r)
    for (series, det), rs in groups.items():
        pr = [r["auc_pr"] for r in rs]
        spread = f" ({min(pr):.3f}–{max(pr):.3f})" if len(rs) > 1 else ""
        hits = sum(r["top1"] for r in rs)
        lines.append(
            f"| {series} | {det} | {rs[0]['window']} "
            f"| {statistics.mean(r['auc_roc'] for r in rs):.3f} "
            f"| {statistics.mean(pr):.3f}{spread} "
            f"| {statistics.mean(r['vus_pr'] for r in rs):.3f} "
            f"| {hits}/{len(rs)} | {statistics.median(r['seconds'] for r in rs):.1f} |"
        )
    return "\n".join(lines)


#: The network of the rare-event tutorial, as the former gallery recipe ran it.
TUTORIAL = dict(
    latent_dim=8,
    encoder_units=(32,),
    conv_filters=(),
    subseries_weight=0.0,
    augment=None,
    max_updates=1000,
)


def per_step_scores(detector, series):
    """The former recipe's score: each step's error, averaged over the windows that cover it."""
    windows = np.ascontiguousarray(sliding_windows(series, detector.window_))
    errors = detector.autoencoders_[0].reconstruction_errors(windows, per_step=True)
    return windows_to_series(errors, len(series))


def ablation(series, seeds, out):
    """What the ECG rows depend on: network x window x how errors become point scores."""
    done = _done(out)
    rows = []
    for name in ("ECG, 3 anomalies", "injected, ECG"):
        train, test, labels = series[name]
        half = max(2, dominant_period(train) // 2)
        for net, window, seed in itertools.product(("tutorial", "defaults"), (64, half), seeds):
            keys = {
                how: (name, f"{net} network, window {window}, {how}", seed)
                for how in ("window mean", "per step")
            }
            if not all(k in done for k in keys.values()):
                ae = LSTMAutoencoderTransformer(**TUTORIAL) if net == "tutorial" else None
                detector = LSTMAutoencoderSeriesDetector(ae, window=window, random_state=seed)
                detector.fit(train)
                scores = {"window mean": detector.predict(test)}
                scores["per step"] = per_step_scores(detector, test)
                for how, key in keys.items():
                    row = {"series": name, "detector": key[1], "seed": seed, "window": window}
                    done[key] = {**row, "seconds": 0.0, **metrics(scores[how], labels)}
                    _record(out, done[key])
            rows += [done[k] for k in keys.values()]
    return rows


def short_series(quick):
    """``{name: (train, test, labels)}``: a labelled series fitted on a short normal part.

    The ECG with three anomalies, fitted on the first 2,500 points of its
    10,000-point normal part: about 25 beats, where the anomaly panel's ECG
    rows see a hundred. It measures what a short normal stretch costs.
    """
    if quick:
        return load_series(True)
    series = load_series(False)
    if "ECG, 3 anomalies" not in series:
        return {}
    train, test, labels = series["ECG, 3 anomalies"]
    return {"ECG, 3 anomalies, fitted on 2,500 normal points": (train[:2500], test, labels)}


def clean_series(quick):
    """``{name: (train, test)}``: normal series cut in two, one part fitted, one scored."""
    if quick:
        t = np.arange(3000)
        sine = np.sin(2 * np.pi * t / 200) + np.random.default_rng(1).normal(0, 0.05, len(t))
        return {"sine": (sine[:1500], sine[1500:])}
    from aeon.datasets import load_classification

    X, _ = load_classification("ItalyPowerDemand", split="test")
    power = X[:600, 0, :].ravel()
    t = np.arange(6000)
    sine = np.sin(2 * np.pi * t / 50) + np.random.default_rng(0).normal(0, 0.1, len(t))
    out = {
        "ItalyPowerDemand, 300 days": (power[:7200], power[7200:]),
        "sine": (sine[:3000], sine[3000:]),
    }
    try:
        from aeon.datasets import load_daphnet_s06r02e0, load_ecg_diff_count_3
    except ImportError:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated in aeon 1.6
        _, _, ecg, _ = load_ecg_diff_count_3("semi-supervised")
        motion, _ = load_daphnet_s06r02e0()  # 9 channels, no labelled episode
    ecg, motion = np.asarray(ecg, float), np.asarray(motion, float)
    out["ECG, normal part"] = (ecg[:5000], ecg[5000:])
    out["Daphnet S06R02E0, 9 channels"] = (motion[:3500], motion[3500:])
    return out


def thresholds(seeds, quick, out):
    """How many normal points each threshold flags, and which labelled anomalies it finds.

    Clean series: the share of the scored part's points flagged. Labelled
    series: the share of points more than a window from any anomaly that is
    flagged, and the anomalies with at least one flagged point.
    """
    done = _done(out)
    rows = []
    cases = {n: (tr, te, np.zeros(len(te), int)) for n, (tr, te) in clean_series(quick).items()}
    cases.update(load_series(quick))
    for (name, (train, test, labels)), seed in itertools.product(cases.items(), seeds):
        for contamination in ("auto", 0.01):
            key = (name, f"contamination={contamination!r}", seed)
            if key not in done:
                ae = LSTMAutoencoderTransformer(max_updates=20) if quick else None
                detector = LSTMAutoencoderSeriesDetector(
                    ae, contamination=contamination, random_state=seed
                ).fit(train)
                flags = detector.predict(test) > detector.threshold_  # one scoring pass
                normal = np.ones(len(test), bool)
                for i in np.flatnonzero(labels):
                    normal[max(0, i - detector.window_) : i + detector.window_] = False
                edges = np.flatnonzero(np.diff(np.r_[0, labels, 0]))
                found = sum(flags[a:b].any() for a, b in zip(edges[::2], edges[1::2], strict=True))
                done[key] = {
                    "series": name,
                    "detector": key[1],
                    "seed": seed,
                    "window": detector.window_,
                    "threshold": detector.threshold_,
                    "normal_flagged": float(flags[normal].mean()),
                    "anomalies": len(edges) // 2,
                    "found": int(found),
                    "events": int(np.sum(np.diff(np.r_[0, flags.astype(int)]) == 1)),
                }
                _record(out, done[key])
            rows.append(done[key])
    return rows


def timing_cases():
    """``{name: (train, test)}``: about 10,000 points to score, fitted on a normal part or on
    themselves (``test`` None: ``fit_predict``)."""
    from anomaly_panel import _seasonal  # the panel's service metric

    metric = _seasonal(20_000, seed=1)
    out = {
        "service metric: fit 10,000, score 10,000": (metric[:10_000], metric[10_000:]),
        "service metric: fit_predict 10,000": (metric[10_000:], None),
    }
    try:
        from aeon.datasets import load_daphnet_s06r02e0, load_ecg_diff_count_3
    except ImportError:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated in aeon 1.6
        test, _, ecg, _ = load_ecg_diff_count_3("semi-supervised")
        motion, _ = load_daphnet_s06r02e0()
    out["ECG: fit 10,000, score 10,000"] = (np.asarray(ecg, float), np.asarray(test, float))
    motion = np.asarray(motion, float)  # 7,040 points: fit on the first 3,520, score all
    out["Daphnet gait, 9 channels: fit 3,520, score 7,040"] = (motion[:3520], motion)
    return out


def timing(repeats, out):
    """Seconds for fit plus scoring with the defaults, ``repeats`` times per case, in turn."""
    done = _done(out)
    rows = []
    cases = timing_cases()
    for repeat, (name, (train, test)) in itertools.product(range(repeats), cases.items()):
        key = (name, "LSTM autoencoder (defaults)", repeat)
        if key not in done:
            start = time.perf_counter()
            detector = LSTMAutoencoderSeriesDetector(random_state=repeat)
            if test is None:
                detector.fit_predict(train)
            else:
                detector.fit(train).predict(test)
            done[key] = {
                "series": name,
                "detector": key[1],
                "seed": repeat,
                "window": detector.window_,
                "seconds": time.perf_counter() - start,
            }
            _record(out, done[key])
        rows.append(done[key])
    return rows


def timing_table(rows):
    lines = ["| case | window | seconds (median) | runs |", "|---|---|---|---|"]
    for name in dict.fromkeys(r["series"] for r in rows):
        mine = [r for r in rows if r["series"] == name]
        seconds = statistics.median(r["seconds"] for r in mine)
        lines.append(f"| {name} | {mine[0]['window']} | {seconds:.1f} | {len(mine)} |")
    return "\n".join(lines)


def threshold_table(rows):
    lines = [
        "| series | threshold | normal points flagged | anomalies found | events |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        found = f"{r['found']} of {r['anomalies']}" if r["anomalies"] else "(none labelled)"
        lines.append(
            f"| {r['series']} | {r['detector']} | {100 * r['normal_flagged']:.2f}% "
            f"| {found} | {r['events']} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: numbers mean nothing")
    parser.add_argument("--seeds", type=int, default=3, help="random states of the detector")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument(
        "--out", help="results file (default: bench_anomaly_results.jsonl, or the mode's own)"
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="the ECG rows' network x window x scoring table (to bench_anomaly_ablation.jsonl)",
    )
    parser.add_argument(
        "--thresholds",
        action="store_true",
        help="normal points flagged and anomalies found (to bench_anomaly_thresholds.jsonl)",
    )
    parser.add_argument(
        "--timing",
        action="store_true",
        help="seconds to fit and score 10,000 points, 3 runs (to bench_anomaly_timing.jsonl)",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="the ECG fitted on 2,500 normal points, against aeon (to bench_anomaly_short.jsonl)",
    )
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    if args.short:
        out = args.out or os.path.join(here, "bench_anomaly_short.jsonl")
        rows = run(short_series(args.quick), seeds, args.quick, out, REGULARISED)
        print(table(rows))
        return rows
    if args.timing:
        out = args.out or os.path.join(here, "bench_anomaly_timing.jsonl")
        rows = timing(3, out)
        print(timing_table(rows))
        return rows
    if args.thresholds:
        out = args.out or os.path.join(here, "bench_anomaly_thresholds.jsonl")
        rows = thresholds(seeds, args.quick, out)
        print(threshold_table(rows))
        return rows
    if args.ablation:
        out = os.path.join(here, "bench_anomaly_ablation.jsonl")
        rows = ablation(load_series(False), range(2), out)
        print(table(rows))
        return rows
    out = args.out or os.path.join(here, "bench_anomaly_results.jsonl")
    rows = run(load_series(args.quick), seeds, args.quick, out)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
