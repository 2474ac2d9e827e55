"""scikit-learn transformer that encodes sequences with an LSTM autoencoder."""

from ._dask import dask_apply
from ._data.panels import from_long_format
from ._data.sequences import PaddedSequences, check_sequences, unpad_sequences
from ._outliers import LSTMAutoencoderOutlierDetector
from ._plotting import plot_history, plot_latent_space, plot_reconstruction
from ._series_detector import LSTMAutoencoderSeriesDetector
from ._transformer import LSTMAutoencoderTransformer
from ._windows import SlidingWindows, dominant_period, sliding_windows, windows_to_series

__version__ = "0.1.0"

__all__ = [
    "LSTMAutoencoderTransformer",
    "LSTMAutoencoderOutlierDetector",
    "LSTMAutoencoderSeriesDetector",
    "SlidingWindows",
    "sliding_windows",
    "dominant_period",
    "windows_to_series",
    "plot_history",
    "plot_reconstruction",
    "plot_latent_space",
    "PaddedSequences",
    "check_sequences",
    "from_long_format",
    "unpad_sequences",
    "dask_apply",
]
