"""Speed paths: XLA-compiled inference, batch sizes, steps per execution, the fused LSTM.

Each path must leave results unchanged within float32 round-off; the speed
itself is measured in benchmarks/bench_vs_keras.py, never here.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from sklearn_lstm_ae import _inference, _training
from sklearn_lstm_ae._fitted import InferenceOptions
from sklearn_lstm_ae._inference import InferenceFunction, _batch_size
from sklearn_lstm_ae._keras import recurrent as _recurrent
from sklearn_lstm_ae._keras.layers import NaNPaddingMask
from sklearn_lstm_ae._keras.recurrent import FusedLSTM, ScanGRU, at_step

from .helpers import ragged, tiny


@pytest.fixture(autouse=True)
def cpu_policy(monkeypatch):
    """The CPU's policy (XLA for hot shapes), also where a GPU is visible."""
    monkeypatch.setattr(_inference, "_xla_wanted", lambda: True)


@pytest.fixture
def hot(monkeypatch):
    """Every shape is hot: compiled from its second call, whatever its size."""
    monkeypatch.setattr(_inference, "XLA_AFTER_CALLS", 1)
    monkeypatch.setattr(_inference, "XLA_MIN_STEPS", 1)


def _results(ae, ragged, sines):
    """Everything inference computes, each called three times (hot from the second)."""
    out = {}
    for _ in range(3):
        out["codes"] = ae.transform(ragged)
        out["codes of an array"] = ae.transform(sines)
        if ae.mode != "predict":
            out["reconstruction"] = ae.reconstruct(ragged)
            out["decoded"] = ae.inverse_transform(out["codes"])
            out["scores"] = ae.score_samples(ragged)
        if ae.mode != "reconstruct":
            out["forecast"] = ae.forecast(sines)
    return out


def _forget_functions(ae):
    ae._fitted_._functions.clear()


@pytest.mark.parametrize(
    "params",
    [
        dict(mode="composite", n_future=2, reverse_target=True),  # lastmax pooling, LSTM
        dict(pooling="last", cell="gru", bidirectional=True),  # the last states, both ways
    ],
)
def test_xla_inference_matches_the_traced_graph(sines, hot, monkeypatch, params):
    lists = ragged(sines, 6, 7)  # padded: the masked graphs
    ae = tiny(epochs=1, **params).fit(lists)
    _forget_functions(ae)
    monkeypatch.setattr(_inference, "_xla_wanted", lambda: False)
    expected = _results(ae, lists, sines)
    assert not any(f.compiled_shapes for f in _functions(ae))
    _forget_functions(ae)
    monkeypatch.setattr(_inference, "_xla_wanted", lambda: True)
    got = _results(ae, lists, sines)
    assert all(f.compiled_shapes for f in _functions(ae))
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, atol=1e-4, equal_nan=True, err_msg=name)


def _functions(ae):
    return ae._fitted_.functions


