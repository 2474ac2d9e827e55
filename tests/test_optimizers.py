"""The fused Adam: Keras's update rule in one TensorFlow kernel per weight."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._keras.optimizers import FusedAdam, fused

from .helpers import tiny


def _weights_after(optimizer, steps=5, seed=0):
    """A small Dense + LSTM model's weights after ``steps`` updates (same data, same start)."""
    rng = np.random.default_rng(seed)
    initial = [rng.normal(size=s).astype("float32") for s in ((3, 8), (2, 8), (8,), (2, 3), (3,))]
    lstm, dense = keras.layers.LSTM(2), keras.layers.Dense(3)
    model = keras.Sequential([keras.Input((4, 3)), lstm, dense])
    model.set_weights(initial)
    x = rng.normal(size=(6, 4, 3)).astype("float32")
    y = 10 * rng.normal(size=(6, 3)).astype("float32")  # large errors: the clipping acts
    optimizer.build(model.trainable_variables)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    for _ in range(steps):
        step()
    ops = [op.type for op in step.get_concrete_function().graph.get_operations()]
    return [w.numpy() for w in model.trainable_variables], ops


@pytest.mark.parametrize(
    "params",
    [dict(), dict(clipnorm=0.5), dict(learning_rate=0.05, beta_1=0.5, epsilon=1e-3)],
    ids=["defaults", "clipnorm", "routed"],
)
def test_the_fused_update_is_keras_adams_to_round_off_in_one_kernel_per_weight(params):
    ours, ops = _weights_after(FusedAdam(**params))
    theirs, keras_ops = _weights_after(keras.optimizers.Adam(**params))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ops.count("ResourceApplyAdam") == 5  # one per weight
    assert "ResourceApplyAdam" not in keras_ops
    # The point of it: far fewer operations for the executor to run each step.
    assert len(ops) < len(keras_ops) - 5 * 8


def test_amsgrad_runs_keras_own_update():
    ours, ops = _weights_after(FusedAdam(amsgrad=True))
    theirs, _ = _weights_after(keras.optimizers.Adam(amsgrad=True))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert "ResourceApplyAdam" not in ops


def test_only_keras_adam_itself_is_fused():
    adam = keras.optimizers.Adam(learning_rate=0.01, beta_2=0.9, clipnorm=2.0)
    got = fused(adam)
    assert type(got) is FusedAdam and got.get_config() == {**adam.get_config(), "name": got.name}
    for other in (keras.optimizers.RMSprop(), keras.optimizers.AdamW(), FusedAdam()):
        assert fused(other) is other


@pytest.mark.parametrize(
    "optimizer", ["adam", keras.optimizers.Adam, keras.optimizers.Adam(beta_1=0.8)]
)
def test_a_fit_with_adam_trains_with_the_fused_update_and_saves_it(optimizer, sines, tmp_path):
    ae = tiny(optimizer=optimizer, epochs=1).fit(sines)
    instance = isinstance(optimizer, keras.Optimizer)
    assert type(ae.model_.optimizer) is FusedAdam
    assert ae.model_.optimizer.beta_1 == (0.8 if instance else 0.9)
    # The default clipnorm reaches a named optimizer; an instance keeps its own.
    assert ae.model_.optimizer.clipnorm == (None if instance else 1.0)
    if isinstance(optimizer, str):
        ae.save(tmp_path / "ae.zip")
        loaded = LSTMAutoencoderTransformer.load(tmp_path / "ae.zip")
        assert type(loaded.model_.optimizer) is FusedAdam
        np.testing.assert_array_equal(loaded.transform(sines), ae.transform(sines))


def test_other_optimizers_are_kept(sines):
    ae = tiny(optimizer="rmsprop", epochs=1).fit(sines)
    assert type(ae.model_.optimizer) is keras.optimizers.RMSprop


def test_without_adams_internals_a_fit_trains_with_keras_adam_to_round_off(sines, monkeypatch):
    """The fused update's private parts missing: Keras's Adam trains, noted once."""
    from sklearn_lstm_ae import _fallbacks
    from sklearn_lstm_ae._keras import optimizers

    fast = tiny(epochs=3).fit(sines)
    assert type(fast.model_.optimizer) is FusedAdam
    monkeypatch.setattr(optimizers, "FUSED_UPDATE", False)
    monkeypatch.setattr(_fallbacks, "_NOTED", set())
    with pytest.warns(RuntimeWarning, match="the fused update"):
        plain = tiny(epochs=3).fit(sines)
    assert type(plain.model_.optimizer) is keras.optimizers.Adam
    np.testing.assert_allclose(plain.history_["loss"], fast.history_["loss"], rtol=1e-4)
    np.testing.assert_allclose(plain.transform(sines), fast.transform(sines), rtol=1e-3, atol=1e-4)
