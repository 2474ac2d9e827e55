"""Configuration resolved once per fit: the network, the training objective and the run.

``fit`` reads the estimator's parameters once (``get_params``) into three
frozen values and passes them down; nothing below the estimator reads it.
:class:`NetworkConfig` is what the network builder needs, :class:`TrainingSpec`
what the model is trained for (saved with it), and :class:`FitConfig` how the
run goes (budget, batches, Keras's parameters), holding the other two.
"""

import inspect
import math
from dataclasses import asdict, dataclass, fields, replace

from ._names import (
    AUGMENTATIONS,
    AUTO_AUGMENT,
    CONTEXT,
    DIFFERENCE_LOSSES,
    FUTURE,
    RECONSTRUCTION,
    RESHAPING,
    SUBSERIES,
    is_routed,
)

__all__ = [
    "NetworkConfig",
    "TrainingSpec",
    "FitConfig",
    "augmentation_conflict",
    "augmentations",
    "auto_filters",
    "is_bce",
]

_BCE = ("binary_crossentropy", "bce")


def is_bce(loss):
    """True for the binary cross-entropy loss given by name."""
    return isinstance(loss, str) and loss in _BCE


def _units(units):
    return tuple(int(u) for u in units)


def _filters(filters):
    return filters if isinstance(filters, str) else _units(filters)


def augmentation_conflict(name, params):
    """Why the model of ``params`` cannot follow the augmentation ``name``, or None.

    ``"reshaping"``: crops and warps move the steps, which only the plain
    reconstruction rebuilds (no future decoder, ``reverse_target`` or
    ``conditional``); ``"bce"`` and ``"loss"``: all but the jitter change the
    values the decoders write, which the corrected outputs keep for a loss of
    the difference only; ``"conditional"``: a conditional decoder reads the
    unscaled previous steps.
    """
    loss = params["loss"]
    if name in RESHAPING and (
        params["mode"] != "reconstruct" or params["reverse_target"] or params["conditional"]
    ):
        return "reshaping"
    if name != "jitter" and is_bce(loss):
        return "bce"
    if name != "jitter" and not (isinstance(loss, str) and loss in DIFFERENCE_LOSSES):
        return "loss"
    if name == "scale" and params["conditional"]:
        return "conditional"
    return None


def augmentations(params):
    """The augmentations ``params["augment"]`` names, in ``AUGMENTATIONS``'s order.

    "auto" names those of ``AUTO_AUGMENT`` that the model can follow
    (:func:`augmentation_conflict`): the jitter always.
    """
    augment = params["augment"]
    if augment == "auto":
        augment = [a for a in AUTO_AUGMENT if augmentation_conflict(a, params) is None]
    names = () if augment is None else (augment,) if isinstance(augment, str) else augment
    return tuple(a for a in AUGMENTATIONS if a in set(names))


#: ``conv_filters="auto"``: the front end for sequences of up to 192 x 4 steps,
#: and the filters of every layer added for longer ones.
AUTO_FILTERS = (32, 64)
#: ``conv_filters="auto"`` adds a layer while the LSTMs would read more than
#: this many steps of the median training sequence, so a long series costs
#: what about 768 steps do (the choice: benchmarks/README.rst, "Long series
#: at bounded cost").
AUTO_MOST_STEPS = 192


def auto_filters(length, stride, most=AUTO_MOST_STEPS):
    """The front end of ``conv_filters="auto"`` for sequences of ``length`` steps: (32, 64),
    and one more layer of 64 filters while the LSTMs would read more than ``most`` steps.
    """
    filters = AUTO_FILTERS
    while stride > 1 and math.ceil(length / stride ** len(filters)) > most:
        filters = (*filters, filters[-1])
    return filters


