"""Anomaly detection: flag the sequences an LSTM autoencoder reconstructs badly."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._constraints import Interval, check_constraints
from ._transformer import LSTMAutoencoderTransformer

__all__ = ["LSTMAutoencoderOutlierDetector"]


def detector_autoencoder(autoencoder):
    """A detector's autoencoder: the one given, else the defaults without augmentations.

    Augmentations teach the network that warped and rescaled sequences are
    normal, so a detector's default network trains on the data as given.
    """
    return autoencoder if autoencoder is not None else LSTMAutoencoderTransformer(augment=None)


def require_reconstruction(autoencoder, detector):
    """Refuse an autoencoder without a reconstruction decoder: a detector scores its errors."""
    if autoencoder.mode == "predict":
        raise ValueError(
            f"The {detector} scores reconstruction errors, but the autoencoder has "
            "mode='predict' (no reconstruction decoder). Use mode='reconstruct' or "
            "'composite'."
        )


class LSTMAutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier detector: sequences with a large reconstruction error are anomalies.

    An :class:`LSTMAutoencoderTransformer` is trained on (mostly) normal
    sequences; a sequence it reconstructs badly does not look like them. The
    score of a sequence is minus its mean squared reconstruction error, the
    threshold ``offset_`` the ``contamination`` quantile of the training
    scores. The API is scikit-learn's for outlier detectors
    (:class:`~sklearn.ensemble.IsolationForest`,
    :class:`~sklearn.neighbors.LocalOutlierFactor`): ``predict`` returns +1
    for inliers and -1 for outliers. :meth:`timestep_errors` locates the
    anomaly inside a sequence.

    Parameters
    ----------
    autoencoder : LSTMAutoencoderTransformer, default=None
        The autoencoder to train (cloned in ``fit``); it needs a
        reconstruction decoder (``mode="reconstruct"`` or ``"composite"``).
        None uses ``LSTMAutoencoderTransformer(augment=None)``: the defaults,
        without the augmentations that would teach it that warped and
        rescaled sequences are normal. Tune it through nested
        parameters such as ``autoencoder__latent_dim``.
    contamination : float, default=0.01
        Expected fraction of outliers in the training data, in (0, 0.5]:
        ``offset_`` is set so that this fraction of the training sequences
        scores below it.

    Attributes
    ----------
    autoencoder_ : LSTMAutoencoderTransformer
        The fitted autoencoder.
    offset_ : float
        Threshold on ``score_samples``: ``decision_function = score_samples -
        offset_``, negative for outliers.
    n_features_in_ : int
        As in the autoencoder.

    See Also
    --------
    LSTMAutoencoderTransformer.score_samples : The error of the training objective.
    windows_to_series : Turn per-window step errors into one score per time point.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstm_ae import LSTMAutoencoderOutlierDetector, LSTMAutoencoderTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = np.sin(np.linspace(0, 6, 20) + rng.uniform(0, 3, (60, 1)))
    >>> ae = LSTMAutoencoderTransformer(latent_dim=4, encoder_units=(8,), epochs=5,
    ...                                 random_state=0)
    >>> detector = LSTMAutoencoderOutlierDetector(ae, contamination=0.1).fit(X)
    >>> detector.predict(X[:4]).shape
    (4,)
    >>> detector.timestep_errors(X[:4]).shape
    (4, 20)
    """

    _parameter_constraints = {
        "autoencoder": [LSTMAutoencoderTransformer, None],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(self, autoencoder=None, contamination=0.01):
        self.autoencoder = autoencoder
        self.contamination = contamination

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        ae = detector_autoencoder(self.autoencoder)
        ae_tags = ae.__sklearn_tags__()
        tags.input_tags = ae_tags.input_tags
        tags.non_deterministic = ae_tags.non_deterministic
        return tags

    def fit(self, X, y=None):
        """Train the autoencoder on X and set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Training sequences, mostly normal ones.
        y : None
            Ignored.

        Returns
        -------
        self : LSTMAutoencoderOutlierDetector
            If fit raises, ``self`` is left unchanged.
        """
        check_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        ae = clone(detector_autoencoder(self.autoencoder))
        require_reconstruction(ae, "outlier detector")
        ae.fit(X, y)
        scores = self._scores(ae, X)
        self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        self.autoencoder_ = ae
        self.n_features_in_ = ae.n_features_in_
        vars(self).pop("feature_names_in_", None)
        if hasattr(ae, "feature_names_in_"):
            self.feature_names_in_ = ae.feature_names_in_
        return self

    @staticmethod
    def _scores(ae, X):
        # Per-sequence errors batch by batch: memory grows with n_samples only.
        return -ae.reconstruction_errors(X)

    def timestep_errors(self, X):
        """Squared reconstruction error of every time step of every sequence.

        Averaged over features, in the scaled units the autoencoder is trained
        in; large values show where in a sequence the anomaly lies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps)
            Errors; NaN on padded steps.
        """
        check_is_fitted(self)
        return self.autoencoder_.reconstruction_errors(X, per_step=True)

    def score_samples(self, X):
        """Minus the mean squared reconstruction error of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,)
            The lower, the more abnormal.
        """
        check_is_fitted(self)
        return self._scores(self.autoencoder_, X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,)
            Shifted scores.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sequence: +1 inlier, -1 outlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences.

        Returns
        -------
        ndarray of shape (n_samples,), int
            +1 where ``decision_function(X) >= 0``, else -1.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)
