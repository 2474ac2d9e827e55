"""LSTMAutoencoderSeriesDetector: per-point scores on one long series, windows from its period."""

import io
import json
import re
import zipfile

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_lstm_ae import (
    LSTMAutoencoderSeriesDetector,
    LSTMAutoencoderTransformer,
    dominant_period,
    sliding_windows,
)

PERIOD = 25


def small_ae(**params):
    """A small network that still learns one sine cycle in a few seconds."""
    return LSTMAutoencoderTransformer(
        **{"latent_dim": 8, "encoder_units": (16,), "max_updates": 150, **params}
    )


def sine(n, period=PERIOD, seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * np.arange(n) / period) + rng.normal(0, noise, n)


def with_anomaly(series, kind, at):
    """``series`` with one anomaly of ``kind`` from ``at``: the copy and the labelled points."""
    x = series.copy()
    length = {"spike": 1, "level shift": PERIOD, "changed shape": PERIOD, "frozen": 2 * PERIOD}
    end = at + length[kind]
    if kind == "spike":
        x[at] += 4.0
    elif kind == "level shift":
        x[at:end] += 1.5
    elif kind == "changed shape":  # one cycle at twice the frequency
        x[at:end] = np.sin(4 * np.pi * np.arange(PERIOD) / PERIOD)
    else:  # a sensor stuck at its last value
        x[at:end] = x[at]
    return x, np.arange(at, end)


def burst(series, at, length=10, height=8.0):
    """``series`` plus ``height`` on ``length`` points from ``at``: the copy and those points."""
    x = series.copy()
    x[at : at + length] += height
    return x, np.arange(at, at + length)


def with_state(detector, edit):
    """``detector`` saved, with ``edit(text) -> text`` applied to its detector.json."""
    buffer, out = io.BytesIO(), io.BytesIO()
    detector.save(buffer)
    with zipfile.ZipFile(buffer) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            content = zin.read(info)
            if info.filename == "detector.json":
                content = edit(content.decode()).encode()
            zout.writestr(info, content)
    return io.BytesIO(out.getvalue())


def with_json(detector, edit):
    """``detector`` saved, with ``edit(state)`` applied to its parsed detector.json."""

    def change(text):
        state = json.loads(text)
        edit(state)
        return json.dumps(state)

    return with_state(detector, change)


@pytest.fixture(scope="module")
def fitted():
    # The defaults: a smaller network trained briefly reconstructs a flat line
    # better than the noise of normal data, and misses a frozen sensor.
    return LSTMAutoencoderSeriesDetector(random_state=0).fit(sine(800))


@pytest.mark.parametrize("kind", ["spike", "level shift", "changed shape", "frozen"])
def test_scores_peak_on_each_kind_of_anomaly(fitted, kind):
    test, labelled = with_anomaly(sine(1000, seed=1), kind, at=600)
    scores = fitted.predict(test)
    assert scores.shape == (1000,) and np.isfinite(scores).all()
    # The highest score is within a window of the anomaly, and the anomaly's
    # points score above nearly all normal points.
    peak = int(np.argmax(scores))
    assert labelled[0] - fitted.window_ <= peak <= labelled[-1] + fitted.window_
    normal = np.ones(1000, bool)
    normal[labelled[0] - fitted.window_ : labelled[-1] + fitted.window_] = False
    assert scores[labelled].max() > np.quantile(scores[normal], 0.99)
    assert scores[labelled].max() > 2 * np.median(scores[normal])


def test_normal_data_score_about_one_and_the_default_threshold_flags_none_of_it(fitted):
    scores = fitted.predict(sine(1000, seed=2))
    assert 0.5 < np.median(scores) < 2.0
    assert fitted.window_ == 64 and fitted.period_ == PERIOD  # at least 64 points
    # contamination="auto": neither the training series nor new normal data
    # gets a flag, however long.
    for series in (sine(800), sine(5000, seed=5)):
        labels = fitted.predict_labels(series)
        assert labels.dtype == bool and labels.shape == series.shape
        assert not labels.any()
    assert len(fitted.predict_events(sine(5000, seed=5)).start) == 0
    # ... and the threshold sits well above the normal scores, not at their tail.
    assert fitted.threshold_ > 1.5 * np.quantile(scores, 0.99)


