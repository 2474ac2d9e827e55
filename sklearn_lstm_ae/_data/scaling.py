"""Scaling: per-feature scalers learned on the valid (unpadded) time steps."""

import inspect

import numpy as np
from sklearn.base import clone
from sklearn.preprocessing import MinMaxScaler, StandardScaler

__all__ = ["make_scaler", "fit_scaler", "partial_fit_scaler", "scale_inplace", "unscale_inplace"]

_NAMED = {"standard": StandardScaler, "minmax": MinMaxScaler}


def make_scaler(scaler):
    """Return an unfitted scaler for the ``scaler`` parameter, or None."""
    if scaler is None:
        return None
    if isinstance(scaler, str):
        return _NAMED[scaler]()
    return clone(scaler)


def _as_table(values):
    """View a (n, T, F) array as (n * T, F) rows without copying."""
    return values.reshape(-1, values.shape[-1])


def _valid_rows(scaler, values):
    rows = _as_table(values)
    if not isinstance(scaler, (StandardScaler, MinMaxScaler)):
        rows = rows[~np.isnan(rows).any(axis=1)]
    return rows


def fit_scaler(scaler, values):
    """Fit ``scaler`` on the time steps of ``values`` that are not NaN padding.

    Padding never enters the statistics: the scikit-learn scalers used here
    ignore NaN when fitting, and other scalers are fitted on valid rows only.
    """
    if scaler is None:
        return None
    return scaler.fit(_valid_rows(scaler, values))


def partial_fit_scaler(scaler, values):
    """Update ``scaler`` with one more batch of sequences (out-of-core fitting)."""
    if scaler is None:
        return None
    if not hasattr(scaler, "partial_fit"):
        raise ValueError(
            f"Fitting from batches needs a scaler with partial_fit, and "
            f"{type(scaler).__name__} has none. Use scaler='standard', 'minmax' or None."
        )
    return scaler.partial_fit(_valid_rows(scaler, values))


def _takes_copy(method):
    """Whether a scaler's transform method has a ``copy`` argument."""
    try:
        return "copy" in inspect.signature(method).parameters
    except (TypeError, ValueError):  # no signature to read (a builtin): call it plainly
        return False


def _apply(method, values):
    rows = _as_table(values)
    out = method(rows, copy=False) if _takes_copy(method) else method(rows)
    if out is not rows:
        rows[...] = out
    return values


def scale_inplace(scaler, values):
    """Scale ``values`` (n, T, F) in place; NaN padding stays NaN."""
    if scaler is None:
        return values
    return _apply(scaler.transform, values)


def unscale_inplace(scaler, values):
    """Undo :func:`scale_inplace` on ``values`` (n, T, F) in place."""
    if scaler is None:
        return values
    return _apply(scaler.inverse_transform, values)
