"""Anomalies in one long series: per-point scores from LSTM autoencoders trained on its windows."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted, check_random_state

from ._constraints import Interval, StrOptions, check_constraints
from ._outliers import detector_autoencoder, require_reconstruction
from ._persistence import load_detector, save_detector
from ._transformer import LSTMAutoencoderTransformer
from ._windows import _as_series, dominant_period, spread_over_windows, window_starts, windows_at

__all__ = ["LSTMAutoencoderSeriesDetector"]

#: The shortest window "auto" chooses (the classic tutorials' window), the
#: shortest series it accepts, and the longest period it looks for.
MIN_WINDOW, MIN_SERIES, MAX_PERIOD = 64, 16, 1024
#: Windows scored per call to the network: memory stays bounded on long series.
CHUNK = 8192
#: ``contamination="auto"``: the threshold lies this many robust standard
#: deviations above the median of the training windows' log scores, the
#: deviation read from the upper half (median to upper quartile, / 0.6745), so
#: that windows reconstructed unusually well do not widen it. Four is the
#: least whole number that flagged no more than 0.1% of the points of every
#: clean series of the anomaly benchmark, scored after a fit on another
#: stretch of it (three flagged 15% of an ECG record's second half).
AUTO_DEVIATIONS = 4.0
#: The least deviation of the log window scores that "auto" assumes, so that a
#: series reconstructed equally well everywhere does not flag rounding noise.
MIN_LOG_SPREAD = 0.05
#: The least window score the harmonic mean reads: a window rebuilt a million
#: times better than the typical one counts as that, so that its reciprocal
#: stays finite and summable.
MIN_WINDOW_SCORE = 1e-6
#: The least typical error a feature is divided by, as a share of the
#: features' mean typical error: a channel the network rebuilds almost
#: perfectly (a sensor that barely moves) weighs at most a hundred times an
#: average one, rather than turning its rounding noise into alarms.
MIN_FEATURE_SHARE = 0.01


class LSTMAutoencoderSeriesDetector(BaseEstimator):
    """Anomaly detector for one long series: an anomaly score for every time point.

    The series is cut into overlapping windows, an
    :class:`LSTMAutoencoderTransformer` learns to reconstruct the windows of
    normal data, and each time point scores the harmonic mean of the
    reconstruction errors of the windows that cover it, relative to the
    typical error on the normal data (each feature's error relative to its
    own, so that an anomaly in a channel the network rebuilds well is not
    drowned by the noisy ones): high where most of its windows are
    rebuilt badly, so that the score stays on the anomaly rather than
    spreading a window's length around it. Without a ``window``, it is half
    the series' dominant period (by autocorrelation,
    :func:`dominant_period`), and at least 64 points: long
    enough to hold the shape of a cycle and its neighbours, short enough
    that a brief anomaly weighs in its window (the benchmark page measures
    the choice). The API
    is that of aeon's series anomaly detectors: ``fit`` on a normal stretch
    and ``predict`` another series, or ``fit_predict`` a series that has no
    labelled normal part; scores are higher where the
    series is more abnormal. It is the one-call version of the rare-event
    recipe of the classic Keras LSTM-autoencoder tutorials (windows,
    autoencoder, reconstruction errors, a threshold).

    Time runs along the first axis: a series has shape ``(n_timepoints,)`` or
    ``(n_timepoints, n_features)`` (aeon's detectors default to ``axis=1``,
    the transpose).

    Parameters
    ----------
    autoencoder : LSTMAutoencoderTransformer, default=None
        The autoencoder trained on the windows (cloned in ``fit``, once per
        ensemble member); it needs a reconstruction decoder (``mode`` of
        ``"reconstruct"`` or ``"composite"``). None uses
        ``LSTMAutoencoderTransformer(augment=None)``: the network chosen by
        cross-validation for classification, which holds here as well (see
        the benchmark page), without the augmentations that would teach it
        that warped and rescaled windows are normal. Its ``scaler`` standardises the series with the
        statistics of the series given to ``fit``.
    window : int, "auto" or "period", default="auto"
        Time points per window. "auto" uses half the dominant period of the
        training series and at least 64 (64 when it has no period), at most
        half the series. "period" uses the whole period (at least 64, at most
        half the series): for a series of repetitions of one long shape
        (motions, strokes, cycles of a machine) whose anomalies are whole odd
        repetitions, which a window of half a repetition cannot see. It
        blurs short anomalies more: on the benchmark page's panel it found the
        odd GunPoint motions far better and KDD-TSAD 135's 12-point anomaly
        far worse than "auto".
    stride : int, default=1
        Steps between the starts of consecutive windows, in ``fit`` and in
        ``predict`` (the last window always ends on the last point). A
        larger stride is faster and coarser.
    n_estimators : int, default=1
        Autoencoders trained with different seeds; the scores are their
        mean. More members give steadier scores at a proportional cost.
    contamination : "auto" or float, default="auto"
        How ``threshold_`` is set from the training series, as in
        scikit-learn's outlier detectors. "auto": a window is abnormal when
        its error is far outside the spread of the training windows' errors,
        four robust standard deviations above their median on a log scale,
        so normal data gets next to no flags (none in 11 of the benchmark
        page's 12 fits on clean series; the twelfth flagged a fifth of a
        recording that the network rebuilt three times worse than its
        training part: a series whose normal behaviour drifts needs a
        training part that holds the drift). A float in (0, 0.5] asks for that share
        instead: the threshold lets that share of the training series'
        points through, so ``fit_predict`` and ``predict_labels`` flag the
        top share of a series, anomalous or not.
    two_sided : bool, default=True
        Whether a window rebuilt far *better* than the normal windows is
        abnormal too: a frozen sensor, a flat line or a dropout is easier to
        rebuild than normal data, so an error-only score ranks it as the most
        normal stretch of the series. With True, a window whose error lies
        ``k`` robust deviations below the typical one scores as a window
        ``k`` deviations above it (the deviations of the training windows'
        log errors, each tail its own). False scores high errors only.
    random_state : int, RandomState instance or None, default=None
        Seeds the autoencoders (their own ``random_state`` is replaced when
        this is not None).

    Attributes
    ----------
    autoencoders_ : list of LSTMAutoencoderTransformer
        The fitted autoencoders.
    window_ : int
        Time points per window, as used.
    period_ : int or None
        The dominant period found in the training series, up to 1,024 steps
        (None when it has none, or when ``window`` is a number).
    error_scale_ : ndarray of shape (n_estimators, n_features)
        Median window error of each autoencoder in each feature on the
        training series (at least 1% of the features' mean). A window's
        score is the mean over the features of its errors divided by these,
        so 1 is a typical normal window, and a feature the network rebuilds
        well weighs as much as a noisy one. A detector saved before features
        were weighed apart holds one number per autoencoder, and scores as it
        did: its windows' errors averaged over the features, divided by it.
    lower_tail_power_ : float or None
        The training windows' upper over lower robust deviation of the log
        errors: with ``two_sided=True`` a window whose relative error ``r`` is
        below 1 scores ``r ** -lower_tail_power_``. 0 when most training
        windows are rebuilt perfectly (none can be rebuilt better); None
        for a detector saved before ``two_sided`` existed.
    threshold_ : float
        Scores above it are anomalies (``predict_labels``,
        ``predict_events``). With ``contamination="auto"``,
        ``exp(median + 4 * s)`` of the log errors of the training windows,
        ``s`` their upper quartile's distance from the median over 0.6745
        (a standard deviation for normally distributed log errors); with a
        float, the ``1 - contamination`` quantile of the training series'
        point scores.
    n_features_in_ : int
        Features per time point.

    See Also
    --------
    LSTMAutoencoderOutlierDetector : Scores whole sequences of a collection.
    dominant_period : How the window is chosen.
    sliding_windows : The windows the autoencoders are trained on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import LSTMAutoencoderSeriesDetector, LSTMAutoencoderTransformer
    >>> t = np.arange(1000)
    >>> normal = np.sin(2 * np.pi * t / 25)
    >>> test = normal.copy()
    >>> test[600:605] = 3.0  # a burst
    >>> ae = LSTMAutoencoderTransformer(latent_dim=8, encoder_units=(16,), max_updates=100)
    >>> detector = LSTMAutoencoderSeriesDetector(ae, random_state=0).fit(normal)
    >>> detector.period_, detector.window_
    (25, 64)
    >>> scores = detector.predict(test)
    >>> scores.shape
    (1000,)
    >>> 550 <= int(np.argmax(scores)) <= 660
    True
    >>> events = detector.predict_events(test)  # runs of points above threshold_
    >>> len(events.start), 550 <= int(events.peak[0]) <= 660
    (1, True)
    """

    _parameter_constraints = {
        "autoencoder": [LSTMAutoencoderTransformer, None],
        "window": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto", "period"})],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "two_sided": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        autoencoder=None,
        *,
        window="auto",
        stride=1,
        n_estimators=1,
        contamination="auto",
        two_sided=True,
        random_state=None,
    ):
        self.autoencoder = autoencoder
        self.window = window
        self.stride = stride
        self.n_estimators = n_estimators
        self.contamination = contamination
        self.two_sided = two_sided
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    # ----------------------------------------------------------------- input
    def _series(self, X, n_features=None):
        several = isinstance(X, (list, tuple)) and any(hasattr(s, "shape") for s in X)
        if several or np.ndim(X) > 2:
            raise ValueError(
                "The detector scores one series of shape (n_timepoints,) or "
                "(n_timepoints, n_features); got several sequences. Score each series "
                "on its own, or use LSTMAutoencoderOutlierDetector to score the "
                "sequences of a collection."
            )
        series = _as_series(X)
        bad = ~np.isfinite(series).all(axis=1)
        if bad.any():
            where = np.flatnonzero(bad)
            raise ValueError(
                f"X has NaN or infinite values at {len(where)} time point(s), the first "
                f"at {int(where[0])}. The detector needs a complete series: fill the "
                "gaps first (for example pandas' interpolate), or score the complete "
                "stretches separately."
            )
        if n_features is not None and series.shape[1] != n_features:
            raise ValueError(
                f"X has {series.shape[1]} feature(s) per time point, but the detector "
                f"was fitted on {n_features}."
            )
        return series

    def _check_length(self, series, window):
        if len(series) < window:
            raise ValueError(
                f"The series has {len(series)} time points, fewer than one window of "
                f"{window}. Pass a longer series or a smaller window."
            )

    def _choose_window(self, series):
        if self.window not in ("auto", "period"):
            return int(self.window), None
        if len(series) < MIN_SERIES:
            raise ValueError(
                f"The series has {len(series)} time points; window={self.window!r} needs at "
                f"least {MIN_SERIES} to find a period. Pass a longer series or "
                "an integer window."
            )
        period = dominant_period(series, max_period=min(len(series) // 3, MAX_PERIOD))
        if period is None:
            window = MIN_WINDOW
        else:
            window = max(MIN_WINDOW, period if self.window == "period" else period // 2)
        return int(min(window, len(series) // 2)), period

    def _members(self):
        base = detector_autoencoder(self.autoencoder)
        require_reconstruction(base, "series detector")
        rng = None if self.random_state is None else check_random_state(self.random_state)
        members = []
        for _ in range(self.n_estimators):
            member = clone(base)
            if rng is not None:
                member.set_params(random_state=int(rng.randint(2**31 - 1)))
            members.append(member)
        return members

    # ------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Train the autoencoders on the windows of a normal series and set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
            A series of normal behaviour (a few anomalies do little harm),
            long enough to hold its variety: normal stretches unlike any
            in it score higher than the training windows, and can pass
            ``threshold_`` (the user guide measures it).
        y : None
            Ignored.

        Returns
        -------
        self : LSTMAutoencoderSeriesDetector
            If fit raises, ``self`` is left unchanged.
        """
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit on the series itself and score each of its time points.

        For a series with no labelled normal stretch: rare anomalies are
        reconstructed worse than the behaviour that fills most of it.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
            The series.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_timepoints,)
            Anomaly scores, higher for more abnormal points.
        """
        return self._fit(X)

    def _fit(self, X):
        check_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        series = self._series(X)
        window, period = self._choose_window(series)
        self._check_length(series, window)
        if self.stride > window:
            raise ValueError(
                f"stride={self.stride} is longer than the window of {window} points: the "
                "points between windows would get no score. Use a stride of at most "
                "the window."
            )
        starts = window_starts(len(series), window, self.stride, cover_end=True)
        windows = windows_at(series, starts, window)
        members = [member.fit(windows) for member in self._members()]
        errors = [_chunked_errors(m, series, starts, window) for m in members]
        scale = np.array([_feature_scale(e) for e in errors])
        relative = _relative(errors, scale)
        power = lower_tail_power(relative)
        scores = _point_scores(
            relative, power if self.two_sided else None, starts, window, len(series)
        )
        if self.contamination == "auto":
            threshold = robust_threshold(relative)
        else:
            threshold = float(np.quantile(scores, 1.0 - self.contamination))
        self.autoencoders_ = members
        self.window_ = window
        self.period_ = period
        self.error_scale_ = scale
        self.lower_tail_power_ = power
        self.threshold_ = threshold
        self.n_features_in_ = series.shape[1]
        return scores

    # --------------------------------------------------------------- predict
    def predict(self, X):
        """Score every time point of a series.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
            The series, at least ``window_`` points long.

        Returns
        -------
        ndarray of shape (n_timepoints,)
            Anomaly scores: the harmonic mean, over the windows that cover
            the point, of their reconstruction error divided by
            ``error_scale_`` (feature by feature, then averaged). About 1 on
            normal data; higher is more abnormal.
        """
        check_is_fitted(self)
        series = self._series(X, self.n_features_in_)
        self._check_length(series, self.window_)
        starts = window_starts(len(series), self.window_, self.stride, cover_end=True)
        if self.two_sided and self.lower_tail_power_ is None:
            raise ValueError(
                "This detector was saved before two_sided existed and has no statistic "
                "of its training errors' lower tail. Set two_sided=False to score as it "
                "did, or fit it again."
            )
        errors = [_chunked_errors(m, series, starts, self.window_) for m in self.autoencoders_]
        relative = _relative(errors, self.error_scale_)
        power = self.lower_tail_power_ if self.two_sided else None
        return _point_scores(relative, power, starts, self.window_, len(series))

    def predict_labels(self, X):
        """Flag the time points whose score is above ``threshold_``.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
            The series.

        Returns
        -------
        ndarray of shape (n_timepoints,), bool
            True where a point is an anomaly.
        """
        return self.predict(X) > self.threshold_

    def predict_events(self, X):
        """The anomalies of a series as events: runs of consecutive points above ``threshold_``.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
            The series.

        Returns
        -------
        events : :class:`~sklearn.utils.Bunch`
            One entry per event, in time order, as arrays of shape
            ``(n_events,)``: ``start`` and ``stop`` (the event is
            ``X[start:stop]``), ``peak`` (its highest-scoring point) and
            ``peak_score``. ``pandas.DataFrame(events)`` makes a table.
        """
        return anomaly_events(self.predict(X), self.threshold_)

    # ----------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted detector to one file, loadable without running code.

        The file (a zip archive) holds the detector's parameters and fitted
        values as JSON and each autoencoder as written by
        :meth:`LSTMAutoencoderTransformer.save`. The write is atomic.

        Parameters
        ----------
        path : str, path-like or binary file object
            Destination file.

        Returns
        -------
        path : str, path-like or binary file object
            The path written.
        """
        check_is_fitted(self)
        fitted = {
            "window_": self.window_,
            "period_": self.period_,
            "error_scale_": np.asarray(self.error_scale_, dtype=float).tolist(),
            "lower_tail_power_": self.lower_tail_power_,
            "threshold_": self.threshold_,
            "n_features_in_": self.n_features_in_,
        }
        return save_detector(
            self.get_params(deep=False),
            fitted,
            self.autoencoders_,
            path,
            class_name=type(self).__name__,
        )

    @classmethod
    def load(cls, path):
        """Load a detector written by :meth:`save`.

        Parameters
        ----------
        path : str, path-like or binary file object
            File written by :meth:`save`.

        Returns
        -------
        LSTMAutoencoderSeriesDetector
            The fitted detector; ``predict`` gives the same scores as the saved one.
        """
        params, fitted, autoencoders = load_detector(path, cls, LSTMAutoencoderTransformer)
        detector = cls(**params)
        vars(detector).update(fitted, autoencoders_=autoencoders)
        detector.error_scale_ = np.asarray(fitted["error_scale_"])
        return detector