@dataclass(frozen=True)
class NetworkConfig:
    """The layers of the autoencoder: everything the network builder reads.

    Built from the estimator's parameters by :meth:`from_params`, with the
    decoder's units resolved (None mirrors the encoder) and the output's
    activation chosen by the loss; saved with the model (:meth:`to_dict`,
    :meth:`from_dict`). The field defaults are the classic tutorials'
    network (no front end, the last state), for building one directly; the
    estimator's own defaults are its parameters'.
    """

    latent_dim: int = 8
    encoder_units: tuple = (64,)
    decoder_units: tuple = (64,)
    cell: str = "lstm"
    bidirectional: bool = False
    pooling: str = "last"
    conv_filters: tuple = ()
    conv_kernel_size: int = 5
    conv_stride: int = 2
    conv_dilation: int = 1
    conv_pooling: str | None = None
    activation: str = "tanh"
    dropout: float = 0.0
    mask_ratio: float = 0.0
    augment: tuple = ()
    output_activation: str | None = None

    @classmethod
    def from_params(cls, params):
        encoder = _units(params["encoder_units"])
        decoder = params["decoder_units"]
        return cls(
            latent_dim=int(params["latent_dim"]),
            encoder_units=encoder,
            decoder_units=encoder[::-1] if decoder is None else _units(decoder),
            cell=params["cell"],
            bidirectional=bool(params["bidirectional"]),
            pooling=params["pooling"],
            conv_filters=_filters(params["conv_filters"]),
            conv_kernel_size=int(params["conv_kernel_size"]),
            conv_stride=int(params["conv_stride"]),
            conv_dilation=int(params["conv_dilation"]),
            conv_pooling=params["conv_pooling"],
            activation=params["activation"],
            dropout=float(params["dropout"]),
            mask_ratio=float(params["mask_ratio"]),
            augment=augmentations(params),
            output_activation="sigmoid" if is_bce(params["loss"]) else None,
        )

    def for_length(self, length):
        """This config with ``conv_filters="auto"`` resolved for sequences of ``length`` steps."""
        if self.conv_filters != "auto":
            return self
        return replace(self, conv_filters=auto_filters(length, self.conv_stride))

    @classmethod
    def from_dict(cls, values):
        """The config of :meth:`to_dict` (JSON lists become tuples again)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def to_dict(self):
        """JSON-safe fields: tuples of units become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @property
    def needs_mask(self):
        """Training needs the padding masks even without padding: crops pad."""
        return "crop" in self.augment


@dataclass(frozen=True)
class TrainingSpec:
    """What a model is trained for: its decoders, their targets and the loss terms.

    Saved with the model (``to_dict`` / ``from_dict``), since inference and
    ``partial_fit`` follow what the model was trained for, not parameters set
    after the fit. ``future_weight`` is the future decoder's weight as
    trained: 0 in mode "reconstruct", 1 in mode "predict".
    """

    mode: str = "reconstruct"
    n_future: int = 0
    reverse_target: bool = False
    conditional: bool = False
    future_weight: float = 0.0
    subseries_weight: float = 0.0
    context_weight: float = 0.0

    @classmethod
    def from_params(cls, params):
        mode = params["mode"]
        future_weight = {"reconstruct": 0.0, "predict": 1.0}.get(mode, params["future_weight"])
        return cls(
            mode=mode,
            n_future=int(params["n_future"]) if mode != "reconstruct" else 0,
            reverse_target=bool(params["reverse_target"]) and mode != "predict",
            conditional=bool(params["conditional"]),
            future_weight=float(future_weight),
            subseries_weight=float(params["subseries_weight"]),
            context_weight=float(params["context_weight"]),
        )

    @classmethod
    def from_dict(cls, values):
        return cls(**values)

    def to_dict(self):
        return asdict(self)

    @property
    def decoders(self):
        """The decoders trained, with their loss weights (reconstruction first)."""
        if self.mode == "reconstruct":
            return {RECONSTRUCTION: 1.0}
        if self.mode == "predict":
            return {FUTURE: 1.0}
        return {RECONSTRUCTION: 1.0 - self.future_weight, FUTURE: self.future_weight}

    @property
    def terms(self):
        """The self-supervised terms trained (weight > 0), by model output."""
        weights = {SUBSERIES: self.subseries_weight, CONTEXT: self.context_weight}
        return {name: w for name, w in weights.items() if w > 0}

    @property
    def loss_weights(self):
        """Every loss term the model compiles, with its weight: decoders, then terms."""
        return {**self.decoders, **self.terms}


