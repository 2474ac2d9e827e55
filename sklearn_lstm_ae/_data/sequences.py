"""Input handling: validate sequence data, pad it with NaN and recover lengths."""

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .panels import is_panel, panel_sequences

__all__ = ["PaddedSequences", "check_sequences", "unpad_sequences", "pad_sequences"]


@dataclass(frozen=True)
class PaddedSequences:
    """A batch of sequences padded at the end with NaN.

    Returned by :func:`check_sequences`, which always makes a fresh copy of
    the input. The attributes cannot be reassigned, but the arrays belong to
    whoever made the object and are written in place by the package's own
    steps (scaling, for one): copy ``values`` before keeping it elsewhere.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features), float32
        The sequences; time steps past ``lengths[i]`` hold NaN.
    lengths : ndarray of shape (n_samples,), int64
        Number of valid time steps of each sequence.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features), float32
        As given.
    lengths : ndarray of shape (n_samples,), int64
        As given.

    See Also
    --------
    check_sequences : Validate input and build a PaddedSequences.
    unpad_sequences : Split padded values back into a list.

    Examples
    --------
    >>> from sklearn_lstm_ae import check_sequences
    >>> seqs = check_sequences([[1.0, 2.0], [3.0]])
    >>> seqs.is_padded
    True
    >>> seqs.mask().tolist()
    [[True, True], [True, False]]
    """

    values: np.ndarray
    lengths: np.ndarray

    @property
    def is_padded(self):
        """True when at least one sequence is shorter than the array."""
        return bool(self.lengths.size) and int(self.lengths.min()) < self.values.shape[1]

    def mask(self):
        """Boolean array ``(n_samples, n_timesteps)``: True on valid steps."""
        return np.arange(self.values.shape[1]) < self.lengths[:, None]


def _is_sequence_list(X):
    """True for a list/tuple whose items are per-sequence arrays of unequal shape."""
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    shapes = set()
    for item in X:
        shape = np.shape(item)
        if len(shape) not in (1, 2):
            return False
        shapes.add(shape)
    return len(shapes) > 1


def _holds_sequences(arr):
    """True for a 1D object array whose items are all 1D or 2D arrays (one per sequence)."""
    return len(arr) > 0 and all(np.ndim(item) in (1, 2) for item in arr)


def _check_dtype(arr, what):
    """Return ``arr`` as a real-valued array, or raise a clear error."""
    if arr.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {what} has dtype {arr.dtype}. Split it "
            "into real and imaginary features first."
        )
    if arr.dtype.kind == "O":
        try:
            return arr.astype(np.float64)
        except ValueError:  # strings; TypeError (other objects) passes through
            pass
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{what} must contain numbers, got an array of dtype {arr.dtype}. "
            "Encode strings or categories as numbers first (for example one-hot, "
            "as in the 'moving ones' example of the user guide's gallery)."
        )
    return arr


def _from_list(X, name, channels_first=False):
    """Copy a list of (length_i,) or (length_i, n_features) arrays into one padded array.

    With ``channels_first``, 2D items are ``(n_features, length_i)``.
    """
    items = []
    for i, item in enumerate(X):
        arr = _check_dtype(np.asarray(item), f"{name}[{i}]")
        if arr.ndim == 1:
            arr = arr[:, None]
        elif channels_first and arr.ndim == 2:
            arr = arr.T
        if arr.shape[0] == 0:
            raise ValueError(
                f"{name}[{i}] is a sequence of length 0. Every sequence needs at "
                "least one time step: remove empty sequences before calling."
            )
        items.append(arr)
    n_features = {arr.shape[1] for arr in items}
    if len(n_features) > 1:
        raise ValueError(
            f"The sequences in {name} have different numbers of features "
            f"{sorted(n_features)}. All sequences must have the same channels; "
            "only their lengths may differ. Sequences laid out as (n_channels, "
            "length_i), as in aeon and sktime, need data_format='channels_first'."
        )
    n_timesteps = max(arr.shape[0] for arr in items)
    values = np.full((len(items), n_timesteps, n_features.pop()), np.nan, np.float32)
    for i, arr in enumerate(items):
        values[i, : arr.shape[0]] = arr
    return values


