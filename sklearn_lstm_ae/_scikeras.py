"""The one module that imports scikeras: it builds, compiles and trains the Keras model.

``LSTMAutoencoderTransformer`` does not inherit from scikeras. It calls
:func:`fit_keras_model` with a build function, the arrays Keras trains on and
its own parameters; a private ``BaseWrapper`` made for that one call routes
``optimizer__*``, ``loss__*``, ``metrics__*``, ``compile__*``, ``fit__*`` and
``callbacks`` parameters, compiles the model and runs ``Model.fit``. Nothing
of scikeras (attributes, class variables, hidden methods) reaches the public
class, so a change in scikeras can break training but not the estimator's API.

scikeras 0.13 is no longer maintained; against scikit-learn >= 1.7 and Keras
3 it needs these repairs, all kept here:

- its ``_validate_data`` rejects 3D targets and NaN padding: sequences are
  validated by :mod:`sklearn_lstm_ae._data.sequences` and the training targets are
  built by :mod:`sklearn_lstm_ae._training` before they get here, so scikeras's
  validation and target encoders are bypassed;
- an optimizer instance is bound to the variables of the first model it
  trains: every fit gets a fresh copy;
- its ``random_state`` turns a ``RandomState`` into seed 0 and seeds through
  process-wide state: it is not used. The caller seeds the network's layers,
  and :func:`fit_keras_model` draws the order of array batches from
  a seed of the fit's own (:mod:`sklearn_lstm_ae._random`); Keras's own shuffling
  of a ``PyDataset`` (Python's global ``random``) is switched off.

scikeras's private members (its routing helper ``route_params``, the
``_build_keras_model`` / ``_initialize_callbacks`` /
``_ensure_compiled_model`` / ``_fit_keras_model`` steps, ``_fit_kwargs``)
are checked once at import (:data:`SCIKERAS`). Where any is missing, or
scikeras cannot be imported beside the installed scikit-learn, the same fit
runs through public Keras alone (:func:`_fit_with_keras`: the routed
parameters parsed here, ``model.compile``, ``model.fit``), with a one-time
note; a test compares the two paths.
"""

import functools
import inspect

import keras

from ._config import optimizer_class
from ._fallbacks import note
from ._keras.optimizers import for_one_fit
from ._names import ROUTING_PREFIXES

__all__ = ["fit_keras_model", "SCIKERAS"]

#: The private members of scikeras's ``BaseWrapper`` a fit uses.
_MEMBERS = (
    "_routing_prefixes",
    "_build_keras_model",
    "_initialize_callbacks",
    "_ensure_compiled_model",
    "_fit_kwargs",
    "_fit_keras_model",
    "_get_compile_kwargs",
    "_validate_data",
)


def _scikeras():
    """``(BaseWrapper, route_params)`` when scikeras is as this module expects, else None."""
    try:
        from scikeras import _utils
        from scikeras.wrappers import BaseWrapper
    except Exception:  # noqa: BLE001 - an unmaintained package against newer dependencies
        return None
    route_params = getattr(_utils, "route_params", None)
    if not callable(route_params) or not all(hasattr(BaseWrapper, m) for m in _MEMBERS):
        return None
    if not ROUTING_PREFIXES <= set(BaseWrapper._routing_prefixes) | {"predict"}:
        return None
    return BaseWrapper, route_params


_FOUND = _scikeras()
#: True when fits go through scikeras; False: through public Keras alone.
SCIKERAS = _FOUND is not None
_Base = _FOUND[0] if SCIKERAS else object


class _Trainer(_Base):
    """scikeras's ``BaseWrapper`` used for one fit, with the repairs above."""

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        kwargs["optimizer"] = for_one_fit(kwargs["optimizer"])
        return kwargs

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        return X, y  # validated upstream


def _build(build, compile_kwargs):
    return build(compile_kwargs)