def test_a_float_contamination_flags_that_share_of_the_training_points():
    series = sine(800)
    detector = LSTMAutoencoderSeriesDetector(small_ae(), contamination=0.01, random_state=0)
    scores = detector.fit_predict(series)
    assert np.mean(scores > detector.threshold_) == pytest.approx(0.01, abs=0.002)
    auto = clone(detector).set_params(contamination="auto")
    auto.fit(series)
    assert auto.threshold_ > detector.threshold_
    assert not auto.predict_labels(series).any()


def test_flags_and_events_lie_on_the_anomaly_only(fitted):
    # Fitted on a clean sine: a burst far outside the normal range in a new
    # stretch is one event, and nothing far from it is flagged. (Subtler
    # anomalies score high, but "auto" flags only what no normal window does.)
    test, labelled = burst(sine(2000, seed=6), at=1200)
    flags = fitted.predict_labels(test)
    near = np.zeros(2000, bool)
    near[labelled[0] - fitted.window_ : labelled[-1] + fitted.window_] = True
    assert flags[labelled].all() and not flags[~near].any()
    events = fitted.predict_events(test)
    assert sorted(events) == ["peak", "peak_score", "start", "stop"]
    assert len(events.start) == 1
    assert events.start[0] <= labelled[0] <= labelled[-1] < events.stop[0]
    # The event is the burst and a few points, not the burst and most of a
    # window either side (the plain mean of the covering windows' scores made
    # it 107 points long: 48 before the burst and 49 after it).
    assert labelled[0] - events.start[0] <= 8 and events.stop[0] - labelled[-1] - 1 <= 8
    assert events.start[0] <= events.peak[0] < events.stop[0]
    scores = fitted.predict(test)
    # (Two predict calls agree to float rounding, not bit for bit.)
    assert events.peak_score[0] == pytest.approx(scores.max(), rel=1e-6)
    assert scores[events.peak[0]] == pytest.approx(scores.max(), rel=1e-6)
    np.testing.assert_array_equal(flags[events.start[0] : events.stop[0]], True)


def test_fit_predict_flags_the_anomaly_of_its_own_series_only():
    series, labelled = burst(sine(2000), at=1500)
    detector = LSTMAutoencoderSeriesDetector(random_state=0)
    scores = detector.fit_predict(series)
    flags = scores > detector.threshold_
    near = np.zeros(2000, bool)
    near[labelled[0] - detector.window_ : labelled[-1] + detector.window_] = True
    assert flags[labelled].all() and not flags[~near].any()


def test_events_are_the_runs_above_the_threshold():
    from sklearn_lstm_ae._series_detector import anomaly_events

    scores = np.array([3.0, 1, 1, 2, 5, 4, 1, 1, 6, 7])
    events = anomaly_events(scores, 2.5)
    np.testing.assert_array_equal(events.start, [0, 4, 8])
    np.testing.assert_array_equal(events.stop, [1, 6, 10])  # the last run ends the series
    np.testing.assert_array_equal(events.peak, [0, 4, 9])
    np.testing.assert_array_equal(events.peak_score, [3.0, 5.0, 7.0])
    none = anomaly_events(scores, 10.0)
    assert [len(v) for v in none.values()] == [0, 0, 0, 0]
    assert none.start.dtype == none.peak.dtype == np.intp


