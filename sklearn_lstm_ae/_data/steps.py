"""Time-step operations on NaN-padded arrays: valid lengths, reversal, future split, zero fill."""

import numpy as np

__all__ = ["valid_lengths", "reverse_steps", "split_future", "check_future_lengths", "nan_to_zero"]


def valid_lengths(values):
    """Number of leading valid (non-NaN) steps of each padded sequence."""
    return (~np.isnan(values[:, :, 0])).sum(axis=1)


def reverse_steps(values, lengths):
    """Reverse each sequence's valid steps in time, keeping the padding at the end.

    ``out[i, :L_i] = values[i, L_i - 1::-1]``; applying it twice gives ``values``.
    """
    steps = np.arange(values.shape[1])
    index = np.asarray(lengths)[:, None] - 1 - steps
    index = np.where(index >= 0, index, steps)
    return np.take_along_axis(values, index[:, :, None], axis=1)


def split_future(values, lengths, n_future):
    """Split off the last ``n_future`` valid steps of each sequence.

    Returns ``(past, future)``: ``past`` is a copy of ``values`` with those
    steps turned into NaN padding, ``future`` holds them, shape
    ``(n_samples, n_future, n_features)``.
    """
    rows = np.arange(len(values))[:, None]
    cols = np.asarray(lengths)[:, None] - n_future + np.arange(n_future)
    future = values[rows, cols]
    past = values.copy()
    past[rows, cols] = np.nan
    return past, future


def check_future_lengths(lengths, spec, action):
    """Raise unless every sequence has more steps than ``n_future`` (split off as its future).

    ``action`` ("Fitting", "Scoring") starts the message.
    """
    k = spec.n_future
    if len(lengths) and int(np.min(lengths)) <= k:
        raise ValueError(
            f"{action} in mode={spec.mode!r} splits the last n_future={k} steps "
            f"off each sequence as its future, so every sequence needs more than {k} "
            f"steps; the shortest has {int(np.min(lengths))}. Lower n_future or drop "
            "the short sequences."
        )


def nan_to_zero(values):
    """``values`` with NaN padding replaced by 0 (a copy only if there is padding).

    Padded steps are masked out of the loss, but NaN would poison it
    (``NaN * 0`` is NaN).
    """
    padding = np.isnan(values)
    return np.where(padding, np.float32(0), values) if padding.any() else values
