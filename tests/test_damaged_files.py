"""Damaged files: every mutation of a saved file loads as the original or raises ValueError."""

import io
import json
import time
import zipfile

import numpy as np
import pytest

from sklearn_lstm_ae import LSTMAutoencoderTransformer

from .helpers import tiny

#: Byte-level damage, in turn. Bytes appended after the archive always load as
#: the original (a zip is read from its end record, which is found again), and
#: each such case costs a whole load and encoding: one turn in eight.
_BYTE_DAMAGE = ("flip", "truncate", "zero", "flip", "truncate", "zero", "flip", "append")
#: Values that replace a JSON leaf: every other JSON type, and out-of-range numbers.
_REPLACEMENTS = (None, True, False, "", "x", 0, -1, 2.5, 10**12, [], {}, [1], {"a": 1})


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A fitted transformer saved to bytes, with the codes it gives."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 10, 2)).astype(np.float32)
    ae = tiny(encoder_units=(4,), epochs=1).fit(X)
    buffer = io.BytesIO()
    ae.save(buffer)
    return buffer.getvalue(), X, ae.transform(X)


def _leaves(node, path=()):
    """Paths of every leaf and every container of a JSON document (the root excluded)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*path, key)
        if isinstance(value, (dict, list)) and value:
            yield from _leaves(value, (*path, key))


def _rezip(data, state):
    """The archive ``data`` with its estimator.json replaced by ``state``, otherwise intact."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = src.read(info)
            if info.filename == "estimator.json":
                member = json.dumps(state).encode()
            dst.writestr(info, member)
    return out.getvalue()


def _mutations(data, rng, n_bytes=160, n_json=100):
    """Seeded damaged copies of ``data``: byte-level damage, then JSON edits in a valid zip."""
    size = len(data)
    for i in range(n_bytes):
        kind = _BYTE_DAMAGE[i % len(_BYTE_DAMAGE)]
        if kind == "flip":  # one flipped byte
            pos = int(rng.integers(size))
            flipped = bytearray(data)
            flipped[pos] ^= int(rng.integers(1, 256))
            yield f"flip byte {pos}", bytes(flipped)
        elif kind == "truncate":  # cut short
            cut = int(rng.integers(size))
            yield f"truncate to {cut}", data[:cut]
        elif kind == "zero":  # a zeroed range
            start, length = int(rng.integers(size)), int(rng.integers(1, 256))
            zeroed = bytearray(data)
            zeroed[start : start + length] = bytes(len(zeroed[start : start + length]))
            yield f"zero {length} bytes at {start}", bytes(zeroed)
        else:  # bytes appended (kind "append")
            extra = rng.integers(0, 256, int(rng.integers(1, 512)), dtype=np.uint8).tobytes()
            yield f"append {len(extra)} bytes", data + extra
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        state = json.loads(zf.read("estimator.json"))
    paths = list(_leaves(state))
    for i in rng.permutation(len(paths))[:n_json]:
        path = paths[i]
        edited = json.loads(json.dumps(state))
        parent = edited
        for key in path[:-1]:
            parent = parent[key]
        if rng.random() < 0.25:
            del parent[path[-1]]
            yield f"remove {'/'.join(map(str, path))}", _rezip(data, edited)
        else:
            value = _REPLACEMENTS[int(rng.integers(len(_REPLACEMENTS)))]
            parent[path[-1]] = value
            yield f"set {'/'.join(map(str, path))} = {value!r}", _rezip(data, edited)


def test_every_damaged_file_loads_as_the_original_or_raises_value_error(original):
    """At least 200 seeded mutations: none escapes the ValueError contract, none changes codes."""
    data, X, codes = original
    outcomes = {"refused": 0, "loaded": 0}
    slowest = 0.0
    for name, damaged in _mutations(data, np.random.default_rng(0)):
        start = time.perf_counter()
        try:
            loaded = LSTMAutoencoderTransformer.load(io.BytesIO(damaged))
        except ValueError as exc:
            # The message says what is wrong; the cause is chained where there is one.
            assert (
                "not a valid saved" in str(exc)
                or "is damaged" in str(exc)
                or ("not a file written by" in str(exc))
            ), name
            outcomes["refused"] += 1
        except Exception as exc:  # noqa: BLE001 - the contract under test
            pytest.fail(f"{name}: {type(exc).__name__} escaped load(): {exc}")
        else:
            np.testing.assert_array_equal(loaded.transform(X), codes, err_msg=name)
            outcomes["loaded"] += 1
        slowest = max(slowest, time.perf_counter() - start)
    assert sum(outcomes.values()) >= 200
    # Both outcomes occur: the mutations reach parts that matter and parts that do not.
    assert outcomes["refused"] >= 100 and outcomes["loaded"] >= 1, outcomes
    print(f"damaged files: {outcomes}, slowest load {slowest:.2f} s")
