"""What a fitted transformer offers: fitted attributes, transform, decoding, scores, save.

Kept apart from :mod:`sklearn_lstm_ae._transformer`, which owns the
parameters and the methods that fit, so that each module stays under 400
lines; together they are one estimator, and this mixin is used by no other
class. Every method here validates X against the one fitted attribute,
``_fitted_`` (a :class:`~sklearn_lstm_ae._fitted.FittedAutoencoder`), and
calls it with explicit options; the public fitted attributes are derived from
it.
"""

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._fitted import InferenceOptions
from ._input import inference_input, to_layout
from ._params import is_routed
from ._persistence import load_transformer, save_transformer

__all__ = ["FittedMethods"]


class FittedMethods(TransformerMixin):
    """The fitted attributes and read-only methods of :class:`LSTMAutoencoderTransformer`.

    A ``TransformerMixin`` so that scikit-learn wraps the ``transform``
    defined here for ``set_output``.
    """

    # ------------------------------------------------------------ parameters
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

    # ------------------------------------------------------ fitted attributes
    @property
    def _fitted(self):
        check_is_fitted(self)
        return self._fitted_

    def _options(self):
        return InferenceOptions(
            batch_size=getattr(self, "predict__batch_size", None),
            jit_compile=getattr(self, "predict__jit_compile", None),
        )

    def _input(self, X):
        return inference_input(self, X, self._fitted)

    @property
    def model_(self):
        """Keras training graph: sequences to decoder outputs (scaled units)."""
        return self._fitted.model

    @property
    def encoder_(self):
        """Keras encoder: NaN-padded scaled sequences to codes."""
        return self._fitted.graphs.encoder(masked=True)

    @property
    def decoder_(self):
        """Keras decoder: codes to sequences in scaled units."""
        return self._fitted.graphs.decoder()

    @property
    def scaler_(self):
        """The per-feature scaler fitted on the valid training steps, or None."""
        return self._fitted.scaler

    @property
    def history_(self):
        """Per-epoch training values (``loss``, ``val_loss``, ``learning_rate``, ...)."""
        return self._fitted.history

    @property
    def n_timesteps_(self):
        """Steps of the longest training sequence."""
        return self._fitted.n_timesteps

    @property
    def n_features_(self):
        """Features per time step."""
        return self._fitted.n_features

    @property
    def n_features_in_(self):
        """Features seen in fit (columns of a 2D table)."""
        return self._fitted.n_features_in

    @property
    def feature_names_in_(self):
        """Column names of a DataFrame seen in fit (absent otherwise)."""
        names = self._fitted.feature_names_in
        if names is None:
            raise AttributeError(
                f"{type(self).__name__} was not fitted on a DataFrame with column names."
            )
        return names

    @property
    def _n_features_out(self):
        return self._fitted.latent_dim

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
        return self._fitted.encode(self._input(X), self._options())

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
        return to_layout(self, self._fitted.decode(X, lengths, self._options()))

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
        return to_layout(self, self._fitted.reconstruct(self._input(X), self._options()))

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
        return to_layout(self, self._fitted.forecast(self._input(X), self._options()))

    def score_samples(self, X):
        """Negative decoder loss of each sequence: how well the model explains it.

        In "reconstruct" mode this is minus the mean squared reconstruction
        error over valid steps and features; in "predict" mode minus the
        error of predicting each sequence's last ``n_future`` steps from the
        steps before; in "composite" mode the weighted sum of both, as in
        training. Errors are in the scaled units the network is trained in.
        Lower means more abnormal (the scikit-learn outlier convention). The
        contrastive terms (``subseries_weight``, ``context_weight``) are not
        part of it: they compare a sequence with the others of its batch,
        not with itself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,)
            Minus the per-sequence mean squared error.
        """
        return -self._fitted.objectives(self._input(X), self._options())

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
        return save_transformer(
            self.get_params(deep=False), self._fitted, path, class_name=type(self).__name__
        )

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
        params, fitted = load_transformer(path, cls)
        est = cls(**params)
        est._fitted_ = fitted
        return est

    def reconstruction_errors(self, X, per_step=False):
        """Squared reconstruction errors, in the scaled units the network is trained in.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.
        per_step : bool, default=False
            Return the error of every time step (averaged over features)
            instead of each sequence's mean over its valid steps.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_timesteps)
            Per-sequence means (float64), or per-step errors with NaN on padding.
        """
        return self._fitted.errors(self._input(X), self._options(), per_step=per_step)
