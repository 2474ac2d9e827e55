"""Training-time augmentations (``augment``): crops, time warps, scaling and jitter."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._keras.augment import (
    CROP_FRACTION,
    JITTER,
    SCALE,
    Augmentation,
    AugmentedTargets,
    warp_steps,
)
from sklearn_lstm_ae._schema import parameter_bound

from .helpers import ragged, tiny

ALL = ["crop", "warp", "scale", "jitter"]


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _ramps(lengths, n_steps, n_features=2):
    """Sequences whose values are their step numbers (feature k: step + 100 k), NaN-padded."""
    X = np.full((len(lengths), n_steps, n_features), np.nan, np.float32)
    for i, length in enumerate(lengths):
        X[i, :length] = np.arange(length)[:, None] + 100.0 * np.arange(n_features)
    return X


# ------------------------------------------------------------------ the layer
def test_outside_training_the_sequences_pass_unchanged():
    X = _ramps([9, 5], 9)
    augmented, view, factor = Augmentation(ALL, seed=0)(X, training=False)
    np.testing.assert_array_equal(_np(augmented), X)
    np.testing.assert_array_equal(_np(view), X)
    np.testing.assert_array_equal(_np(factor), np.ones((2, 1, 1)))


def test_a_crop_is_a_contiguous_run_of_at_least_the_fraction_moved_to_the_start():
    lengths = [40, 17, 40, 3] * 16
    X = _ramps(lengths, 40)
    _, view, factor = (_np(v) for v in Augmentation(["crop"], seed=0)(X, training=True))
    assert view.shape == X.shape  # the time axis is kept: the decoder writes the same steps
    np.testing.assert_array_equal(factor, 1.0)
    starts = []
    for row, length in zip(view[:, :, 0], lengths, strict=True):
        kept = row[~np.isnan(row)]
        n = len(kept)
        assert np.ceil(CROP_FRACTION * length) <= n <= length
        assert np.isnan(row[n:]).all()  # moved to step 0, padding after
        np.testing.assert_array_equal(np.diff(kept), 1.0)  # contiguous, in order
        assert 0 <= kept[0] and kept[-1] <= length - 1
        starts.append(kept[0])
    assert len(set(starts)) > 5  # drawn anew for each sequence
    valid = ~np.isnan(view[:, :, 0])
    np.testing.assert_array_equal((view[:, :, 1] - view[:, :, 0])[valid], 100.0)  # steps move whole


def test_a_time_warp_keeps_the_ends_and_the_order_and_resamples_between():
    lengths = [30, 11, 1]
    X = _ramps(lengths, 30)
    # Equal speeds: the identity.
    same = _np(warp_steps(X, np.full((3, 4), 1.7, np.float32)))
    np.testing.assert_allclose(same, X, rtol=1e-5, atol=1e-4)
    # The first stretch read twice as fast as the others: a ramp bends, ends in place.
    speeds = np.array([[2.0, 1.0, 1.0, 1.0]] * 3, np.float32)
    warped = _np(warp_steps(X, speeds))
    for row, length in zip(warped[:, :, 0], lengths, strict=True):
        assert np.isnan(row[length:]).all()
        assert row[0] == 0.0 and row[length - 1] == pytest.approx(length - 1, abs=1e-4)
        assert np.all(np.diff(row[:length]) >= 0)
    # Step 1 of the 30 reads position 2 * 29 / (2 * 7 + 22) of the ramp.
    assert warped[0, 1, 0] == pytest.approx(2 * 29 / 36, rel=1e-5)
    # A random warp inside the layer: ends kept, order kept.
    _, view, _ = Augmentation(["warp"], seed=3)(X, training=True)
    view = _np(view)[:2, :, 0]
    assert np.all(np.diff(view[0]) >= 0) and view[0, -1] == pytest.approx(29, abs=1e-3)
    assert not np.allclose(view[0], X[0, :, 0])


def test_scale_and_jitter_have_the_strengths_the_docs_give():
    X = np.zeros((4096, 8, 1), np.float32) + 1.0
    augmented, view, factor = (
        _np(v) for v in Augmentation(["scale", "jitter"], seed=0)(X, training=True)
    )
    np.testing.assert_array_equal(view, X)
    assert factor.shape == (4096, 1, 1)
    assert np.std(factor) == pytest.approx(SCALE, rel=0.05)
    assert np.mean(factor) == pytest.approx(1.0, abs=0.01)
    noise = augmented - view * factor
    assert np.std(noise) == pytest.approx(JITTER, rel=0.05)
    assert abs(np.mean(noise)) < 0.01


def test_the_corrected_output_makes_the_loss_the_augmented_inputs():
    rng = np.random.default_rng(0)
    X = _ramps([12, 8, 12], 12) + rng.normal(size=(3, 12, 2)).astype(np.float32)
    _, view, factor = (_np(v) for v in Augmentation(ALL, seed=1)(X, training=True))
    out = rng.normal(size=X.shape).astype(np.float32)
    corrected = _np(AugmentedTargets()([out, X, view, factor]))
    target = np.nan_to_num(X)  # what the reconstruction is trained against
    valid = ~np.isnan(view[..., 0])
    expected = ((view * factor - out) / factor) ** 2  # the loss against the augmented input
    np.testing.assert_allclose(
        ((target - corrected) ** 2)[valid], expected[valid], rtol=1e-4, atol=1e-4
    )
    assert np.all((target - corrected)[~valid] == 0)  # a crop's lost steps add nothing
    # The future decoder's output, and a reconstruction of scaling and jitter, are rescaled only.
    future = _np(AugmentedTargets(reshaped=False)([out, X, view, factor]))
    np.testing.assert_allclose(future, out / factor, rtol=1e-6)


@pytest.mark.parametrize(
    "params, kinds",
    [
        ({}, ("jitter", "scale", "warp")),
        (dict(loss="mae"), ("jitter", "scale", "warp")),
        (dict(mode="predict"), ("jitter", "scale")),
        (dict(mode="composite", reverse_target=True), ("jitter", "scale")),
        (dict(conditional=True), ("jitter",)),
        (dict(loss="binary_crossentropy", scaler="minmax"), ("jitter",)),
        (dict(loss=keras.losses.CosineSimilarity()), ("jitter",)),  # not a difference
    ],
)
def test_auto_asks_for_what_the_decoders_and_the_loss_can_follow(params, kinds):
    from sklearn_lstm_ae._config import NetworkConfig

    ae = LSTMAutoencoderTransformer(augment="auto", **params)
    assert NetworkConfig.from_params(ae.get_params()).augment == kinds


def test_auto_trains_with_what_it_names_and_conditional_models_with_jitter_alone(sines):
    ae = tiny(augment="auto").fit(sines)
    assert ae.model_.get_layer("augmentation").kinds == ("jitter", "scale", "warp")
    conditional = tiny(augment="auto", mode="composite", n_future=2, conditional=True)
    conditional.fit(sines)
    assert conditional.model_.get_layer("augmentation").kinds == ("jitter",)
    assert conditional.forecast(sines[:3]).shape == (3, 2, 2)


# ------------------------------------------------------------------ the fits
def test_augmented_training_reconstructs_and_leaves_inference_alone(fitted_sines):
    _, X = fitted_sines
    baseline = np.mean((X - X.mean(axis=0)) ** 2)  # the best constant sequence
    ae = tiny(augment=ALL, encoder_units=(16,), latent_dim=4, epochs=40).fit(X)
    assert "augmentation" in [layer.name for layer in ae.model_.layers]
    assert "augmentation" not in [layer.name for layer in ae.encoder_.layers]
    error = np.mean((ae.reconstruct(X) - X) ** 2)
    assert error < 0.5 * baseline, (error, baseline)
    # Inference reads the sequences as they are: the same codes every call.
    np.testing.assert_array_equal(ae.transform(X), ae.transform(X))


def test_augmentations_are_seeded_by_the_estimator_alone(sines, fitted_tiny):
    def weights(**params):
        return tiny(augment=ALL, **params).fit(sines).model_.get_weights()

    tf.random.set_seed(1)
    a = weights()
    keras.utils.set_random_seed(5)
    # Equal to float rounding: under load, TensorFlow's CPU kernels may sum in
    # another order (1e-9 apart, seen once in CI); another seed moves them by ~1e-2.
    for x, y in zip(a, weights(), strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-6)
    assert not all(np.array_equal(x, y) for x, y in zip(a, weights(random_state=1), strict=True))
    # The same network without them: other weights, as they train on other batches.
    plain = fitted_tiny.model_.get_weights()
    assert not all(np.array_equal(x, y) for x, y in zip(a, plain, strict=True))


@pytest.mark.parametrize("shuffle", ["buckets", True])
def test_unequal_lengths_train_with_every_augmentation(sines, shuffle):
    lists = ragged(sines, 5, 8)  # 2 features, lengths 5 to 12
    ae = tiny(augment=ALL, conv_filters=(4,), conv_kernel_size=3, shuffle=shuffle).fit(lists)
    assert np.isfinite(ae.history_["loss"]).all()
    codes = ae.transform(lists)
    for i in (0, 3, 7):
        np.testing.assert_allclose(ae.transform([lists[i]])[0], codes[i], rtol=1e-5, atol=1e-6)


def test_a_composite_model_trains_with_scale_and_jitter(sines):
    ae = tiny(augment=["scale", "jitter"], mode="composite", n_future=2).fit(sines)
    assert {"reconstruction_loss", "future_loss"} <= set(ae.history_)
    assert np.isfinite(ae.history_["loss"]).all()
    assert ae.forecast(sines).shape == (60, 2, 2)


def test_an_augmented_model_saves_loads_and_trains_on(sines, tmp_path):
    ae = tiny(augment=["crop", "jitter"]).fit(sines)
    assert ae._fitted_.masked  # crops pad: the masked graph, even for padless data
    ae.save(tmp_path / "augmented.lstmae")
    back = LSTMAutoencoderTransformer.load(tmp_path / "augmented.lstmae")
    assert back.get_params()["augment"] == ["crop", "jitter"]
    np.testing.assert_array_equal(back.transform(sines), ae.transform(sines))
    back.partial_fit(sines)
    assert len(back.history_["loss"]) == len(ae.history_["loss"]) + 1
    bound = parameter_bound(ae._fitted_.network, ae._fitted_.spec, n_features=2)
    assert ae.model_.count_params() <= bound < 2 * ae.model_.count_params()


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(augment="rotate"), r"augment holds 'rotate'.*\('crop', 'jitter'"),
        (dict(augment=["crop", "jiter"]), "Did you mean 'jitter'"),
        (dict(augment=3), "'augment' parameter"),
        (dict(augment="crop", mode="predict"), r"augment=\['crop'\] changes the input"),
        (dict(augment="warp", reverse_target=True), "reverse_target=False"),
        (dict(augment="crop", conditional=True), "conditional=False"),
        (dict(augment="scale", conditional=True), "reads the unscaled previous steps"),
        (
            dict(augment="scale", loss="binary_crossentropy", scaler="minmax"),
            "loss='binary_crossentropy' is defined",
        ),
        (dict(augment="warp", loss="mape"), r"loss is 'mape'\. Use one of those losses"),
        (
            dict(augment=["scale"], loss=keras.losses.CosineSimilarity()),
            r"loss is a CosineSimilarity\..*augment='jitter'",
        ),
    ],
)
def test_augmentations_that_cannot_train_are_refused_before_the_fit(sines, params, message):
    with pytest.raises(ValueError, match=message):
        tiny(**params).fit(sines)


def test_a_refused_augmentation_leaves_a_fitted_transformer_as_it_was(sines, own_fitted_tiny):
    ae = own_fitted_tiny
    codes = ae.transform(sines)
    ae.set_params(augment="crop", mode="predict")
    with pytest.raises(ValueError, match="changes the input"):
        ae.fit(sines)
    np.testing.assert_array_equal(ae.transform(sines), codes)
