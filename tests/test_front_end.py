"""The convolutional front end: strided Conv1D before the LSTM, masks that follow the stride."""

import math

import keras
import numpy as np
import pytest

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._config import auto_filters
from sklearn_lstm_ae._keras.layers import MaskedConv1D
from sklearn_lstm_ae._schema import parameter_bound

from .helpers import ragged, sine_waves, tiny

FRONT = dict(conv_filters=(4, 6), conv_kernel_size=3, conv_stride=2)


def test_the_mask_follows_the_stride_and_padding_never_leaks():
    layer = MaskedConv1D(3, 3, strides=2, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 7, 2)).astype("float32")
    mask = np.array([[True] * 7, [True] * 3 + [False] * 4])
    x[1, 3:] = 0.0  # padding reaches the layer as zeros
    out = keras.ops.convert_to_numpy(layer(x, mask=mask))
    # Output step j is valid when input step 2j is: lengths 7 -> 4, 3 -> 2.
    got = keras.ops.convert_to_numpy(layer.compute_mask(x, mask))
    np.testing.assert_array_equal(got, [[1, 1, 1, 1], [1, 1, 0, 0]])
    assert np.all(out[1, 2:] == 0)
    # The valid steps are those of the short sequence alone, at any batch length.
    alone = keras.ops.convert_to_numpy(layer(x[1:, :3]))
    assert alone.shape == (1, 2, 3)
    assert keras.ops.convert_to_numpy(layer(x[:, :6])).shape == (2, 3, 3)
    np.testing.assert_allclose(out[1, :2], alone[0], rtol=1e-6, atol=1e-6)
    # A hand-computed step: ReLU(sum over the window of kernel . x + bias).
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.conv.weights)
    window = np.concatenate([np.zeros((1, 2)), x[0, :2]])  # step 0 reads steps -1, 0, 1
    expected = np.maximum(np.einsum("kc,kcf->f", window, kernel) + bias, 0)
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strides", [1, 2, 3])
def test_a_dilated_kernel_reads_steps_apart_and_its_mask_follows_the_stride(strides):
    layer = MaskedConv1D(3, 3, strides=strides, dilation_rate=2, seed=0)
    x = np.random.default_rng(1).normal(size=(2, 9, 2)).astype("float32")
    mask = np.array([[True] * 9, [True] * 4 + [False] * 5])
    x[1, 4:] = 0.0
    out = keras.ops.convert_to_numpy(layer(x, mask=mask))
    assert out.shape == (2, -(-9 // strides), 3)
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.conv.weights)
    padded = np.concatenate([np.zeros((2, 2, 2)), x, np.zeros((2, 2, 2))], axis=1)
    # At stride 1, step t reads input steps t - 2, t, t + 2 (zeros outside) ...
    dense = [
        np.maximum(np.einsum("kc,kcf->f", padded[0, t : t + 5 : 2], kernel) + bias, 0)
        for t in range(9)
    ]
    for j in range(out.shape[1]):
        # ... and output step j is the strongest of steps s*j to s*(j + 1) - 1:
        # no step goes unread, whatever the stride.
        expected = np.max(dense[strides * j : strides * (j + 1)], axis=0)
        np.testing.assert_allclose(out[0, j], expected, rtol=1e-5, atol=1e-5)
    valid = keras.ops.convert_to_numpy(layer.compute_mask(x, mask))
    np.testing.assert_array_equal(valid[1], np.arange(0, 9, strides) < 4)
    assert np.all(out[1][~valid[1]] == 0)
    alone = keras.ops.convert_to_numpy(layer(x[1:, :4]))
    np.testing.assert_allclose(out[1, : alone.shape[1]], alone[0], rtol=1e-5, atol=1e-6)
    assert MaskedConv1D.from_config(layer.get_config()).dilation_rate == 2


def test_a_dilated_front_end_grows_its_reach_per_layer_and_saves(sines, tmp_path):
    params = dict(FRONT, conv_stride=1, conv_dilation=2)
    X = sines[:, :11]
    ae = tiny(**params).fit(X)
    convs = [ae.model_.get_layer(f"encoder_conv_{i}") for i in (0, 1)]
    assert [(c.strides, c.dilation_rate) for c in convs] == [(1, 1), (1, 2)]
    assert ae.model_.get_layer("reconstruction").upsample == 1
    codes = ae.transform(X)
    assert codes.shape == (60, 2) and np.isfinite(codes).all()
    # The reach of the last layer's step 5: steps 5 - 3 .. 5 + 3 of the input.
    probe = X[:1].copy()
    base = keras.ops.convert_to_numpy(convs[1](convs[0](probe)))
    far = probe.copy()
    far[0, 9:] += 10.0  # beyond step 5 + 3
    moved = keras.ops.convert_to_numpy(convs[1](convs[0](far)))
    np.testing.assert_allclose(moved[0, 5], base[0, 5], rtol=1e-6, atol=1e-6)
    near = probe.copy()
    near[0, 8] += 10.0  # within it
    assert not np.allclose(keras.ops.convert_to_numpy(convs[1](convs[0](near)))[0, 5], base[0, 5])
    ae.save(tmp_path / "dilated.lstmae")
    back = LSTMAutoencoderTransformer.load(tmp_path / "dilated.lstmae")
    np.testing.assert_array_equal(back.transform(X), codes)
    assert back.get_params()["conv_dilation"] == 2
    with pytest.raises(ValueError, match="'conv_dilation' parameter"):
        tiny(**FRONT, conv_dilation=0).fit(X)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"cell": "gru"},
        {"bidirectional": True},
        {"mode": "composite", "n_future": 2},
        {"conditional": True, "mode": "composite", "n_future": 2},
    ],
    ids=["lstm", "gru", "bidirectional", "composite", "conditional"],
)
def test_a_front_end_model_encodes_decodes_and_saves(sines, tmp_path, params):
    X = sines[:, :11]  # 11 steps: not a multiple of the stride
    ae = tiny(**FRONT, **params).fit(X)
    codes = ae.transform(X)
    assert codes.shape == (60, 2) and np.isfinite(codes).all()
    assert ae.reconstruct(X).shape == X.shape
    assert ae.inverse_transform(codes[:3]).shape == (3, 11, 2)
    assert [layer.name for layer in ae.encoder_.layers[2:4]] == ["encoder_conv_0", "encoder_conv_1"]
    ae.save(tmp_path / "front.lstmae")
    back = LSTMAutoencoderTransformer.load(tmp_path / "front.lstmae")
    np.testing.assert_array_equal(back.transform(X), codes)
    assert back.get_params()["conv_filters"] == (4, 6)


