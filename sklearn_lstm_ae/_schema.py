"""The saved file's schema: parameters, Keras objects, fitted fields and scaler state as JSON."""

import warnings
from dataclasses import fields

import keras
import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from ._archive import InvalidArchive
from ._config import NetworkConfig
from ._constraints import check_constraints, param_names
from ._fitted import SPEC_FIELDS, STATE_FIELDS
from ._names import AUGMENTATIONS, CELLS, CONV_POOLINGS, MODES, POOLINGS, SUMMARY_WIDTH
from ._params import check_params

__all__ = [
    "upgrade_params",
    "SCALER_ARRAYS",
    "encode_params",
    "decode_params",
    "check_saved_params",
    "with_added_params",
    "check_fitted",
    "check_network",
    "check_scaler",
    "parameter_bound",
    "require",
    "is_int",
]

SCALERS = {"StandardScaler": StandardScaler, "MinMaxScaler": MinMaxScaler}
SCALER_ARRAYS = {
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
    if name == "scaler" and type(value).__name__ in SCALERS:
        params = encode_params(value.get_params(deep=False))
        return {"__scaler__": type(value).__name__, "params": params}
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


def encode_params(params):
    """JSON-safe forms of a dict of parameters (an estimator's or a scaler's)."""
    return {k: _encode_param(k, v) for k, v in params.items()}


def require(ok, problem):
    if not ok:
        raise InvalidArchive(problem)


def is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


#: The transformer parameters that files written before the budget, optimizer
#: and batching knobs were merged hold (transformer format 2, series
#: detector format 1), and their Keras defaults then.
_MERGED = {"learning_rate": 1e-3, "clipnorm": 1.0, "early_stopping": None}


def upgrade_params(params):
    """The parameters of an older file as today's: one way to set each thing.

    ``learning_rate`` and ``clipnorm`` become the routed
    ``optimizer__learning_rate`` and ``optimizer__clipnorm`` (when they
    differ from what a fit gives anyway), ``bucketing=False`` becomes
    ``shuffle=True`` (random batches), ``early_stopping`` is dropped, and so
    is ``max_updates`` beside an int ``epochs`` (where it was ignored): they
    only changed how a refit trains, and the model in the file is as
    trained. Anything malformed is left for the schema to refuse.
    """
    if not isinstance(params, dict):
        return params
    params = dict(params)
    old = {name: params.pop(name, default) for name, default in _MERGED.items()}
    bucketing = params.pop("bucketing", True)
    if old["learning_rate"] != _MERGED["learning_rate"]:
        params.setdefault("optimizer__learning_rate", old["learning_rate"])
    if old["clipnorm"] != _MERGED["clipnorm"] and not any(
        k in params for k in ("optimizer__clipvalue", "optimizer__global_clipnorm")
    ):
        params.setdefault("optimizer__clipnorm", old["clipnorm"])
    if params.get("shuffle") is True:
        params["shuffle"] = "buckets" if bucketing is not False else True
    if params.get("epochs") != "auto" and "max_updates" in params:
        params["max_updates"] = 500
    return params


#: Transformer parameters added since the current formats were defined, and
#: the value that builds the network an older file holds.
_ADDED = {"conv_pooling": None, "conv_dilation": 1, "augment": None}


def with_added_params(params, added=_ADDED):
    """Saved values with those ``added`` since the file was written, at their old meaning
    (by default the transformer's parameters)."""
    return {**added, **params} if isinstance(params, dict) else params


def decode_params(params, allowed, where="params"):
    """Decode saved parameters, refusing any name not in ``allowed(name)``."""
    require(isinstance(params, dict), f"{where} must be a JSON object")
    for name in params:
        require(allowed(name), f"{where} holds the unknown parameter {name!r}")
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
        require(
            isinstance(module, str) and (module == "keras" or module.startswith("keras.")),
            f"{where} names the module {module!r}; only Keras's own objects are loaded",
        )
        require(
            config.get("registered_name") in (None, config.get("class_name")),
            f"{where} names the registered object {config.get('registered_name')!r}; "
            "only Keras's own objects are loaded",
        )
    for key, value in config.items():
        require(key != "__lambda__" and key != "function_type", f"{where} holds code")
        _check_keras_config(value, where)


def _scaler(kind, params, where):
    """A scikit-learn scaler of a known class, its saved parameters validated."""
    known = isinstance(kind, str) and kind in SCALERS
    require(known, f"{where} names the unknown scaler class {kind!r}")
    cls = SCALERS[kind]
    scaler = cls(**decode_params(params, cls().get_params().__contains__, where))
    try:
        # with_std="" would silently scale differently
        constraints = getattr(scaler, "_parameter_constraints", None)
        check_constraints(constraints, scaler.get_params(deep=False), type(scaler).__name__)
    except (ValueError, TypeError) as exc:
        raise InvalidArchive(f"{where} has an invalid parameter: {exc}") from exc
    return scaler


def check_saved_params(cls, params):
    """Check saved parameters as ``fit`` would: every one present, each of its type and range."""
    names = set(param_names(cls))
    for name in sorted(names - set(params)):
        require(False, f"params lacks the parameter {name!r}")
    try:
        check_params(params, cls.__name__)
    except (ValueError, TypeError) as exc:
        raise InvalidArchive(f"params are not valid parameters of {cls.__name__}: {exc}") from exc


def _decode_param(value, where):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    require(isinstance(value, dict) and len(value) >= 1, f"{where} has an unknown form")
    if "__tuple__" in value or "__list__" in value:
        kind = next(iter(value))
        require(len(value) == 1 and isinstance(value[kind], list), f"{where} has an unknown form")
        items = [_decode_param(v, where) for v in value[kind]]
        return tuple(items) if kind == "__tuple__" else items
    if "__scaler__" in value:
        return _scaler(value["__scaler__"], value.get("params"), where)
    kind = value.get("__keras__")
    require(
        kind in (*_KERAS_KINDS, "optimizer_class"),
        f"{where} holds the unknown object kind {kind or next(iter(value))!r}",
    )
    try:
        if kind == "optimizer_class":
            name = value.get("name")
            require(
                isinstance(name, str) and isinstance(getattr(keras.optimizers, name, None), type),
                f"{where} names the unknown optimizer {name!r}",
            )
            return getattr(keras.optimizers, name)
        _check_keras_config(value.get("config"), where)
        module, base = _KERAS_KINDS[kind]
        obj = module.deserialize(value["config"])
    except InvalidArchive:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, ImportError) as exc:
        raise InvalidArchive(f"{where} is not a valid Keras {kind}: {exc}") from exc
    require(isinstance(obj, base), f"{where} is not a Keras {kind}")
    return obj


