"""The benchmark script runs (quick mode) and reports sane numbers; no timing assertions."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from .helpers import sine_waves

#: Slow: the benchmark scripts in quick mode (``pytest -m "not slow"`` skips this module).
pytestmark = pytest.mark.slow

pytest.importorskip("psutil")


def _load(name="bench_vs_keras"):
    path = Path(__file__).parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark_prints_the_table(tmp_path, capsys):
    bench = _load()
    out = tmp_path / "table.md"
    rows, reach_s, ablation, ceilings = bench.main(["--quick", "--out", str(out)])
    printed = capsys.readouterr().out
    assert out.read_text().strip() == printed.strip()
    kinds = {(r["data"], r["setting"], r["who"]) for r in rows}
    assert ("moving ones", "same settings", "hand-written Keras") in kinds
    assert ("moving ones", "library defaults", "sklearn_lstm_ae") in kinds
    for r in rows:
        for key in ("fit_s", "transform_s", "again_s", "latency_ms", "error"):
            assert math.isfinite(r[key]) and r[key] > 0, (r["who"], key)
        # Every printed row is the measured one, with its ratios to its own baseline.
        assert f"| {r['who']} | {r['fit_s']:.2f} | {r['transform_s']:.2f} |" in printed
    assert "| fit ratio |" in printed and "reached the hand-written code's final error" in printed
    assert "Peak FP32 rate:" in printed and "| transform % of peak |" in printed
    assert reach_s > 0 or math.isnan(reach_s)
    # The measured ceiling (the matrix products alone) of both encoders is printed.
    assert set(ceilings) == {"same settings", "library defaults", "same settings, batch 32"}
    assert all(math.isfinite(c) and c > 0 for c in ceilings.values())
    assert "Ceiling: the encoder's gate matrix products alone" in printed
    assert "At the training batch of 32" in printed
    # Every inference option was run on the same codes: the adopted ones agree
    # to float32 round-off, bfloat16 only to its 8-bit mantissa.
    variants = {(a["model"], a["variant"]): a for a in ablation}
    assert len(variants) == 8 and "Inference options on" in printed
    for (model, variant), a in variants.items():
        assert a["first"] > 0 and a["again"] > 0
        assert a["diff"] < (0.1 if "bfloat16" in variant else 1e-4), (model, variant, a["diff"])


def _measured(**values):
    base = dict(transform_s=2.0, again_s=1.0, latency_ms=4.0, fit_mib=0, transform_mib=0)
    return {**base, "error": 0.5, **values}


def test_ratios_and_rates_are_derived_from_each_rows_own_baseline_in_any_order():
    bench = _load()
    raw = bench.make_row("d", "same", "hand-written Keras", _measured(fit_s=10.0), (4e9, 2e9))
    lib = bench.make_row(
        "d", "same", "sklearn_lstm_ae", _measured(fit_s=5.0, again_s=0.25), (4e9, 2e9)
    )
    other = bench.make_row("e", "same", "hand-written Keras", _measured(fit_s=1.0), (1e9, 1e9))
    for order in ([raw, lib, other], [other, lib, raw]):
        rows = {r["who"] + r["data"]: r for r in bench.derive(order, peak=10.0)}
        got = rows["sklearn_lstm_aed"]
        assert got["fit_ratio"] == 0.5 and got["again_ratio"] == 0.25
        assert got["transform_ratio"] == 1.0 and got["latency_ratio"] == 1.0
        assert got["fit_gflops"] == 4e9 / 5.0 / 1e9 == 0.8 and got["fit_peak"] == 8.0
        assert got["again_gflops"] == 8.0 and got["again_peak"] == 80.0
        assert rows["hand-written Kerase"]["fit_ratio"] == 1.0
    with pytest.raises(KeyError):
        bench.derive([lib], peak=10.0)  # a row without its baseline is an error, not a guess


def test_the_work_of_a_row_counts_training_as_three_forward_passes():
    bench = _load()
    net = dict(encoder_units=(2,), latent_dim=3, n_features=1)
    encoder, autoencoder = bench.forward_flops(4, 20, **net)
    fit, transform = bench.row_work(
        fit_steps=20, n_fit=4, epochs=2, transform_steps=20, n_transform=4, **net
    )
    assert fit == 3 * 2 * autoencoder and transform == encoder
    roofline = _load("roofline")
    # 20 LSTM steps and 4 codes (Dense 2 -> 3)
    assert encoder == 20 * roofline.lstm_flops(1, 2) + 4 * roofline.dense_flops(2, 3)


def test_seed_data_and_padding_helpers():
    import numpy as np

    bench = _load()
    seqs = bench.moving_ones(50, np.random.default_rng(0))
    assert all(1 <= len(s) <= 10 and s.shape[1] == 8 for s in seqs)
    assert all(s[: min(len(s), 8)].sum(axis=1).tolist() == [1] * min(len(s), 8) for s in seqs)
    padded = bench.zero_padded(seqs, 10)
    assert padded.shape == (50, 10, 8)
    assert bench.valid_mse(padded, seqs) == 0


def test_quick_representation_benchmark_prints_every_column(capsys):
    bench = _load("bench_representation")
    rows = bench.main(
        ["--quick", "--datasets", "ItalyPowerDemand", "PickupGestureWiimoteZ", "--seeds", "0", "1"]
        + ["--variants", "defaults", "front end"]
    )
    printed = capsys.readouterr().out
    for column in ("LSTM codes + SVM", "PCA + 1-NN", "MiniRocket + ridge", "T-Loss K=10"):
        assert column in printed
    assert "| ItalyPowerDemand | front end |" in printed and "results_ucr.csv" in printed
    assert rows["ItalyPowerDemand"]["equal"] and not rows["PickupGestureWiimoteZ"]["equal"]
    assert rows["PickupGestureWiimoteZ"]["raw"] is None  # unequal lengths: no raw row
    for row in rows.values():
        for kind in ("lstm", "pca"):
            assert set(row[kind]) == {"logreg", "svm", "1nn"}
            assert all(0 <= acc <= 1 for acc in row[kind].values())
        assert 0 <= row["rocket"] <= 1 and row["lstm_fit_s"] > 0
        for runs in row["library"].values():  # one entry per seed
            assert len(runs["svm"]) == len(runs["fit_s"]) == 2
        # The transfer row: one pooled fit per seed, the same seconds for every dataset.
        assert set(row["library"]) == {"defaults", "front end", bench.TRANSFER}
    pooled = [rows[n]["library"][bench.TRANSFER]["fit_s"] for n in rows]
    assert pooled[0] == pooled[1] and all(s > 0 for s in pooled[0])
    assert "| PickupGestureWiimoteZ | transfer (pooled) |" in printed
    for row in rows.values():
        # The first table's LSTM columns are the defaults' mean over the seeds.
        assert row["lstm"]["svm"] == np.mean(row["library"]["defaults"]["svm"])
    assert bench.spread([0.5, 0.75, 1.0]) == "0.750 (0.500-1.000)"


def test_quick_transfer_only_fits_the_chosen_variant(capsys):
    bench = _load("bench_representation")
    rows = bench.main(
        ["--quick", "--datasets", "ItalyPowerDemand", "GunPoint", "--seeds", "0"]
        + ["--transfer-only", "--transfer-variant", "latent 128"]
    )
    printed = capsys.readouterr().out
    assert set(rows) == {"ItalyPowerDemand", "GunPoint"}
    for row in rows.values():
        assert set(row["library"]) == {bench.TRANSFER}  # no per-dataset rows, no baselines
        assert row["library"][bench.TRANSFER]["n_codes"] == [128]  # the variant's code size
    assert "transfer (pooled): 'latent 128'" in printed and "| GunPoint | transfer" in printed
    assert "MiniRocket" not in printed
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--transfer-only", "--no-transfer"])
    assert "leave nothing to run" in capsys.readouterr().err


def test_quick_bucketing_benchmark_runs(capsys):
    bench = _load("bench_bucketing")
    fits, transforms, losses = bench.main(["--quick"])
    printed = capsys.readouterr().out
    assert "| length-bucketed |" in printed and "| padded to the longest |" in printed
    # Bucketed and padded batches give the same codes (the masked computation).
    differ = float(printed.split("codes differ by at most ")[1].split()[0])
    assert differ < 1e-4
    for timings in (fits, transforms):
        assert {k: len(v) for k, v in timings.items()} == {True: 1, False: 1}  # one quick repeat
    assert set(losses) == {True, False} and all(np.isfinite(v) for v in losses.values())
    lengths = [29, 30, 31, 360, 361]
    assert bench.steps(lengths, 2, True) < bench.steps(lengths, 2, False) == 5 * 361


def test_roofline_counts_on_a_hand_computed_network():
    roofline = _load("roofline")
    # LSTM(2 units, 1 input): 2*4*2*(1+2) + 4*2 + 10*2 = 48 + 8 + 20 = 76 FLOPs per step
    assert roofline.lstm_flops(1, 2) == 76
    assert roofline.dense_flops(3, 2) == 14
    enc, total = roofline.autoencoder_flops(steps=5, n_features=1, encoder_units=(2,), latent_dim=3)
    assert enc == 5 * 76 + roofline.dense_flops(2, 3)
    # decoder: LSTM(2 units) reading the 3-number code, then Dense(2 -> 1), every step
    assert total == enc + 5 * roofline.lstm_flops(3, 2) + 5 * roofline.dense_flops(2, 1)
    peak, text = roofline.cpu_peak(fma_units=1)
    assert peak > 0 and "GFLOP/s" in text
    assert roofline.percent(2e9, 1.0, 4.0) == (2.0, 50.0)


def test_quick_default_selection_reads_only_training_splits(capsys, monkeypatch, tmp_path):
    bench = _load("select_defaults")
    splits = []
    real = bench.load_classification
    monkeypatch.setattr(
        bench, "load_classification", lambda name, split: splits.append(split) or real(name, split)
    )
    out = tmp_path / "results.jsonl"
    argv = ["--quick", "--datasets", "ItalyPowerDemand", "--seeds", "0", "--out", str(out)]
    argv += ["--candidates", "lastmax", "front end (32, 64) / 2"]
    scores = bench.main(argv)
    # Every result is recorded as measured, and a second run reads them back.
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and '"candidate": "lastmax"' in lines[0]
    monkeypatch.setattr(bench, "cv_score", lambda *a: pytest.fail("measured again"))
    assert bench.main(argv) == scores
    assert len(out.read_text().splitlines()) == 2
    assert set(splits) == {"train"}  # never the test split
    for candidate in ("lastmax", "front end (32, 64) / 2"):
        got = scores[candidate, "ItalyPowerDemand"]
        assert 0 <= got["logreg"] <= 1 and 0 <= got["svm"] <= 1 and got["fit_s"] > 0
    printed = capsys.readouterr().out
    assert "CV accuracy on the training split" in printed
    assert "| front end (32, 64) / 2 |" in printed and " ± " in printed
    # Results are resumed across library versions: each candidate names every
    # parameter its network differs in from the recurrent one, never a default.
    for params in bench.CANDIDATES.values():
        assert set(bench.RECURRENT) <= set(params), params


def test_quick_training_benchmark_prints_the_roofline(capsys):
    bench = _load("bench_training")
    out = bench.main(["--quick"])
    printed = capsys.readouterr().out
    assert "| tutorials' network (64 numbers) |" in printed and "| defaults |" in printed
    assert "gate-product ceiling" in printed and "x the 150-step update" in printed
    assert {r["network"] for r in out["roofline"]} == {"tutorials' network", "defaults"}
    assert {r["data"] for r in out["roofline"]} == {"GunPoint", "ACSF1", "moving ones"}
    for r in out["roofline"]:
        assert r["ms"] > 0 and r["mflop"] > 0 and 0 < r["pct"] < 100
        # Two front-end layers of stride 2 leave a quarter of the recurrent steps.
        length = r["length"]
        # --quick cuts ACSF1; the moving ones are zero-padded to 10 steps
        assert length == {"GunPoint": 150, "ACSF1": 300, "moving ones": 10}[r["data"]]
        quarter = int(np.ceil(np.ceil(length / 2) / 2))
        assert r["steps"] == (length if r["network"] != "defaults" else quarter)
    for scores in out["scores"].values():
        assert set(scores) == {"logreg", "svm"} and all(0 <= a <= 1 for a in scores.values())
    assert [length for length, _ in out["lengths"]] == [150, 500]
    assert out["acsf1_s"] > 0 and "Default fit on ACSF1's training split" in printed
    # Every part of the update is timed (--quick: on GunPoint); the whole costs more than a part.
    assert set(out["profiles"]) == {"GunPoint"}
    for parts in out["profiles"].values():
        assert len(parts) == 8 and all(ms > 0 for ms in parts.values())
        assert parts["gradient (forward and backward)"] > parts["front end (forward)"]
    assert "| optimizer update |" in printed and "| optimizer update, Keras's Adam |" in printed
    # The fused kernel and Keras's loop were timed on the same data, in turn.
    assert set(out["against"]) == {"GunPoint"}
    a = out["against"]["GunPoint"]
    assert a["fused"] > 0 and a["keras loop"] > 0 and a["ratio"] == a["fused"] / a["keras loop"]
    assert "Fused kernel against Keras's loop" in printed


def test_panel_fit_times_alternate_the_candidates_and_give_ratios(monkeypatch, capsys):
    panel = _load("panel")
    X = list(sine_waves(16))
    monkeypatch.setattr(panel, "DATASETS", {"sines": lambda: (X, np.arange(16) % 2)})
    small = dict(latent_dim=2, encoder_units=(4,), epochs=1, conv_filters=(2,))
    monkeypatch.setattr(panel, "CANDIDATES", {"a": small, "b": dict(small, conv_dilation=2)})
    panel.main(["--fit-times", "--datasets", "sines", "--candidates", "a", "b"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("sines | a: ") and lines[0].endswith("s (1.00x)")
    assert lines[1].startswith("sines | b: ") and len(lines) == 2


def test_a_panel_bag_scores_its_members_codes_side_by_side(monkeypatch):
    panel = _load("panel")
    X = list(sine_waves(12))
    y = np.arange(12) % 2
    small = dict(latent_dim=2, encoder_units=(4,), epochs=1, conv_filters=(2,))
    monkeypatch.setattr(panel, "CANDIDATES", {"bag": [small, dict(small, latent_dim=3)]})
    seen = []
    monkeypatch.setattr(panel, "cross_val_score", lambda c, Z, y, cv: seen.append(Z) or np.ones(1))
    scores, seconds, epochs = panel.score("bag", X, y, seed=4, n_folds=3)
    assert seconds > 0 and epochs == 1 and scores == {"logreg": 1.0, "svm": 1.0}
    # Member i is seeded seed + 1000 * i: the first is the single network of that seed.
    first = panel.LSTMAutoencoderTransformer(**small, random_state=4).fit_transform(X)
    second = panel.LSTMAutoencoderTransformer(**dict(small, latent_dim=3), random_state=1004)
    np.testing.assert_allclose(seen[0], np.hstack([first, second.fit_transform(X)]), rtol=1e-5)


def test_panel_summary_averages_seeds_then_datasets_and_marks_incomplete_rows():
    panel = _load("panel")

    def run(lr, svm, seconds=1.0):
        return {"logreg": lr, "svm": svm, "fit_s": seconds}

    table = {
        "a": {"x": [run(0.5, 0.6), run(0.7, 0.8, 3.0)], "y": [run(0.9, 0.2)], "z": [run(0, 0)]},
        "b": {"x": [run(1.0, 1.0)]},
    }
    header, rows = panel.summary_rows(table, ["x", "y"])  # z is not shown, nor averaged
    assert header == ["candidate", "x", "y", "mean LR / SVM", "worst LR / SVM", "fit s"]
    assert rows[0] == ["a", "0.600 / 0.700", "0.900 / 0.200", "0.750 / 0.450",
                       "0.600 (x) / 0.200 (y)", "2"]  # fmt: skip
    assert rows[1] == ["b", "1.000 / 1.000", "", "1 of 2 datasets", "1 of 2 datasets", ""]
    rst = panel.summary(table, ["x", "y"], rst=True)
    assert rst.startswith(".. list-table::") and "   * - a\n     - 0.600 / 0.700" in rst
    assert panel.summary(table, ["x", "y"]).splitlines()[2].startswith("| a | 0.600 / 0.700 |")


def test_quick_anomaly_benchmark_scores_every_detector(tmp_path, capsys):
    bench = _load("bench_anomaly")
    out = tmp_path / "results.jsonl"
    rows = bench.main(["--quick", "--out", str(out)])
    assert {r["detector"] for r in rows} == {"LSTM autoencoder (defaults)", "DWT-MLEAD"}
    for r in rows:
        assert 0 <= r["auc_pr"] <= 1 and 0 <= r["auc_roc"] <= 1 and r["seconds"] > 0
        assert r["window"] == 100  # half the sine's period, found by the detector
    printed = capsys.readouterr().out
    assert f"| {rows[0]['auc_pr']:.3f} |" in printed
    # Rows already in the results file are read back, not run again.
    assert len(out.read_text().splitlines()) == 2
    again = bench.main(["--quick", "--out", str(out)])
    assert again == rows and len(out.read_text().splitlines()) == 2


def test_quick_threshold_benchmark_counts_flags_and_found_anomalies(tmp_path, capsys):
    bench = _load("bench_anomaly")
    out = tmp_path / "thresholds.jsonl"
    rows = bench.main(["--quick", "--thresholds", "--out", str(out)])
    assert [(r["series"], r["detector"]) for r in rows] == [
        ("sine", "contamination='auto'"),
        ("sine", "contamination=0.01"),
        ("injected, sine", "contamination='auto'"),
        ("injected, sine", "contamination=0.01"),
    ]
    clean_auto, clean_share, injected = rows[0], rows[1], rows[2]
    assert clean_auto["anomalies"] == 0 and injected["anomalies"] == 4
    assert 0 <= injected["found"] <= 4 and all(0 <= r["normal_flagged"] <= 1 for r in rows)
    # "auto" sits above the top 1% of the normal training points.
    assert clean_share["threshold"] < clean_auto["threshold"]
    assert "| sine | contamination='auto' | " in capsys.readouterr().out
    assert len(out.read_text().splitlines()) == 4


def _anomaly_panel():
    """benchmarks/anomaly_panel.py, which imports bench_anomaly beside it."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    try:
        return _load("anomaly_panel")
    finally:
        sys.path.pop(0)