@pytest.mark.parametrize("conv_dilation", [1, 2])
def test_unequal_lengths_give_the_codes_of_each_sequence_alone(sines, conv_dilation):
    lists = ragged(sines, 5, 8)
    for shuffle in ("buckets", True):
        ae = tiny(**FRONT, conv_dilation=conv_dilation, shuffle=shuffle).fit(lists)
        codes = ae.transform(lists)
        for i in (0, 3, 7):  # lengths 5, 8 and 12
            np.testing.assert_allclose(ae.transform([lists[i]])[0], codes[i], rtol=1e-5, atol=1e-6)
        recon = ae.reconstruct(lists[:8])
        valid = (~np.isnan(recon).all(axis=-1)).sum(axis=1)
        np.testing.assert_array_equal(valid, [len(s) for s in lists[:8]])


def test_a_trained_front_end_reconstructs_better_than_the_mean():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, 12)
    phase = rng.uniform(0, 2 * np.pi, (200, 1))
    X = np.stack([np.sin(t + phase), 3 * np.cos(t + phase) + 10], axis=-1).astype(np.float32)
    ae = tiny(**FRONT, encoder_units=(16,), epochs=40).fit(X)
    error = np.mean((ae.reconstruct(X) - X) ** 2)
    baseline = np.mean((X - X.mean(axis=0)) ** 2)  # the best constant sequence
    assert error < 0.2 * baseline, (error, baseline)  # about 0.06 measured


