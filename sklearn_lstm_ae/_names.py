"""Names defined once (plain values): the values of enumerated parameters, the model's outputs."""

__all__ = [
    "MODES",
    "CELLS",
    "POOLINGS",
    "POOLED",
    "PYRAMID_LEVELS",
    "SUMMARY_WIDTH",
    "CONV_POOLINGS",
    "AUGMENTATIONS",
    "RESHAPING",
    "AUTO_AUGMENT",
    "DIFFERENCE_LOSSES",
    "ROUTING_PREFIXES",
    "is_routed",
    "RECONSTRUCTION",
    "FUTURE",
    "SEQUENCES",
    "SUBSERIES",
    "CONTEXT",
]

#: Training objectives (``mode``): which decoders the model has.
MODES = ("reconstruct", "predict", "composite")
#: Recurrent cells (``cell``).
CELLS = ("lstm", "gru")
#: What the code summarises (``pooling``); "last" is the tutorials' last state.
POOLINGS = ("lastmax", "max", "mean", "meanmax", "pyramid", "last")
#: The poolings over the states of every valid step (all but "last").
POOLED = tuple(p for p in POOLINGS if p != "last")
#: The parts of "pyramid": the max over the whole sequence, each half, each quarter.
PYRAMID_LEVELS = (1, 2, 4)
#: Summaries side by side in each pooling's output (its width in states).
SUMMARY_WIDTH = {"lastmax": 2, "max": 1, "mean": 1, "meanmax": 2, "last": 1}
SUMMARY_WIDTH["pyramid"] = 1 + sum(PYRAMID_LEVELS)

#: How the front end's feature maps enter the code (``conv_pooling``; None: not at all).
CONV_POOLINGS = ("projected", "appended")
#: The training-time augmentations of the encoder's input (``augment``).
AUGMENTATIONS = ("crop", "jitter", "scale", "warp")
#: Those that change what the reconstruction decoder must write.
RESHAPING = ("crop", "warp")
#: What ``augment="auto"`` asks for, where the decoders and the loss allow it.
AUTO_AUGMENT = ("warp", "scale", "jitter")
#: Losses of the difference between target and output, by Keras name: the
#: augmented targets (:mod:`sklearn_lstm_ae._keras.augment`) hold for them.
DIFFERENCE_LOSSES = (
    "mse",
    "mean_squared_error",
    "mae",
    "mean_absolute_error",
    "huber",
    "log_cosh",
)

#: The model's outputs, which are also the names of their losses in ``history_``:
#: the reconstruction and future decoders, and the two contrastive terms.
RECONSTRUCTION = "reconstruction"
FUTURE = "future"
SUBSERIES = "subseries"
CONTEXT = "context"
#: The training graph's input of sequences.
SEQUENCES = "sequences"

#: Prefixes of the routed ``prefix__name`` parameters the estimator accepts
#: (scikeras's, less ``model``): the public contract, whoever routes them.
ROUTING_PREFIXES = frozenset({"optimizer", "loss", "metrics", "compile", "fit", "predict"})


def is_routed(name):
    """True for a routed parameter name such as ``optimizer__beta_1``."""
    head, sep, tail = name.partition("__")
    return bool(sep and tail) and head in ROUTING_PREFIXES