def test_six_kinds_of_injected_anomalies_in_one_or_several_channels():
    panel = _anomaly_panel()
    base = np.sin(2 * np.pi * np.arange(4000) / 40)
    train, test, labels = panel.inject6(base, 40, seed=0)
    assert train.shape == (1200,) and test.shape == (2800,)
    edges = np.flatnonzero(np.diff(np.r_[0, labels, 0]))
    # A spike, four anomalies of a period, a warp of one and a half periods.
    assert sorted(np.diff(edges)[::2]) == [1, 40, 40, 40, 40, 60]
    assert not np.allclose(test[labels == 1], base[1200:][labels == 1])
    np.testing.assert_array_equal(test[labels == 0], base[1200:][labels == 0])
    three = np.c_[base, base, base, base]
    train, test, labels = panel.inject6(three, 40, seed=0)
    assert test.shape == (2800, 4)
    np.testing.assert_array_equal(test[:, 3], base[1200:])  # the fourth channel is untouched
    assert not np.allclose(test[labels == 1, 0], base[1200:][labels == 1])


def test_leave_one_series_out_scores_each_series_with_the_rule_chosen_on_the_others():
    panel = _anomaly_panel()
    ours = panel.DETECTOR_RULE  # the detector's rule: its "default" column

    def row(series, rule, auc_pr, seed=0):
        return {"series": series, "rule": rule, "seed": seed, "auc_pr": auc_pr,
                "auc_roc": auc_pr, "vus_pr": auc_pr}  # fmt: skip

    rows = [
        row("a", ours, 0.9), row("a", "per step", 0.1),
        row("b", ours, 0.8), row("b", "per step", 0.2),
        row("c", ours, 0.1), row("c", "per step", 0.9),
        row("c", ours, 0.3, seed=1), row("c", "per step", 0.7, seed=1),
        {"series": "a", "rule": "aeon", "seed": None, "auc_pr": 0.5, "detector": "STOMP"},
    ]  # fmt: skip
    # A reference (no network: the detector cannot run it) is reported, never chosen.
    rows += [row(name, "raw window nearest neighbour", 0.95) for name in "abc"]
    # So is a rule screened out after the choice, though it leads on every series.
    rows += [row(name, panel.SCREENED[-1], 0.99) for name in "abc"]
    # And the detector's former rule, which its present one replaced.
    rows += [row(name, panel.SUPERSEDED[0], 0.98) for name in "abc"]
    chosen, mean = panel.leave_one_out(rows)
    by = {r["series"]: r for r in chosen}
    assert all(r["raw_nn"] == pytest.approx(0.95) for r in chosen)
    # On c, the others prefer the detector's rule, so c is scored by it: 0.2, not 0.8.
    assert by["c"]["chosen"] == ours and by["c"]["auc_pr"] == pytest.approx(0.2)
    assert by["c"]["default"] == pytest.approx(0.2)
    assert by["a"]["chosen"] == ours and by["a"]["aeon"] == 0.5
    assert by["b"]["aeon"] is None and mean["per step"]["c"]["auc_pr"] == pytest.approx(0.8)
    assert f"| c | {ours} | 0.200 |" in panel.table(rows)
    assert mean[panel.SCREENED[-1]]["c"]["auc_pr"] == pytest.approx(0.99)


