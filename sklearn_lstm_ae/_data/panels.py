"""Input handling: pandas panels, (instance, time) MultiIndex frames and long-format tables."""

import warnings

import numpy as np

__all__ = ["from_long_format", "is_panel", "panel_sequences", "warn_if_long_format"]


def is_panel(X):
    """True for a pandas DataFrame or Series indexed by (instance, time): sktime's panel."""
    index = getattr(X, "index", None)
    return hasattr(X, "iloc") and getattr(index, "nlevels", 1) == 2


def panel_sequences(X, name="X"):
    """The sequences of an (instance, time) panel: a list of ``(length_i, n_columns)`` arrays.

    Instances come in the order of their first row (``X.index.unique(0)``),
    the steps of each in the order of the time level, the columns as
    features. Raises on a time repeated within an instance and on columns
    that hold no numbers.
    """
    frame = X.to_frame() if getattr(X, "ndim", 2) == 1 else X
    order, bounds = _panel_order(frame, name)
    return np.split(frame.to_numpy()[order], bounds)


def _panel_order(frame, name):
    """``(order, bounds)``: rows by instance (first seen), then time; where each instance starts."""
    _check_numeric_columns(frame, name)
    codes, uniques = _factorize(frame.index.get_level_values(0))
    times = frame.index.get_level_values(1)
    order = np.lexsort((_sort_keys(times), codes))
    codes, times = codes[order], np.asarray(times)[order]
    same = (codes[1:] == codes[:-1]) & (times[1:] == times[:-1])
    if same.any():
        row = int(np.flatnonzero(same)[0])
        raise ValueError(
            f"{name} is an (instance, time) panel, but instance {uniques[codes[row]]} has "
            f"two rows at time {times[row]}. Each instance needs one row per time "
            "step: aggregate or drop the duplicates first."
        )
    return order, np.flatnonzero(np.diff(codes)) + 1


def _factorize(values):
    """``(codes, uniques)`` in the order of first appearance (pandas' factorize)."""
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=False)
    return codes, uniques


def _sort_keys(times):
    """The time level as something ``np.lexsort`` orders: numbers, datetimes or strings."""
    keys = np.asarray(times)
    if keys.dtype == object:
        try:
            keys = keys.astype(np.float64)
        except (TypeError, ValueError):
            keys = keys.astype(str)
    return keys


def _check_numeric_columns(frame, name):
    bad = [str(c) for c, dtype in frame.dtypes.items() if dtype.kind not in "biuf"]
    if bad:
        raise ValueError(
            f"{name} is an (instance, time) panel whose columns are the features, but "
            f"column(s) {', '.join(map(repr, bad))} hold no numbers. Select the value "
            "columns (X[[...]]) or encode them as numbers first."
        )


def warn_if_long_format(X, name="X"):
    """Warn when a flat DataFrame looks like long format: an integer id, then a sorted time.

    Such a frame (one row per time step, as tsfresh reads it) passed as a
    table would be read one row per sequence.
    """
    if not hasattr(X, "iloc") or getattr(X, "ndim", 1) != 2 or is_panel(X):
        return
    if X.shape[1] < 3 or X.shape[0] < 4:
        return
    ids, times = X.iloc[:, 0], X.iloc[:, 1]
    if ids.dtype.kind not in "iu" or times.dtype.kind not in "iufM":
        return
    ids, times = ids.to_numpy(), times.to_numpy()
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    n_ids = len(np.unique(ids))
    if n_ids == len(ids) or len(starts) + 1 != n_ids:  # ids not repeated, or not in runs
        return
    rising = times[1:] > times[:-1]
    rising[starts - 1] = True  # a new id may start its time again
    if not rising.all():
        return
    id_col, time_col = (repr(str(c)) for c in X.columns[:2])
    warnings.warn(
        f"{name} looks like a long-format table (one row per time step: an id column "
        f"{id_col}, then a sorted time column {time_col}), but a flat table is read as "
        f"one sequence per row: here {X.shape[0]} sequences of {X.shape[1]} steps. To "
        "read one sequence per id, pass from_long_format(X, column_id="
        f"{id_col}, column_sort={time_col}) or X.set_index([{id_col}, {time_col}]). "
        "If every row really is a sequence, ignore this warning.",
        UserWarning,
        stacklevel=5,
    )


def from_long_format(data, column_id="id", column_sort="time", value_columns=None):
    """Read a long-format table (one row per time step) as a panel of sequences.

    Sensor data often sit in pandas with one row per time step: an id
    column naming the sequence, a time column, and one column per feature,
    the layout tsfresh reads. This returns the same data as an (id, time)
    MultiIndex DataFrame (sktime's ``pd-multiindex`` panel), which every
    method of the estimators reads as one sequence per id, the value
    columns as its features. Sequences may differ in length.

    Parameters
    ----------
    data : pandas.DataFrame
        The long-format table.
    column_id : str, default="id"
        Column naming the sequence of each row.
    column_sort : str, default="time"
        Column ordering the steps of a sequence (numbers, datetimes or
        strings); rows may come in any order.
    value_columns : list of str, default=None
        The features, in this order. None: every other column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(column_id, column_sort)``, rows sorted by time within
        each id, ids in the order of their first row. ``transform`` returns
        one code per id in the order of ``panel.index.unique(0)``: align
        labels with ``y.loc[panel.index.unique(0)]``.

    Raises
    ------
    ValueError
        If a named column is missing, a value column holds no numbers, or
        an id has two rows at the same time.

    See Also
    --------
    LSTMAutoencoderTransformer : Reads the returned panel in ``fit`` and
        every other method.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_lstm_ae import from_long_format
    >>> df = pd.DataFrame({"id": [7, 7, 7, 3, 3], "time": [2, 0, 1, 0, 1],
    ...                    "value": [0.2, 0.0, 0.1, 1.0, 1.1]})
    >>> panel = from_long_format(df)
    >>> panel.index.unique(0).tolist(), panel["value"].tolist()
    ([7, 3], [0.0, 0.1, 0.2, 1.0, 1.1])
    """
    if not hasattr(data, "columns"):
        raise TypeError(
            f"from_long_format reads a pandas DataFrame, got {type(data).__name__}. "
            "Build one with pd.DataFrame(...) first."
        )
    named = [column_id, column_sort] + list(value_columns or [])
    missing = [c for c in named if c not in data.columns]
    if missing:
        raise ValueError(
            f"Column(s) {', '.join(map(repr, missing))} not found in the table; it has "
            f"{', '.join(map(repr, map(str, data.columns)))}. Name the id column with "
            "column_id, the time column with column_sort and the features with "
            "value_columns."
        )
    if value_columns is None:
        value_columns = [c for c in data.columns if c not in (column_id, column_sort)]
    if not len(value_columns):
        raise ValueError(
            "The table has no value columns besides the id and time columns: "
            "there is nothing to encode."
        )
    panel = data.set_index([column_id, column_sort])[list(value_columns)]
    order, _ = _panel_order(panel, "data")  # checks numbers and duplicates
    return panel.iloc[order]
