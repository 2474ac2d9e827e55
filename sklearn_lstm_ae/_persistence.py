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
from ._network import AutoencoderGraphs
from ._params import is_routed
from ._training import restore_model

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


class _Invalid(ValueError):
    """A saved file that does not match the schema (re-raised with the path)."""


def _require(ok, problem):
    if not ok:
        raise _Invalid(problem)


def _is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _decode_params(params, allowed, where="params"):
    """Decode saved parameters, refusing any name not in ``allowed(name)``."""
    _require(isinstance(params, dict), f"{where} must be a JSON object")
    for name in params:
        _require(allowed(name), f"{where} holds the unknown parameter {name!r}")
    return {k: _decode_param(v, f"{where}.{k}") for k, v in params.items()}


def _check_keras_config(config, where):
    """Refuse Keras configs that name anything outside Keras's own modules."""
    if isinstance(config, list):
        for item in config:
            _check_keras_config(item, where)
        return
    if not isinstance(config, dict):
        return
    module = config.get("module")
    if module is not None:
        _require(
            isinstance(module, str) and (module == "keras" or module.startswith("keras.")),
            f"{where} names the module {module!r}; only Keras's own objects are loaded",
        )
        _require(
            config.get("registered_name") in (None, config.get("class_name")),
            f"{where} names the registered object {config.get('registered_name')!r}; "
            "only Keras's own objects are loaded",
        )
    for key, value in config.items():
        _require(key != "__lambda__" and key != "function_type", f"{where} holds code")
        _check_keras_config(value, where)


def _decode_param(value, where):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    _require(isinstance(value, dict) and len(value) >= 1, f"{where} has an unknown form")
    if "__tuple__" in value or "__list__" in value:
        kind = next(iter(value))
        _require(len(value) == 1 and isinstance(value[kind], list), f"{where} has an unknown form")
        items = [_decode_param(v, where) for v in value[kind]]
        return tuple(items) if kind == "__tuple__" else items
    if "__scaler__" in value:
        kind = value["__scaler__"]
        _require(kind in _SCALERS, f"{where} names the unknown scaler class {kind!r}")
        cls = _SCALERS[kind]
        names = cls().get_params()
        return cls(**_decode_params(value.get("params"), names.__contains__, where))
    kind = value.get("__keras__")
    _require(
        kind in (*_KERAS_KINDS, "optimizer_class"),
        f"{where} holds the unknown object kind {kind or next(iter(value))!r}",
    )
    try:
        if kind == "optimizer_class":
            name = value.get("name")
            _require(
                isinstance(name, str) and isinstance(getattr(keras.optimizers, name, None), type),
                f"{where} names the unknown optimizer {name!r}",
            )
            return getattr(keras.optimizers, name)
        _check_keras_config(value.get("config"), where)
        module, base = _KERAS_KINDS[kind]
        obj = module.deserialize(value["config"])
    except _Invalid:
        raise
    except Exception as exc:
        raise _Invalid(f"{where} is not a valid Keras {kind}: {exc}") from None
    _require(isinstance(obj, base), f"{where} is not a Keras {kind}")
    return obj


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


_SPEC_MODES = ("reconstruct", "predict", "composite")
_BEFORE_ENCODER_OPTIONS = {"pooling": "last", "cell": "lstm", "bidirectional": False}


def _check_fitted(fitted):
    """Check the fitted state against its schema (names, types, ranges)."""
    _require(isinstance(fitted, dict), "'fitted' must be a JSON object")
    expected = {*_FITTED, *_PRIVATE, "feature_names_in_"}
    for name in sorted(expected - set(fitted)):
        _require(False, f"the fitted field {name!r} is missing")
    for name in sorted(set(fitted) - expected):
        _require(False, f"'fitted' holds the unknown field {name!r}")
    for name in ("n_timesteps_", "n_features_", "n_features_in_"):
        _require(_is_int(fitted[name], 1), f"{name} must be a positive int")
    history = fitted["history_"]
    _require(
        isinstance(history, dict)
        and all(
            isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)
            for v in history.values()
        ),
        "history_ must map names to lists of numbers",
    )
    for name in ("_fit_on_table", "_padded_fit"):
        _require(isinstance(fitted[name], bool), f"{name} must be true or false")
    spec = fitted["_fit_spec"]
    keys = {"mode", "n_future", "reverse_target", "conditional", "future_weight"}
    _require(isinstance(spec, dict) and set(spec) == keys, f"_fit_spec must hold {sorted(keys)}")
    _require(spec["mode"] in _SPEC_MODES, f"_fit_spec names the unknown mode {spec['mode']!r}")
    _require(_is_int(spec["n_future"]), "_fit_spec n_future must be an int >= 0")
    for name in ("reverse_target", "conditional"):
        _require(isinstance(spec[name], bool), f"_fit_spec {name} must be true or false")
    weight = spec["future_weight"]
    _require(
        isinstance(weight, (int, float)) and 0 <= weight <= 1,
        "_fit_spec future_weight must be in [0, 1]",
    )
    names = fitted["feature_names_in_"]
    _require(
        names is None
        or (
            isinstance(names, list)
            and len(names) == fitted["n_features_in_"]
            and all(isinstance(n, str) for n in names)
        ),
        "feature_names_in_ must be null or n_features_in_ strings",
    )


