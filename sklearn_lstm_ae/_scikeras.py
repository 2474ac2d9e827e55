"""The one place that talks to scikeras: its BaseWrapper adapted to sequence data.

scikeras 0.13 is no longer maintained. Against scikit-learn >= 1.7 and Keras 3
it needs these repairs, all kept here:

- it declares tags only through the retired ``_more_tags``; the estimator
  declares ``__sklearn_tags__`` instead;
- its ``_validate_data`` rejects 3D targets and NaN padding; sequences are
  validated by :mod:`sklearn_lstm_ae._sequences` and the training targets
  (reconstruction, future steps) built by the estimator before they get here,
  so scikeras's validation and target encoders are bypassed and Keras gets
  the arrays (or dicts of arrays) directly;
- its ``random_state`` handling turns a ``RandomState`` into seed 0 and does
  not seed Keras 3; the estimator seeds with ``keras.utils.set_random_seed``;
- it reads parameters from ``__dict__``, so any public attribute would become
  a parameter; here they come from the constructor signature plus routed
  ``prefix__name`` parameters;
- its ``__repr__`` is not scikit-learn's.
"""

import inspect

import keras
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator
from sklearn.utils._available_if import available_if

__all__ = ["KerasSequenceWrapper"]


def _never(self):
    return False


def _routed(name):
    head, sep, _ = name.partition("__")
    return bool(sep) and head in BaseWrapper._routing_prefixes


class KerasSequenceWrapper(BaseWrapper):
    """scikeras's ``BaseWrapper`` for models trained on (padded) 3D sequences.

    Subclasses implement ``_keras_build_fn(compile_kwargs)`` and call
    :meth:`_keras_fit` with validated float32 sequences.
    """

    # scikeras looks these up to decide how to build the model: None means
    # "call self._keras_build_fn". Class attributes, so they are not parameters.
    model = None
    build_fn = None
    warm_start = False

    __repr__ = BaseEstimator.__repr__

    # --- parameters ---------------------------------------------------------
    def set_params(self, **params):
        # The name of the constructor's **kwargs is accepted like in __init__,
        # so set_params never raises where the constructor does not; fit
        # rejects what is not a routed parameter.
        var_kw = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.kind == p.VAR_KEYWORD
        ]
        for name in var_kw:
            if name in params:
                setattr(self, name, params.pop(name))
        return super().set_params(**params)

    def _get_param_names(self):
        sig = inspect.signature(type(self).__init__)
        names = [
            p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD
        ]
        return sorted(names + [k for k in vars(self) if _routed(k)])

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        optimizer = kwargs["optimizer"]
        if isinstance(self.optimizer, keras.optimizers.Optimizer):
            # A Keras optimizer is bound to the variables of the first model it
            # trains: give every fit (and every clone) a fresh one.
            kwargs["optimizer"] = type(optimizer).from_config(optimizer.get_config())
        elif not hasattr(self, "optimizer__learning_rate"):
            optimizer.learning_rate = self.learning_rate
        return kwargs

    # --- data: validated upstream -------------------------------------------
    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        return X, y

    # --- fitting ------------------------------------------------------------
    def _initialize(self, X, y=None):
        self.model_ = self._build_keras_model()
        self._initialize_callbacks()
        return X, y

    def _keras_fit(self, X, y, callbacks=(), *, epochs, warm_start=False):
        """Build (unless ``warm_start``), compile and train on ready-made arrays.

        ``X`` is what the Keras model takes (float32 sequences, or a dict with
        teacher inputs), ``y`` a dict of targets keyed by output name.
        Training history accumulates in ``history_`` when ``warm_start``.
        """
        # Seeding is done by the estimator with keras.utils.set_random_seed;
        # scikeras's own context would map RandomState instances to seed 0.
        self._random_state = None
        if warm_start:
            self._initialize_callbacks()
            initial_epoch = self.current_epoch
        else:
            self._initialize(X, y)
            initial_epoch = 0
        self._ensure_compiled_model()
        self._fit_callbacks = list(self._fit_callbacks) + list(callbacks)
        self._fit_keras_model(
            X,
            y,
            sample_weight=None,
            warm_start=warm_start,
            epochs=epochs,
            initial_epoch=initial_epoch,
        )
        self.history_ = {k: [float(v) for v in vals] for k, vals in self.history_.items()}

    # scikeras's predictor API does not apply to a transformer.
    @available_if(_never)
    def predict(self, X, **kwargs):  # pragma: no cover - never available
        raise AttributeError("predict")

    @available_if(_never)
    def initialize(self, X, y=None):  # pragma: no cover - never available
        raise AttributeError("initialize")
