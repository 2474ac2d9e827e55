"""Persistence for serving: a TensorFlow SavedModel that runs without this package.

The exported graph reads raw sequences (the scaler's affine map is inside),
NaN-padded batches of any length (the padding mask is inside), and holds
standard TensorFlow operations only: the recurrent fast paths are switched
off while it is traced (:func:`~sklearn_lstm_ae._recurrent.standard_ops`),
so TensorFlow Serving, TFLite converters and tf2onnx read it as they read
Keras's own LSTM.
"""

import inspect

import keras
import numpy as np
import tensorflow as tf

from ._archive import atomic_directory
from ._network import RECONSTRUCTION
from ._recurrent import standard_ops
from ._scaling import scale_inplace

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


def _write_out(archive, path):
    if "verbose" in inspect.signature(archive.write_out).parameters:
        archive.write_out(path, verbose=False)
    else:  # Keras before 3.4 prints nothing here
        archive.write_out(path)


def export_saved_model(fitted, path):
    """Write ``fitted`` (a FittedAutoencoder) as a SavedModel directory at ``path``.

    Signatures: ``serving_default`` and ``transform`` (codes), and, with a
    reconstruction decoder, ``reconstruct`` (original units, NaN on
    padding) and, in mode "reconstruct", ``score_samples``. Each takes
    ``sequences``, float32 ``(batch, time, features)`` (``(batch, features,
    time)`` channels first), NaN-padded at the end.
    """
    n_features = fitted.n_features
    scale, shift = _affine_scaling(fitted.scaler, n_features)
    channels_first = fitted.data_format == "channels_first"
    shape = (None, n_features, None) if channels_first else (None, None, n_features)
    spec = tf.TensorSpec(shape, tf.float32, name="sequences")
    reconstructs = RECONSTRUCTION in fitted.heads
    reverse = fitted.spec.reverse_target

    def read(sequences):
        x = tf.transpose(sequences, (0, 2, 1)) if channels_first else sequences
        return x * scale + shift  # NaN padding stays NaN

    def layout(x):
        return tf.transpose(x, (0, 2, 1)) if channels_first else x

    with standard_ops():
        encoder = fitted.graphs.encoder(masked=True)
        archive = keras.export.ExportArchive()
        archive.track(encoder)

        def codes(sequences):
            return {"codes": encoder(read(sequences), training=False)}

        archive.add_endpoint("serving_default", codes, input_signature=[spec])
        archive.add_endpoint("transform", codes, input_signature=[spec])
        if reconstructs:
            autoencoder = fitted.graphs.autoencoder(True, RECONSTRUCTION)
            archive.track(autoencoder)

            def rebuilt_scaled(x):
                """Forward-ordered reconstruction of scaled ``x``, NaN on padding."""
                valid = tf.logical_not(tf.reduce_any(tf.math.is_nan(x), axis=-1))
                out = autoencoder(x, training=False)
                if reverse:
                    lengths = tf.reduce_sum(tf.cast(valid, tf.int32), axis=1)
                    out = tf.reverse_sequence(out, lengths, seq_axis=1, batch_axis=0)
                return tf.where(valid[:, :, None], out, np.float32(np.nan)), valid

            def reconstruct(sequences):
                out, _ = rebuilt_scaled(read(sequences))
                return {"reconstruction": layout((out - shift) / scale)}

            archive.add_endpoint("reconstruct", reconstruct, input_signature=[spec])
            if fitted.spec.mode == "reconstruct":

                def score_samples(sequences):
                    x = read(sequences)
                    out, valid = rebuilt_scaled(x)
                    squared = tf.where(valid[:, :, None], tf.square(out - x), 0.0)
                    count = tf.reduce_sum(tf.cast(valid, tf.float32), axis=1) * n_features
                    return {"scores": -tf.reduce_sum(squared, axis=(1, 2)) / count}

                archive.add_endpoint("score_samples", score_samples, input_signature=[spec])
        atomic_directory(path, lambda tmp: _write_out(archive, tmp))
    return path
