"""Persistence: save a fitted transformer to one file and load it without running code.

The file is a zip archive holding the Keras model in the ``.keras`` format,
the estimator's parameters and fitted state as JSON, and the scaler's arrays
as ``.npz``. Loading uses Keras safe mode and ``allow_pickle=False``, so a
file cannot run code when loaded (unlike pickle or joblib files). Saving is
atomic and loading reads each member only within a size limit
(:mod:`sklearn_lstm_ae._archive`). The Keras model in the file names Keras's
own LSTM, GRU and Adam, not the CPU fast paths
(:mod:`sklearn_lstm_ae._stable_names`).
"""

import io
import json
import os
import struct
import tempfile
import zipfile
import zlib

import keras
import numpy as np

from . import _keras  # noqa: F401  (registers the package's Keras objects for safe mode)
from ._archive import (
    InvalidArchive,
    MiB,
    atomic_write,
    check_members,
    check_names,
    check_nested_zip,
    check_size,
    read_member,
)
from ._config import TrainingSpec
from ._constraints import check_constraints, param_names
from ._fitted import FittedAutoencoder
from ._keras.network import AutoencoderGraphs
from ._names import FUTURE, RECONSTRUCTION
from ._params import is_routed
from ._schema import (
    SCALER_ARRAYS,
    check_fitted,
    check_network,
    check_saved_params,
    check_scaler,
    decode_params,
    encode_params,
    is_int,
    parameter_bound,
    require,
    upgrade_params,
    with_added_params,
)
from ._stable_names import to_fast_paths, to_stable_names

__all__ = ["save_transformer", "load_transformer", "save_detector", "load_detector"]

#: The file format this version writes and reads. Format 1 was written by
#: development versions before 0.1.0 was released; those files are refused
#: with an error that names their format. Format 2 files (development
#: versions too, whose parameters had overlapping knobs) are read, their
#: parameters translated by :func:`~sklearn_lstm_ae._schema.upgrade_params`.
FORMAT = "sklearn_lstm_ae/3"
_READ_FORMATS = (FORMAT, "sklearn_lstm_ae/2")
#: What reading a damaged archive raises besides ``InvalidArchive``: a bad
#: CRC or zip structure, a corrupt deflate stream, a cut-off member, bytes
#: that are not UTF-8 or JSON, values of the wrong type deeper than the
#: schema looks. Each becomes a ``ValueError`` naming the file, chained.
_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    UnicodeDecodeError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    OSError,
)


def save_transformer(params, fitted, path, *, class_name):
    """Save an estimator's ``params`` and its ``fitted`` autoencoder to ``path`` (one zip file)."""
    params = encode_params(params)
    scaler = fitted.scaler
    arrays = {}
    scaler_state = None
    if scaler is not None:
        kind = type(scaler).__name__  # encode_params refused any other scaler
        scaler_state = {"class": kind, "params": encode_params(scaler.get_params(deep=False))}
        arrays = {a: np.asarray(getattr(scaler, a)) for a in SCALER_ARRAYS[kind]}
        scaler_state["n_features_in_"] = int(scaler.n_features_in_)
    state = {
        "format": FORMAT,
        "class": class_name,
        "params": params,
        "fitted": fitted.to_state(),
        "scaler": scaler_state,
    }
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.keras")
        fitted.model.save(model_path)
        to_stable_names(model_path)  # the file names Keras's LSTM, GRU, Adam: no fast path

        def write(f):
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.write(model_path, "model.keras")
                zf.writestr("estimator.json", json.dumps(state, indent=1))
                zf.writestr("scaler.npz", npz.getvalue())

        if hasattr(path, "write"):
            write(path)  # a binary file object the caller owns
        else:
            atomic_write(path, write)
    return path


def _read_state(zf, state, cls):
    names = set(zf.namelist())
    for member in ("estimator.json", "model.keras", "scaler.npz"):
        require(member in names, f"the archive has no {member!r}")
    require(isinstance(state, dict), "estimator.json must hold a JSON object")
    keys = {"format", "class", "params", "fitted", "scaler"}
    require(set(state) == keys, f"estimator.json must hold exactly {sorted(keys)}")
    require(
        state["class"] == cls.__name__,
        f"it holds a {state['class']!r}, not a {cls.__name__}",
    )
    return state