def fit_keras_model(
    build,
    x,
    y,
    *,
    params,
    callbacks=(),
    epochs,
    model=None,
    initial_epoch=0,
    fit_kwargs=None,
    run=None,
):
    """Build (unless ``model`` is given), compile and train a Keras model.

    Parameters
    ----------
    build : callable
        ``build(compile_kwargs) -> keras.Model``, compiled with (a processed
        copy of) ``compile_kwargs``.
    x, y
        What ``Model.fit`` takes: arrays, dicts of arrays, or a PyDataset of
        ``(x, y)`` batches (then ``y`` is None).
    params : dict
        The estimator's training parameters (``optimizer``, ``loss``,
        ``metrics``, ``batch_size``, ``epochs``,
        ``validation_split``, ``shuffle``, ``callbacks``, ``verbose``) and its
        routed ``prefix__name`` parameters.
    callbacks : sequence of keras.callbacks.Callback
        Callbacks added to the user's.
    epochs : int
        Epochs to train.
    model : keras.Model, default=None
        A compiled model to train further (warm start).
    initial_epoch : int, default=0
        Epochs already trained (numbering of the epochs only).
    fit_kwargs : dict, default=None
        Arguments of ``Model.fit`` that override the estimator's (for
        example ``shuffle=False`` with ``validation_data`` for batches
        ordered by :func:`sklearn_lstm_ae._random.shuffled_batches`). A
        ``PyDataset`` is never reordered by Keras: it draws its own batches.
    run : callable, default=None
        Trains in place of ``Model.fit``, with the same arguments (routed
        ``fit__*`` parameters included), returning the history dict: the
        multi-worker step of :mod:`sklearn_lstm_ae._multi_worker`.

    Returns
    -------
    model : keras.Model
    history : dict of list of float
        The epochs of this call only.
    """
    if not SCIKERAS:
        note(
            "scikeras's BaseWrapper as this package uses it",
            "the model is compiled and trained through public Keras",
        )
        return _fit_with_keras(
            build, x, y, params, callbacks, epochs, model, initial_epoch, fit_kwargs, run
        )
    route_params = _FOUND[1]
    trainer = _Trainer(functools.partial(_build, build), **params)
    trainer._random_state = None
    trainer.model_ = trainer._build_keras_model() if model is None else model
    trainer._initialize_callbacks()
    trainer._ensure_compiled_model()
    fit_kwargs = dict(fit_kwargs or {})
    if isinstance(x, keras.utils.PyDataset):
        fit_kwargs["shuffle"] = False  # Keras would reorder with Python's global random
    trainer._fit_callbacks = [*trainer._fit_callbacks, *callbacks]
    if run is not None:
        fit_args = route_params(
            trainer.get_params(), destination="fit", pass_filter=trainer._fit_kwargs
        )
        fit_args = {k: v for k, v in fit_args.items() if not k.startswith("callbacks")}
        fit_args.update(fit_kwargs, epochs=initial_epoch + epochs, initial_epoch=initial_epoch)
        history = run(trainer.model_, x, y, callbacks=trainer._fit_callbacks, **fit_args)
        return trainer.model_, history
    trainer._fit_keras_model(
        x,
        y,
        sample_weight=None,
        warm_start=False,
        epochs=epochs,
        initial_epoch=initial_epoch,
        **fit_kwargs,
    )
    history = {k: [float(v) for v in vals] for k, vals in trainer.history_.items()}
    return trainer.model_, history


# ------------------------------------------------------------ without scikeras
def _routed(params, prefix):
    """``{name: value}`` of the routed parameters ``<prefix>__name``."""
    head = f"{prefix}__"
    return {k[len(head) :]: v for k, v in params.items() if k.startswith(head)}


def _instance(value, kwargs, lookup):
    """A Keras object as scikeras makes it: a name looked up, a class made with ``kwargs``."""
    if isinstance(value, str):
        value = lookup(value)
    return value(**kwargs) if inspect.isclass(value) else value


def _metric(name):
    # Keras picks these by the loss and output shape; passed through as names.
    return name if name in ("acc", "accuracy", "ce", "crossentropy") else keras.metrics.get(name)


def _compile_kwargs(params):
    """What scikeras's ``_get_compile_kwargs`` gives, from public Keras."""
    optimizer = params["optimizer"]
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        cls = optimizer_class(optimizer) if isinstance(optimizer, str) else optimizer
        if cls is None:  # Keras's error names the unknown optimizer
            keras.optimizers.get(optimizer)
        optimizer = cls(**_routed(params, "optimizer"))
    metrics = params.get("metrics")
    if metrics is not None:
        routed = _routed(params, "metrics")
        metrics = [_instance(m, routed, _metric) for m in metrics]
    return {
        **_routed(params, "compile"),
        "optimizer": for_one_fit(optimizer),
        "loss": _instance(params["loss"], _routed(params, "loss"), keras.losses.get),
        "metrics": metrics,
    }


def _fit_with_keras(build, x, y, params, callbacks, epochs, model, initial_epoch, fit_kwargs, run):
    """:func:`fit_keras_model` through public Keras: compile and fit, as scikeras would."""
    if model is None:
        model = build(_compile_kwargs(params))
    fit_args = {name: params[name] for name in ("batch_size", "validation_split", "shuffle")}
    fit_args.update(verbose=params.get("verbose", 0), **_routed(params, "fit"))
    fit_args.update(fit_kwargs or {}, epochs=initial_epoch + epochs, initial_epoch=initial_epoch)
    if isinstance(x, keras.utils.PyDataset):
        fit_args["shuffle"] = False  # Keras would reorder with Python's global random
    everything = [*(params.get("callbacks") or ()), *callbacks]
    if run is not None:
        fit_args = {k: v for k, v in fit_args.items() if k != "callbacks"}
        return model, run(model, x, y, callbacks=everything, **fit_args)
    history = model.fit(x, y, callbacks=everything, **fit_args).history
    return model, {k: [float(v) for v in vals] for k, vals in history.items()}
