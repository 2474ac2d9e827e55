"""Persistence: saved models name Keras's own LSTM, GRU and Adam; the fast paths return on load.

The CPU fast paths are subclasses (``FusedLSTM``, ``ScanGRU``, ``FusedAdam``)
with the same weights and configuration as Keras's ``LSTM``, ``GRU`` and
``Adam``. A ``.keras`` file written by Keras names the classes it was given,
twice: in ``config.json``, and in the weights file, whose groups for layers
held in a list are named after their class (``fused_lstm``, ``scan_gru_1``).
So every saved file would depend on how the fast paths are built today.
:func:`to_stable_names` rewrites both to Keras's names, and
:func:`to_fast_paths` maps them back before loading, unless the fast paths
are switched off (:func:`~sklearn_lstm_ae._keras.recurrent.standard_ops`): how a
model runs is decided when it is built or loaded, never stored. Files that
name the fast-path classes (written before this) still load, since those
classes stay registered.
"""

import io
import json
import os
import re
import zipfile

import h5py
import keras

from ._keras.optimizers import FusedAdam
from ._keras.recurrent import FusedLSTM, ScanGRU, fast_paths_on

__all__ = ["to_stable_names", "to_fast_paths", "STABLE"]


def _identity(cls):
    """How a ``.keras`` config names a registered class of this package."""
    registered = keras.saving.get_registered_name(cls)
    return {"module": cls.__module__, "class_name": cls.__name__, "registered_name": registered}


def _builtin(module, name):
    return {"module": module, "class_name": name, "registered_name": None}


#: Each fast-path class and the Keras class it computes, as configs name them.
STABLE = [
    (_identity(FusedLSTM), _builtin("keras.layers", "LSTM")),
    (_identity(ScanGRU), _builtin("keras.layers", "GRU")),
    (_identity(FusedAdam), _builtin("keras.optimizers", "Adam")),
]


def _key(node):
    return (node.get("module"), node.get("class_name"))


def _rename(node, table):
    """Rewrite, in place, every nested object config whose (module, class) is in ``table``."""
    if isinstance(node, dict):
        if "class_name" in node and _key(node) in table:
            node.update(table[_key(node)])
        for value in node.values():
            _rename(value, table)
    elif isinstance(node, list):
        for value in node:
            _rename(value, table)


#: Weight-file group names of layers held in lists: snake-cased class names.
_GROUPS = {"fused_lstm": "lstm", "scan_gru": "gru"}


def _rename_groups(weights, names):
    """The HDF5 bytes ``weights`` copied to a new file, groups ``name[_<n>]`` renamed by ``names``.

    A copy rather than a rename in place: HDF5 keeps the old names in the
    file's free space.
    """
    pattern = re.compile(rf"^({'|'.join(map(re.escape, names))})(_\d+)?$")

    def renamed(path):
        return "/".join(
            pattern.sub(lambda m: names[m.group(1)] + (m.group(2) or ""), part)
            for part in path.split("/")
        )

    out, written = io.BytesIO(), set()
    with h5py.File(io.BytesIO(weights), "r") as src, h5py.File(out, "w") as dst:
        dst.attrs.update(src.attrs)

        def copy(path, item):
            new = renamed(path)
            if new in written:
                raise ValueError(f"the weights hold two groups that are named {new!r}")
            written.add(new)
            if isinstance(item, h5py.Dataset):
                dst.create_dataset(new, data=item[()])
            else:
                dst.require_group(new)
            dst[new].attrs.update(item.attrs)

        src.visititems(copy)
    return out.getvalue()


def _rewrite(keras_path, table, groups):
    """Rewrite the ``.keras`` file at ``keras_path``: its config through ``table``, its
    weights' group names through ``groups``.

    The file is a private temporary copy (saving and loading both work on
    one), so it is rewritten in place.
    """
    with zipfile.ZipFile(keras_path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    config = json.loads(members["config.json"])
    _rename(config, table)
    members["config.json"] = json.dumps(config).encode()
    members["model.weights.h5"] = _rename_groups(members["model.weights.h5"], groups)
    tmp = keras_path + ".rewrite"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    os.replace(tmp, keras_path)


def to_stable_names(keras_path):
    """Make a saved ``.keras`` file name Keras's LSTM, GRU and Adam for the fast paths."""
    _rewrite(keras_path, {_key(fast): stable for fast, stable in STABLE}, _GROUPS)


def to_fast_paths(keras_path):
    """Make a ``.keras`` file load with the fast-path classes, unless they are switched off."""
    if fast_paths_on():
        table = {_key(stable): fast for fast, stable in STABLE}
        _rewrite(keras_path, table, {v: k for k, v in _GROUPS.items()})
