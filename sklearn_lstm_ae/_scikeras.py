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

Replacing scikeras by ``keras.wrappers`` (``SKLearnTransformer``) would change
this module only: those wrappers take a ``model`` callable and ``fit_kwargs``
but do not route ``optimizer__*`` or ``loss__*`` parameters, so
:func:`fit_keras_model` would instantiate the optimizer and loss from the
routed parameters itself (about 40 lines: ``keras.optimizers.get`` plus the
``prefix__name`` parsing below), call ``model.compile`` and ``model.fit``
directly, and keep :data:`ROUTING_PREFIXES` as the public contract.
"""

import functools

import keras
from scikeras._utils import route_params
from scikeras.wrappers import BaseWrapper

from ._keras.optimizers import fused

__all__ = ["ROUTING_PREFIXES", "is_routed", "fit_keras_model"]

#: Prefixes of the routed ``prefix__name`` parameters the estimator accepts.
ROUTING_PREFIXES = frozenset(BaseWrapper._routing_prefixes - {"model"})


def is_routed(name):
    """True for a routed parameter name such as ``optimizer__beta_1``."""
    head, sep, tail = name.partition("__")
    return bool(sep and tail) and head in ROUTING_PREFIXES


class _Trainer(BaseWrapper):
    """scikeras's ``BaseWrapper`` used for one fit, with the repairs above."""

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        optimizer = kwargs["optimizer"]
        if isinstance(self.optimizer, keras.optimizers.Optimizer):
            kwargs["optimizer"] = type(optimizer).from_config(optimizer.get_config())
        kwargs["optimizer"] = fused(kwargs["optimizer"])
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