def _feature_scale(errors):
    """``(n_features,)``: the median window error of each feature, floored at
    ``MIN_FEATURE_SHARE`` of their mean (and above zero)."""
    median = np.median(errors, axis=0)
    floor = max(MIN_FEATURE_SHARE * float(np.mean(median)), np.finfo(float).tiny)
    return np.maximum(median, floor)


def _relative(errors, scale):
    """Each window's error over each member's typical error, averaged over the members.

    ``errors``: one ``(n_windows, n_features)`` array per member. ``scale``:
    ``(n_members, n_features)``, each feature over its own typical error, then
    averaged over the features; or, from a file saved before, ``(n_members,)``
    (the errors averaged over the features first).
    """
    scale = np.asarray(scale, dtype=float)
    if scale.ndim == 1:
        return np.mean([e.mean(axis=1) / s for e, s in zip(errors, scale, strict=True)], axis=0)
    return np.mean([(e / s).mean(axis=1) for e, s in zip(errors, scale, strict=True)], axis=0)


def _log_deviations(window_scores):
    """``(median, lower, upper)`` of the log window scores: each tail's robust standard
    deviation, read from its quartile's distance to the median (at least ``MIN_LOG_SPREAD``)."""
    logs = np.log(np.maximum(window_scores, MIN_WINDOW_SCORE))
    centre = float(np.median(logs))
    upper = max((float(np.quantile(logs, 0.75)) - centre) / 0.6745, MIN_LOG_SPREAD)
    lower = max((centre - float(np.quantile(logs, 0.25))) / 0.6745, MIN_LOG_SPREAD)
    return centre, lower, upper