#: Longest sequence a saved state may declare: beyond it, padding inputs to
#: ``n_timesteps_`` would cost more memory than any fit could have used.
MAX_TIMESTEPS = 2**24


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_fitted(fitted):
    """Check the fitted state against its schema: every field present, of its type and range."""
    require(isinstance(fitted, dict), "'fitted' must be a JSON object")
    expected = set(STATE_FIELDS)
    for name in sorted(expected - set(fitted)):
        require(False, f"the fitted field {name!r} is missing")
    for name in sorted(set(fitted) - expected):
        require(False, f"'fitted' holds the unknown field {name!r}")
    for name in ("n_timesteps_", "n_features_", "n_features_in_"):
        require(
            is_int(fitted[name], 1) and fitted[name] <= MAX_TIMESTEPS,
            f"{name} must be a positive int of at most {MAX_TIMESTEPS}",
        )
    history = fitted["history_"]
    require(
        isinstance(history, dict)
        and all(isinstance(v, list) and all(_is_number(x) for x in v) for v in history.values()),
        "history_ must map names to lists of numbers",
    )
    for name in ("_fit_on_table", "_padded_fit"):
        require(isinstance(fitted[name], bool), f"{name} must be true or false")
    if fitted["_fit_on_table"]:
        require(fitted["n_features_"] == 1, "a fit on a 2D table has n_features_ 1")
    else:
        require(
            fitted["n_features_in_"] == fitted["n_features_"],
            "n_features_in_ must equal n_features_ (a fit on sequences)",
        )
    _check_spec(fitted["_fit_spec"])
    check_network(fitted["_network"])
    require(
        fitted["_data_format"] in ("channels_last", "channels_first"),
        "_data_format must be 'channels_last' or 'channels_first'",
    )
    names = fitted["feature_names_in_"]
    require(
        names is None
        or (
            isinstance(names, list)
            and len(names) == fitted["n_features_in_"]
            and all(isinstance(n, str) for n in names)
        ),
        "feature_names_in_ must be null or n_features_in_ strings",
    )


def _check_spec(spec):
    """The objective a model was trained for: exactly :data:`SPEC_FIELDS`, each in range."""
    keys = set(SPEC_FIELDS)
    require(isinstance(spec, dict) and set(spec) == keys, f"_fit_spec must hold {sorted(keys)}")
    mode = spec["mode"]
    require(isinstance(mode, str) and mode in MODES, f"_fit_spec names the unknown mode {mode!r}")
    n_future = spec["n_future"]
    require(
        is_int(n_future, 0) and (n_future == 0) == (mode == "reconstruct"),
        "_fit_spec n_future must be 0 in mode 'reconstruct' and a positive int otherwise",
    )
    for name in ("reverse_target", "conditional"):
        require(isinstance(spec[name], bool), f"_fit_spec {name} must be true or false")
    weight = spec["future_weight"]
    require(
        _is_number(weight) and 0 <= weight <= 1,
        "_fit_spec future_weight must be in [0, 1]",
    )
    for name in ("subseries_weight", "context_weight"):
        weight = spec[name]
        require(
            _is_number(weight) and 0 <= weight < 1e6,
            f"_fit_spec {name} must be a number >= 0",
        )


