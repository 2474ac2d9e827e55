"""Parameters: constraints, the checks they cannot express, and routed ``prefix__name`` ones."""

import difflib
import inspect
from numbers import Integral, Real

from ._config import augmentation_conflict, is_bce, optimizer_class
from ._constraints import HasMethods, Interval, StrOptions, validate_parameter_constraints
from ._names import (
    AUGMENTATIONS,
    CELLS,
    CONV_POOLINGS,
    DIFFERENCE_LOSSES,
    MODES,
    POOLINGS,
    ROUTING_PREFIXES,
    is_routed,
)

__all__ = [
    "PARAMETER_CONSTRAINTS",
    "PREDICT_PARAMS",
    "ROUTING_PREFIXES",
    "check_params",
    "check_keywords",
    "check_routed",
    "closest_name",
    "is_routed",
]

PARAMETER_CONSTRAINTS = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "encoder_units": ["array-like"],
    "decoder_units": ["array-like", None],
    "mode": [StrOptions(set(MODES))],
    "n_future": [Interval(Integral, 1, None, closed="left")],
    "future_weight": [Interval(Real, 0, 1, closed="both")],
    "reverse_target": ["boolean"],
    "conditional": ["boolean"],
    "cell": [StrOptions(set(CELLS))],
    "bidirectional": ["boolean"],
    "pooling": [StrOptions(set(POOLINGS))],
    "conv_filters": ["array-like", StrOptions({"auto"})],
    "conv_kernel_size": [Interval(Integral, 1, None, closed="left")],
    "conv_stride": [Interval(Integral, 1, None, closed="left")],
    "conv_dilation": [Interval(Integral, 1, None, closed="left")],
    "conv_pooling": [StrOptions(set(CONV_POOLINGS)), None],
    "mask_ratio": [Interval(Real, 0, 1, closed="left")],
    "augment": [str, "array-like", None],
    "subseries_weight": [Interval(Real, 0, None, closed="left")],
    "context_weight": [Interval(Real, 0, None, closed="left")],
    "activation": [str],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "data_format": [StrOptions({"channels_last", "channels_first"})],
    "scaler": "no_validation",  # checked in check_params
    "loss": [str, callable],  # a name, a keras.losses.Loss or a function
    "optimizer": [str, type, HasMethods(["apply_gradients"])],
    "metrics": [list, tuple, None],
    "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "max_updates": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "validation_split": [Interval(Real, 0, 1, closed="left")],
    "shuffle": [StrOptions({"buckets"}), "boolean"],
    "callbacks": [list, tuple, None],
    "random_state": ["random_state"],
    "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
    "distribution_strategy": [
        StrOptions({"mirrored", "multi_worker"}),
        HasMethods(["scope", "run"]),  # a tf.distribute.Strategy
        None,
    ],
}

#: ``max_updates``'s default, the only value an int ``epochs`` allows beside it.
_DEFAULT_MAX_UPDATES = 500


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
    """The values of the routed inference parameters (their names: :func:`check_routed`)."""
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


def closest_name(name, valid):
    """`` Did you mean 'x'?`` for the valid name closest to a misspelt one, else ``""``."""
    match = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    return f" Did you mean {match[0]!r}?" if match else ""


def _named_parameters(func):
    """The named parameters of ``func`` (``self``, ``*args`` and ``**kwargs`` left out)."""
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = inspect.signature(func).parameters.values()
    return {p.name for p in params if p.kind not in kinds and p.name != "self"}


def _routed_targets(optimizer):
    """``{prefix: (what, accepted names)}`` for the routed prefixes whose names are known."""
    import keras  # only when a routed name is checked: the constraints need no TensorFlow

    targets = {
        "fit": ("Keras's Model.fit", _named_parameters(keras.Model.fit) - {"x", "y"}),
        "compile": ("Keras's Model.compile", _named_parameters(keras.Model.compile)),
        # transform and the other methods run batched TensorFlow functions, not
        # Keras's predict: these two are all they read.
        "predict": ("inference (batched TensorFlow functions)", set(PREDICT_PARAMS)),
    }
    cls = optimizer_class(optimizer)
    if cls is not None and cls.__module__.startswith("keras"):
        # Keras's optimizers pass **kwargs up to a base that refuses unknown
        # names: what they accept is the named parameters along the MRO.
        accepted = set().union(
            *(_named_parameters(c.__init__) for c in cls.__mro__ if "__init__" in vars(c))
        )
        targets["optimizer"] = (f"the optimizer {cls.__name__}", accepted)
    return targets


def check_routed(names, optimizer, class_name):
    """Refuse routed names their target does not take, naming the closest one.

    Checked where the target is known: ``fit__`` and ``compile__`` against
    Keras's ``Model.fit`` and ``Model.compile``, ``predict__`` against the
    inference parameters, ``optimizer__`` against a Keras optimizer's
    constructor (another optimizer, or ``loss__`` and ``metrics__``, are
    left to Keras).
    """
    targets = None
    for key in names:
        if not is_routed(key):
            continue
        targets = targets or _routed_targets(optimizer)
        head, _, name = key.partition("__")
        if head in targets and name not in targets[head][1]:
            what, accepted = targets[head]
            raise TypeError(
                f"{class_name} got the routed parameter {key!r}, but {what} takes no "
                f"{name!r}.{closest_name(name, accepted)}"
            )