def lower_tail_power(relative):
    """The upper over the lower robust deviation of the log window scores: the power that
    maps a window below the median onto the upper tail.

    0 when the typical window is rebuilt perfectly (its error is at the floor):
    no window can then be rebuilt better, and the scores are one-sided.
    """
    centre, lower, upper = _log_deviations(relative)
    return 0.0 if centre <= np.log(MIN_WINDOW_SCORE) else upper / lower


def _point_scores(relative, power, starts, window, n_points):
    """Each point's harmonic mean of the scores of the windows that hold it.

    ``relative``: each window's error over the typical one. With a ``power``
    (two-sided scores), a window with ``relative < 1`` scores
    ``relative ** -power``. The harmonic mean is high only where most of a
    point's windows are: a window that overlaps an anomaly by a few steps no
    longer lifts the normal points it also holds (the anomaly panel of the
    benchmark page measures it against the arithmetic mean).
    """
    scores = np.maximum(relative, MIN_WINDOW_SCORE)
    inverse = 1.0 / scores
    if power:  # None or 0: one-sided
        inverse = np.where(scores < 1.0, scores ** float(power), inverse)
    # Floored, so that a point's score stays finite however well its windows are rebuilt.
    inverse = np.maximum(inverse, MIN_WINDOW_SCORE**2)
    return 1.0 / spread_over_windows(inverse, starts, window, n_points)