def check_scaler(scaler, arrays, n_features):
    """Check the scaler's state and arrays; return the scaler, or None."""
    if scaler is None:
        require(not arrays, "scaler.npz holds arrays but no scaler is saved")
        return None
    require(
        isinstance(scaler, dict) and set(scaler) == {"class", "params", "n_features_in_"},
        "'scaler' must hold 'class', 'params' and 'n_features_in_'",
    )
    kind = scaler["class"]
    est = _scaler(kind, scaler["params"], "scaler")
    require(
        is_int(scaler["n_features_in_"]) and scaler["n_features_in_"] == n_features,
        "the scaler's n_features_in_ != n_features_",
    )
    require(
        set(arrays) == set(SCALER_ARRAYS[kind]),
        f"scaler.npz must hold the arrays {sorted(SCALER_ARRAYS[kind])}",
    )
    for name, value in arrays.items():
        require(
            value.dtype.kind in "fiu" and value.ndim <= 1 and value.size in (1, n_features),
            f"the scaler array {name!r} has the wrong type or size",
        )
        setattr(est, name, value)
    est.n_features_in_ = n_features
    return est


def _check_units(value, where, empty=False):
    require(
        isinstance(value, list) and (empty or value) and all(is_int(u, 1) for u in value),
        f"{where} must be a {'' if empty else 'non-empty '}list of positive ints",
    )


def check_network(values):
    """The saved NetworkConfig (``_network``), each field checked; returns the config."""
    keys = {f.name for f in fields(NetworkConfig)}
    values = with_added_params(values)  # written before these options existed
    require(isinstance(values, dict) and set(values) == keys, f"_network must hold {sorted(keys)}")
    where = "_network"
    require(is_int(values["latent_dim"], 1), f"{where} latent_dim must be a positive int")
    for name in ("conv_kernel_size", "conv_stride", "conv_dilation"):
        require(is_int(values[name], 1), f"{where} {name} must be a positive int")
    require(values["cell"] in CELLS, f"{where} cell must be one of {CELLS}")
    require(values["pooling"] in POOLINGS, f"{where} pooling must be one of {POOLINGS}")
    require(
        values["conv_pooling"] in (None, *CONV_POOLINGS),
        f"{where} conv_pooling must be null or one of {CONV_POOLINGS}",
    )
    require(isinstance(values["bidirectional"], bool), f"{where} bidirectional must be a bool")
    require(isinstance(values["activation"], str), f"{where} activation must be a string")
    require(
        values["output_activation"] in (None, "sigmoid"),
        f"{where} output_activation must be null or 'sigmoid'",
    )
    for name in ("dropout", "mask_ratio"):
        value = values[name]
        require(_is_number(value) and 0 <= value < 1, f"{where} {name} must be in [0, 1)")
    augment = values["augment"] or []  # null: written before augmentations existed
    require(
        isinstance(augment, list) and all(a in AUGMENTATIONS for a in augment),
        f"{where} augment must be a list of names from {AUGMENTATIONS}",
    )
    values = {**values, "augment": augment}
    _check_units(values["encoder_units"], f"{where} encoder_units")
    _check_units(values["decoder_units"], f"{where} decoder_units")
    _check_units(values["conv_filters"], f"{where} conv_filters", empty=True)
    return NetworkConfig.from_dict(values)


def parameter_bound(network, spec, n_features):
    """An upper bound on the number of weights of the model ``network`` and ``spec`` build."""
    gates = 4 if network.cell == "lstm" else 3
    ways = 2 if network.bidirectional else 1

    def recurrent(width, units):  # kernels and up to two bias vectors per gate
        return gates * (width * units + units * units + 2 * units)

    total, width, latent = 0, n_features, network.latent_dim
    for f in network.conv_filters:  # the convolutional front end
        total += network.conv_kernel_size * width * f + f
        width = f
    upsample = 1 if spec.conditional else network.conv_stride ** len(network.conv_filters)
    for units in network.encoder_units:
        total += ways * recurrent(width, units)
        width = ways * units
    width *= SUMMARY_WIDTH[network.pooling]
    pooled_maps = 2 * sum(network.conv_filters) if network.conv_pooling else 0
    if network.conv_pooling == "projected":
        width += pooled_maps
    total += width * latent + latent
    code = latent + (pooled_maps if network.conv_pooling == "appended" else 0)
    for _ in spec.decoders:
        width = code + (n_features if spec.conditional else 0)
        for units in network.decoder_units:
            total += recurrent(width, units)
            width = units
        total += (width * n_features + n_features) * upsample
    # The seed states of the augmentation, the span masking, the subseries and
    # the context crops (2 each).
    return total + 8
