"""Parameters: constraints, checks beyond them, routed parameters and the training objectives."""

from numbers import Integral, Real

import keras
import tensorflow as tf
from sklearn.utils._param_validation import Interval, StrOptions

from ._network import FUTURE, RECONSTRUCTION
from ._objectives import TERMS
from ._scikeras import is_routed

__all__ = [
    "PARAMETER_CONSTRAINTS",
    "check_params",
    "heads",
    "loss_weights",
    "is_bce",
    "keras_params",
    "is_routed",
]

_BCE = ("binary_crossentropy", "bce")

PARAMETER_CONSTRAINTS = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "encoder_units": ["array-like"],
    "decoder_units": ["array-like", None],
    "mode": [StrOptions({"reconstruct", "predict", "composite"})],
    "n_future": [Interval(Integral, 1, None, closed="left")],
    "future_weight": [Interval(Real, 0, 1, closed="both")],
    "reverse_target": ["boolean"],
    "conditional": ["boolean"],
    "cell": [StrOptions({"lstm", "gru"})],
    "bidirectional": ["boolean"],
    "pooling": [StrOptions({"last", "mean", "max", "meanmax", "lastmax"})],
    "conv_filters": ["array-like"],
    "conv_kernel_size": [Interval(Integral, 1, None, closed="left")],
    "conv_stride": [Interval(Integral, 1, None, closed="left")],
    "mask_ratio": [Interval(Real, 0, 1, closed="left")],
    "subseries_weight": [Interval(Real, 0, None, closed="left")],
    "context_weight": [Interval(Real, 0, None, closed="left")],
    "activation": [str],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "data_format": [StrOptions({"channels_last", "channels_first"})],
    "scaler": "no_validation",  # checked in check_params
    "loss": [str, keras.losses.Loss, callable],
    "optimizer": [str, type, keras.optimizers.Optimizer],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "clipnorm": [Interval(Real, 0, None, closed="neither"), None],
    "metrics": [list, tuple, None],
    "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "max_updates": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "validation_split": [Interval(Real, 0, 1, closed="left")],
    "shuffle": ["boolean"],
    "bucketing": ["boolean"],
    "early_stopping": [Interval(Integral, 1, None, closed="left"), None],
    "callbacks": [list, tuple, None],
    "random_state": ["random_state"],
    "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
    "distribution_strategy": [
        StrOptions({"mirrored", "multi_worker"}),
        tf.distribute.Strategy,
        None,
    ],
}

# Parameters handed to Keras's compile and fit (through scikeras).
_KERAS_PARAMS = (
    "optimizer",
    "loss",
    "metrics",
    "learning_rate",
    "epochs",
    "batch_size",
    "validation_split",
    "shuffle",
    "callbacks",
    "verbose",
)


def is_bce(loss):
    """True for the binary cross-entropy loss given by name."""
    return isinstance(loss, str) and loss in _BCE


def heads(mode, future_weight):
    """Decoders trained in ``mode``, with their loss weights."""
    if mode == "reconstruct":
        return {RECONSTRUCTION: 1.0}
    if mode == "predict":
        return {FUTURE: 1.0}
    return {RECONSTRUCTION: 1.0 - future_weight, FUTURE: future_weight}


def loss_weights(spec):
    """Every loss term a model trained for ``spec`` compiles, with its weight.

    The decoders of ``spec["mode"]`` (:func:`heads`), then each
    self-supervised term (:data:`~sklearn_lstm_ae._objectives.TERMS`) whose
    weight in ``spec`` is positive.
    """
    weights = heads(spec["mode"], spec["future_weight"])
    weights.update((term, float(spec[name])) for term, name in TERMS.items() if spec[name] > 0)
    return weights