def test_only_recurring_large_shapes_are_compiled(fitted_sines):
    ae, X = fitted_sines
    fn = InferenceFunction(ae._fitted_.graphs.encoder(masked=False))
    small = X[:16]  # 192 sequence steps: never worth a compilation
    for _ in range(5):
        fn(small)
    assert fn.compiled_shapes == set()
    big = np.tile(X, (8, 1, 1))[: _inference.XLA_MIN_STEPS // 12 + 1]
    first = [fn(big) for _ in range(_inference.XLA_AFTER_CALLS)]
    assert fn.compiled_shapes == set()  # not yet: a one-off call never compiles
    compiled = fn(big)
    rows = -(-len(big) // _inference.ROW_BLOCK) * _inference.ROW_BLOCK  # padded to full blocks
    assert fn.compiled_shapes == {(rows, *big.shape[1:])}
    assert compiled.shape == (len(big), 2)
    np.testing.assert_allclose(compiled, first[0], atol=1e-5)


def test_compiled_shapes_are_bounded(fitted_sines, hot, monkeypatch):
    monkeypatch.setattr(_inference, "XLA_MAX_SHAPES", 2)
    ae, X = fitted_sines
    fn = InferenceFunction(ae._fitted_.graphs.encoder(masked=False))
    for n in (3, 20, 40, 50):  # padded to 16, 32, 48 and 64 rows
        for _ in range(3):
            assert fn(X[:n]).shape == (n, 2)
    assert fn.compiled_shapes == {(16, 12, 2), (32, 12, 2)}


def test_a_code_does_not_depend_on_the_position_of_its_sequence_in_the_batch(fitted_sines):
    ae, X = fitted_sines
    order = np.random.default_rng(0).permutation(37)
    np.testing.assert_array_equal(ae.transform(X[:37])[order], ae.transform(X[:37][order]))
    np.testing.assert_array_equal(ae.transform(X[:37])[5:6], ae.transform(X[5:6]))


class _HostCall(keras.layers.Layer):
    """A layer that calls back into Python: XLA cannot compile it."""

    def call(self, x):
        y = tf.numpy_function(lambda a: a * 2, [x], tf.float32)
        return tf.ensure_shape(y, x.shape)


def test_a_graph_xla_cannot_compile_falls_back_to_the_traced_one(hot):
    inputs = keras.Input((None, 2))
    model = keras.Model(inputs, _HostCall()(inputs))
    fn = InferenceFunction(model)
    x = np.ones((3, 4, 2), np.float32)
    for _ in range(3):
        np.testing.assert_array_equal(fn(x), 2 * x)
    assert fn.xla is False


def test_inference_batches_hold_a_bounded_number_of_steps(fitted_sines):
    ae, X = fitted_sines
    options = ae._options()
    assert _batch_size(options, 10) == _inference.PREDICT_BATCH == 4096
    assert _batch_size(options, 150) == 2**18 // 150 == 1747
    assert _batch_size(options, 10**7) == 1
    assert tiny(epochs=1, predict__batch_size=7)._options() == InferenceOptions(batch_size=7)
    assert _batch_size(InferenceOptions(batch_size=7), 10) == 7


def test_decoding_sizes_batches_by_the_decoded_length(sines, monkeypatch):
    ae = tiny(epochs=1).fit(sines)  # 60 sequences of 12 steps
    monkeypatch.setattr(_inference, "PREDICT_STEPS", 12 * 25)  # 25 sequences of 12 steps
    out = ae.inverse_transform(ae.transform(sines))
    assert out.shape == sines.shape
    fn = ae._fitted_.function("decoder", "reconstruction", None)
    # codes in (batches of 25 and 10, padded to full blocks of 16 rows), 12 steps out
    assert set(fn.calls) | fn.compiled_shapes == {(32, 2), (16, 2)}


def test_training_runs_32_steps_per_execution_with_the_same_losses(sines):
    lists = ragged(sines, 6, 7)
    for data in (sines, lists):
        fast = tiny(epochs=5, batch_size=4).fit(data)  # 15 steps per epoch, one execution
        slow = tiny(epochs=5, batch_size=4, compile__steps_per_execution=1).fit(data)
        # Arrays: the epochs laid out in advance, one epoch per execution;
        # length buckets: up to 32 steps per execution.
        assert fast.model_.steps_per_execution == (15 if data is sines else 32)
        assert slow.model_.steps_per_execution == 1
        np.testing.assert_allclose(fast.history_["loss"], slow.history_["loss"], rtol=1e-5)
        np.testing.assert_allclose(fast.transform(data), slow.transform(data), atol=1e-5)
        if data is sines:
            first_epoch = slow.history_["loss"][:1]
    # A fit of at most FEW_UPDATES updates runs one step per call by itself,
    # and trains what the first epoch of the others trained.
    few = tiny(epochs=1, batch_size=4).fit(sines)
    assert 15 <= _training.FEW_UPDATES < 5 * 15 and few.model_.steps_per_execution == 1
    np.testing.assert_allclose(few.history_["loss"], first_epoch, rtol=1e-5)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(predict__batch_size=0), "predict__batch_size must be a positive int"),
        (dict(predict__batch_size=2.5), "predict__batch_size must be a positive int"),
        (dict(predict__jit_compile="yes"), "predict__jit_compile must be True"),
    ],
)
def test_routed_inference_parameters_are_checked(sines, params, match):
    with pytest.raises(ValueError, match=match):
        tiny(**params).fit(sines)


def test_routed_jit_compile_overrides_the_policy(sines, hot):
    never = tiny(epochs=1, predict__jit_compile=False).fit(sines)
    always = tiny(epochs=1, predict__jit_compile=True).fit(sines)
    np.testing.assert_allclose(never.transform(sines), always.transform(sines), atol=1e-5)
    for _ in range(3):
        never.transform(sines)
    assert not any(f.compiled_shapes for f in _functions(never))
    (fn,) = _functions(always)
    assert fn.always and fn.xla  # compiled from the first call, no counting


def test_batches_loaded_ahead_give_the_same_results_and_errors_in_order(sines):
    ae = tiny(epochs=1).fit(sines)
    X = np.tile(sines, (3, 1, 1))  # 180 sequences: 12 batches of 16 loaded ahead
    whole = ae.transform(X)
    ae.set_params(predict__batch_size=16)
    np.testing.assert_allclose(ae.transform(X), whole, atol=1e-6)
    np.testing.assert_allclose(
        ae.score_samples(X), ae.set_params(predict__batch_size=4096).score_samples(X), rtol=1e-6
    )
    ae.set_params(predict__batch_size=16)
    X[50, 3, 1] = np.nan  # in the fourth batch
    X[170, 3, 1] = np.nan  # in the last one
    with pytest.raises(ValueError, match=r"X\[50\] contains NaN inside the sequence"):
        ae.transform(X)


