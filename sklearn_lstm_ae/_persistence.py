"""Persistence: save a fitted transformer to one file and load it without running code.

The file is a zip archive holding the Keras model in the ``.keras`` format,
the estimator's parameters and fitted state as JSON, and the scaler's arrays
as ``.npz``. Loading uses Keras safe mode and ``allow_pickle=False``, so a
file cannot run code when loaded (unlike pickle or joblib files).
"""

import io
import json
import os
import tempfile
import warnings
import zipfile

import keras
import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from . import _layers  # noqa: F401  (registers the custom layers for safe mode)

__all__ = ["save_transformer", "load_transformer"]

FORMAT = "sklearn_lstm_ae/1"
_SCALERS = {"StandardScaler": StandardScaler, "MinMaxScaler": MinMaxScaler}
_SCALER_ARRAYS = {
    "StandardScaler": ("mean_", "var_", "scale_", "n_samples_seen_"),
    "MinMaxScaler": (
        "min_",
        "scale_",
        "data_min_",
        "data_max_",
        "data_range_",
        "n_samples_seen_",
    ),
}
_FITTED = ("n_timesteps_", "n_features_", "n_features_in_", "history_")
_PRIVATE = ("_fit_on_table", "_padded_fit", "_fit_spec")


_KERAS_KINDS = {
    "optimizer": (keras.optimizers, keras.optimizers.Optimizer),
    "loss": (keras.losses, keras.losses.Loss),
    "metric": (keras.metrics, keras.metrics.Metric),
}


def _keras_object(value):
    """JSON form of a Keras optimizer, loss or metric instance, else None."""
    for kind, (module, base) in _KERAS_KINDS.items():
        if isinstance(value, base):
            return {"__keras__": kind, "config": module.serialize(value)}
    return None


def _encode_param(name, value):
    """Return a JSON-safe form of a constructor parameter."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)) and name != "callbacks":
        return {
            "__tuple__" if isinstance(value, tuple) else "__list__": [
                _encode_param(name, v) for v in value
            ]
        }
    keras_obj = _keras_object(value)
    if keras_obj is not None:
        return keras_obj
    if isinstance(value, type) and issubclass(value, keras.optimizers.Optimizer):
        return {"__keras__": "optimizer_class", "name": value.__name__}
    if name == "scaler" and type(value).__name__ in _SCALERS:
        return {"__scaler__": type(value).__name__, "params": _encode_params(value)}
    if name == "callbacks":
        warnings.warn(
            "callbacks are not saved (they only act during training); the "
            "loaded transformer has callbacks=None.",
            UserWarning,
            stacklevel=4,
        )
        return None
    if name == "distribution_strategy":
        warnings.warn(
            "A tf.distribute strategy instance is not saved; the loaded "
            "transformer has distribution_strategy=None.",
            UserWarning,
            stacklevel=4,
        )
        return None
    if name == "random_state":
        return None  # a RandomState instance: its draws are already spent
    raise TypeError(
        f"Cannot save parameter {name}={value!r}: save() stores plain values, "
        "Keras objects and the 'standard'/'minmax' scalers. Use pickle or "
        "joblib for other objects (their files run code when loaded)."
    )


def _encode_params(estimator):
    return {k: _encode_param(k, v) for k, v in estimator.get_params(deep=False).items()}


def _decode_params(params):
    return {k: _decode_param(v) for k, v in params.items()}


def _decode_param(value):
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode_param(v) for v in value["__tuple__"])
    if "__list__" in value:
        return [_decode_param(v) for v in value["__list__"]]
    if "__scaler__" in value:
        return _SCALERS[value["__scaler__"]](**_decode_params(value["params"]))
    kind = value.get("__keras__")
    if kind == "optimizer_class":
        return type(keras.optimizers.get(value["name"]))
    module, _ = _KERAS_KINDS[kind]
    return module.deserialize(value["config"])


def save_transformer(estimator, path):
    """Save a fitted transformer to ``path`` (one zip file)."""
    check_is_fitted(estimator)
    params = _encode_params(estimator)
    fitted = {name: getattr(estimator, name) for name in _FITTED + _PRIVATE}
    names = getattr(estimator, "feature_names_in_", None)
    fitted["feature_names_in_"] = None if names is None else [str(n) for n in names]
    scaler = estimator.scaler_
    arrays = {}
    scaler_state = None
    if scaler is not None:
        kind = type(scaler).__name__  # _encode_params refused any other scaler
        scaler_state = {"class": kind, "params": _encode_params(scaler)}
        arrays = {a: np.asarray(getattr(scaler, a)) for a in _SCALER_ARRAYS[kind]}
        scaler_state["n_features_in_"] = int(scaler.n_features_in_)
    state = {
        "format": FORMAT,
        "class": type(estimator).__name__,
        "params": params,
        "fitted": fitted,
        "scaler": scaler_state,
    }
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.keras")
        estimator.model_.save(model_path)
        npz = io.BytesIO()
        np.savez(npz, **arrays)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(model_path, "model.keras")
            zf.writestr("estimator.json", json.dumps(state, indent=1))
            zf.writestr("scaler.npz", npz.getvalue())
    return path


def load_transformer(path, cls):
    """Load a transformer saved by :func:`save_transformer` as an instance of ``cls``."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(
            f"{path!r} is not a file written by LSTMAutoencoderTransformer.save()."
        ) from None
    with zf, tempfile.TemporaryDirectory() as tmp:
        try:
            state = json.loads(zf.read("estimator.json"))
        except KeyError:
            state = {}
        if state.get("format") != FORMAT:
            raise ValueError(
                f"{path!r} is not a file written by LSTMAutoencoderTransformer.save() "
                f"(format {state.get('format')!r}, expected {FORMAT!r})."
            )
        zf.extract("model.keras", tmp)
        model = keras.saving.load_model(
            os.path.join(tmp, "model.keras"), compile=True, safe_mode=True
        )
        with np.load(io.BytesIO(zf.read("scaler.npz")), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    est = cls(**_decode_params(state["params"]))
    fitted = state["fitted"]
    for name in _FITTED + _PRIVATE:
        setattr(est, name, fitted[name])
    if fitted["feature_names_in_"] is not None:
        est.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    scaler = None
    if state["scaler"] is not None:
        scaler_cls = _SCALERS[state["scaler"]["class"]]
        scaler = scaler_cls(**_decode_params(state["scaler"]["params"]))
        for name, value in arrays.items():
            setattr(scaler, name, value)
        scaler.n_features_in_ = state["scaler"]["n_features_in_"]
    est.scaler_ = scaler
    est._restore_model(model)
    return est