#: What Keras's load_model raises on a bad file (h5py's errors are OSError and KeyError).
_KERAS_LOAD_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OSError, zipfile.BadZipFile)
#: Largest estimator.json: parameters, fitted fields and the loss history.
STATE_LIMIT = 64 * MiB
_FIRST_LIMITS = {"estimator.json": STATE_LIMIT, "scaler.npz": STATE_LIMIT, "model.keras": 2**63}
#: Largest model.keras beside what its weights need (configs, HDF5 metadata).
MODEL_MARGIN = 16 * MiB


def _model_limit(network, spec, n_features):
    """Largest model.keras the saved state can explain, in bytes.

    Its weights and up to three optimizer slots per weight (Adam keeps two),
    at up to 8 bytes a value, plus :data:`MODEL_MARGIN` for the configs and
    the HDF5 metadata.
    """
    return 4 * 8 * parameter_bound(network, spec, n_features) + MODEL_MARGIN


def _scaler_limit(n_features):
    """Largest scaler.npz: up to six arrays of n_features float64 values, plus headers."""
    return 64 * 1024 + 6 * 8 * n_features


def _open_archive(path, cls):
    """Open ``path`` as a zip archive; a file that is not one raises ``ValueError``."""
    try:
        return zipfile.ZipFile(path)
    except _DAMAGE as exc:
        if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
            raise  # no such file, no permission: not a damaged file
        raise ValueError(
            f"{path!r} is not a file written by {cls.__name__}.save() (not a zip archive: {exc})."
        ) from exc


def load_transformer(path, cls):
    """Read a file written by :func:`save_transformer` for ``cls``: ``(params, FittedAutoencoder)``.

    The member list is checked before any member is read: known names only,
    none twice, no absolute or ``..`` names, and every member's declared size
    within its limit (:data:`STATE_LIMIT` for estimator.json; for the scaler
    and the model, what the saved state can explain). The content is then
    checked against the schema before anything is built: every parameter
    and fitted field present and of its type and range, scalers from a fixed
    list, Keras objects from Keras's own modules only, and the model read in
    Keras safe mode and checked against the fitted state. Every damaged or
    foreign file raises a ``ValueError`` that names the file and the cause
    (the original exception chained), and nothing is written to disk before
    the checks on sizes pass.
    """
    with _open_archive(path, cls) as zf:
        try:
            return _load_archive(zf, cls)
        except InvalidArchive as exc:
            raise ValueError(f"{path!r} is not a valid saved {cls.__name__}: {exc}.") from exc
        except _DAMAGE as exc:
            raise ValueError(
                f"{path!r} is damaged and cannot be loaded as a saved {cls.__name__} "
                f"({type(exc).__name__}: {exc})."
            ) from exc


def _load_archive(zf, cls):
    check_names(zf)  # before any member is read: a duplicate could hide another
    try:
        state = json.loads(read_member(zf, "estimator.json", STATE_LIMIT))
    except (KeyError, json.JSONDecodeError, UnicodeDecodeError):
        state = {}  # no estimator.json, or not JSON: not one of our files
    found = state.get("format") if isinstance(state, dict) else None
    if found not in _READ_FORMATS:
        older = isinstance(found, str) and found.startswith("sklearn_lstm_ae/")
        raise InvalidArchive(
            f"it is in the file format {found!r} of a development version before "
            f"0.1.0, and this version reads {FORMAT!r} only; fit and save it again"
            if older
            else f"it is not a file written by {cls.__name__}.save() "
            f"(format {found!r}, expected {FORMAT!r})"
        )
    return _load(zf, state, cls)