def test_each_regularised_network_is_fitted_once_with_its_own_parameters(monkeypatch):
    panel = _anomaly_panel()
    calls = []

    def fit(params, rule, train, seed):
        calls.append((params, rule, seed))
        return f"fit {len(calls)}"

    monkeypatch.setattr(panel, "_fit", fit)
    fits = {}
    for label in [*panel.REGULARISED, *panel.REGULARISED]:  # the second round reuses the fits
        panel._fit_once(fits, label, np.zeros(100), seed=3)
    assert calls == [(params, "auto", 3) for params in panel.REGULARISED.values()]
    assert panel.REGULARISED["masked 15%"] == {"mask_ratio": 0.15}
    # Each block reads its own network, under a rule named after it.
    blocks = {rules: networks for rules, networks, _ in panel.LATER_BLOCKS}
    for rule, label in panel.REGULARISED_RULES.items():
        assert blocks[(rule,)] == (label,) and rule.startswith(panel.DETECTOR_RULE + ", ")


def test_the_short_normal_part_is_the_start_of_the_ecg_normal_part():
    bench = _load("bench_anomaly")
    full = bench.load_series(False)
    if "ECG, 3 anomalies" not in full:
        pytest.skip("this aeon no longer ships the ECG record")
    ((name, (train, test, labels)),) = bench.short_series(False).items()
    ecg_train, ecg_test, ecg_labels = full["ECG, 3 anomalies"]
    assert "2,500" in name and len(train) == 2500 and len(ecg_train) == 10_000
    np.testing.assert_array_equal(train, ecg_train[:2500])
    np.testing.assert_array_equal(test, ecg_test)
    np.testing.assert_array_equal(labels, ecg_labels)