def test_the_front_end_is_seeded_by_the_estimator_and_off_by_default(sines, fitted_tiny):
    a = tiny(**FRONT).fit(sines).transform(sines)
    np.testing.assert_array_equal(tiny(**FRONT).fit(sines).transform(sines), a)
    assert not np.allclose(tiny(**FRONT, random_state=1).fit(sines).transform(sines), a)
    plain = fitted_tiny
    kinds = {type(layer).__name__ for layer in plain.model_.layers}
    assert "MaskedConv1D" not in kinds
    assert plain.model_.get_layer("reconstruction").output_layer.units == 2


def test_the_front_end_refuses_bad_sizes(sines):
    with pytest.raises(ValueError, match=r"conv_filters must be a non-empty tuple of positive"):
        tiny(conv_filters=(4, 0)).fit(sines)
    with pytest.raises(ValueError, match="'conv_stride' parameter"):
        tiny(conv_filters=(4,), conv_stride=0).fit(sines)


@pytest.mark.parametrize("conditional", [False, True])
def test_the_load_bound_counts_the_front_end(sines, conditional):
    ae = tiny(**FRONT, mode="composite", conditional=conditional).fit(sines)
    fitted = ae._fitted_
    bound = parameter_bound(fitted.network, fitted.spec, n_features=2)
    assert ae.model_.count_params() <= bound < 2 * ae.model_.count_params()


def test_a_conditional_decoder_runs_at_the_inputs_rate_behind_a_front_end(sines):
    ae = tiny(**FRONT, conditional=True).fit(sines[:, :11])
    decoder = ae.model_.get_layer("reconstruction")
    assert decoder.upsample == 1 and decoder.conditional
    # It writes every step from the code and its own previous output.
    assert decoder.output_layer.units == 2
    assert ae.reconstruct(sines[:4, :11]).shape == (4, 11, 2)
    plain = tiny(**FRONT).fit(sines[:, :11]).model_.get_layer("reconstruction")
    assert plain.upsample == 4 and plain.output_layer.units == 8


def _bumps_and_dips(n=60, length=128, seed=0):
    """Two classes told apart by a local shape only: a bump or a dip of 6 steps at a random
    offset of a noisy series."""
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=0.5, size=(n, length, 1)).astype("float32")
    y = np.arange(n) % 2
    for i in range(n):
        start = rng.integers(0, length - 6)
        X[i, start : start + 6, 0] += (1 if y[i] else -1) * 1.5 * np.sin(np.linspace(0, np.pi, 6))
    return X, y


@pytest.mark.parametrize("conv_pooling", ["projected", "appended"])
def test_pooled_feature_maps_enter_the_code_and_keep_padding_out(sines, conv_pooling):
    lists = ragged(sines, 5, 8)
    ae = tiny(**FRONT, latent_dim=3, conv_pooling=conv_pooling, subseries_weight=0.5).fit(lists)
    codes = ae.transform(lists)
    # "appended": the code, then each filter's max and proportion of positive steps.
    width = 3 if conv_pooling == "projected" else 3 + 2 * (4 + 6)
    assert codes.shape == (60, width) and len(ae.get_feature_names_out()) == width
    for i in (0, 3, 7):  # a sequence alone gives its code within the batch
        np.testing.assert_allclose(ae.transform([lists[i]])[0], codes[i], rtol=1e-5, atol=1e-6)
    if conv_pooling == "appended":
        proportions = codes[:, 3 + 4 : 3 + 8]  # the first layer's 4 proportions
        assert np.all((proportions >= 0) & (proportions <= 1))
    rebuilt = ae.inverse_transform(codes[:4])
    assert rebuilt.shape == (4, 12, 2) and np.isfinite(rebuilt).all()
    with pytest.raises(
        ValueError,
        match=f"X has 2 columns, but codes of this transformer have (latent_dim=)?{width}",
    ):
        ae.inverse_transform(codes[:4, :2])
    network = ae._resolve().network
    n_weights = sum(int(np.prod(w.shape)) for w in ae.model_.weights)
    assert n_weights <= parameter_bound(network, ae._resolve().spec, 2)


def test_pooled_feature_maps_need_a_front_end(sines):
    ae = tiny(conv_filters=(), conv_pooling="appended")
    with pytest.raises(ValueError, match="conv_pooling='appended' pools the front end's"):
        ae.fit(sines)
    with pytest.raises(ValueError, match="'conv_pooling' parameter"):
        tiny(**FRONT, conv_pooling="max").fit(sines)