def test_point_scores_are_the_harmonic_mean_of_their_windows_scores():
    from sklearn_lstm_ae._series_detector import MIN_WINDOW_SCORE, _point_scores, _relative

    # Windows of 3 points at starts 0..3 over 6 points; the third is 8 times
    # worse than typical. Two members, each feature's error over its own scale.
    starts = np.arange(4)
    errors = [
        np.array([[2.0, 4.0], [2.0, 4.0], [16.0, 32.0], [2.0, 4.0]]),
        np.array([[0.5, 1.0], [0.5, 1.0], [4.0, 8.0], [0.5, 1.0]]),
    ]
    relative = _relative(errors, np.array([[2.0, 4.0], [0.5, 1.0]]))
    np.testing.assert_allclose(relative, [1.0, 1.0, 8.0, 1.0])
    # Files saved before: one scale per member, the features averaged first.
    np.testing.assert_allclose(_relative(errors, np.array([3.0, 0.75])), relative)
    # Weighed apart, a feature with small typical errors counts as much as one
    # with large ones: 3 times its typical error in either gives the same score.
    quiet, noisy = np.array([[0.3, 10.0]]), np.array([[0.1, 30.0]])
    scale = np.array([[0.1, 10.0]])
    assert _relative([quiet], scale) == pytest.approx(_relative([noisy], scale)) == 2.0
    points = _point_scores(relative, None, starts, 3, 6)
    covering = [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3], [3]]
    expected = [len(c) / sum(1.0 / relative[c]) for c in map(np.array, covering)]
    np.testing.assert_allclose(points, expected)
    assert points[4] == pytest.approx(2 / (1 / 8 + 1))  # the arithmetic mean: 4.5
    # One-sided, a window rebuilt perfectly pulls its points' scores to ~0.
    perfect = np.array([1.0, 0.0, 1.0, 1.0])
    points = _point_scores(perfect, None, starts, 3, 6)
    assert np.isfinite(points).all() and points[1:4].max() < 3 * MIN_WINDOW_SCORE
    assert points[0] == pytest.approx(1.0) and points[5] == pytest.approx(1.0)
    # Two-sided, a window at 1/4 of the typical error scores 4 ** power; above 1,
    # scores are as one-sided; a perfect window gives a high, finite score.
    quarter = np.array([1.0, 0.25, 2.0, 1.0])
    two = _point_scores(quarter, 1.5, starts, 3, 6)
    window_scores = np.array([1.0, 4**1.5, 2.0, 1.0])
    expected = [len(c) / sum(1.0 / window_scores[c]) for c in map(np.array, covering)]
    np.testing.assert_allclose(two, expected)
    # (Its reciprocal is ~0, so each point covered by it and k other windows scores (k + 1) / k.)
    high = _point_scores(perfect, 1.0, starts, 3, 6)
    np.testing.assert_allclose(high, [1.0, 2.0, 1.5, 1.5, 1.0, 1.0], rtol=1e-5)


def test_two_sided_scores_find_a_frozen_sensor_that_one_sided_scores_call_normal():
    # An AR(1) process: a stretch frozen at one value is rebuilt far better
    # than any normal window. One-sided scores rank it below normal points.
    from sklearn_lstm_ae._series_detector import lower_tail_power

    rng = np.random.default_rng(0)
    x = np.zeros(3000)
    for i in range(1, 3000):
        x[i] = 0.9 * x[i - 1] + rng.normal()
    test = x[1500:].copy()
    test[700:800] = test[700]
    frozen = np.arange(700, 800)
    detector = LSTMAutoencoderSeriesDetector(small_ae(), window=32, random_state=0).fit(x[:1500])
    assert detector.lower_tail_power_ > 0
    two = detector.predict(test)
    one = detector.set_params(two_sided=False).predict(test)
    others = np.setdiff1d(np.arange(len(test)), np.arange(650, 850))
    assert np.median(one[frozen]) < np.median(one[others])
    assert np.median(two[frozen]) > np.quantile(two[others], 0.99)
    relative = np.exp(rng.normal(0, [0.2] * 500 + [0.8] * 500))
    assert lower_tail_power(np.sort(relative)) == pytest.approx(1.0, abs=0.3)