def keras_params(est):
    """The training parameters and routed ``prefix__name`` parameters of ``est``."""
    params = {name: getattr(est, name) for name in _KERAS_PARAMS}
    params["callbacks"] = list(est.callbacks) if est.callbacks else None
    params["verbose"] = int(est.verbose)
    params.update((k, v) for k, v in vars(est).items() if is_routed(k))
    clipped = {"optimizer__clipnorm", "optimizer__clipvalue", "optimizer__global_clipnorm"}
    if (
        est.clipnorm is not None
        and not isinstance(est.optimizer, keras.optimizers.Optimizer)
        and not clipped & set(params)
    ):
        params["optimizer__clipnorm"] = est.clipnorm
    return params


def _check_units(name, units, what="units of the stacked LSTM layers"):
    if units is None:
        return
    if len(units) == 0 or not all(
        isinstance(u, Integral) and not isinstance(u, bool) and u >= 1 for u in units
    ):
        raise ValueError(
            f"{name} must be a non-empty tuple of positive ints ({what}), got {units!r}."
        )


#: The routed inference parameters: ``predict__<name>``.
PREDICT_PARAMS = ("batch_size", "jit_compile")


def _check_routed_inference(params):
    for key in params:
        head, _, name = key.partition("__")
        if head == "predict" and name not in PREDICT_PARAMS:
            raise ValueError(
                f"Unknown routed inference parameter {key!r}: inference takes "
                f"{', '.join('predict__' + n for n in PREDICT_PARAMS)} only (transform, "
                "score_samples and the other methods run batched TensorFlow functions, "
                "not Keras's predict)."
            )
    size = params.get("predict__batch_size")
    if size is not None and not (
        isinstance(size, Integral) and not isinstance(size, bool) and size >= 1
    ):
        raise ValueError(
            f"predict__batch_size must be a positive int (sequences per inference "
            f"batch), got {size!r}."
        )
    jit = params.get("predict__jit_compile")
    if jit is not None and not isinstance(jit, bool):
        raise ValueError(
            f"predict__jit_compile must be True (compile every inference batch shape "
            f"with XLA), False (never) or None (shapes that recur, on CPU), got {jit!r}."
        )


def check_params(est):
    """Validate ``est``'s parameters: constraints, then the checks they cannot express."""
    names = set(est.get_params(deep=False))
    for key in vars(est):
        if not (key in names or key.startswith("_") or key.endswith("_")):
            raise TypeError(
                f"{type(est).__name__} got an unexpected keyword argument "
                f"{key!r}. Extra arguments must be routed parameters such as "
                "'optimizer__beta_1' or 'fit__validation_batch_size'."
            )
    est._validate_params()
    _check_routed_inference(vars(est))
    _check_units("encoder_units", est.encoder_units)
    _check_units("decoder_units", est.decoder_units)
    if len(est.conv_filters):
        _check_units("conv_filters", est.conv_filters, "filters of the Conv1D layers")
    scaler = est.scaler
    if isinstance(scaler, str) and scaler not in ("standard", "minmax"):
        raise ValueError(
            f"The 'scaler' parameter of {type(est).__name__} must be "
            f"'standard', 'minmax', None or a transformer; got {scaler!r}."
        )
    if (
        scaler is not None
        and not isinstance(scaler, str)
        and not all(hasattr(scaler, m) for m in ("fit", "transform", "inverse_transform"))
    ):
        raise ValueError(
            "scaler must be 'standard', 'minmax', None or a transformer with "
            f"fit, transform and inverse_transform; got {scaler!r}."
        )
    if est.context_weight > 0 and est.pooling == "last":
        raise ValueError(
            "context_weight > 0 contrasts the encoder's states at every step, but "
            "pooling='last' keeps only the final one. Use pooling='lastmax', 'max', "
            "'mean' or 'meanmax', or context_weight=0."
        )
    if is_bce(est.loss) and scaler == "standard":
        raise ValueError(
            "loss='binary_crossentropy' needs targets in [0, 1], but "
            "scaler='standard' centres them on 0. Use scaler='minmax' or None."
        )
