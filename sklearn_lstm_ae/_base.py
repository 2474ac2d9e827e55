"""The fitted estimator's surface: parameters, inference methods and persistence hooks."""

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _inference as inference
from ._input import to_layout
from ._params import is_routed
from ._persistence import load_transformer, save_transformer
from ._training import restore_model

__all__ = ["BaseSequenceAutoencoder"]


class BaseSequenceAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the LSTM autoencoder transformer (as ``_BasePCA`` is to ``PCA``).

    Holds what does not depend on how the model is trained: routed
    parameters, the inference methods of a fitted model and pickling.
    Subclasses define ``__init__``, ``_parameter_constraints`` and the fit
    methods. Warning: this class should not be used directly; use
    :class:`LSTMAutoencoderTransformer`.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = self.random_state is None
        return tags

    # ----------------------------------------------------------- parameters
    def get_params(self, deep=True):
        """Get the parameters of this estimator, routed ones included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators (the scaler).

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update((k, v) for k, v in vars(self).items() if is_routed(k))
        return params

    def set_params(self, **params):
        """Set parameters, including routed ones such as ``optimizer__beta_1``.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : LSTMAutoencoderTransformer
        """
        # Routed names, and the name of the constructor's **kwargs (so that
        # set_params never raises where the constructor does not; fit rejects
        # what is not a routed parameter).
        for name in [k for k in params if is_routed(k) or k == "kwargs"]:
            setattr(self, name, params.pop(name))
        valid = self.get_params(deep=True)
        for name in params:
            if name.partition("__")[0] not in valid:
                raise ValueError(
                    f"Invalid parameter {name} for estimator {type(self).__name__}. "
                    "Check the list of available parameters with "
                    "`estimator.get_params().keys()`; routed parameters take a "
                    "prefix such as 'optimizer__' or 'fit__'."
                )
        return super().set_params(**params)

    # ------------------------------------------------------------ inference
    @property
    def _graphs_(self):
        check_is_fitted(self)
        return self._graphs

    @property
    def encoder_(self):
        """Keras encoder: NaN-padded scaled sequences to codes."""
        return self._graphs_.encoder(masked=True)

    @property
    def decoder_(self):
        """Keras decoder: codes to sequences in scaled units."""
        return self._graphs_.decoder()

    @property
    def _n_features_out(self):
        return self._graphs_.latent_dim

    def transform(self, X):
        """Encode sequences into fixed-length vectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences in any of the forms accepted by ``fit``, with the same
            number of features, of any length (longer ones than in ``fit``
            included).

        Returns
        -------
        ndarray of shape (n_samples, latent_dim), float32
            The codes.
        """
        return inference.encode(self, X)

    def inverse_transform(self, X, lengths=None):
        """Decode vectors into sequences in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Codes, as returned by ``transform``.
        lengths : array-like of int, default=None
            Length of each sequence. When given, a list of ``(length_i,
            n_features)`` arrays is returned instead of one padded array (and,
            with ``reverse_target=True``, each sequence is put back in forward
            order over its own length rather than over ``n_timesteps_``).

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps, n_features) or list
            The decoded sequences, in forward order: ``n_timesteps_`` steps,
            or a list of ``(length_i, n_features)`` arrays when ``lengths`` is
            given (lengths may exceed ``n_timesteps_``). Channels first with
            ``data_format="channels_first"``.
        """
        return to_layout(self, inference.decode(self, X, lengths))

    def reconstruct(self, X):
        """Encode and decode sequences in one pass, in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps, n_features)
            Reconstructions in forward order; NaN where the input was padding.
            ``(n_samples, n_features, n_timesteps)`` with
            ``data_format="channels_first"``.
        """
        return to_layout(self, inference.reconstruct(self, X))

    def forecast(self, X):
        """Predict the ``n_future`` steps that follow each sequence.

        Available in modes "predict" and "composite". Each sequence is read
        whole, whatever its length, and the future decoder writes the
        steps after its last one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples, n_future, n_features)
            The predicted future, in the original units (``(n_samples,
            n_features, n_future)`` with ``data_format="channels_first"``).
        """
        return to_layout(self, inference.forecast(self, X))

    def score_samples(self, X):
        """Negative training loss of each sequence: how well the model explains it.

        In "reconstruct" mode this is minus the mean squared reconstruction
        error over valid steps and features; in "predict" mode minus the
        error of predicting each sequence's last ``n_future`` steps from the
        steps before; in "composite" mode the weighted sum of both, as in
        training. Errors are in the scaled units the network is trained in.
        Lower means more abnormal (the scikit-learn outlier convention).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,)
            Minus the per-sequence mean squared error.
        """
        return -inference.objectives(self, X)

    def score(self, X, y=None):
        """Negative mean reconstruction error (higher is better).

        Lets ``GridSearchCV`` tune the transformer without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.
        y : None
            Ignored.

        Returns
        -------
        float
            ``score_samples(X).mean()``.
        """
        return float(np.mean(self.score_samples(X)))

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted transformer to one file, loadable without running code.

        The file (a zip archive) holds the Keras model in the ``.keras``
        format, the parameters and fitted state as JSON and the scaler's
        arrays; :meth:`load` reads it with Keras safe mode and
        ``allow_pickle=False``. Training-only ``callbacks`` are not saved.

        The write is atomic: the file goes to a temporary sibling, is flushed
        to disk, then renamed over ``path``. A crash at any moment leaves the
        old file or the complete new one, and a save that raises leaves the
        old file untouched and no temporary file behind.

        Parameters
        ----------
        path : str, path-like or binary file object
            Destination file, e.g. ``"encoder.lstmae"``. A file object
            (``io.BytesIO``, an open file) is written in place.

        Returns
        -------
        path : str or path-like
            The path written.
        """
        return save_transformer(self, path)

    @classmethod
    def load(cls, path):
        """Load a transformer written by :meth:`save`.

        The archive's member list and declared sizes are checked before
        any member is read, so an oversized or malformed file (a
        decompression bomb, names with ``..``) is refused at once.

        Parameters
        ----------
        path : str, path-like or binary file object
            File written by :meth:`save`.

        Returns
        -------
        LSTMAutoencoderTransformer
            The fitted transformer; ``transform`` gives the same output as
            the saved one.
        """
        return load_transformer(path, cls)

    def __getstate__(self):
        state = dict(super().__getstate__())  # may be the live __dict__ itself
        state.pop("_graphs", None)  # rebuilt from model_ so weights stay shared
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "model_" in state:
            restore_model(self, self.model_)
