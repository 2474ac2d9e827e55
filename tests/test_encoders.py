"""Encoders that summarise the whole sequence (pooling, bidirectional, GRU); convergence."""

import keras
import numpy as np
import pytest

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._keras.layers import MaskedPooling

from .helpers import TUTORIAL, ragged, tiny


def test_masked_pooling_on_a_hand_computed_example():
    h = np.array([[[1.0, -5.0], [3.0, -1.0], [99.0, 99.0]]], dtype=np.float32)
    mask = np.array([[True, True, False]])
    np.testing.assert_allclose(MaskedPooling("mean")(h, mask=mask), [[2.0, -3.0]])
    np.testing.assert_allclose(MaskedPooling("max")(h, mask=mask), [[3.0, -1.0]])
    np.testing.assert_allclose(MaskedPooling("meanmax")(h, mask=mask), [[2.0, -3.0, 3.0, -1.0]])
    np.testing.assert_allclose(MaskedPooling("lastmax")(h, mask=mask), [[3.0, -1.0, 3.0, -1.0]])
    np.testing.assert_allclose(MaskedPooling("lastmax")(h), [[99.0, 99.0, 99.0, 99.0]])
    np.testing.assert_allclose(MaskedPooling("max")(h), [[99.0, 99.0]])  # no mask: all steps
    with pytest.raises(ValueError, match="'lastmax', 'max', 'mean', 'meanmax', 'pyramid', got"):
        MaskedPooling("median")


def test_the_pyramid_pools_the_whole_each_half_and_each_quarter_of_the_valid_steps():
    h = np.array([[1.0, 5.0, 2.0, 8.0, 3.0, 99.0]], dtype=np.float32)[..., None]
    pyramid = MaskedPooling("pyramid")
    # 5 valid steps: halves [0, 3) and [2, 5), quarters [0, 2), [1, 3), [2, 4), [3, 5).
    got = pyramid(h, mask=np.array([[True] * 5 + [False]]))
    np.testing.assert_allclose(got, [[3, 8, 5, 8, 5, 5, 8, 8]])  # last, whole, halves, quarters
    np.testing.assert_allclose(pyramid(h), [[99, 99, 5, 99, 5, 5, 8, 99]])  # no mask: 6 steps
    # Fewer valid steps than parts: every part holds at least one step.
    got = pyramid(h, mask=np.array([[True] * 2 + [False] * 4]))
    np.testing.assert_allclose(got, [[5, 5, 1, 5, 1, 1, 5, 5]])
    assert pyramid.compute_output_shape((None, 6, 3)) == (None, 24)


VARIANTS = [
    dict(pooling="max"),
    dict(pooling="mean"),
    dict(pooling="meanmax", encoder_units=(8, 4), bidirectional=True, cell="gru"),
    dict(pooling="last"),
    dict(pooling="lastmax", bidirectional=True),
    dict(pooling="max", bidirectional=True),
    dict(pooling="mean", cell="gru"),
    dict(pooling="last", cell="gru", bidirectional=True),
    dict(pooling="max", cell="gru", conditional=True),
    dict(pooling="pyramid", bidirectional=True),
]


@pytest.mark.parametrize("params", VARIANTS, ids=lambda p: "-".join(map(str, p.values())))
def test_padding_never_enters_the_code(sines, params, tmp_path):
    L = ragged(sines, 4, 9)
    ae = tiny(**params).fit(L)
    Z = ae.transform(L)
    assert Z.shape == (60, 2) and np.isfinite(Z).all()
    # each sequence gets the same code alone as beside longer ones
    for i in (0, 5, 8):
        np.testing.assert_allclose(ae.transform([L[i]])[0], Z[i], rtol=1e-5, atol=1e-6)
    # fixed-length input takes the unmasked graph and agrees with the masked one
    full = np.stack([s[:6] for s in sines[:5]])
    np.testing.assert_allclose(
        ae.transform(full), ae.transform([s for s in full]), rtol=1e-5, atol=1e-6
    )
    loaded = LSTMAutoencoderTransformer.load(ae.save(tmp_path / "ae.lstmae"))
    np.testing.assert_array_equal(loaded.transform(L), Z)
    assert ae.reconstruct(L).shape == (60, 12, 2)
    _check_encoder_layers(ae.encoder_.layers, params)


def _check_encoder_layers(layers, params):
    """The encoder's last layers are the ones the parameters ask for."""
    kinds = [type(layer).__name__ for layer in layers]
    if params == dict(pooling="last"):
        assert kinds[-2:] == ["FusedLSTM", "Dense"], kinds
        assert not layers[-2].return_sequences
    elif params["pooling"] == "meanmax":
        assert kinds[-3:] == ["Bidirectional", "MaskedPooling", "Dense"], kinds
        assert isinstance(layers[-3].forward_layer, keras.layers.GRU)
        assert layers[-2].compute_output_shape((None, 12, 8)) == (None, 16)  # 2 x (4 + 4)


def test_pooled_codes_beat_last_state_codes_on_gunpoint():
    """On a subset of GunPoint (150 steps), pooled states classify better than the last one."""
    from aeon.datasets import load_gunpoint
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_gunpoint(split="train")
    Xt, yt = load_gunpoint(split="test")
    X, Xt = X[:, 0, ::3], Xt[:, 0, ::3]  # every third step: 50 steps keep the test fast
    scores = {}
    for pooling in ("last", "max"):
        ae = LSTMAutoencoderTransformer(
            latent_dim=8,
            encoder_units=(16,),
            pooling=pooling,
            max_updates=150,
            random_state=0,
            **TUTORIAL,
        )
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        clf.fit(ae.fit_transform(X), y)
        scores[pooling] = clf.score(ae.transform(Xt), yt)
    assert scores["max"] > scores["last"] + 0.05, scores


def test_the_first_tutorials_sequence_comes_back_within_001():
    """The first tutorial: 0.1..0.9, LSTM(100), 300 epochs; it printed errors near 0.004."""
    seq = np.arange(1, 10, dtype=np.float32)[None, :, None] / 10
    ae = LSTMAutoencoderTransformer(
        latent_dim=8, encoder_units=(100,), epochs=300, batch_size=1, random_state=0, **TUTORIAL
    ).fit(seq)
    err = np.abs(ae.reconstruct(seq) - seq).max()
    assert err < 0.01, err