def robust_threshold(window_scores, deviations=AUTO_DEVIATIONS):
    """``exp(median + deviations * s)`` of the log scores, ``s`` from their upper quartile."""
    centre, _, upper = _log_deviations(window_scores)
    return float(np.exp(centre + deviations * upper))


def anomaly_events(scores, threshold):
    """Runs of ``scores`` above ``threshold``: a Bunch of start, stop, peak and peak_score."""
    above = np.r_[False, np.asarray(scores) > threshold, False]
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    start, stop = edges[::2], edges[1::2]
    peak = np.array(
        [a + int(np.argmax(scores[a:b])) for a, b in zip(start, stop, strict=True)], dtype=np.intp
    )
    return Bunch(
        start=start.astype(np.intp),
        stop=stop.astype(np.intp),
        peak=peak,
        peak_score=np.asarray(scores, dtype=float)[peak],
    )


def _chunked_errors(autoencoder, series, starts, window):
    """``(n_windows, n_features)``: each window's mean reconstruction error in each
    feature, ``CHUNK`` windows at a time."""
    return np.concatenate(
        [
            autoencoder.reconstruction_errors(
                windows_at(series, starts[i : i + CHUNK], window), per_feature=True
            )
            for i in range(0, len(starts), CHUNK)
        ]
    )