#: Keras's ``clipnorm`` and its alternatives, routed to the optimizer.
_CLIPPING = {"optimizer__clipnorm", "optimizer__clipvalue", "optimizer__global_clipnorm"}
#: Gradient norm clip given to an optimizer named by a string or class,
#: unless the user routes a clipping of their own.
DEFAULT_CLIPNORM = 1.0


def _is_optimizer(value):
    """True for an optimizer instance (Keras's optimizers all have ``apply_gradients``)."""
    return not isinstance(value, type) and callable(getattr(value, "apply_gradients", None))


def _keras_params(params):
    """The parameters handed to Keras's compile and fit (through scikeras), routed ones included."""
    keras_params = {name: params[name] for name in ("optimizer", "loss", "metrics", "epochs")}
    keras_params.update(
        batch_size=params["batch_size"],
        validation_split=params["validation_split"],
        shuffle=bool(params["shuffle"]),
        callbacks=list(params["callbacks"]) if params["callbacks"] else None,
        verbose=int(params["verbose"]),
    )
    keras_params.update((k, v) for k, v in params.items() if is_routed(k))
    if not _is_optimizer(params["optimizer"]) and not (_CLIPPING & set(keras_params)):
        keras_params["optimizer__clipnorm"] = DEFAULT_CLIPNORM
    return keras_params


def optimizer_class(optimizer):
    """The class of ``optimizer`` (a name, a class or an instance), or None if unknown.

    A name is looked up among Keras's optimizer classes, case-insensitively,
    without making one (that would create TensorFlow variables).
    """
    if isinstance(optimizer, str):
        import keras

        names = {n.lower(): getattr(keras.optimizers, n) for n in dir(keras.optimizers)}
        found = names.get(optimizer.lower())
        return found if isinstance(found, type) else None
    return optimizer if isinstance(optimizer, type) else type(optimizer)


def initial_learning_rate(params):
    """The learning rate a fit starts from: routed, the instance's, or the class's default.

    None when it is not a number (a schedule, or an optimizer that names none).
    """
    optimizer = params["optimizer"]
    if "optimizer__learning_rate" in params:
        rate = params["optimizer__learning_rate"]
    elif _is_optimizer(optimizer):
        rate = optimizer.learning_rate
    else:
        cls = optimizer_class(optimizer)
        try:
            rate = inspect.signature(cls).parameters["learning_rate"].default
        except (TypeError, ValueError, KeyError):
            rate = None
    try:
        return float(rate)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class FitConfig:
    """How one fit runs: the network, the objective, the budget and Keras's parameters.

    ``keras`` holds what scikeras routes to ``compile`` and ``fit``
    (``optimizer``, ``loss``, ``callbacks``, ``fit__*``, ...). ``random_state``
    is the parameter as given; the fit draws its seeds from it once.
    """

    network: NetworkConfig
    spec: TrainingSpec
    # The estimator's parameters as given (no defaults here: ``from_params``
    # sets every field, so the estimator's defaults have one home).
    epochs: object
    max_updates: int
    batch_size: int
    validation_split: float
    shuffle: object
    loss: object
    scaler: object
    metrics: tuple | None
    data_format: str
    random_state: object
    distribution_strategy: object
    keras: dict
    # Resolved: the learning rate the fit starts from (None: a schedule).
    learning_rate: float | None = None

    @classmethod
    def from_params(cls, params):
        """Resolve an estimator's ``get_params(deep=False)`` (routed ones included)."""
        own = {f.name for f in fields(cls)} - {"network", "spec", "keras", "learning_rate"}
        return cls(
            network=NetworkConfig.from_params(params),
            spec=TrainingSpec.from_params(params),
            keras=_keras_params(params),
            learning_rate=initial_learning_rate(params),
            **{name: params[name] for name in own},
        )

    def for_length(self, length):
        """This config with the network's "auto" values resolved for sequences of ``length``
        steps (the median training length)."""
        network = self.network.for_length(length)
        return self if network is self.network else replace(self, network=network)

    @property
    def validation_data(self):
        """True when held-out data are routed (``fit__validation_data``)."""
        return "fit__validation_data" in self.keras
