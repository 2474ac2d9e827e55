"""Objectives of the seeds and the 2015 paper: predict, composite, reversed, conditioned."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._data.steps import reverse_steps, split_future

from .helpers import TUTORIAL, tiny

SEED_SEQUENCE = np.arange(1, 10, dtype=np.float32)[None, :, None] / 10  # 0.1 .. 0.9


def _seed_model(**params):
    """The seeds' one-sequence setting: raw values, one sample per batch."""
    base = dict(
        latent_dim=8,
        encoder_units=(32,),
        scaler=None,
        batch_size=1,
        epochs=150,
        optimizer__learning_rate=0.01,
        random_state=0,
        **TUTORIAL,
    )
    return LSTMAutoencoderTransformer(**{**base, **params})


def test_target_helpers_on_a_hand_computed_example():
    values = np.array([[1, 2, 3, np.nan], [1, 2, 3, 4]], dtype=np.float32)[:, :, None]
    lengths = np.array([3, 4])
    rev = reverse_steps(values, lengths)[..., 0]
    np.testing.assert_array_equal(rev, [[3, 2, 1, np.nan], [4, 3, 2, 1]])
    np.testing.assert_array_equal(reverse_steps(reverse_steps(values, lengths), lengths), values)
    past, future = split_future(values, lengths, 2)
    np.testing.assert_array_equal(
        past[..., 0], [[1, np.nan, np.nan, np.nan], [1, 2, np.nan, np.nan]]
    )
    np.testing.assert_array_equal(future[..., 0], [[2, 3], [3, 4]])
    assert not np.isnan(values[0, :3]).any()  # the input is not modified


def test_predict_mode_on_the_seed_sequence():
    # The seeds' prediction autoencoder: from 0.1, predict 0.2 .. 0.9.
    ae = _seed_model(mode="predict", n_future=8).fit(SEED_SEQUENCE)
    future = ae.forecast(SEED_SEQUENCE[:, :1])
    assert future.shape == (1, 8, 1)
    np.testing.assert_allclose(future[0, :, 0], np.arange(2, 10) / 10, atol=0.05)
    assert ae.transform(SEED_SEQUENCE).shape == (1, 8)
    assert set(ae.history_) == {"loss"}
    with pytest.raises(ValueError, match="reconstruction decoder.*mode='predict'.*forecast"):
        ae.reconstruct(SEED_SEQUENCE)
    with pytest.raises(ValueError, match="reconstruction decoder"):
        ae.inverse_transform(ae.transform(SEED_SEQUENCE))


def test_reverse_target_learns_reversed_and_returns_forward_order():
    ae = _seed_model(reverse_target=True).fit(SEED_SEQUENCE)
    # The decoder itself writes the sequence backwards ...
    raw = ae.decoder_.predict_on_batch(ae.transform(SEED_SEQUENCE))
    np.testing.assert_allclose(raw[0, :, 0], np.arange(9, 0, -1) / 10, atol=0.05)
    # ... and the transformer hands it back in forward order.
    np.testing.assert_allclose(ae.reconstruct(SEED_SEQUENCE), SEED_SEQUENCE, atol=0.05)
    np.testing.assert_allclose(
        ae.inverse_transform(ae.transform(SEED_SEQUENCE)), SEED_SEQUENCE, atol=0.05
    )


def test_composite_trains_both_heads_and_forecasts(sines, fitted_tiny):
    ae = tiny(
        mode="composite", n_future=3, future_weight=0.3, epochs=15, optimizer__learning_rate=0.01
    )
    ae.fit(sines)
    history = ae.history_
    for key in ("loss", "reconstruction_loss", "future_loss"):
        assert history[key][-1] < 0.8 * history[key][0], key
    np.testing.assert_allclose(
        history["loss"][-1],
        0.7 * history["reconstruction_loss"][-1] + 0.3 * history["future_loss"][-1],
        rtol=0.02,  # Keras averages each loss tracker over the epoch's batches separately
    )
    assert ae.forecast(sines[:5]).shape == (5, 3, 2)
    assert ae.reconstruct(sines[:5]).shape == (5, 12, 2)
    assert ae.transform(sines).shape == (60, 2)
    # score_samples is the weighted training objective: close to the last loss.
    assert -ae.score(sines) == pytest.approx(history["loss"][-1], rel=0.5)
    with pytest.raises(ValueError, match="forecast needs the future decoder.*'reconstruct'"):
        fitted_tiny.forecast(sines)


def test_predict_mode_beats_a_persistence_forecast():
    rng = np.random.default_rng(0)
    t = np.arange(16) * 0.4
    X = np.sin(t + rng.uniform(0, 2 * np.pi, (200, 1)))[:, :, None].astype(np.float32)
    ae = LSTMAutoencoderTransformer(
        mode="predict",
        n_future=4,
        latent_dim=4,
        encoder_units=(16,),
        epochs=40,
        batch_size=16,
        random_state=0,
        **TUTORIAL,
    ).fit(X)
    past, future = X[:, :12], X[:, 12:]
    model_error = np.mean((ae.forecast(past) - future) ** 2)
    persistence_error = np.mean((past[:, -1:] - future) ** 2)
    assert model_error < 0.25 * persistence_error


def test_conditional_decoder_generates_from_its_own_outputs(sines):
    ae = tiny(conditional=True, epochs=5).fit(sines)
    decoder = ae.model_.get_layer("reconstruction")
    assert decoder.conditional
    code = ae.transform(sines[:4])
    generated = np.asarray(decoder(code))
    # Fed its own outputs as the "true" previous steps, teacher forcing must
    # reproduce exactly what generation wrote.
    forced = np.asarray(decoder(code, teacher=generated))
    np.testing.assert_allclose(forced, generated, rtol=1e-4, atol=1e-5)
    # The training graph takes the targets as teacher inputs.
    assert {t.name for t in ae.model_.inputs} == {"sequences", "reconstruction_teacher"}
    assert ae.reconstruct(sines[:4]).shape == (4, 12, 2)