def test_the_auto_threshold_ignores_a_few_outliers_and_has_a_floor():
    from sklearn_lstm_ae._series_detector import AUTO_DEVIATIONS, MIN_LOG_SPREAD, robust_threshold

    rng = np.random.default_rng(0)
    logs = rng.normal(0.0, 0.5, 10_000)
    expected = np.exp(
        np.median(logs) + AUTO_DEVIATIONS * (np.quantile(logs, 0.75) - np.median(logs)) / 0.6745
    )
    assert robust_threshold(np.exp(logs)) == pytest.approx(expected)
    assert robust_threshold(np.exp(logs)) == pytest.approx(np.exp(4 * 0.5), rel=0.1)  # s reads sd
    # 1% of windows a thousand times worse move it by under 5%; a low tail little.
    spoiled = np.exp(logs.copy())
    spoiled[:100] *= 1000.0
    assert robust_threshold(spoiled) == pytest.approx(robust_threshold(np.exp(logs)), rel=0.05)
    spoiled[100:3000] = 1e-9
    assert robust_threshold(spoiled) > robust_threshold(np.exp(logs)) / 2
    # Equal errors everywhere: the floor keeps the threshold above rounding noise.
    assert robust_threshold(np.full(500, 2.0)) == pytest.approx(
        2.0 * np.exp(AUTO_DEVIATIONS * MIN_LOG_SPREAD)
    )


def test_an_unknown_contamination_is_refused():
    with pytest.raises(ValueError, match="'contamination' parameter"):
        LSTMAutoencoderSeriesDetector(small_ae(), contamination="top").fit(sine(300))
    with pytest.raises(ValueError, match="'contamination' parameter"):
        LSTMAutoencoderSeriesDetector(small_ae(), contamination=0.7).fit(sine(300))


def test_fit_predict_scores_the_series_it_was_fitted_on():
    series, labelled = with_anomaly(sine(900), "level shift", at=500)
    detector = LSTMAutoencoderSeriesDetector(small_ae(), random_state=0)
    scores = detector.fit_predict(series)
    np.testing.assert_allclose(scores, detector.predict(series), rtol=1e-5)
    assert labelled[0] - detector.window_ <= int(np.argmax(scores)) <= labelled[-1] + PERIOD


@pytest.mark.parametrize("period", [12, 50, 140])
def test_dominant_period_of_noisy_cycles(period):
    series = sine(3000, period=period, noise=0.3)
    # Noise moves the peak of a long period by a step at most; never to a multiple.
    assert abs(dominant_period(series) - period) <= period // 50
    # Two features, one flat: the flat one is ignored.
    assert dominant_period(np.c_[series, np.full(3000, 7.0)]) == dominant_period(series)


def test_dominant_period_refuses_missing_values():
    series = sine(500)
    series[7] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity; fill or drop them first"):
        dominant_period(series)


def test_series_without_a_period():
    rng = np.random.default_rng(0)
    assert dominant_period(rng.normal(size=2000)) is None
    assert dominant_period(np.cumsum(np.ones(2000))) is None
    assert dominant_period(np.zeros(500)) is None
    detector = LSTMAutoencoderSeriesDetector(small_ae(max_updates=5), random_state=0)
    detector.fit(rng.normal(size=300))
    assert detector.window_ == 64 and detector.period_ is None


def test_a_long_period_gives_a_window_of_half_of_it():
    detector = LSTMAutoencoderSeriesDetector(small_ae(max_updates=5), random_state=0)
    detector.fit(sine(2400, period=300))
    assert abs(detector.period_ - 300) <= 3 and detector.window_ == detector.period_ // 2


def test_window_period_takes_the_whole_period_and_at_least_64():
    detector = LSTMAutoencoderSeriesDetector(small_ae(max_updates=5), window="period")
    detector.set_params(random_state=0).fit(sine(2400, period=300))
    assert abs(detector.period_ - 300) <= 3 and detector.window_ == detector.period_
    assert detector.predict(sine(700, period=300)).shape == (700,)
    assert detector.fit(sine(1000)).window_ == 64 and detector.period_ == PERIOD
    # No period: the same 64 points as "auto", at most half the series.
    assert detector.fit(np.random.default_rng(0).normal(size=300)).window_ == 64
    assert detector.period_ is None
    assert detector.fit(np.random.default_rng(0).normal(size=100)).window_ == 50
    with pytest.raises(ValueError, match="window='period' needs at least 16"):
        detector.fit(sine(10))


