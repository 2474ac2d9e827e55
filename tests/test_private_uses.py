"""The package's reaches into its dependencies' private parts, written down once.

A reach is an import of a private module (``keras.src``, ``tensorflow.python``,
``sklearn.utils._*``, ``scikeras._*``), a raw TensorFlow op, or an attribute
``x._name`` that no file of the package defines. Any of them can change in a
dependency's patch release, so each is listed here with what it is for and
what happens without it. The test fails on a reach that is not listed (list
it, with its fallback, or use a public API) and on a listed one that is gone
(remove it from the list).

Not caught by the rule, and so written here: ``FusedLSTM``/``ScanGRU``
override Keras's ``inner_loop`` and call ``cell.get_dropout_mask`` (both
without an underscore, both undocumented); a Keras that changes them is
detected by ``_keras.recurrent._runs_fast`` only as far as its checks go.
``FusedAdam`` overrides Adam's private ``_backend_update_step`` and
``_clip_gradients``: ``_keras.optimizers.FUSED_UPDATE`` checks they exist,
and without them every fit trains with Keras's Adam (tested).

Each fallback gives a one-time ``RuntimeWarning`` (``_fallbacks.note``).
"""

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_lstm_ae"
PRIVATE_MODULES = ("keras.src", "tensorflow.python", "sklearn.utils._", "scikeras._", "tf_keras")

#: (module, reach): what it is for; the fallback when it is gone.
KNOWN = {
    ("_constraints.py", "import sklearn.utils._param_validation"): (
        "scikit-learn's constraint checks; fallback: the package's equivalent (tested)"
    ),
    (
        "_keras/optimizers.py",
        "._get_variable_index",
    ): "FusedAdam finds a weight's slots; fallback: Keras's Adam (tested)",
    (
        "_keras/optimizers.py",
        "._momentums",
    ): "FusedAdam reads Adam's first moments; fallback: Keras's Adam",
    (
        "_keras/optimizers.py",
        "._velocities",
    ): "FusedAdam reads Adam's second moments; fallback: Keras's Adam",
    (
        "_keras/optimizers.py",
        "raw_ops",
    ): "ResourceApplyAdam, one kernel per weight; fallback: Keras's Adam",
    (
        "_keras/recurrent.py",
        "import tensorflow.python.framework",
    ): "XLA context check; fallback: Keras's loops everywhere (tested)",
    (
        "_keras/recurrent.py",
        "import tensorflow.python.ops",
    ): "XLA context check; fallback: Keras's loops everywhere (tested)",
    (
        "_keras/recurrent.py",
        "raw_ops",
    ): "BlockLSTM, the fused kernel; fallback: Keras's loop (BLOCK_LSTM, tested)",
    ("_scikeras.py", "import scikeras._utils"): "route_params; fallback: public Keras (tested)",
    (
        "_scikeras.py",
        "._routing_prefixes",
    ): "scikeras's routing prefixes; fallback: public Keras (tested)",
    (
        "_scikeras.py",
        "._build_keras_model",
    ): "scikeras builds the model; fallback: public Keras (tested)",
    (
        "_scikeras.py",
        "._initialize_callbacks",
    ): "scikeras's callbacks; fallback: public Keras (tested)",
    (
        "_scikeras.py",
        "._ensure_compiled_model",
    ): "scikeras compiles; fallback: public Keras (tested)",
    ("_scikeras.py", "._fit_kwargs"): "scikeras's fit arguments; fallback: public Keras (tested)",
    (
        "_scikeras.py",
        "._fit_keras_model",
    ): "scikeras runs Keras's fit; fallback: public Keras (tested)",
}


def _reaches(trees):
    """``Counter`` of ``(module, reach)`` in ``{module name: ast tree}``."""
    defined = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.arg):
                defined.add(node.arg)
    found = Counter()
    for name, tree in trees.items():
        for node in ast.walk(tree):
            module = None
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
            elif isinstance(node, ast.Import):
                module = ",".join(a.name for a in node.names)
            if module and any(m in module for m in PRIVATE_MODULES):
                found[(name, f"import {module}")] += 1
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:  # from sklearn.utils import _param_validation
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found[(name, f"import {node.module}.{alias.name}")] += 1
            if isinstance(node, ast.Attribute):
                if node.attr == "raw_ops":
                    found[(name, "raw_ops")] += 1
                elif node.attr.startswith("_") and not node.attr.startswith("__"):
                    if node.attr not in defined:
                        found[(name, f".{node.attr}")] += 1
    return found


def test_every_private_reach_is_listed_with_its_fallback():
    trees = {
        p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text()) for p in PACKAGE.rglob("*.py")
    }
    found = _reaches(trees)
    new = sorted(set(found) - set(KNOWN))
    gone = sorted(set(KNOWN) - set(found))
    assert not new, f"unlisted reaches into private parts (list them, with a fallback): {new}"
    assert not gone, f"listed reaches that are gone (remove them from KNOWN): {gone}"


def test_the_rule_finds_private_reaches_and_spares_the_packages_own_names():
    source = (
        "import keras.src.ops\n"
        "from sklearn.utils._param_validation import Interval\n"
        "from scikeras import _utils\n"
        "loss = model._compile_loss\n"
        "op = tf.raw_ops.BlockLSTM\n"
        "class Mine:\n"
        "    def _own(self):\n"
        "        return self._own, self.__class__\n"
    )
    assert set(_reaches({"m.py": ast.parse(source)})) == {
        ("m.py", "import keras.src.ops"),
        ("m.py", "import sklearn.utils._param_validation"),
        ("m.py", "import scikeras._utils"),
        ("m.py", "._compile_loss"),
        ("m.py", "raw_ops"),
    }


def test_every_keras_object_the_package_defines_is_registered_in_one_place():
    """Registration is explicit (``_keras/__init__``), never an import side effect."""
    import importlib
    import inspect
    import pkgutil

    import keras

    import sklearn_lstm_ae._keras as keras_objects

    bases = (keras.layers.Layer, keras.losses.Loss, keras.optimizers.Optimizer)
    modules = [
        importlib.import_module(f"{keras_objects.__name__}.{info.name}")
        for info in pkgutil.iter_modules(keras_objects.__path__)
    ]
    assert len(modules) >= 6  # the subpackage's modules are all found
    defined = {
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and issubclass(cls, bases)
    }
    assert defined == set(keras_objects.REGISTERED)
    for cls in defined:
        assert keras.saving.get_registered_name(cls) == f"sklearn_lstm_ae>{cls.__name__}"
    # No module outside _keras/ defines a Keras object.
    outside = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "_keras" not in p.parts and "register_keras_serializable" in p.read_text()
    ]
    assert outside == []