def _lstm_pair(return_sequences, dropout=0.0, go_backwards=False, classes=None):
    """A Keras LSTM and a FusedLSTM behind a NaN-padding mask, with the same weights.

    ``classes`` gives another pair, Keras's layer first (a GRU and a ScanGRU).
    """
    models = []
    for cls in classes or (keras.layers.LSTM, FusedLSTM):
        inputs = keras.Input((None, 3))
        lstm = cls(
            5,
            return_sequences=return_sequences,
            dropout=dropout,
            seed=7,
            go_backwards=go_backwards,
        )
        models.append(keras.Model(inputs, lstm(NaNPaddingMask()(inputs))))
    rng = np.random.default_rng(0)
    # Large weights drive the cell state far past BlockLSTM's default clip of 3.
    weights = [3 * rng.normal(size=w.shape).astype("float32") for w in models[0].get_weights()]
    for model in models:
        model.set_weights(weights)
    return models


def _output_and_gradients(model, x, training):
    with tf.GradientTape() as tape:
        out = model(x, training=training)
        loss = tf.reduce_sum(out**2)
    return out.numpy(), [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]


def _runs_block_lstm(model, x, training):
    graph = tf.function(lambda x: model(x, training=training)).get_concrete_function(x).graph
    return any(op.type == "BlockLSTM" for op in graph.get_operations())


@pytest.mark.parametrize(
    "cell, return_sequences, dropout, go_backwards, padded",
    [
        ("lstm", True, 0.0, False, True),
        ("lstm", False, 0.0, False, True),
        ("lstm", True, 0.4, False, True),
        ("lstm", False, 0.4, False, True),
        # The backward half of a Bidirectional layer: Keras reverses the padded sequence.
        ("lstm", True, 0.4, True, True),
        ("lstm", False, 0.0, True, True),
        ("lstm", True, 0.0, True, False),
        ("gru", True, 0.0, False, True),
        ("gru", False, 0.4, False, True),
        ("gru", True, 0.4, True, True),
        ("gru", False, 0.0, True, True),
        ("gru", True, 0.0, False, False),
    ],
)
def test_the_fast_recurrent_layers_train_as_keras_layers_do(
    cell, return_sequences, dropout, go_backwards, padded, monkeypatch
):
    # The fused LSTM kernel, and the GRU's scan with its written-out gradient
    # (kernel, recurrent kernel and both biases of reset_after=True).
    x = np.random.default_rng(1).normal(size=(6, 9, 3)).astype("float32")
    if padded:
        x[:2, 5:] = np.nan  # two sequences of 5 steps, right-padded
        x[2, 8:] = np.nan  # and one of 8
    pair = {"lstm": (keras.layers.LSTM, FusedLSTM), "gru": (keras.layers.GRU, ScanGRU)}[cell]
    keras_layer, fast = _lstm_pair(return_sequences, dropout, go_backwards, classes=pair)
    scans = []  # the GRU's calls of its scan, in training and in inference
    scan_gru = _recurrent.scan_gru

    def counted(*args, **kwargs):
        scans.append(1)
        return scan_gru(*args, **kwargs)

    monkeypatch.setattr(_recurrent, "scan_gru", counted)
    out, grads = _output_and_gradients(keras_layer, x, training=True)
    fast_out, fast_grads = _output_and_gradients(fast, x, training=True)
    assert np.abs(out).max() > 0.5 and min(np.abs(g).max() for g in grads) > 0.05
    if padded and return_sequences and go_backwards:
        # Keras reads the padding first: its outputs there are zeros.
        assert (out[:2, :4] == 0).all() and (np.abs(out[:2, 4:]) > 0).any(axis=-1).all()
    np.testing.assert_allclose(fast_out, out, atol=1e-5)
    for g, fast_g in zip(grads, fast_grads, strict=True):
        np.testing.assert_allclose(fast_g, g, rtol=1e-4, atol=1e-4)
    # Inference too runs the fast path, without dropout.
    if cell == "lstm":
        assert _runs_block_lstm(fast, x, training=True)
        assert _runs_block_lstm(fast, x, training=False)
    np.testing.assert_allclose(fast(x, training=False), keras_layer(x, training=False), atol=1e-5)
    assert len(scans) == (2 if cell == "gru" else 0)
    np.testing.assert_array_equal(fast(x, training=False), fast(x, training=False))


def test_the_scan_gru_falls_back_to_keras_where_it_cannot_scan():
    x = np.random.default_rng(1).normal(size=(4, 6, 3)).astype("float32")
    pair = (keras.layers.GRU, ScanGRU)
    keras_gru, scan = _lstm_pair(return_sequences=True, classes=pair)
    compiled = tf.function(lambda x: scan(x, training=True), jit_compile=True)
    np.testing.assert_allclose(compiled(x), keras_gru(x, training=True), atol=1e-5)
    assert not ScanGRU(4, reset_after=False)._scans()
    assert not ScanGRU(4, recurrent_dropout=0.1)._scans()
    assert ScanGRU(4)._scans()