def test_window_is_clipped_to_half_the_series_and_given_windows_are_kept():
    detector = LSTMAutoencoderSeriesDetector(small_ae(max_updates=5), random_state=0)
    assert detector.fit(np.random.default_rng(0).normal(size=100)).window_ == 50
    detector.set_params(window=10, stride=3).fit(sine(200))
    assert detector.window_ == 10 and detector.period_ is None
    assert detector.predict(sine(101)).shape == (101,)  # the last window ends on the last point
    with pytest.raises(ValueError, match="stride=11 is longer than the window of 10"):
        detector.set_params(stride=11).fit(sine(200))


def test_series_shorter_than_a_window_is_refused(fitted):
    with pytest.raises(ValueError, match="has 50 time points, fewer than one window of 64"):
        fitted.predict(sine(50))
    with pytest.raises(ValueError, match="window='auto' needs at least 16"):
        LSTMAutoencoderSeriesDetector(small_ae()).fit(sine(10))
    with pytest.raises(ValueError, match="fewer than one window of 40"):
        LSTMAutoencoderSeriesDetector(small_ae(), window=40).fit(sine(30))


def test_several_series_or_padded_batches_are_refused(fitted):
    with pytest.raises(ValueError, match="one series"):
        fitted.predict([sine(100), sine(80)])
    with pytest.raises(ValueError, match="one series"):
        fitted.predict(np.zeros((4, 100, 1)))


def test_nan_inside_a_series_is_refused_with_its_position(fitted):
    series = sine(300)
    series[[120, 200]] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values at 2 time point.*first at 120"):
        fitted.predict(series)
    before = fitted.threshold_
    with pytest.raises(ValueError, match="first at 120"):
        fitted.fit(series)
    assert fitted.threshold_ == before  # a failed fit changes nothing


def test_multivariate_series_and_feature_count():
    rng = np.random.default_rng(0)
    normal = np.c_[sine(800), np.cos(2 * np.pi * np.arange(800) / PERIOD)]
    detector = LSTMAutoencoderSeriesDetector(small_ae(), random_state=0).fit(normal)
    assert detector.n_features_in_ == 2 and detector.window_ == 64
    test = np.c_[sine(1000, seed=3), np.cos(2 * np.pi * np.arange(1000) / PERIOD)]
    test[700:725, 1] = test[700, 1]  # one channel freezes; the other goes on
    test[:, 0] += rng.normal(0, 0.01, 1000)
    scores = detector.predict(test)
    assert 700 - PERIOD <= int(np.argmax(scores)) <= 725 + PERIOD
    with pytest.raises(ValueError, match="1 feature.*fitted on 2"):
        detector.predict(sine(300))


def _channel_anomaly(n, seed, shift_at=None):
    """A channel of noise and a sine; from ``shift_at``, the sine shifts by 0.2."""
    x = np.c_[np.random.default_rng(seed + 100).normal(0, 1, n), sine(n, seed=seed, noise=0.02)]
    if shift_at is not None:
        x[shift_at : shift_at + PERIOD, 1] += 0.2
    return x


def test_each_feature_is_weighed_by_its_own_typical_error():
    # A small shift in the sine is lost in the noise channel's errors when the
    # features' errors are averaged first; weighed apart, its windows stand
    # out. (The default network: the small one learns the sine too slowly
    # beside the noise.)
    normal = _channel_anomaly(1000, seed=0)
    detector = LSTMAutoencoderSeriesDetector(random_state=0).fit(normal)
    assert detector.error_scale_.shape == (1, 2)
    assert detector.error_scale_[0, 0] > 10 * detector.error_scale_[0, 1]
    test = _channel_anomaly(1000, seed=1, shift_at=600)
    scores = detector.predict(test)
    outside = np.r_[scores[:500], scores[700:]]
    assert scores[600 : 600 + PERIOD].max() > outside.max()
    # Window by window: each feature's error over its typical one, against the
    # features' mean error over its typical one (how detectors saved before
    # this rule score).
    ae = detector.autoencoders_[0]
    errors = ae.reconstruction_errors(sliding_windows(test, 64), per_feature=True)
    np.testing.assert_allclose(
        errors.mean(axis=1), ae.reconstruction_errors(sliding_windows(test, 64)), rtol=1e-6
    )
    typical = ae.reconstruction_errors(sliding_windows(normal, 64))
    rules = {
        "weighed apart": (errors / detector.error_scale_[0]).mean(axis=1),
        "averaged first": errors.mean(axis=1) / np.median(typical),
    }
    stand_out = {}
    for rule, windows in rules.items():
        normal_windows = np.r_[windows[: 500 - 63], windows[700:]]
        stand_out[rule] = windows[600 - 63 : 600 + PERIOD].max() / np.quantile(
            normal_windows, 0.999
        )
    assert stand_out["weighed apart"] > 1.5 * max(stand_out["averaged first"], 1.0)