def check_keywords(names, allowed, class_name):
    """Refuse constructor keywords that are neither parameters nor routed ones."""
    for key in names:
        if not (key in allowed or is_routed(key) or key.startswith("_") or key.endswith("_")):
            raise TypeError(
                f"{class_name} got an unexpected keyword argument "
                f"{key!r}.{closest_name(key, allowed)} Extra arguments must be routed "
                "parameters such as 'optimizer__beta_1' or 'fit__validation_batch_size'."
            )


def _check_augment(params):
    """Refuse unknown augmentations, and those the decoders or the loss cannot follow."""
    augment = params["augment"]
    if augment == "auto":  # what the decoders and the loss allow (NetworkConfig)
        return
    names = [augment] if isinstance(augment, str) else list(augment or ())
    for name in names:
        if not isinstance(name, str) or name not in AUGMENTATIONS:
            raise ValueError(
                f"augment holds {name!r}, which is not an augmentation; use 'auto', None "
                f"or names from {AUGMENTATIONS}.{closest_name(str(name), AUGMENTATIONS)}"
            )
    conflicts = {name: augmentation_conflict(name, params) for name in names}

    def conflicting(*reasons):
        return sorted(name for name, reason in conflicts.items() if reason in reasons)

    if conflicting("reshaping"):
        raise ValueError(
            f"augment={conflicting('reshaping')} changes the input the reconstruction "
            "decoder rebuilds, so it trains the plain reconstruction only: "
            "mode='reconstruct', reverse_target=False and conditional=False. Use 'jitter' "
            "or 'scale' with the other decoders."
        )
    if conflicting("bce"):
        raise ValueError(
            f"augment={conflicting('bce')} moves the decoders' outputs out of [0, 1], where "
            "loss='binary_crossentropy' is defined. Use loss='mse', or augment='jitter'."
        )
    if conflicting("loss"):
        loss = params["loss"]
        shown = repr(loss) if isinstance(loss, str) else f"a {type(loss).__name__}"
        raise ValueError(
            f"augment={conflicting('loss')} rebuilds the original series by correcting the "
            f"decoders' outputs, which keeps the loss only for a loss of the difference "
            f"between target and output ({', '.join(DIFFERENCE_LOSSES)}); loss is "
            f"{shown}. Use one of those losses, augment='jitter', or augment='auto' "
            "(which leaves out what the loss cannot follow)."
        )
    if conflicting("conditional"):
        raise ValueError(
            "augment='scale' rescales what the decoders write, but a conditional decoder "
            "reads the unscaled previous steps while training. Use conditional=False, or "
            "leave 'scale' out."
        )


def check_params(params, class_name="LSTMAutoencoderTransformer"):
    """Validate a dict of parameters (``get_params``): constraints, then what they cannot say."""
    validate_parameter_constraints(PARAMETER_CONSTRAINTS, params, caller_name=class_name)
    _check_routed_inference(params)
    _check_units("encoder_units", params["encoder_units"])
    _check_units("decoder_units", params["decoder_units"])
    if not isinstance(params["conv_filters"], str) and len(params["conv_filters"]):
        _check_units("conv_filters", params["conv_filters"], "filters of the Conv1D layers")
    scaler = params["scaler"]
    if isinstance(scaler, str) and scaler not in ("standard", "minmax"):
        raise ValueError(
            f"The 'scaler' parameter of {class_name} must be "
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
    if params["context_weight"] > 0 and params["pooling"] == "last":
        raise ValueError(
            "context_weight > 0 contrasts the encoder's states at every step, but "
            "pooling='last' keeps only the final one. Use pooling='lastmax', 'max', "
            "'mean' or 'meanmax', or context_weight=0."
        )
    if params["epochs"] != "auto" and params["max_updates"] != _DEFAULT_MAX_UPDATES:
        raise ValueError(
            f"max_updates={params['max_updates']} is the budget of epochs='auto', but "
            f"epochs={params['epochs']!r} trains exactly that many epochs. Set "
            "epochs='auto' to train for max_updates updates, or leave max_updates out."
        )
    if params["conv_pooling"] is not None and not len(params["conv_filters"]):
        raise ValueError(
            f"conv_pooling={params['conv_pooling']!r} pools the front end's feature maps, "
            "but conv_filters=() builds no front end. Give conv_filters, or "
            "conv_pooling=None."
        )
    _check_augment(params)
    if is_bce(params["loss"]) and scaler == "standard":
        raise ValueError(
            "loss='binary_crossentropy' needs targets in [0, 1], but "
            "scaler='standard' centres them on 0. Use scaler='minmax' or None."
        )
