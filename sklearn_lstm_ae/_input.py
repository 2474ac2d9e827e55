"""Input checks: X validated against a fitted autoencoder, padded, scaled and laid out."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from ._data.panels import is_panel, warn_if_long_format
from ._data.scaling import scale_inplace
from ._data.sequences import PaddedSequences, _is_sequence_list, check_sequences, pad_sequences
from ._inference import LazySequences

__all__ = [
    "is_table",
    "read_training",
    "check_targets",
    "check_input",
    "scaled",
    "inference_input",
    "to_layout",
]


def is_table(X):
    """True for 2D array-likes: univariate sequences, one per row."""
    if hasattr(X, "iloc"):
        return getattr(X, "ndim", 2) == 2 and not is_panel(X)
    if isinstance(X, np.ndarray):
        return X.ndim == 2
    if isinstance(X, (list, tuple)) and X and not _is_sequence_list(X):
        try:
            return np.ndim(X) == 2
        except ValueError:
            return False
    return False


class _Seen(BaseEstimator):
    """What ``validate_data`` records in fit, kept off the estimator until the fit succeeds."""


def read_training(X, data_format, y=None):
    """Validate training sequences; return ``(NaN-padded float32 copy, what fit saw)``.

    What fit saw is a dict of ``table`` (a 2D table, one univariate sequence
    a row), ``n_features_in`` and ``feature_names_in`` (a DataFrame's
    columns, else None), as the fitted autoencoder keeps them. A ``y`` that
    is not None must hold one value per sequence.
    """
    table = is_table(X)
    seen = _Seen()
    if table:
        warn_if_long_format(X)
        validate_data(seen, X, reset=True, skip_check_array=True)
    seqs = check_sequences(X, data_format=data_format)
    check_targets(y, len(seqs.lengths))
    if not table and data_format == "channels_last":
        _warn_if_transposed(seqs)
    return seqs, {
        "table": table,
        "n_features_in": seen.n_features_in_ if table else seqs.values.shape[2],
        "feature_names_in": getattr(seen, "feature_names_in_", None),
    }


def check_targets(y, n_sequences):
    """Refuse a ``y`` (ignored by the autoencoder) whose length is not one per sequence.

    A Pipeline passes its ``y`` on; one of another length means the
    sequences were read other than the user meant (a long-format table read
    as rows, say), which should not pass in silence.
    """
    if y is None:
        return
    targets = np.asarray(y)
    n_targets = targets.shape[0] if targets.ndim else 1
    if n_targets != n_sequences:
        raise ValueError(
            f"y has {n_targets} values but X holds {n_sequences} sequences. The "
            "autoencoder ignores y, but it must match X sample for sample: check how "
            "X is read (one sequence per row of a 2D table, per item of a list, per "
            "instance of an (instance, time) panel)."
        )


def check_input(X, fitted, first_index=0):
    """Validate X against ``fitted`` (features, length); return padded float32 sequences.

    A table's column count and names are checked by the estimator first
    (``validate_data``), so that errors quote its name.
    """
    seqs = check_sequences(
        X, n_features=fitted.n_features, first_index=first_index, data_format=fitted.data_format
    )
    if seqs.values.shape[1] < fitted.n_timesteps:
        # Shorter input keeps the shapes of the training data (n_timesteps steps).
        seqs = PaddedSequences(pad_sequences(seqs.values, fitted.n_timesteps), seqs.lengths)
    return seqs


def _warn_if_transposed(seqs):
    """Warn when channels-last data look like aeon's (n_cases, n_channels, n_timepoints)."""
    n_steps, n_features = int(seqs.lengths.max()), seqs.values.shape[2]
    if n_features > 1 and (n_steps == 1 or n_features >= 10 * n_steps):
        warnings.warn(
            f"X holds sequences of at most {n_steps} time step(s) of {n_features} "
            "features each: it looks like the (n_cases, n_channels, n_timepoints) "
            "layout of aeon and sktime read as (n_samples, n_timesteps, n_features). "
            "Pass data_format='channels_first' to read it as such, or transpose X to "
            "(n_samples, n_timesteps, n_features). If the layout is right, ignore "
            "this warning.",
            UserWarning,
            stacklevel=4,
        )


def to_layout(data_format, values):
    """Sequences ``(n, n_timesteps, n_features)`` (array or list) in ``data_format``."""
    if data_format == "channels_last":
        return values
    if isinstance(values, list):
        return [v.T for v in values]
    return np.ascontiguousarray(values.transpose(0, 2, 1))


def scaled(X, fitted, first_index=0):
    """X validated against ``fitted``, padded and scaled by its scaler (a fresh copy)."""
    seqs = check_input(X, fitted, first_index)
    scale_inplace(fitted.scaler, seqs.values)
    return seqs


def inference_input(X, fitted):
    """X as inference reads it: a numeric array batch by batch, anything else at once.

    A numeric NumPy array becomes :class:`~sklearn_lstm_ae._inference.LazySequences`,
    validated and scaled one batch at a time, so memory above the input grows
    only with the output; lists and DataFrames are converted in one padded copy.
    """
    if not (isinstance(X, np.ndarray) and X.ndim in (2, 3) and X.dtype.kind in "biuf"):
        return scaled(X, fitted)
    time_axis = 2 if fitted.data_format == "channels_first" else 1
    return LazySequences(
        X,
        lambda part, start: scaled(part, fitted, start).values,
        X.shape[time_axis] if X.ndim == 3 else fitted.n_timesteps,
    )
