"""Windows: cut long series into overlapping fixed-length samples, and map window values back."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._constraints import Interval, check_constraints, validate_params

__all__ = ["SlidingWindows", "dominant_period", "sliding_windows", "windows_to_series"]


def _as_series(series, name="X"):
    """One series as a float array ``(n_timepoints, n_features)``."""
    arr = np.asarray(series)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got an array of dtype {arr.dtype}.")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be one series of shape (n_timepoints,) or (n_timepoints, "
            f"n_features), or a list of them; got an array of shape {arr.shape}. "
            "Windows of a batch of sequences are cut one series at a time: pass "
            "list(X)."
        )
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def _series_list(X):
    """A list of 2D series from one series or a list of arrays (one per series).

    A list or tuple whose items are arrays (anything with a ``shape``) holds
    several series; nested lists of numbers are one series.
    """
    if isinstance(X, (list, tuple)) and X and all(hasattr(s, "shape") for s in X):
        return [_as_series(s, f"X[{i}]") for i, s in enumerate(X)]
    return [_as_series(X)]


@validate_params(
    {
        "X": ["array-like"],
        "window": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def sliding_windows(X, window, stride=1):
    """Cut one long series into overlapping windows of ``window`` steps.

    Window ``i`` holds time points ``i * stride`` to ``i * stride + window - 1``;
    windows that would run past the end are dropped, so there are
    ``(n_timepoints - window) // stride + 1`` of them. This is the
    "temporalize" function of the classic Keras LSTM-autoencoder tutorials,
    with ``lookback=window``, without its off-by-one gaps.

    Parameters
    ----------
    X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
        The series: time along the first axis.
    window : int
        Steps per window.
    stride : int, default=1
        Steps between the starts of consecutive windows.

    Returns
    -------
    ndarray of shape (n_windows, window, n_features)
        A read-only view of ``X`` for float input (no copy); windows overlap
        in memory.

    See Also
    --------
    SlidingWindows : The same as a scikit-learn transformer, also for lists of series.
    windows_to_series : Average per-window values back onto the time points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import sliding_windows
    >>> sliding_windows(np.arange(6), window=3, stride=2)[..., 0]
    array([[0., 1., 2.],
           [2., 3., 4.]])
    """
    series = _as_series(X)
    n = len(series)
    if n < window:
        raise ValueError(
            f"The series has {n} time points, fewer than window={window}. Use a "
            "shorter window or a longer series."
        )
    view = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)[::stride]
    return view.transpose(0, 2, 1)  # (n_windows, window, n_features)


@validate_params(
    {
        "X": ["array-like"],
        "min_period": [Interval(Integral, 2, None, closed="left")],
        "max_period": [Interval(Integral, 2, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def dominant_period(X, min_period=4, max_period=None):
    """The dominant period of a series, from its autocorrelation; None if it has none.

    The autocorrelation of each feature (mean removed, scaled to 1 at lag 0)
    is averaged over the features that vary. The period is the lag of its
    first peak, after the first time it turns negative, that reaches 90% of
    the highest peak between ``min_period`` and ``max_period`` steps (so
    that a multiple of the period is not taken for it). A series whose
    autocorrelation never turns negative there, or peaks below 0.1 or below
    what white noise reaches (3 / sqrt(n_timepoints)), has no period.
    This is how series anomaly detectors (TSB-UAD, TimeEval) size their
    windows.

    Parameters
    ----------
    X : array-like of shape (n_timepoints,) or (n_timepoints, n_features)
        The series: time along the first axis.
    min_period : int, default=4
        Shortest period to report.
    max_period : int, default=None
        Longest period to report; None searches up to a third of the series.

    Returns
    -------
    int or None
        The period in time steps.

    See Also
    --------
    LSTMAutoencoderSeriesDetector : Sizes its windows with this period.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import dominant_period
    >>> t = np.arange(1000)
    >>> dominant_period(np.sin(2 * np.pi * t / 50))
    50
    >>> print(dominant_period(np.arange(1000.0)))  # a trend has no period
    None
    """
    series = _as_series(X)
    n = len(series)
    if not np.isfinite(series).all():
        raise ValueError("X contains NaN or infinity; fill or drop them first.")
    centred = series - series.mean(axis=0)
    spectrum = np.fft.rfft(centred, 2 * n, axis=0)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), 2 * n, axis=0)[:n]
    varies = acf[0] > 1e-12 * max(1.0, float(np.max(np.abs(series))) ** 2) * n
    if not varies.any():
        return None
    acf = (acf[:, varies] / acf[0, varies]).mean(axis=1)
    high = min(n // 3 if max_period is None else max_period, n - 1)
    negative = np.flatnonzero(acf[1 : high + 1] < 0)
    if not len(negative):
        return None
    low = max(min_period, int(negative[0]) + 1)
    if low > high:
        return None
    # The first peak that comes close to the highest: a multiple of the period
    # can score as high as the period itself.
    search = acf[low - 1 : high + 2]
    peaks = low + np.flatnonzero((search[1:-1] >= search[:-2]) & (search[1:-1] >= search[2:]))
    # Below 3 / sqrt(n), a peak is what white noise gives.
    if not len(peaks) or acf[peaks].max() < max(0.1, 3 / np.sqrt(n)):
        return None
    return int(peaks[np.argmax(acf[peaks] >= 0.9 * acf[peaks].max())])


@validate_params(
    {
        "values": ["array-like"],
        "n_timepoints": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def windows_to_series(values, n_timepoints, stride=1):
    """Average per-window, per-step values back onto the time points of the series.

    The inverse bookkeeping of :func:`sliding_windows`: each time point gets
    the mean of the values of every window step that covers it (NaN where no
    window does), e.g. to turn per-step reconstruction errors of windows into
    one anomaly score per time point.

    Parameters
    ----------
    values : array-like of shape (n_windows, window) or (n_windows, window, n_features)
        A value for each step of each window, windows in the order
        :func:`sliding_windows` returns them.
    n_timepoints : int
        Length of the series the windows were cut from.
    stride : int, default=1
        The stride the windows were cut with.

    Returns
    -------
    ndarray of shape (n_timepoints,) or (n_timepoints, n_features)
        The mean over the covering windows.

    See Also
    --------
    sliding_windows : Cut the windows this function maps back.
    LSTMAutoencoderOutlierDetector.timestep_errors : Per-step errors of windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import windows_to_series
    >>> windows_to_series(np.array([[1.0, 1.0], [3.0, 3.0]]), n_timepoints=3)
    array([1., 2., 3.])
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim not in (2, 3):
        raise ValueError(
            "values must have shape (n_windows, window) or (n_windows, window, "
            f"n_features), got {values.shape}."
        )
    n_windows, window = values.shape[:2]
    last = (n_windows - 1) * stride + window
    if last > n_timepoints:
        raise ValueError(
            f"{n_windows} windows of {window} steps with stride={stride} cover "
            f"{last} time points, more than n_timepoints={n_timepoints}."
        )
    return spread_over_windows(values, np.arange(n_windows) * stride, window, n_timepoints)


