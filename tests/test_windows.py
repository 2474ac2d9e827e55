"""Sliding windows over long series and the way back to time points."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_lstm_ae import SlidingWindows, sliding_windows, windows_to_series

from .helpers import tiny


def test_window_boundaries_by_hand():
    series = np.arange(7.0)  # time points 0..6
    np.testing.assert_array_equal(
        sliding_windows(series, window=3)[..., 0],
        [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]],
    )
    # stride 2: starts 0, 2, 4; a window starting at 6 would run past the end.
    np.testing.assert_array_equal(
        sliding_windows(series, window=3, stride=2)[..., 0], [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    )
    # stride 3: starts 0, 3; time point 6 is left out (the window 6..8 is incomplete).
    np.testing.assert_array_equal(
        sliding_windows(series, window=3, stride=3)[..., 0], [[0, 1, 2], [3, 4, 5]]
    )
    assert sliding_windows(series, window=7).shape == (1, 7, 1)


def test_multivariate_and_lists_of_series():
    series = np.arange(12.0).reshape(6, 2)
    windows = SlidingWindows(window=4, stride=1).fit_transform(series)
    assert windows.shape == (3, 4, 2)
    np.testing.assert_array_equal(windows[1], series[1:5])
    assert not windows.flags.writeable  # a view, no copy
    both = SlidingWindows(window=4).fit(series).transform([series, series[:5] + 100])
    assert both.shape == (5, 4, 2)
    np.testing.assert_array_equal(both[3], series[:4] + 100)


def test_errors():
    with pytest.raises(ValueError, match="has 2 time points, fewer than window=3"):
        sliding_windows(np.arange(2.0), 3)
    with pytest.raises(ValueError, match="must be one series.*pass list\\(X\\)"):
        SlidingWindows(3).fit_transform(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="'window' parameter"):
        SlidingWindows(window=0).fit_transform(np.arange(5.0))
    sw = SlidingWindows(window=2).fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="Series 0 has 3 features, but 2 were expected"):
        sw.transform(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="must hold numbers"):
        sliding_windows(np.array(["a", "b", "c"]), 2)


def test_windows_to_series_inverts_the_bookkeeping():
    series = np.arange(9.0)
    for stride in (1, 2, 3):
        windows = sliding_windows(series, window=3, stride=stride)
        back = windows_to_series(windows, n_timepoints=9, stride=stride)
        covered = ~np.isnan(back[:, 0])
        np.testing.assert_array_equal(back[covered, 0], series[covered])
    # overlapping values are averaged
    np.testing.assert_array_equal(
        windows_to_series(np.array([[1.0, 1.0], [3.0, 3.0]]), 3), [1.0, 2.0, 3.0]
    )
    with pytest.raises(ValueError, match="cover 4 time points, more than n_timepoints=3"):
        windows_to_series(np.zeros((3, 2)), 3)


def test_windows_feed_the_autoencoder_in_a_pipeline():
    series = np.sin(np.arange(200) * 0.3)[:, None] * [1.0, 2.0]
    pipe = make_pipeline(SlidingWindows(window=10, stride=2), tiny())
    codes = pipe.fit_transform(series)
    assert codes.shape == ((200 - 10) // 2 + 1, 2)
    assert pipe[-1].n_timesteps_ == 10 and pipe[-1].n_features_ == 2


def test_one_value_per_window_spreads_as_that_value_on_every_step():
    from sklearn_lstm_ae._windows import spread_over_windows, window_starts

    starts = window_starts(11, 4, stride=3, cover_end=True)
    np.testing.assert_array_equal(starts, [0, 3, 6, 7])  # the last window ends on point 10
    np.testing.assert_array_equal(window_starts(11, 4, stride=3), [0, 3, 6])
    values = np.array([1.0, 2.0, 4.0, 8.0])
    per_window = spread_over_windows(values, starts, 4, 11)
    per_step = spread_over_windows(np.repeat(values[:, None], 4, axis=1), starts, 4, 11)
    np.testing.assert_allclose(per_window, per_step)
    np.testing.assert_allclose(per_window[[0, 3, 6, 7, 10]], [1.0, 1.5, 3.0, 6.0, 8.0])
    assert np.isnan(spread_over_windows(values[:2], starts[:2], 4, 11)[-1])  # not covered