def test_files_saved_before_features_were_weighed_apart_score_as_they_did(tmp_path):
    # Format 2: one typical error per autoencoder, the features' errors
    # averaged before dividing by it.
    normal = _channel_anomaly(600, seed=0)
    detector = LSTMAutoencoderSeriesDetector(small_ae(max_updates=30), random_state=0).fit(normal)

    def flat_scale(format_):
        def edit(state):
            state["format"] = f"sklearn_lstm_ae.series_detector/{format_}"
            state["fitted"]["error_scale_"] = [0.5]

        return with_json(detector, edit)

    old = LSTMAutoencoderSeriesDetector.load(flat_scale(2))
    assert old.error_scale_.shape == (1,)
    test = _channel_anomaly(300, seed=2)
    relative = old.autoencoders_[0].reconstruction_errors(sliding_windows(test, 64)) / 0.5
    power = old.lower_tail_power_
    window_scores = np.where(relative < 1, relative**-power, relative)
    harmonic = [1 / np.mean(1 / window_scores[max(0, i - 63) : i + 1]) for i in range(len(test))]
    np.testing.assert_allclose(old.predict(test), harmonic, rtol=1e-5)
    # A format 3 file with one number per autoencoder is damaged.
    with pytest.raises(ValueError, match=r"error_scale_ must hold 1 lists of 2 numbers"):
        LSTMAutoencoderSeriesDetector.load(flat_scale(3))


def test_ensemble_members_differ_and_random_state_repeats():
    series = sine(400)
    a = LSTMAutoencoderSeriesDetector(small_ae(max_updates=20), n_estimators=2, random_state=3)
    b = clone(a)
    scores = a.fit_predict(series)
    np.testing.assert_array_equal(scores, b.fit_predict(series))
    seeds = [m.random_state for m in a.autoencoders_]
    assert len(seeds) == 2 and seeds[0] != seeds[1]
    assert a.error_scale_.shape == (2, 1)  # per member, per feature
    assert a.autoencoder.random_state is None  # fit seeds clones, not the parameter
    # A RandomState instance seeds the members too, and a pandas Series is a series.
    pd = pytest.importorskip("pandas")
    c = LSTMAutoencoderSeriesDetector(
        small_ae(max_updates=20), n_estimators=2, random_state=np.random.RandomState(3)
    )
    np.testing.assert_array_equal(c.fit_predict(pd.Series(series)), scores)


def test_reconstruction_decoder_is_required():
    detector = LSTMAutoencoderSeriesDetector(small_ae(mode="predict"))
    with pytest.raises(ValueError, match="mode='predict'"):
        detector.fit(sine(300))
    assert not hasattr(detector, "autoencoders_")


def test_save_and_load_give_the_same_scores(fitted, tmp_path):
    path = tmp_path / "detector.lstmae"
    fitted.save(path)
    loaded = LSTMAutoencoderSeriesDetector.load(path)
    series = sine(500, seed=4)
    np.testing.assert_array_equal(loaded.predict(series), fitted.predict(series))
    assert (loaded.window_, loaded.period_, loaded.threshold_) == (
        fitted.window_,
        fitted.period_,
        fitted.threshold_,
    )
    assert loaded.get_params(deep=False) == fitted.get_params(deep=False)  # autoencoder=None
    # A given autoencoder comes back with its parameters, two members with theirs.
    ae = small_ae(max_updates=5, latent_dim=3)
    two = LSTMAutoencoderSeriesDetector(ae, n_estimators=2, window="period", random_state=1)
    two.fit(sine(300))
    two.save(path)
    back = LSTMAutoencoderSeriesDetector.load(path)
    assert back.autoencoder.get_params() == ae.get_params() and back.n_estimators == 2
    assert (back.window, back.window_, back.period_) == ("period", 64, PERIOD)
    assert [m.random_state for m in back.autoencoders_] == [
        m.random_state for m in two.autoencoders_
    ]
    np.testing.assert_array_equal(back.error_scale_, two.error_scale_)
    np.testing.assert_array_equal(back.predict(series), two.predict(series))