def test_the_step_picked_in_training_is_the_gathered_one_with_its_gradient():
    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(5, 7, 3)).astype("float32"))
    steps = tf.constant([0, 6, 3, 3, 1])
    weights = tf.constant(rng.normal(size=(5, 3)).astype("float32"))
    picked = []
    for training in (False, True):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = at_step(x, steps, training)
            weighted = out * weights
        picked.append((out.numpy(), tf.convert_to_tensor(tape.gradient(weighted, x)).numpy()))
    (gathered, gathered_grad), (product, product_grad) = picked
    np.testing.assert_array_equal(gathered, x.numpy()[np.arange(5), steps.numpy()])
    np.testing.assert_array_equal(product, gathered)
    np.testing.assert_array_equal(product_grad, gathered_grad)
    assert np.count_nonzero(product_grad) == 15  # one step of each sequence


def test_the_fused_lstm_falls_back_to_keras_under_xla():
    x = np.random.default_rng(1).normal(size=(4, 6, 3)).astype("float32")
    keras_lstm, fused = _lstm_pair(return_sequences=True)
    compiled = tf.function(lambda x: fused(x, training=True), jit_compile=True)
    np.testing.assert_allclose(compiled(x), keras_lstm(x, training=True), atol=1e-5)
    graph = compiled.get_concrete_function(x).graph
    assert not any(op.type == "BlockLSTM" for op in graph.get_operations())


def test_the_network_trains_its_lstms_through_the_fused_kernel_and_its_grus_as_scans(sines):
    ae = tiny(epochs=1, mode="composite", n_future=2, bidirectional=True).fit(sines)
    layers = ae.model_._flatten_layers(include_self=False, recursive=True)
    lstms = [layer for layer in layers if isinstance(layer, keras.layers.LSTM)]
    # The encoder's two directions and the two decoders' (reconstruction and future).
    assert len(lstms) == 4 and all(isinstance(layer, FusedLSTM) for layer in lstms)
    assert sorted(layer.go_backwards for layer in lstms) == [False, False, False, True]
    assert all(layer._fuses() for layer in lstms)
    gru = tiny(epochs=1, cell="gru", bidirectional=True).fit(sines)
    layers = gru.model_._flatten_layers(include_self=False, recursive=True)
    grus = [layer for layer in layers if isinstance(layer, keras.layers.GRU)]
    assert len(grus) == 3 and all(isinstance(layer, ScanGRU) and layer._scans() for layer in grus)


def test_without_tensorflows_xla_check_keras_loops_run_with_the_same_results(monkeypatch):
    """The private XLA-context check missing: every trace counts as XLA, noted once."""
    from sklearn_lstm_ae import _fallbacks

    x = np.random.default_rng(1).normal(size=(4, 6, 3)).astype("float32")
    keras_lstm, fused = _lstm_pair(return_sequences=True)
    fast = tf.function(lambda x: fused(x, training=True))
    assert any(
        op.type == "BlockLSTM" for op in fast.get_concrete_function(x).graph.get_operations()
    )
    monkeypatch.setattr(_recurrent, "XLA_CHECK", False)
    monkeypatch.setattr(_fallbacks, "_NOTED", set())
    plain = tf.function(lambda x: fused(x, training=True))
    with pytest.warns(RuntimeWarning, match="XLA-context check is not available"):
        graph = plain.get_concrete_function(x).graph
    assert not any(op.type == "BlockLSTM" for op in graph.get_operations())
    np.testing.assert_allclose(plain(x), keras_lstm(x, training=True), atol=1e-5)
    np.testing.assert_allclose(plain(x), fast(x), atol=1e-5)


def test_without_the_blocklstm_kernel_the_lstm_runs_keras_loop(monkeypatch):
    x = np.random.default_rng(2).normal(size=(4, 6, 3)).astype("float32")
    keras_lstm, fused = _lstm_pair(return_sequences=True)
    from sklearn_lstm_ae import _fallbacks

    monkeypatch.setattr(_recurrent, "BLOCK_LSTM", False)
    monkeypatch.setattr(_fallbacks, "_NOTED", set())
    traced = tf.function(lambda x: fused(x, training=True))
    with pytest.warns(RuntimeWarning, match="BlockLSTM kernel is not available"):
        traced.get_concrete_function(x)
    assert not any(
        op.type == "BlockLSTM" for op in traced.get_concrete_function(x).graph.get_operations()
    )
    np.testing.assert_allclose(traced(x), keras_lstm(x, training=True), atol=1e-5)