def _load(zf, state, cls):
    # First bounds; those of the scaler and the model tighten once the state is read.
    check_members(zf, _FIRST_LIMITS)
    state = _read_state(zf, state, cls)
    names = set(param_names(cls))
    raw = state["params"] if state["format"] == FORMAT else upgrade_params(state["params"])
    raw = with_added_params(raw)
    params = decode_params(raw, lambda n: n in names or is_routed(n))
    check_saved_params(cls, params)
    fitted = state["fitted"]
    check_fitted(fitted)
    # The bound follows the network the model was built with (saved at fit),
    # not parameters set after the fit.
    network = check_network(fitted["_network"])
    spec = TrainingSpec.from_dict(fitted["_fit_spec"])
    model_limit = _model_limit(network, spec, fitted["n_features_"])
    check_size(zf.getinfo("model.keras"), model_limit)
    data = read_member(zf, "scaler.npz", _scaler_limit(fitted["n_features_"]))
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InvalidArchive(f"scaler.npz cannot be read ({exc})") from exc
    scaler = check_scaler(state["scaler"], arrays, fitted["n_features_"])
    data = read_member(zf, "model.keras", model_limit)
    check_nested_zip(data, "model.keras", model_limit)
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.keras")
        with open(model_path, "wb") as f:
            f.write(data)
        try:
            to_fast_paths(model_path)  # the fast paths are chosen here, never stored
            model = keras.saving.load_model(model_path, compile=True, safe_mode=True)
        except (*_KERAS_LOAD_ERRORS, *_DAMAGE, RuntimeError) as exc:  # h5py: RuntimeError too
            raise InvalidArchive(
                f"model.keras cannot be loaded in Keras safe mode ({exc})"
            ) from exc
    _check_model(model, fitted, network)
    return params, FittedAutoencoder.from_state(model, scaler, fitted, network)


def _check_model(model, fitted, network):
    """Refuse a model that is not the one the fitted state describes."""
    shape = (fitted["n_timesteps_"], fitted["n_features_"])
    try:
        graphs = AutoencoderGraphs(model)
        model_shape = graphs.input_shape if graphs.latent_dim and graphs.heads else None
        decoders = {head: model.get_layer(head).get_config() for head in graphs.heads}
        masked = any(layer.name == "padding_mask" for layer in model.layers)
    except (ValueError, AttributeError, IndexError, KeyError) as exc:
        raise InvalidArchive(f"model.keras is not a model built by this package ({exc})") from exc
    require(
        graphs.latent_dim == network.latent_dim,
        f"model.keras writes codes of {graphs.latent_dim} numbers, but the fitted state says "
        f"{network.latent_dim}",
    )
    require(
        model_shape is not None and model_shape == (None, shape[1]),  # a free time axis
        f"model.keras reads sequences of shape {model_shape}, but the fitted state says "
        f"(None, {shape[1]})",
    )
    spec = TrainingSpec.from_dict(fitted["_fit_spec"])
    # What partial_fit compiles must be what the model outputs.
    terms = sorted(spec.loss_weights)
    outputs = sorted(model.output) if isinstance(model.output, dict) else terms
    require(
        outputs == terms,
        f"model.keras outputs {outputs}, but the fitted state trains {terms}",
    )
    steps = {RECONSTRUCTION: fitted["n_timesteps_"], FUTURE: spec.n_future}
    for head, config in decoders.items():
        require(
            config.get("n_timesteps") == steps[head]
            and config.get("n_features") == shape[1]
            and config.get("conditional") == spec.conditional,
            f"the {head} decoder of model.keras writes {config.get('n_timesteps')} steps of "
            f"{config.get('n_features')} features (conditional: {config.get('conditional')}), "
            f"but the fitted state says {steps[head]} of {shape[1]} "
            f"(conditional: {spec.conditional})",
        )
    require(
        masked == fitted["_padded_fit"],
        f"model.keras {'reads' if masked else 'has no'} padding masks, but the fitted "
        f"state says _padded_fit={fitted['_padded_fit']}",
    )


