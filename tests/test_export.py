"""export(): a SavedModel that serves codes, reconstructions and scores without this package."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

from .helpers import ragged, sine_waves, tiny

#: Loads each export in a fresh Python that cannot import sklearn_lstm_ae and
#: runs every signature on the inputs saved beside it.
_SERVE = textwrap.dedent(
    """
    import json, sys
    sys.modules["sklearn_lstm_ae"] = None  # any import of the package fails
    import numpy as np, tensorflow as tf
    for path in sys.argv[1:]:
        model = tf.saved_model.load(path)
        x = tf.constant(np.load(path + ".input.npy"))
        out = {}
        for name, fn in model.signatures.items():
            (value,) = fn(sequences=x).values()
            out[name] = value.numpy().tolist()
        with open(path + ".out.json", "w") as f:
            json.dump(out, f)
    """
)


def _ops(graph_def):
    """Every operation type of a GraphDef, its function library included."""
    ops = {node.op for node in graph_def.node}
    return ops | {node.op for f in graph_def.library.function for node in f.node_def}


def _padded(X, n_padded=8, keep=7):
    """X (float32) with its first ``n_padded`` sequences NaN after ``keep`` steps."""
    X = np.array(X, np.float32)
    X[:n_padded, keep:] = np.nan
    return X


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Three fitted transformers, their exports, and what a process without the package served."""
    root = tmp_path_factory.mktemp("export")
    sines = sine_waves(48) * 4 + 7  # far from the scaler's units
    cases = {
        "lstm": (tiny(), _padded(sines)),
        "gru_first": (
            tiny(
                data_format="channels_first",
                cell="gru",
                bidirectional=True,
                reverse_target=True,
                mode="composite",
                scaler="minmax",
            ),
            _padded(sines).transpose(0, 2, 1),
        ),
        # A dilated, strided front end with its maps pooled into the code.
        "front_end": (
            tiny(
                conv_filters=(4, 6), conv_kernel_size=3, conv_dilation=2, conv_pooling="projected"
            ),
            _padded(sines),
        ),
    }
    paths = []
    for name, (ae, X) in cases.items():
        ae.fit(X)
        path = str(root / name)
        assert ae.export(path) == path
        np.save(path + ".input.npy", X)
        paths.append(path)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", _SERVE, *paths], check=True, env=env, cwd=root)
    outputs = {}
    for name, path in zip(cases, paths, strict=True):
        with open(path + ".out.json") as f:
            outputs[name] = {k: np.array(v, np.float32) for k, v in json.load(f).items()}
    return cases, dict(zip(cases, paths, strict=True)), outputs


def test_the_export_serves_transform_without_the_package(served):
    cases, _, outputs = served
    for name, (ae, X) in cases.items():
        out = outputs[name]
        codes = ae.transform(X)
        np.testing.assert_allclose(out["serving_default"], codes, atol=1e-5)
        np.testing.assert_allclose(out["transform"], codes, atol=1e-5)
        # Original units (up to about 50 here): float32 round-off is relative.
        np.testing.assert_allclose(out["reconstruct"], ae.reconstruct(X), rtol=1e-5, atol=1e-5)
        assert np.isnan(out["reconstruct"][:8]).any()  # padding stays NaN
    lstm, _ = cases["lstm"]
    np.testing.assert_allclose(
        outputs["lstm"]["score_samples"], lstm.score_samples(cases["lstm"][1]), rtol=1e-5
    )
    assert "score_samples" not in outputs["gru_first"]  # composite: a weighted objective


def test_the_exported_graph_holds_standard_operations_only(served):
    import tensorflow as tf

    cases, paths, _ = served
    loaded = tf.saved_model.load(paths["lstm"])
    graph = loaded.signatures["transform"].graph.as_graph_def()
    assert "BlockLSTM" not in _ops(graph) and _ops(graph) & {"While", "StatelessWhile"}
    if tf.config.list_logical_devices("GPU"):
        return  # the CPU fast path is not taken on a GPU
    # The fast path is back for the estimator once the export is written.
    encoder = cases["lstm"][0]._fitted_.graphs.encoder(masked=True)
    traced = tf.function(encoder).get_concrete_function(tf.TensorSpec((None, None, 2)))
    assert "BlockLSTM" in _ops(traced.graph.as_graph_def())


def test_an_export_replaces_an_old_one_whole_and_bad_targets_fail_cleanly(served, tmp_path):
    cases, _, _ = served
    ae, X = cases["lstm"]
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.txt").write_text("from an older export")
    ae.export(target)
    assert not (target / "stale.txt").exists() and (target / "saved_model.pb").exists()
    assert sorted(os.listdir(tmp_path)) == ["model"]  # no temporary directory left
    a_file = tmp_path / "model.txt"
    a_file.write_text("keep me")
    with pytest.raises(FileExistsError, match="is a file; a TensorFlow SavedModel is a directory"):
        ae.export(a_file)
    assert a_file.read_text() == "keep me"
    cube_root = FunctionTransformer(np.cbrt, np.square, check_inverse=False)  # not affine
    curved = tiny(scaler=cube_root, epochs=1).fit(X[8:])
    with pytest.raises(ValueError, match="needs a per-feature affine scaler"):
        curved.export(tmp_path / "curved")
    assert sorted(os.listdir(tmp_path)) == ["model", "model.txt"]


def test_the_export_converts_to_onnx_and_runs_in_onnxruntime(served, tmp_path):
    pytest.importorskip("tf2onnx")
    ort = pytest.importorskip("onnxruntime")
    cases, paths, _ = served
    ae, X = cases["lstm"]
    onnx_path = str(tmp_path / "encoder.onnx")
    convert = [sys.executable, "-m", "tf2onnx.convert", "--saved-model", paths["lstm"]]
    convert += ["--signature_def", "transform", "--output", onnx_path]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(convert, check=True, env=env, capture_output=True)
    session = ort.InferenceSession(onnx_path)
    (codes,) = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(codes, ae.transform(X), atol=1e-4)
    ragged_codes = session.run(None, {"sequences": _padded(X, n_padded=48, keep=5)})[0]
    np.testing.assert_allclose(ragged_codes, ae.transform(ragged(X, 5, 1)), atol=1e-4)


def test_an_export_where_a_gpu_is_visible_holds_no_cudnn_kernel(served, tmp_path, monkeypatch):
    import tensorflow as tf

    cases, _, _ = served
    real = tf.config.list_logical_devices
    gpu = tf.config.LogicalDevice(name="/device:GPU:0", device_type="GPU")
    monkeypatch.setattr(  # Keras's LSTM and GRU pick cuDNN when a GPU is listed
        tf.config, "list_logical_devices", lambda kind=None: [gpu] if kind == "GPU" else real(kind)
    )
    for name in ("lstm", "gru_first"):
        path = cases[name][0].export(tmp_path / name)
        loaded = tf.saved_model.load(str(path))
        ops = _ops(loaded.signatures["transform"].graph.as_graph_def())
        assert not {op for op in ops if "Cudnn" in op}, name


def test_a_failed_export_keeps_the_old_one_and_leaves_no_temporary_directory(
    served, tmp_path, monkeypatch
):
    import tensorflow as tf

    cases, _, _ = served
    ae, _ = cases["lstm"]
    target = ae.export(tmp_path / "model")
    before = sorted(p.name for p in target.rglob("*"))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        ae.export(target)
    assert sorted(p.name for p in target.rglob("*")) == before
    assert sorted(os.listdir(tmp_path)) == ["model"]
