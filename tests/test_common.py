"""scikit-learn's estimator checks, run against the newest scikit-learn."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lstm_ae import LSTMAutoencoderOutlierDetector

from .helpers import tiny


@parametrize_with_checks(
    [tiny(epochs=1), LSTMAutoencoderOutlierDetector(tiny(epochs=1), contamination=0.1)],
    expected_failed_checks=lambda estimator: {},  # none: every check must pass
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
