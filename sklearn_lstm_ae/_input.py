"""Input checks of the estimator: X validated against the fitted state, padded and scaled."""

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from ._scaling import scale_inplace
from ._sequences import _is_sequence_list, check_sequences

__all__ = ["is_table", "check_input", "scaled"]


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
        seqs = check_sequences(X)
        est._fit_on_table = table
        if not table:
            est.n_features_in_ = seqs.values.shape[2]
        return seqs
    check_is_fitted(est)
    if table and est._fit_on_table:
        validate_data(est, X, reset=False, skip_check_array=True)
    return check_sequences(
        X,
        n_features=est.n_features_,
        max_timesteps=est.n_timesteps_,
        first_index=first_index,
    )


def scaled(est, X, first_index=0):
    """X validated for the fitted ``est``, padded and scaled by its scaler."""
    seqs = check_input(est, X, reset=False, first_index=first_index)
    scale_inplace(est.scaler_, seqs.values)
    return seqs
