"""scikit-learn transformer that encodes sequences with an LSTM autoencoder."""

from ._sequences import PaddedSequences, check_sequences, unpad_sequences
from ._transformer import LSTMAutoencoderTransformer

__version__ = "0.1.0"

__all__ = [
    "LSTMAutoencoderTransformer",
    "PaddedSequences",
    "check_sequences",
    "unpad_sequences",
]