def _check_scaler(scaler, arrays, n_features):
    """Check the scaler's state and arrays; return the scaler, or None."""
    if scaler is None:
        _require(not arrays, "scaler.npz holds arrays but no scaler is saved")
        return None
    _require(
        isinstance(scaler, dict) and set(scaler) == {"class", "params", "n_features_in_"},
        "'scaler' must hold 'class', 'params' and 'n_features_in_'",
    )
    kind = scaler["class"]
    _require(kind in _SCALERS, f"'scaler' names the unknown scaler class {kind!r}")
    cls = _SCALERS[kind]
    est = cls(**_decode_params(scaler["params"], cls().get_params().__contains__, "scaler"))
    _require(scaler["n_features_in_"] == n_features, "the scaler's n_features_in_ != n_features_")
    _require(
        set(arrays) == set(_SCALER_ARRAYS[kind]),
        f"scaler.npz must hold the arrays {sorted(_SCALER_ARRAYS[kind])}",
    )
    for name, value in arrays.items():
        _require(
            value.dtype.kind in "fiu" and value.size in (1, n_features),
            f"the scaler array {name!r} has the wrong type or size",
        )
        setattr(est, name, value)
    est.n_features_in_ = n_features
    return est


def _read_state(zf, cls):
    names = set(zf.namelist())
    for member in ("estimator.json", "model.keras", "scaler.npz"):
        _require(member in names, f"the archive has no {member!r}")
    try:
        state = json.loads(zf.read("estimator.json"))
    except ValueError:
        raise _Invalid("estimator.json is not valid JSON") from None
    _require(isinstance(state, dict), "estimator.json must hold a JSON object")
    keys = {"format", "class", "params", "fitted", "scaler"}
    _require(set(state) == keys, f"estimator.json must hold exactly {sorted(keys)}")
    _require(
        state["class"] == cls.__name__,
        f"it holds a {state['class']!r}, not a {cls.__name__}",
    )
    return state


def load_transformer(path, cls):
    """Load a transformer saved by :func:`save_transformer` as an instance of ``cls``.

    The file is checked against the schema before anything is built: known
    members, parameters and fitted fields only, scalers from a fixed list,
    Keras objects from Keras's own modules only, and the model read in Keras
    safe mode. Every problem raises a ``ValueError`` that names it.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError):
        raise ValueError(f"{path!r} is not a file written by {cls.__name__}.save().") from None
    with zf, tempfile.TemporaryDirectory() as tmp:
        try:
            state = json.loads(zf.read("estimator.json"))
        except (KeyError, ValueError):
            state = {}
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(
                f"{path!r} is not a file written by {cls.__name__}.save() "
                f"(format {state.get('format') if isinstance(state, dict) else None!r}, "
                f"expected {FORMAT!r})."
            )
        try:
            est = _load(zf, tmp, cls)
        except _Invalid as exc:
            raise ValueError(f"{path!r} is not a valid saved {cls.__name__}: {exc}.") from None
    return est


def _load(zf, tmp, cls):
    state = _read_state(zf, cls)
    names = set(cls._get_param_names())
    params = _decode_params(state["params"], lambda n: n in names or is_routed(n))
    # Files saved before these parameters existed hold a model built without
    # them: give the loaded estimator the values that built it.
    params = {**_BEFORE_ENCODER_OPTIONS, **params}
    fitted = state["fitted"]
    _check_fitted(fitted)
    try:
        with np.load(io.BytesIO(zf.read("scaler.npz")), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise _Invalid(f"scaler.npz cannot be read ({exc})") from None
    scaler = _check_scaler(state["scaler"], arrays, fitted["n_features_"])
    try:
        zf.extract("model.keras", tmp)
        model = keras.saving.load_model(
            os.path.join(tmp, "model.keras"), compile=True, safe_mode=True
        )
    except Exception as exc:
        raise _Invalid(f"model.keras cannot be loaded in Keras safe mode ({exc})") from None
    shape = (fitted["n_timesteps_"], fitted["n_features_"])
    try:
        graphs = AutoencoderGraphs(model)
        model_shape = graphs.input_shape if graphs.latent_dim and graphs.heads else None
    except Exception:  # not a model built by this package
        model_shape = None
    _require(
        model_shape is not None
        and model_shape[1] == shape[1]
        and model_shape[0] in (None, shape[0]),  # None: a free time axis
        f"model.keras reads sequences of shape {model_shape}, but the fitted state says {shape}",
    )
    est = cls(**params)
    for name in _FITTED + _PRIVATE:
        setattr(est, name, fitted[name])
    if fitted["feature_names_in_"] is not None:
        est.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    est.scaler_ = scaler
    restore_model(est, model)
    return est
