"""Persistence for serving: a TensorFlow SavedModel that runs without this package.

The exported graph reads raw sequences (the scaler's affine map is inside),
NaN-padded batches of any length (the padding mask is inside), and holds
standard TensorFlow operations only: the recurrent fast paths are switched
off while it is traced (:func:`~sklearn_lstm_ae._keras.recurrent.standard_ops`),
so TensorFlow Serving, TFLite converters and tf2onnx read it as they read
Keras's own LSTM. It is written by TensorFlow's ``tf.saved_model.save`` from
a ``tf.Module`` that holds the graphs' variables, which prints nothing and
needs no particular Keras version.
"""

import numpy as np
import tensorflow as tf

from ._archive import atomic_directory
from ._data.scaling import scale_inplace
from ._keras.recurrent import standard_ops
from ._names import RECONSTRUCTION

__all__ = ["export_saved_model", "SIGNATURES"]

#: The signatures an export may hold, and what each returns.
SIGNATURES = {
    "serving_default": "codes",
    "transform": "codes",
    "reconstruct": "reconstruction",
    "score_samples": "scores",
}


def _affine_scaling(scaler, n_features):
    """``(scale, shift)`` with ``scaler.transform(x) == x * scale + shift`` per feature.

    Read from the fitted scaler by probing it, and checked on random values:
    a scaler that is not per-feature affine cannot go into the graph.
    """
    if scaler is None:
        return np.ones(n_features, np.float32), np.zeros(n_features, np.float32)
    rng = np.random.default_rng(0)
    zeros, ones = np.zeros((1, 1, n_features)), np.ones((1, 1, n_features))
    probe = np.concatenate([zeros, ones, rng.normal(size=(8, 1, n_features))]).astype(np.float32)
    out = scale_inplace(scaler, probe.copy())
    shift, scale = out[0, 0], out[1, 0] - out[0, 0]
    if not np.allclose(out[2:], probe[2:] * scale + shift, rtol=1e-4, atol=1e-5):
        raise ValueError(
            f"export puts the scaling into the graph, which needs a per-feature affine "
            f"scaler (scaler='standard', 'minmax' or None), but {scaler!r} is not one. "
            "Refit with one of those, or export encoder_ (which reads scaled "
            "sequences) and apply your scaler before it."
        )
    return scale.astype(np.float32), shift.astype(np.float32)


class _Serving:
    """The exported signatures' functions: raw sequences in, the fitted graphs' outputs out."""

    def __init__(self, fitted):
        self.scale, self.shift = _affine_scaling(fitted.scaler, fitted.n_features)
        self.channels_first = fitted.data_format == "channels_first"
        self.reverse = fitted.spec.reverse_target
        self.n_features = fitted.n_features
        self.encoder = fitted.graphs.encoder(masked=True)
        self.autoencoder = None
        if RECONSTRUCTION in fitted.heads:
            self.autoencoder = fitted.graphs.autoencoder(True, RECONSTRUCTION)

    def _read(self, sequences):
        """Raw sequences in the estimator's layout -> scaled, channels last (NaN stays NaN)."""
        x = tf.transpose(sequences, (0, 2, 1)) if self.channels_first else sequences
        return x * self.scale + self.shift

    def _rebuilt_scaled(self, x):
        """``(forward-ordered reconstruction of scaled x, NaN on padding; valid steps)``."""
        valid = tf.logical_not(tf.reduce_any(tf.math.is_nan(x), axis=-1))
        out = self.autoencoder(x, training=False)
        if self.reverse:
            lengths = tf.reduce_sum(tf.cast(valid, tf.int32), axis=1)
            out = tf.reverse_sequence(out, lengths, seq_axis=1, batch_axis=0)
        return tf.where(valid[:, :, None], out, np.float32(np.nan)), valid

    def codes(self, sequences):
        return {"codes": self.encoder(self._read(sequences), training=False)}

    def reconstruct(self, sequences):
        out, _ = self._rebuilt_scaled(self._read(sequences))
        out = (out - self.shift) / self.scale
        return {"reconstruction": tf.transpose(out, (0, 2, 1)) if self.channels_first else out}

    def score_samples(self, sequences):
        x = self._read(sequences)
        out, valid = self._rebuilt_scaled(x)
        squared = tf.where(valid[:, :, None], tf.square(out - x), 0.0)
        count = tf.reduce_sum(tf.cast(valid, tf.float32), axis=1) * self.n_features
        return {"scores": -tf.reduce_sum(squared, axis=(1, 2)) / count}


def export_saved_model(fitted, path):
    """Write ``fitted`` (a FittedAutoencoder) as a SavedModel directory at ``path``.

    Signatures: ``serving_default`` and ``transform`` (codes), and, with a
    reconstruction decoder, ``reconstruct`` (original units, NaN on
    padding) and, in mode "reconstruct", ``score_samples``. Each takes
    ``sequences``, float32 ``(batch, time, features)`` (``(batch, features,
    time)`` channels first), NaN-padded at the end.
    """
    n_features = fitted.n_features
    serving = _Serving(fitted)
    shape = (None, n_features, None) if serving.channels_first else (None, None, n_features)
    spec = [tf.TensorSpec(shape, tf.float32, name="sequences")]
    endpoints = {"serving_default": serving.codes, "transform": serving.codes}
    if serving.autoencoder is not None:
        endpoints["reconstruct"] = serving.reconstruct
        if fitted.spec.mode == "reconstruct":
            endpoints["score_samples"] = serving.score_samples
    with standard_ops():  # every trace below without the fast paths
        module = tf.Module()
        # The graphs' variables, tracked so that the SavedModel holds them.
        graphs = [serving.encoder] + ([serving.autoencoder] if serving.autoencoder else [])
        module.weights = [v.value for g in graphs for v in g.variables]
        signatures = {}
        for name, fn in endpoints.items():
            traced = tf.function(fn, input_signature=spec, autograph=False)
            setattr(module, name, traced)
            signatures[name] = traced.get_concrete_function()
        atomic_directory(path, lambda tmp: tf.saved_model.save(module, tmp, signatures=signatures))
    return path
