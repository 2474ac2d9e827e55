"""scikit-learn's estimator checks, run against the newest scikit-learn."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lstm_ae import LSTMAutoencoderOutlierDetector

from .helpers import tiny

#: The columns of a 2D table are the time steps of univariate sequences, and
#: sequences of any length are encoded: a table of fewer or more columns than
#: in fit (its transpose X.T included) is valid input, where these checks
#: expect an error (they take the columns for features). Everything else must
#: pass.
_OTHER_LENGTHS = (
    "a 2D table's columns are time steps: tables of other lengths are sequences of "
    "other lengths, and are encoded"
)
_EXPECTED_FAILURES = {
    "LSTMAutoencoderTransformer": {
        "check_n_features_in_after_fitting": _OTHER_LENGTHS,
        "check_transformer_general": _OTHER_LENGTHS,
    },
    "LSTMAutoencoderOutlierDetector": {
        "check_n_features_in_after_fitting": _OTHER_LENGTHS,
        "check_outliers_train": _OTHER_LENGTHS,
    },
}


@parametrize_with_checks(
    [tiny(epochs=1), LSTMAutoencoderOutlierDetector(tiny(epochs=1), contamination=0.1)],
    expected_failed_checks=lambda estimator: _EXPECTED_FAILURES[type(estimator).__name__],
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