def test_damaged_detector_files_raise_value_error(fitted, tmp_path):
    buffer = io.BytesIO()
    fitted.save(buffer)
    data = buffer.getvalue()
    rng = np.random.default_rng(0)
    damaged = [data[: len(data) // 2], data[:-30], b"not a zip"]
    for _ in range(12):
        flipped = bytearray(data)
        flipped[int(rng.integers(len(data)))] ^= 0xFF
        damaged.append(bytes(flipped))
    for blob in damaged:
        try:
            loaded = LSTMAutoencoderSeriesDetector.load(io.BytesIO(blob))
        except ValueError:
            continue
        # A flip that changes nothing the loader reads leaves a working detector.
        np.testing.assert_array_equal(loaded.predict(sine(200)), fitted.predict(sine(200)))

    cases = {
        '"threshold_": ': '"threshold_": "x", "old": ',
        '"window_": ': '"window_": -1, "old": ',
        '"n_estimators": 1': '"n_estimators": 2',
        '"stride": 1': '"stride": 0',
        '"format": "sklearn_lstm_ae.series_detector/3"': '"format": "other/1"',
        # Format 3 holds a list per autoencoder, as long as the features.
        '"error_scale_": [': '"error_scale_": [1.0], "old": [',
        '"lower_tail_power_": ': '"lower_tail_power_": -1, "old": ',
        '"two_sided": true': '"two_sided": 3',
    }
    for old, new in cases.items():
        with pytest.raises(ValueError, match="not a valid saved LSTMAutoencoderSeriesDetector"):
            LSTMAutoencoderSeriesDetector.load(
                with_state(fitted, lambda s, o=old, n=new: s.replace(o, n, 1))
            )
    # Two-sided scores without their statistic: refused at load, not at the first predict.
    without = with_state(fitted, lambda s: re.sub(r'\s*"lower_tail_power_": [^,]*,', "", s))
    with pytest.raises(ValueError, match="two_sided is true, but fitted.lower_tail_power_"):
        LSTMAutoencoderSeriesDetector.load(without)


def test_a_series_rebuilt_perfectly_flags_nothing_either_way():
    # A flat line: every window is rebuilt without error, so none can be
    # rebuilt better than typical, and the lower tail is left out.
    ae = small_ae(max_updates=20, scaler=None)
    for two_sided in (True, False):
        detector = LSTMAutoencoderSeriesDetector(
            ae, window=16, two_sided=two_sided, random_state=0
        ).fit(np.zeros(200))
        assert detector.lower_tail_power_ == 0.0
        assert not detector.predict_labels(np.zeros(300)).any()


def test_files_saved_before_two_sided_load_one_sided(fitted, tmp_path):
    # A file written before two_sided: no two_sided parameter, no lower_tail_power_.
    # (With two_sided true and no lower_tail_power_, the file is damaged: the
    # test above refuses it.)
    def edit(state):
        del state["params"]["two_sided"], state["fitted"]["lower_tail_power_"]

    old = LSTMAutoencoderSeriesDetector.load(with_json(fitted, edit))
    assert old.two_sided is False and old.lower_tail_power_ is None
    series = sine(500, seed=4)
    one_sided = clone(fitted).set_params(two_sided=False)
    vars(one_sided).update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    np.testing.assert_array_equal(old.predict(series), one_sided.predict(series))
    old.set_params(two_sided=True)
    with pytest.raises(ValueError, match="saved before two_sided existed.*two_sided=False"):
        old.predict(series)