#: The file format of a saved LSTMAutoencoderSeriesDetector. Format 3 holds
#: each autoencoder's typical error per feature (``error_scale_``, one list per
#: autoencoder); formats 1 and 2 one number per autoencoder.
DETECTOR_FORMAT = "sklearn_lstm_ae.series_detector/3"
#: Format 1 files hold the autoencoder's parameters of transformer format 2.
_DETECTOR_FORMAT_1 = "sklearn_lstm_ae.series_detector/1"
_DETECTOR_READ_FORMATS = (DETECTOR_FORMAT, "sklearn_lstm_ae.series_detector/2", _DETECTOR_FORMAT_1)
#: Detector parameters and fitted values added since its formats were defined,
#: at their meaning in an older file: scores of high errors only.
_DETECTOR_ADDED = {"two_sided": False}
_DETECTOR_ADDED_FITTED = {"lower_tail_power_": None}
#: Largest detector.json: parameters and a few fitted numbers per autoencoder.
DETECTOR_STATE_LIMIT = MiB
_DETECTOR_PARAMS = {
    "window",
    "stride",
    "n_estimators",
    "contamination",
    "two_sided",
    "random_state",
}
_DETECTOR_FITTED = {
    "window_",
    "period_",
    "error_scale_",
    "lower_tail_power_",
    "threshold_",
    "n_features_in_",
}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _member_name(i):
    return f"autoencoder_{i}.lstmae"


def save_detector(params, fitted, autoencoders, path, *, class_name):
    """Save a series detector: its ``params``, ``fitted`` values and ``autoencoders`` (one zip).

    Each autoencoder is stored uncompressed, as its own ``save`` writes it, so
    that loading reads it in place with that file's own checks.
    """
    base = params["autoencoder"]
    state = {
        "format": DETECTOR_FORMAT,
        "class": class_name,
        "params": encode_params({k: params[k] for k in sorted(_DETECTOR_PARAMS)}),
        "autoencoder": None if base is None else encode_params(base.get_params(deep=False)),
        "fitted": fitted,
    }
    members = []
    for ae in autoencoders:
        buffer = io.BytesIO()
        ae.save(buffer)
        members.append(buffer.getvalue())

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            zf.writestr("detector.json", json.dumps(state, indent=1), zipfile.ZIP_DEFLATED)
            for i, data in enumerate(members):
                zf.writestr(_member_name(i), data, zipfile.ZIP_STORED)

    if hasattr(path, "write"):
        write(path)
    else:
        atomic_write(path, write)
    return path


def _check_detector_fitted(fitted, n_estimators, two_sided, per_feature):
    """The fitted values of a detector file, with those added since filled in, checked.

    ``per_feature``: whether ``error_scale_`` holds one list per autoencoder
    (format 3) rather than one number.
    """
    fitted = with_added_params(fitted, _DETECTOR_ADDED_FITTED)
    require(
        isinstance(fitted, dict) and set(fitted) == _DETECTOR_FITTED,
        f"fitted must hold exactly {sorted(_DETECTOR_FITTED)}",
    )
    power = fitted["lower_tail_power_"]
    require(
        power is None or _is_number(power) and power >= 0,
        "fitted.lower_tail_power_ must be a finite number of at least 0",
    )
    require(
        power is not None or not two_sided,
        "two_sided is true, but fitted.lower_tail_power_ is missing",
    )
    require(is_int(fitted["n_features_in_"], 1), "fitted.n_features_in_ must be a positive integer")
    scale = fitted["error_scale_"]
    n_features = fitted["n_features_in_"]
    what = f"lists of {n_features} numbers" if per_feature else "numbers"
    require(
        isinstance(scale, list) and len(scale) == n_estimators,
        f"fitted.error_scale_ must hold {n_estimators} {what}",
    )
    if per_feature:
        require(
            all(isinstance(row, list) and len(row) == n_features for row in scale),
            f"fitted.error_scale_ must hold {n_estimators} {what}",
        )
        scale = [value for row in scale for value in row]
    for value in (*scale, fitted["threshold_"]):
        require(
            _is_number(value), "fitted.error_scale_ and fitted.threshold_ must be finite numbers"
        )
    require(all(v > 0 for v in scale), "fitted.error_scale_ must be positive")
    require(is_int(fitted["window_"], 2), "fitted.window_ must be an integer of at least 2")
    require(
        fitted["period_"] is None or is_int(fitted["period_"], 2),
        "fitted.period_ must be null or an integer of at least 2",
    )
    return fitted