def test_nearest_normal_windows_skip_the_windows_that_overlap():
    panel = _anomaly_panel()
    train = np.array([[0.0], [0.1], [0.2], [5.0], [5.3], [9.0]])
    to_train, to_test = panel._nearest(train, np.array([[5.1], [20.0]]), window=2)
    # Rows 0 and 1 overlap (|i - j| < 2): row 0's nearest allowed is row 2.
    np.testing.assert_allclose(to_train[:3], [0.2, 4.9, 0.2])
    np.testing.assert_allclose(to_train[3:], [4.0, 5.1, 4.0])
    np.testing.assert_allclose(to_test, [0.1, 11.0])
    # With no normal part (the test rows are the train rows), a self-join: each
    # row's distance to its nearest row that does not overlap it, not its 0.
    to_train, to_self = panel._nearest(train, train, window=2)
    np.testing.assert_allclose(to_self, to_train)


def test_injected_anomalies_and_the_ucr_rule():
    bench = _load("bench_anomaly")
    base = np.sin(2 * np.pi * np.arange(2000) / 20)
    train, test, labels = bench.inject(base, 20, seed=0)
    assert len(train) == 600 and len(test) == 1400
    # One spike and three stretches of one period each.
    edges = np.flatnonzero(np.diff(np.r_[0, labels, 0]))
    assert sorted(np.diff(edges)[::2]) == [1, 20, 20, 20]
    assert not np.array_equal(test[labels == 1], base[600:][labels == 1])
    scores = np.zeros(1400)
    scores[edges[0] + 50] = 1.0  # within max(100, L) of the first anomaly
    assert bench.ucr_hit(scores, labels)
    far = [i for i in range(1400) if np.abs(np.flatnonzero(labels) - i).min() > 120]
    scores[:] = 0
    scores[far[len(far) // 2]] = 1.0  # more than max(100, L) from every anomaly
    assert not bench.ucr_hit(scores, labels)


def test_quick_time_to_quality_records_each_fit_and_the_keras_loop_apart(tmp_path, capsys):
    bench = _load("bench_time_to_quality")
    out = tmp_path / "ttq.jsonl"
    argv = ["--quick", "--datasets", "ItalyPowerDemand", "--seeds", "0", "--out", str(out)]
    rows = bench.main([*argv, "--curves", "defaults", "--keras-loop"])
    assert [(r["curve"], r["updates"]) for r in rows] == [
        ("defaults", 125),
        ("defaults", 250),
        ("defaults", 500),
        ("defaults", 1000),
        ("defaults (Keras's LSTM loop)", 500),
    ]
    for r in rows:
        assert r["fit_s"] > 0 and 0 <= r["logreg"] <= 1 and 0 <= r["svm"] <= 1
    recorded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["candidate"] for r in recorded][-1] == bench.LOOPED + bench.LOOP
    assert len(recorded) == 5
    assert "| defaults (Keras's LSTM loop) | 500 |" in capsys.readouterr().out
    # A second run reads every result back, the Keras-loop one included.
    assert bench.main([*argv, "--curves", "defaults", "--keras-loop"]) == rows
    assert len(out.read_text().splitlines()) == 5
