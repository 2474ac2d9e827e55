"""Fallbacks: the one-time note the package gives when a dependency's private part is missing.

Every reach into a private part of Keras, TensorFlow, scikit-learn or
scikeras sits behind a feature check in the module that uses it; when the
check fails, that module takes the public path and calls :func:`note` once,
so the user learns that a speed-up (not a result) is gone. The list of the
reaches and their fallbacks is ``tests/test_private_uses.py``.
"""

import threading
import warnings

__all__ = ["note", "noted"]

_NOTED = set()
_LOCK = threading.Lock()


def note(what, fallback):
    """Warn once per process that ``what`` is unavailable and ``fallback`` is used instead."""
    with _LOCK:
        if what in _NOTED:
            return
        _NOTED.add(what)
    warnings.warn(
        f"sklearn_lstm_ae: {what} is not available in the installed version; "
        f"{fallback}. Results are the same; please report it with your versions.",
        RuntimeWarning,
        stacklevel=3,
    )


def noted():
    """The fallbacks noted so far in this process (for tests and bug reports)."""
    with _LOCK:
        return frozenset(_NOTED)
