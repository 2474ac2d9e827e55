"""Parameter constraints: scikit-learn's own validation where it offers it, an equivalent otherwise.

scikit-learn checks ``_parameter_constraints`` with ``Interval``,
``StrOptions`` and ``validate_parameter_constraints`` from
``sklearn.utils._param_validation``, a private module that
scikit-learn-contrib projects use but that may change in any release. This
module is the package's one import of it, behind a feature check: when the
names are missing or their signatures changed, the constraints are checked by
the small equivalent below (the subset this package uses), with a one-time
note, and the same parameters pass or fail with the same kind of error.

It also holds the two helpers that replace ``BaseEstimator``'s private
``_get_param_names`` and ``_validate_params``: :func:`param_names` reads the
constructor's signature, as scikit-learn does, and :func:`check_constraints`
validates an estimator's parameters, honouring scikit-learn's public
``skip_parameter_validation`` setting.
"""

import functools
import inspect
from numbers import Integral, Real

import numpy as np
import sklearn

from ._fallbacks import note

__all__ = [
    "Interval",
    "StrOptions",
    "HasMethods",
    "validate_parameter_constraints",
    "validate_params",
    "check_constraints",
    "param_names",
    "SKLEARN_VALIDATION",
]


def _sklearn_validation():
    """scikit-learn's validation objects, or None when they are not as this package expects."""
    try:
        from sklearn.utils import _param_validation as pv
    except ImportError:
        return None
    names = (
        "Interval",
        "StrOptions",
        "HasMethods",
        "validate_parameter_constraints",
        "validate_params",
    )
    if not all(hasattr(pv, n) for n in names):
        return None
    try:
        signature = inspect.signature(pv.validate_parameter_constraints)
        pv.Interval(Integral, 1, None, closed="left")
        pv.StrOptions({"a"})
    except (TypeError, ValueError):
        return None
    if "caller_name" not in signature.parameters:
        return None
    return pv


class _Interval:
    """A number in an interval: ``Interval(Integral, 1, None, closed="left")`` is ``[1, inf)``."""

    def __init__(self, type, left, right, *, closed):
        self.type, self.left, self.right, self.closed = type, left, right, closed

    def is_satisfied_by(self, value):
        if isinstance(value, bool) or not isinstance(value, self.type):
            if not (self.type is Real and isinstance(value, Integral | np.floating)):
                return False
            if isinstance(value, bool):
                return False
        if self.left is not None:
            ok = value >= self.left if self.closed in ("left", "both") else value > self.left
            if not ok:
                return False
        if self.right is not None:
            ok = value <= self.right if self.closed in ("right", "both") else value < self.right
            if not ok:
                return False
        return True

    def __str__(self):
        kind = "an int" if self.type is Integral else "a float"
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        low = "-inf" if self.left is None else self.left
        high = "inf" if self.right is None else self.right
        return f"{kind} in the range {left}{low}, {high}{right}"


class _StrOptions:
    """A string among ``options``."""

    def __init__(self, options):
        self.options = set(options)

    def is_satisfied_by(self, value):
        return isinstance(value, str) and value in self.options

    def __str__(self):
        return f"a str among {sorted(self.options)}"


class _HasMethods:
    """An object with all of ``methods``."""

    def __init__(self, methods):
        self.methods = [methods] if isinstance(methods, str) else list(methods)

    def is_satisfied_by(self, value):
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def __str__(self):
        return "an object implementing " + ", ".join(repr(m) for m in self.methods)


def _satisfied(constraint, value):
    if constraint is None:
        return value is None
    if isinstance(constraint, _Interval | _StrOptions | _HasMethods):
        return constraint.is_satisfied_by(value)
    if constraint is callable:
        return callable(value)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    if constraint == "boolean":
        return isinstance(value, bool | np.bool_)
    if constraint == "array-like":
        return hasattr(value, "__len__") or hasattr(value, "__array__")
    if constraint == "random_state":
        return value is None or isinstance(value, Integral | np.random.RandomState)
    raise ValueError(f"unknown constraint {constraint!r}")


def _validate_parameter_constraints(parameter_constraints, params, caller_name):
    """Raise ``InvalidParameterError`` (a ``ValueError``) for the first parameter that fails."""
    for name, value in params.items():
        constraints = parameter_constraints.get(name)
        if constraints is None or constraints == "no_validation":
            continue
        if any(_satisfied(c, value) for c in constraints):
            continue
        described = [
            str(c) if not isinstance(c, type) else f"an instance of {c.__name__!r}"
            for c in constraints
        ]
        described = (
            ", ".join(described[:-1]) + " or " + described[-1]
            if len(described) > 1
            else described[0]
        )
        raise _InvalidParameterError(
            f"The {name!r} parameter of {caller_name} must be {described}. Got {value!r} instead."
        )


class _InvalidParameterError(ValueError, TypeError):
    """A parameter outside its constraints (a ValueError and a TypeError, as scikit-learn's)."""


def _validate_params(parameter_constraints, *, prefer_skip_nested_validation=True):
    """The decorator form: check a function's arguments before it runs."""

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if not sklearn.get_config().get("skip_parameter_validation", False):
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                _validate_parameter_constraints(
                    parameter_constraints, dict(bound.arguments), func.__qualname__
                )
            return func(*args, **kwargs)

        return wrapper

    return decorate


_PV = _sklearn_validation()
#: True when scikit-learn's own validation is used (False: the equivalent here).
SKLEARN_VALIDATION = _PV is not None
if SKLEARN_VALIDATION:
    Interval, StrOptions, HasMethods = _PV.Interval, _PV.StrOptions, _PV.HasMethods
    validate_parameter_constraints = _PV.validate_parameter_constraints
    validate_params = _PV.validate_params
else:  # exercised by tests/test_constraints.py in a process without it
    note(
        "scikit-learn's parameter validation (sklearn.utils._param_validation)",
        "parameters are checked by the package's own equivalent",
    )
    Interval, StrOptions, HasMethods = _Interval, _StrOptions, _HasMethods
    validate_parameter_constraints = _validate_parameter_constraints
    validate_params = _validate_params


def param_names(cls):
    """The constructor's named parameters, sorted (what ``get_params`` returns, routed aside)."""
    init = cls.__init__
    if init is object.__init__:
        return []
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = inspect.signature(init).parameters.values()
    return sorted(p.name for p in params if p.name != "self" and p.kind not in kinds)


def check_constraints(constraints, params, caller_name):
    """Validate ``params`` against ``constraints`` (``_parameter_constraints``), as
    ``BaseEstimator._validate_params`` does, honouring ``skip_parameter_validation``.

    No constraints (a scikit-learn scaler of a version that stopped declaring
    them) pass.
    """
    if constraints is None or sklearn.get_config().get("skip_parameter_validation", False):
        return
    validate_parameter_constraints(constraints, params, caller_name=caller_name)