def _to_array(X, name, channels_first=False):
    """Return a float32 array of ndim 2 or 3 that this function owns (one copy)."""
    if X is None:
        raise TypeError(f"{name} must be array-like of sequences, got None.")
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"{name} is a sparse matrix; sequences must be dense. Call .toarray() first."
        )
    if _is_sequence_list(X):
        return _from_list(X, name, channels_first)
    if is_panel(X):  # (instance, time) rows, columns as features, whatever data_format
        return _from_list(panel_sequences(X, name), name)
    if hasattr(X, "iloc") and hasattr(X, "to_numpy"):  # pandas DataFrame or Series
        X = X.to_numpy()
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nesting numpy cannot read
        raise ValueError(
            f"{name} could not be read as sequences ({exc}). Pass a 2D array "
            "(n_samples, n_timesteps), a 3D array (n_samples, n_timesteps, n_features) "
            "or a list of 2D arrays (length_i, n_features)."
        ) from None
    if arr.dtype == object and arr.ndim == 1 and _holds_sequences(arr):
        # A pandas Series (or object array) of per-sequence arrays, equal or not.
        return _from_list(list(arr), name, channels_first)
    arr = _check_dtype(arr, name)
    if arr.ndim not in (2, 3):
        hint = (
            " Reshape your data: X.reshape(1, -1) for one univariate sequence."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2D (n_samples, n_timesteps) or 3D (n_samples, "
            f"n_timesteps, n_features), got an array of shape {arr.shape}.{hint}"
        )
    if channels_first and arr.ndim == 3:
        arr = arr.transpose(0, 2, 1)
    return np.array(arr, dtype=np.float32, order="C", copy=True)


def check_sequences(
    X,
    *,
    n_features=None,
    max_timesteps=None,
    name="X",
    first_index=0,
    data_format="channels_last",
):
    """Validate sequence data and return it padded with NaN.

    Parameters
    ----------
    X : array-like, list of array-like or pandas object
        One of: a 2D array ``(n_samples, n_timesteps)`` of univariate sequences;
        a 3D array ``(n_samples, n_timesteps, n_features)``, where trailing
        all-NaN time steps mark padding; a list (or pandas Series) of arrays
        ``(length_i, n_features)`` (or ``(length_i,)``), of different lengths
        or not; or a pandas DataFrame indexed by ``(instance, time)``
        (sktime's ``pd-multiindex`` panel; see :func:`from_long_format`), one
        sequence per instance with the columns as features.
    n_features : int, default=None
        Number of features (channels) per time step that X must have.
    max_timesteps : int, default=None
        Longest sequence length allowed. Shorter arrays are padded to it.
    name : str, default="X"
        Name used in error messages.
    first_index : int, default=0
        Index of X's first sequence in a larger collection that is checked
        in parts; error messages count sequences from it.
    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of 3D arrays and of the 2D items of a list: "channels_last" is
        Keras's ``(n_samples, n_timesteps, n_features)`` and ``(length_i,
        n_features)``; "channels_first" is aeon's and sktime's ``(n_cases,
        n_channels, n_timepoints)`` and ``(n_channels, length_i)``. The
        returned values are always channels last.

    Returns
    -------
    PaddedSequences
        The float32 values, padded to ``max_timesteps`` when given, and the
        length of each sequence. The values are a fresh copy of X.

    Raises
    ------
    ValueError
        If X is empty, holds non-numbers, infinities, NaN anywhere but in
        trailing padding, zero-length sequences, or the wrong shape.

    See Also
    --------
    unpad_sequences : Split padded sequences back into a list.
    LSTMAutoencoderTransformer : Accepts the same input forms.

    Examples
    --------
    >>> from sklearn_lstm_ae import check_sequences
    >>> seqs = check_sequences([[1.0, 2.0, 3.0], [4.0, 5.0]])
    >>> seqs.values.shape, seqs.lengths.tolist()
    ((2, 3, 1), [3, 2])
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    values = _to_array(X, name, data_format == "channels_first")
    shape = values.shape
    if values.ndim == 2:
        values = values[:, :, None]
    n_samples, n_timesteps, n_feat = values.shape
    if n_samples == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={shape}) while a minimum "
            f"of 1 is required: {name} holds no sequences."
        )
    if n_timesteps == 0 or n_feat == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={shape}) while a minimum "
            f"of 1 is required: the sequences in {name} have no time steps or no "
            "features."
        )
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    if np.isfinite(total):
        # The common case in one pass without temporaries: a NaN or an inf
        # anywhere makes the sum NaN or inf, so X has no padding.
        lengths = np.full(n_samples, n_timesteps, np.int64)
    else:  # padding, missing values, infinities, or a sum that overflowed
        lengths = _padded_lengths(values, name, first_index)
    if (lengths == 0).any():
        i = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(
            f"{name}[{first_index + i}] is a sequence of length 0 (all NaN). Every sequence needs "
            "at least one time step: remove empty sequences before calling."
        )
    if n_features is not None and n_feat != n_features:
        raise ValueError(
            f"{name} has {n_feat} features per time step, but the transformer was "
            f"fitted with {n_features}. Pass sequences with the same channels as "
            "in fit."
        )
    if max_timesteps is not None:
        longest = int(lengths.max())
        if longest > max_timesteps:
            raise ValueError(
                f"{name} has sequences of up to {longest} time steps, but the "
                f"transformer was fitted on sequences of at most {max_timesteps}. "
                "Truncate or split the sequences, or refit on longer ones."
            )
        if n_timesteps != max_timesteps:
            values = pad_sequences(values, max_timesteps)
    return PaddedSequences(values=values, lengths=lengths)


def _padded_lengths(values, name, first_index):
    """Lengths of NaN-padded sequences ``(n, T, F)``; raise on inf and misplaced NaN."""
    n_timesteps = values.shape[1]
    if np.isinf(values).any():
        raise ValueError(
            f"{name} contains inf (infinity). Replace or clip infinite values before "
            "calling; only NaN is accepted, and only as trailing padding."
        )
    nan = np.isnan(values)
    step_has_nan = nan.any(axis=2)
    step_valid = ~step_has_nan
    lengths = np.where(
        step_valid.any(axis=1),
        n_timesteps - np.argmax(step_valid[:, ::-1], axis=1),
        0,
    ).astype(np.int64)
    inside = np.arange(n_timesteps) < lengths[:, None]
    bad = inside & step_has_nan
    if bad.any():
        i, t = np.argwhere(bad)[0]
        raise ValueError(
            f"{name}[{first_index + i}] contains NaN inside the sequence at time step {t} (not "
            "trailing padding). Fill or interpolate missing values first; NaN is "
            "read as padding only when it fills every feature of the last steps."
        )
    partial = step_has_nan & ~nan.all(axis=2)
    if partial.any():
        i, t = np.argwhere(partial)[0]
        raise ValueError(
            f"{name}[{first_index + i}] contains NaN in some but not all features at time step "
            f"{t}. Padding steps must be NaN in every feature; fill missing values."
        )
    return lengths


def pad_sequences(values, n_timesteps):
    """Pad (with NaN) or cut a 3D array along time to ``n_timesteps`` steps."""
    current = values.shape[1]
    if current >= n_timesteps:
        return values[:, :n_timesteps]
    out = np.full((values.shape[0], n_timesteps, values.shape[2]), np.nan, values.dtype)
    out[:, :current] = values
    return out


def unpad_sequences(values, lengths):
    """Split a padded 3D array into a list of ``(length_i, n_features)`` arrays.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features)
        Padded sequences.
    lengths : array-like of int, shape (n_samples,)
        Number of steps to keep from each sequence.

    Returns
    -------
    list of ndarray
        ``values[i, :lengths[i]]`` for each i.

    See Also
    --------
    check_sequences : Pad a list of sequences into one array.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import unpad_sequences
    >>> [s.shape for s in unpad_sequences(np.zeros((2, 4, 3)), [4, 2])]
    [(4, 3), (2, 3)]
    """
    lengths = np.asarray(lengths)
    if lengths.shape != (len(values),):
        raise ValueError(
            f"lengths must hold one length per sequence ({len(values)}), got shape {lengths.shape}."
        )
    if lengths.dtype.kind not in "iu" and not all(
        isinstance(v, Integral) or float(v).is_integer() for v in lengths
    ):
        raise ValueError("lengths must be whole numbers of time steps.")
    lengths = lengths.astype(np.int64)
    if (lengths < 1).any() or (lengths > values.shape[1]).any():
        raise ValueError(
            f"lengths must lie between 1 and {values.shape[1]} (the number of time "
            f"steps), got values from {lengths.min()} to {lengths.max()}."
        )
    return [values[i, :n] for i, n in enumerate(lengths)]