@pytest.mark.parametrize(
    "params",
    [
        dict(mode="composite", n_future=2, reverse_target=True),
        dict(mode="composite", n_future=2, conditional=True),
        dict(mode="reconstruct", reverse_target=True, conditional=True),
        dict(mode="predict", n_future=2, conditional=True),
    ],
    ids=["composite-reversed", "composite-conditional", "reversed-conditional", "predict-cond"],
)
def test_variants_with_variable_length_input_and_persistence(params, tmp_path):
    rng = np.random.default_rng(0)
    seqs = [
        np.sin(np.arange(n)[:, None] * 0.5 + rng.uniform(0, 6)) for n in rng.integers(5, 11, 30)
    ]
    ae = tiny(**params).fit(seqs)
    assert ae.n_timesteps_ == max(len(s) for s in seqs)
    # Padding changes nothing: a sequence alone gives the same output as in the batch.
    short = int(np.argmin([len(s) for s in seqs]))
    np.testing.assert_allclose(ae.transform([seqs[short]])[0], ae.transform(seqs)[short], atol=1e-5)
    outputs = {"transform": ae.transform(seqs)}
    if ae.mode != "predict":
        rec = ae.reconstruct(seqs)
        assert np.isnan(rec[short, len(seqs[short]) :]).all()
        assert not np.isnan(rec[short, : len(seqs[short])]).any()
        outputs["reconstruct"] = rec
    if ae.mode != "reconstruct":
        outputs["forecast"] = ae.forecast(seqs)
        alone = ae.forecast([seqs[short]])[0]
        np.testing.assert_allclose(alone, outputs["forecast"][short], atol=1e-5)
    outputs["score_samples"] = ae.score_samples(seqs)
    for loaded in (
        pickle.loads(pickle.dumps(ae)),
        LSTMAutoencoderTransformer.load(ae.save(tmp_path / "ae.lstmae")),
    ):
        for method, expected in outputs.items():
            np.testing.assert_allclose(getattr(loaded, method)(seqs), expected, atol=1e-5)


def test_inverse_transform_reverses_each_sequence_over_its_own_length():
    seqs = [np.linspace(0, 1, n)[:, None] for n in (4, 7, 7, 5)] * 5
    ae = tiny(reverse_target=True, epochs=1).fit(seqs)
    Z = ae.transform(seqs[:4])
    raw = ae.decoder_.predict_on_batch(Z) * ae.scaler_.scale_ + ae.scaler_.mean_
    out = ae.inverse_transform(Z, lengths=[4, 7, 7, 5])
    np.testing.assert_allclose(out[0], raw[0, 3::-1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[1], raw[1, ::-1], rtol=1e-4, atol=1e-5)
    full = ae.inverse_transform(Z)
    np.testing.assert_allclose(full[0], raw[0, ::-1], rtol=1e-4, atol=1e-5)


def test_future_needs_long_enough_sequences(sines):
    with pytest.raises(ValueError, match="n_future=12 .*more than 12 steps; the shortest has 12"):
        tiny(mode="predict", n_future=12).fit(sines)
    ae = tiny(mode="predict", n_future=3).fit(sines)
    with pytest.raises(ValueError, match="n_future=3.*more than 3 steps; the shortest has 3"):
        ae.score_samples(sines[:, :3])
    assert ae.forecast(sines[:, :3]).shape == (60, 3, 2)  # forecasting needs no future
    with pytest.raises(ValueError, match="'mode' parameter .* must be a str among"):
        tiny(mode="future").fit(sines)


def test_fitted_mode_governs_methods_until_refit(sines):
    ae = tiny(mode="predict", n_future=2).fit(sines)
    ae.set_params(mode="reconstruct", reverse_target=True)
    assert ae.forecast(sines[:2]).shape == (2, 2, 2)  # still the fitted predictor
    with pytest.raises(ValueError, match="fitted with mode='predict'"):
        ae.reconstruct(sines[:2])


def test_grid_search_over_mode_in_a_classifier_pipeline(sines):
    y = (sines[:, 0, 0] > 0).astype(int)
    pipe = make_pipeline(tiny(n_future=2), LogisticRegression())
    search = GridSearchCV(
        pipe,
        {"lstmautoencodertransformer__mode": ["reconstruct", "predict", "composite"]},
        cv=2,
        error_score="raise",
    ).fit(sines, y)
    scores = search.cv_results_["mean_test_score"]
    assert list(search.cv_results_["param_lstmautoencodertransformer__mode"]) == [
        "reconstruct",
        "predict",
        "composite",
    ]
    assert ((scores >= 0) & (scores <= 1)).all()
    best = search.best_estimator_[0]
    # The refit is the chosen mode's pipeline fitted on all the data, as by hand.
    by_hand = make_pipeline(tiny(n_future=2, mode=best.mode), LogisticRegression()).fit(sines, y)
    np.testing.assert_array_equal(search.predict_proba(sines), by_hand.predict_proba(sines))
    # The refitted model has the decoders of the chosen mode, and no other.
    decoders = {"reconstruct": ["reconstruction"], "predict": ["future"]}
    expected = decoders.get(best.mode, ["reconstruction", "future"])
    assert isinstance(best.model_, keras.Model)
    layers = {layer.name for layer in best.model_.layers}
    assert sorted({"reconstruction", "future"} & layers) == sorted(expected)
