"""Parameter constraints: scikit-learn's private validation and the package's fallback agree."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sklearn_lstm_ae import LSTMAutoencoderTransformer, SlidingWindows, sliding_windows
from sklearn_lstm_ae._constraints import SKLEARN_VALIDATION, param_names

from .helpers import TINY

#: Parameters that fail their constraints, each with the parameter named in the error.
BAD = [
    ("transformer", {"latent_dim": 0}, "latent_dim"),
    ("transformer", {"latent_dim": 2.5}, "latent_dim"),
    ("transformer", {"epochs": "many"}, "epochs"),
    ("transformer", {"dropout": 1.0}, "dropout"),
    ("transformer", {"pooling": "median"}, "pooling"),
    ("transformer", {"shuffle": "yes"}, "shuffle"),
    ("transformer", {"reverse_target": 1}, "reverse_target"),
    ("transformer", {"verbose": 3}, "verbose"),
    ("transformer", {"random_state": "seed"}, "random_state"),
    ("windows", {"window": 0}, "window"),
    ("windows", {"stride": 1.5}, "stride"),
]
#: Parameters that pass (a short fit each).
GOOD = [
    {"shuffle": True, "verbose": True, "random_state": np.random.RandomState(0)},
    {"epochs": 1, "conv_pooling": "appended", "conv_filters": (2,), "dropout": 0.0},
]

_PROBE = """
import json, sys, warnings
import numpy as np
if sys.argv[1] == "fallback":
    # Everything that imports scikit-learn's validation is imported first; then
    # the package meets a scikit-learn without it.
    import scikeras.wrappers, sklearn.decomposition, sklearn.metrics, sklearn.pipeline
    import sklearn.model_selection, sklearn.preprocessing, sklearn.utils._param_validation as pv
    del pv.validate_parameter_constraints
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import sklearn_lstm_ae._constraints as constraints
from sklearn_lstm_ae import LSTMAutoencoderTransformer, SlidingWindows, sliding_windows
cases = json.loads(sys.argv[2])
X = np.random.default_rng(0).normal(size=(8, 6, 1)).astype("float32")
out = {"sklearn": constraints.SKLEARN_VALIDATION,
       "noted": [str(w.message) for w in caught if "own equivalent" in str(w.message)],
       "fallbacks": sorted(__import__("sklearn_lstm_ae._fallbacks")._fallbacks.noted()),
       "bad": [], "good": []}
for kind, params in cases["bad"]:
    try:
        if kind == "transformer":
            LSTMAutoencoderTransformer(**{**cases["tiny"], **params}).fit(X)
        else:
            SlidingWindows(**{"window": 3, **params}).fit(X[0])
        out["bad"].append(None)
    except ValueError as exc:
        out["bad"].append(str(exc))
for params in cases["good"]:
    ae = LSTMAutoencoderTransformer(**{**cases["tiny"], **params}).fit(X)
    out["good"].append(ae.transform(X).shape[1])
try:
    sliding_windows(np.arange(10.0), window=0)
except ValueError as exc:
    out["function"] = str(exc)
print(json.dumps(out))
"""


def _probe(mode):
    tiny = {k: v for k, v in TINY.items() if k != "random_state"}
    tiny["conv_filters"] = list(tiny.get("conv_filters", ()))
    good = [
        {k: (v if not isinstance(v, np.random.RandomState) else 0) for k, v in g.items()}
        for g in GOOD
    ]
    cases = {"bad": [(k, p) for k, p, _ in BAD], "good": good, "tiny": tiny}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, mode, json.dumps(cases, default=list)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_fallback_refuses_and_accepts_what_scikit_learn_does():
    ours, theirs = _probe("fallback"), _probe("sklearn")
    assert theirs["sklearn"] and not theirs["noted"]
    assert not ours["sklearn"] and len(ours["noted"]) == 1  # a one-time note
    for (kind, params, name), mine, sk in zip(BAD, ours["bad"], theirs["bad"], strict=True):
        assert sk is not None and f"'{name}' parameter" in sk, (kind, params, sk)
        assert mine is not None and f"The '{name}' parameter of " in mine, (kind, params, mine)
    assert ours["good"] == theirs["good"]
    assert "'window' parameter" in ours["function"] and "'window' parameter" in theirs["function"]


def test_scikit_learns_validation_is_used_here_and_names_come_from_the_signature():
    assert SKLEARN_VALIDATION
    assert "latent_dim" in param_names(LSTMAutoencoderTransformer)
    assert "kwargs" not in param_names(LSTMAutoencoderTransformer)
    assert param_names(SlidingWindows) == ["stride", "window"]
    with pytest.raises(ValueError, match="'window' parameter"):
        sliding_windows(np.arange(10.0), window=0)
