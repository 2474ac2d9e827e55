"""Sphinx configuration: numpydoc API reference, sphinx-gallery examples, pydata theme."""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))
# Keep TensorFlow's C++ log quiet in the gallery ("3": errors such as the
# failed cuInit of a machine without a GPU too).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")


sys.path.insert(0, os.path.join(os.path.abspath(".."), "examples"))
from _quiet_tensorflow import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()

import sklearn_lstm_ae  # noqa: E402

project = "sklearn-lstm-ae"
author = "sklearn-lstm-ae developers"
copyright = "2026, sklearn-lstm-ae developers"
release = version = sklearn_lstm_ae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]
# The benchmark page's figures: drawn from benchmarks/*.jsonl by benchmarks/figures.py.
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_validation_checks = {"GL08"}  # every public object needs a docstring
numpydoc_xref_param_type = False

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}
# Offline builds (CI reaches no documentation sites): only local inventories.
if os.environ.get("SPHINX_OFFLINE", "1") == "1":
    intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"demo_|_quiet_tensorflow",  # the demo and its helper are not pages
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "reference_url": {"sklearn_lstm_ae": None},
    "doc_module": ("sklearn_lstm_ae",),
    "backreferences_dir": "generated/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = "sklearn-lstm-ae"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []

nitpicky = False
warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")