def window_starts(n_timepoints, window, stride=1, *, cover_end=False):
    """Starts of the windows :func:`sliding_windows` cuts; with ``cover_end``, one more
    window ending on the last point when the stride does not reach it."""
    starts = np.arange(0, n_timepoints - window + 1, stride)
    if cover_end and starts[-1] != n_timepoints - window:
        starts = np.append(starts, n_timepoints - window)
    return starts


def windows_at(series, starts, window):
    """Copies of the windows of a ``(n_timepoints, n_features)`` series beginning at ``starts``."""
    return series[np.asarray(starts)[:, None] + np.arange(window)]


def spread_over_windows(values, starts, window, n_timepoints):
    """Each time point's mean of the values of the windows that cover it (NaN where none does).

    ``values`` holds one value per window, ``(n_windows,)``, that stands for
    every step of it (computed in time linear in the series, whatever the
    window), or one per step, ``(n_windows, window[, n_features])``.
    """
    starts = np.asarray(starts)
    if values.ndim == 1:
        total = np.zeros(n_timepoints + 1)
        count = np.zeros(n_timepoints + 1)
        np.add.at(total, starts, values)
        np.add.at(total, starts + window, -values)
        np.add.at(count, starts, 1.0)
        np.add.at(count, starts + window, -1.0)
        total, count = np.cumsum(total)[:-1], np.cumsum(count)[:-1]
    else:
        total = np.zeros((n_timepoints,) + values.shape[2:])
        count = np.zeros(n_timepoints)
        for offset in range(window):
            np.add.at(total, starts + offset, values[:, offset])
            np.add.at(count, starts + offset, 1)
    count = count.reshape((-1,) + (1,) * (total.ndim - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0.5, total / count, np.nan)


class SlidingWindows(TransformerMixin, BaseEstimator):
    """Turn long series into overlapping fixed-length sequences for the autoencoder.

    Sits in front of :class:`LSTMAutoencoderTransformer` in a Pipeline when
    the data are one long (multivariate) recording rather than many short
    sequences, as in the rare-event (sheet-break) data of the classic
    tutorials. ``transform`` returns one row per window, so the number of
    samples changes: use it in unsupervised pipelines (autoencoder, outlier
    detection).

    Parameters
    ----------
    window : int, default=10
        Steps per window (the tutorials' ``lookback``).
    stride : int, default=1
        Steps between the starts of consecutive windows.

    Attributes
    ----------
    n_features_ : int
        Features per time step seen in ``fit``.

    See Also
    --------
    sliding_windows : The function for one series.
    windows_to_series : Map per-window values back to time points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import SlidingWindows
    >>> series = np.arange(10.0).reshape(5, 2)  # 5 time points, 2 features
    >>> SlidingWindows(window=4).fit_transform(series).shape
    (2, 4, 2)
    >>> SlidingWindows(window=2, stride=2).fit_transform([series, series[:3]]).shape
    (3, 2, 2)
    """

    _parameter_constraints = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, window=10, stride=1):
        self.window = window
        self.stride = stride

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def fit(self, X, y=None):
        """Check the parameters and record the number of features.

        Parameters
        ----------
        X : array-like of shape (n_timepoints[, n_features]) or list of them
            One series, or several (of any lengths).
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindows
        """
        check_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        self.n_features_ = _series_list(X)[0].shape[1]
        return self

    def transform(self, X):
        """Cut each series into windows and stack them.

        Parameters
        ----------
        X : array-like of shape (n_timepoints[, n_features]) or list of them
            One series, or several; each must be at least ``window`` long.

        Returns
        -------
        ndarray of shape (n_windows, window, n_features)
            Windows of the first series first. For a single float series this
            is a read-only view of X.
        """
        check_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        series = _series_list(X)
        n_features = getattr(self, "n_features_", series[0].shape[1])
        for i, s in enumerate(series):
            if s.shape[1] != n_features:
                raise ValueError(
                    f"Series {i} has {s.shape[1]} features, but {n_features} were "
                    "expected (as in fit)."
                )
        windows = [sliding_windows(s, self.window, self.stride) for s in series]
        return windows[0] if len(windows) == 1 else np.concatenate(windows)