def test_pooled_feature_maps_tell_local_shapes_apart_wherever_they_are():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _bumps_and_dips()
    params = dict(FRONT, latent_dim=4, encoder_units=(8,), epochs=3, random_state=0)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    scores = {
        pooling: cross_val_score(
            clf,
            LSTMAutoencoderTransformer(**params, conv_pooling=pooling).fit_transform(X),
            y,
            cv=3,
        ).mean()
        for pooling in (None, "appended")
    }
    # Measured: 0.63 from the recurrent summary alone, 0.87 with the pooled maps.
    assert scores["appended"] >= 0.8 and scores["appended"] >= scores[None] + 0.1, scores


@pytest.mark.parametrize(
    ("length", "stride", "filters"),
    [
        (150, 2, (32, 64)),
        (768, 2, (32, 64)),
        (769, 2, (32, 64, 64)),
        (1460, 2, (32, 64, 64)),
        (2000, 2, (32, 64, 64, 64)),
        (1728, 3, (32, 64)),
        (1729, 3, (32, 64, 64)),
        (5000, 1, (32, 64)),  # stride 1 shortens nothing: no layer added
    ],
)
def test_auto_filters_add_layers_until_the_lstms_read_192_steps(length, stride, filters):
    assert auto_filters(length, stride) == filters
    if len(filters) > 2:
        steps = [math.ceil(length / stride**n) for n in (len(filters) - 1, len(filters))]
        assert steps[1] <= 192 < steps[0]


AUTO = dict(FRONT, conv_filters="auto")


def test_auto_filters_keep_short_sequences_as_they_were_and_deepen_for_long_ones(sines, tmp_path):
    X = sines[:, :11]
    auto = tiny(**AUTO).fit(X)
    assert auto.conv_filters_ == (32, 64)
    np.testing.assert_allclose(
        auto.transform(X),
        tiny(**dict(FRONT, conv_filters=(32, 64))).fit(X).transform(X),
        rtol=1e-5,
        atol=1e-6,
    )
    long = sine_waves(8, n_steps=800)
    ae = tiny(**AUTO, epochs=1).fit(long)
    # 800 steps: 200 at two layers of stride 2 (over 192), 100 at three.
    assert ae.conv_filters_ == (32, 64, 64)
    assert [ae.model_.get_layer(f"encoder_conv_{i}").filters for i in range(3)] == [32, 64, 64]
    assert ae.model_.get_layer("reconstruction").upsample == 8
    assert ae.reconstruct(long).shape == long.shape
    ae.save(tmp_path / "auto.lstmae")
    back = LSTMAutoencoderTransformer.load(tmp_path / "auto.lstmae")
    assert back.conv_filters_ == (32, 64, 64) and back.get_params()["conv_filters"] == "auto"
    np.testing.assert_array_equal(back.transform(long), ae.transform(long))
    # The median length decides, not the longest: five short and three long, then the reverse.
    mixed = [x[:20] for x in long[:5]] + list(long[5:])
    assert tiny(**AUTO, epochs=1).fit(mixed).conv_filters_ == (32, 64)
    mixed = [x[:20] for x in long[:3]] + list(long[3:])
    assert tiny(**AUTO, epochs=1).fit(mixed).conv_filters_ == (32, 64, 64)

    class Batches(keras.utils.PyDataset):  # the same rule when batches stream in
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return long[4 * i : 4 * (i + 1)]

    assert tiny(**AUTO, epochs=1).fit(Batches()).conv_filters_ == (32, 64, 64)
    # Appended maps follow the filters used: 2 + 2 * (32 + 64 + 64) numbers.
    appended = tiny(**AUTO, epochs=1, conv_pooling="appended").fit(long)
    assert appended.transform(long).shape == (8, 2 + 2 * 160)
    assert len(appended.get_feature_names_out()) == 322
    with pytest.raises(ValueError, match="'conv_filters' parameter"):
        tiny(**dict(FRONT, conv_filters="deep")).fit(X)