def _check_detector_state(state, cls, ae_cls, names):
    """``(params, fitted)`` of a detector.json, checked against the archive's member ``names``."""
    require(isinstance(state, dict), "detector.json must hold a JSON object")
    keys = {"format", "class", "params", "autoencoder", "fitted"}
    require(set(state) == keys, f"detector.json must hold exactly {sorted(keys)}")
    require(state["class"] == cls.__name__, f"it holds a {state['class']!r}, not a {cls.__name__}")
    params = decode_params(
        with_added_params(state["params"], _DETECTOR_ADDED), _DETECTOR_PARAMS.__contains__
    )
    require(set(params) == _DETECTOR_PARAMS, f"params must hold {sorted(_DETECTOR_PARAMS)}")
    if state["autoencoder"] is not None:
        raw = state["autoencoder"]
        if state["format"] == _DETECTOR_FORMAT_1:
            raw = upgrade_params(raw)
        raw = with_added_params(raw)
        ae_names = set(param_names(ae_cls))
        ae_params = decode_params(raw, lambda n: n in ae_names or is_routed(n), "autoencoder")
        check_saved_params(ae_cls, ae_params)
        params["autoencoder"] = ae_cls(**ae_params)
    else:
        params["autoencoder"] = None
    try:
        check_constraints(cls._parameter_constraints, params, cls.__name__)
    except (ValueError, TypeError) as exc:
        raise InvalidArchive(f"params are not valid parameters of {cls.__name__}: {exc}") from exc
    fitted = _check_detector_fitted(
        state["fitted"],
        params["n_estimators"],
        params["two_sided"],
        per_feature=state["format"] == DETECTOR_FORMAT,
    )
    expected = {"detector.json", *(_member_name(i) for i in range(params["n_estimators"]))}
    require(names == expected, f"the archive must hold exactly {sorted(expected)}")
    return params, fitted


def load_detector(path, cls, ae_cls):
    """Read a file written by :func:`save_detector`: ``(params, fitted, autoencoders)``.

    ``ae_cls`` is the autoencoders' class. Every damaged or foreign file
    raises a ``ValueError`` that names the file and the cause (the original
    exception chained).
    """
    with _open_archive(path, cls) as zf:
        try:
            check_names(zf)
            check_size(zf.getinfo("detector.json"), DETECTOR_STATE_LIMIT)
            state = json.loads(read_member(zf, "detector.json", DETECTOR_STATE_LIMIT))
            found = state.get("format") if isinstance(state, dict) else None
            require(
                found in _DETECTOR_READ_FORMATS,
                f"it is not a file written by {cls.__name__}.save() (format {found!r}, "
                f"expected {DETECTOR_FORMAT!r})",
            )
            params, fitted = _check_detector_state(state, cls, ae_cls, set(zf.namelist()))
            autoencoders = []
            for i in range(params["n_estimators"]):
                with zf.open(_member_name(i)) as member:
                    ae = ae_cls.load(member)
                require(
                    ae.n_features_in_ == fitted["n_features_in_"],
                    f"{_member_name(i)} reads {ae.n_features_in_} features, but the "
                    f"detector was fitted on {fitted['n_features_in_']}",
                )
                autoencoders.append(ae)
        except KeyError as exc:
            raise ValueError(f"{path!r} is not a valid saved {cls.__name__}: {exc}.") from exc
        except ValueError as exc:  # InvalidArchive, and the autoencoders' own errors
            raise ValueError(f"{path!r} is not a valid saved {cls.__name__}: {exc}") from exc
        except _DAMAGE as exc:
            raise ValueError(
                f"{path!r} is damaged and cannot be loaded as a saved {cls.__name__} "
                f"({type(exc).__name__}: {exc})."
            ) from exc
    return params, fitted, autoencoders
