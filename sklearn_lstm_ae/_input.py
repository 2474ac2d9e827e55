"""Input checks of the estimator: X validated against the fitted state, padded and scaled."""

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from ._scaling import scale_inplace
from ._sequences import PaddedSequences, _is_sequence_list, check_sequences, pad_sequences

__all__ = ["is_table", "check_input", "scaled", "to_layout"]


def is_table(X):
    """True for 2D array-likes: univariate sequences, one per row."""
    if hasattr(X, "iloc"):
        return getattr(X, "ndim", 2) == 2
    if isinstance(X, np.ndarray):
        return X.ndim == 2
    if isinstance(X, (list, tuple)) and X and not _is_sequence_list(X):
        try:
            return np.ndim(X) == 2
        except ValueError:
            return False
    return False


def check_input(est, X, *, reset, first_index=0):
    """Validate X for ``est``; return NaN-padded float32 sequences (a fresh copy).

    ``reset=True`` (in fit) records ``n_features_in_`` (and
    ``feature_names_in_`` for a DataFrame) on ``est``; otherwise X is checked
    against them and against the fitted number of features and length.
    """
    table = is_table(X)
    if reset:
        if table:
            validate_data(est, X, reset=True, skip_check_array=True)
        seqs = check_sequences(X, data_format=est.data_format)
        if not table and est.data_format == "channels_last":
            _warn_if_transposed(seqs)
        est._fit_on_table = table
        if not table:
            est.n_features_in_ = seqs.values.shape[2]
        return seqs
    check_is_fitted(est)
    if table and est._fit_on_table:
        validate_data(est, X, reset=False, skip_check_array=True)
    graphs = vars(est).get("_graphs")  # None while fit trains the (free-length) model
    free = graphs is None or graphs.free_length
    seqs = check_sequences(
        X,
        n_features=est.n_features_,
        # Models saved before the time axis was free read n_timesteps_ steps at most.
        max_timesteps=None if free else est.n_timesteps_,
        first_index=first_index,
        data_format=est.data_format,
    )
    if free and seqs.values.shape[1] < est.n_timesteps_:
        # Shorter input keeps the shapes of the training data (n_timesteps_ steps).
        seqs = PaddedSequences(pad_sequences(seqs.values, est.n_timesteps_), seqs.lengths)
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


def to_layout(est, values):
    """Sequences ``(n, n_timesteps, n_features)`` (array or list) in ``est``'s data_format."""
    if est.data_format == "channels_last":
        return values
    if isinstance(values, list):
        return [v.T for v in values]
    return np.ascontiguousarray(values.transpose(0, 2, 1))


def scaled(est, X, first_index=0):
    """X validated for the fitted ``est``, padded and scaled by its scaler."""
    seqs = check_input(est, X, reset=False, first_index=first_index)
    scale_inplace(est.scaler_, seqs.values)
    return seqs
