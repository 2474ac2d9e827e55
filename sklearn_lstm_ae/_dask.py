"""Cluster-wide inference with Dask: a fitted transformer applied to every chunk of a dask array.

Dask is optional: it is imported when :func:`dask_apply` is called, never by
the estimator.
"""

import hashlib
import io
import pickle
import threading
from collections import OrderedDict

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["dask_apply"]

#: The methods that map a chunk of sequences to one row (or one value) per sequence.
_METHODS = {
    "transform": np.float32,
    "score_samples": np.float32,
    "reconstruction_errors": np.float64,
}
#: Fitted transformers kept loaded per process (worker), newest last.
_CACHE_SIZE = 4
_loaded = OrderedDict()
_lock = threading.Lock()
#: How many times this process loaded a transformer (tests read it on workers).
loads = 0


def _transformer(payload, digest):
    """The transformer saved in ``payload``, loaded once per process and kept."""
    global loads
    with _lock:
        est = _loaded.get(digest)
        if est is None:
            from ._transformer import LSTMAutoencoderTransformer

            est = LSTMAutoencoderTransformer.load(io.BytesIO(payload))
            loads += 1
            _loaded[digest] = est
            while len(_loaded) > _CACHE_SIZE:
                _loaded.popitem(last=False)
        _loaded.move_to_end(digest)
    return est


def _fingerprint(params, scaler, model):
    """A digest of what a transformer computes: its parameters, scaler and weights.

    Saved files differ from save to save (they record the time), so the
    workers' cache is keyed on this instead: repeated calls with the same
    fitted transformer reuse the copy each worker loaded.
    """
    digest = hashlib.sha256(repr(sorted(params.items())).encode())
    digest.update(pickle.dumps(scaler))
    for weights in model.get_weights():
        digest.update(weights.tobytes())
    return digest.hexdigest()


def _apply_block(block, payload, digest, method):
    return getattr(_transformer(payload, digest), method)(np.asarray(block))


def dask_apply(estimator, X, method="transform"):
    """Apply a fitted transformer to a dask array of sequences, chunk by chunk, on the cluster.

    The result is a lazy dask array: ``.compute()`` it, or write it to
    storage (``dask.array.to_zarr``, ``to_npy_stack``) from the workers, so the
    data never pass through the client. The transformer travels as the
    bytes of :meth:`~LSTMAutoencoderTransformer.save` in one task of the graph,
    so each worker receives it once and loads it once, however many chunks
    it computes; workers keep the last few transformers they loaded, so later
    calls with the same fitted transformer load nothing.

    Parameters
    ----------
    estimator : LSTMAutoencoderTransformer
        A fitted transformer (it must be savable: see ``save``).
    X : dask.array.Array of shape (n_samples, n_timesteps[, n_features])
        Sequences in the ``data_format`` the transformer was fitted with, chunked along the
        samples; chunks along the other axes are joined per task. NaN marks
        trailing padding, as for ``transform``.
    method : {"transform", "score_samples", "reconstruction_errors"}, \
            default="transform"
        What to compute for each sequence: its code, its score (minus its
        training loss), or its mean squared reconstruction error.

    Returns
    -------
    dask.array.Array
        ``(n_samples, latent_dim)`` codes, or ``(n_samples,)`` scores or errors,
        chunked as ``X`` along the samples.

    See Also
    --------
    LSTMAutoencoderTransformer.transform : The same codes for in-memory data.
    LSTMAutoencoderTransformer.save : The bytes that carry the model to the workers.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklearn_lstm_ae import LSTMAutoencoderTransformer, dask_apply
    >>> X = np.sin(np.linspace(0, 6, 20) + np.random.default_rng(0).uniform(0, 3, (64, 1)))
    >>> ae = LSTMAutoencoderTransformer(latent_dim=3, encoder_units=(8,), epochs=2,
    ...                                 random_state=0).fit(X)
    >>> codes = dask_apply(ae, da.from_array(X, chunks=16))
    >>> codes.shape, codes.chunks[0]
    ((64, 3), (16, 16, 16, 16))
    >>> np.allclose(codes.compute(), ae.transform(X), atol=1e-6)
    True
    """
    import dask
    import dask.array as da

    from ._transformer import LSTMAutoencoderTransformer

    if not isinstance(estimator, LSTMAutoencoderTransformer):
        raise TypeError(
            f"dask_apply needs a fitted LSTMAutoencoderTransformer, got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}.")
    if not isinstance(X, da.Array):
        raise TypeError(
            f"X must be a dask array chunked along the samples, got {type(X).__name__}; "
            "for in-memory data call the estimator's method directly."
        )
    if X.ndim not in (2, 3):
        raise ValueError(
            f"X must be 2D (univariate sequences) or 3D, got {X.ndim} dimensions (shape {X.shape})."
        )
    data_format = estimator._fitted.data_format  # as fitted, like transform
    feature_axis = 1 if data_format == "channels_first" else 2
    n_features = 1 if X.ndim == 2 else X.shape[feature_axis]
    if n_features != estimator.n_features_:
        raise ValueError(
            f"X has {n_features} features per step, but the transformer was fitted "
            f"on {estimator.n_features_} (data_format={data_format!r})."
        )
    digest = _fingerprint(estimator.get_params(deep=False), estimator.scaler_, estimator.model_)
    buffer = io.BytesIO()
    estimator.save(buffer)
    model = dask.delayed(buffer.getvalue(), name=f"sklearn-lstm-ae-{digest[:20]}")
    axes = "ikl"[: X.ndim]
    latent_dim = len(estimator.get_feature_names_out())
    out, new_axes = ("ij", {"j": latent_dim}) if method == "transform" else ("i", {})
    return da.blockwise(
        _apply_block,
        out,
        X,
        axes,
        model,
        None,
        digest=digest,
        method=method,
        new_axes=new_axes,
        concatenate=True,
        dtype=_METHODS[method],
        meta=np.empty((0,) * len(out), dtype=_METHODS[method]),
    )
