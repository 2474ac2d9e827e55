"""LSTMAutoencoderTransformer: shapes, values, quality, padding, training controls, errors."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import RobustScaler

from sklearn_lstm_ae import LSTMAutoencoderTransformer

from .helpers import ragged, sine_waves, tiny


@pytest.fixture(scope="module")
def fitted_ragged():
    """``tiny()`` fitted on those sine waves cut to 4 to 12 steps, and the list."""
    L = ragged(sine_waves(60), 4, 9)
    return tiny().fit(L), L


def _state(est):
    return {k: v for k, v in vars(est).items()}, est.model_.get_weights()


def _assert_unchanged(est, before, X):
    attrs, weights = before
    assert set(vars(est)) == set(attrs)
    params = est.get_params(deep=False)
    for k, v in attrs.items():
        if k in params:
            assert vars(est)[k] == v, k
        else:  # fitted state: the very same objects
            assert vars(est)[k] is v, k
    for a, b in zip(est.model_.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------- input forms
def test_3d_input_shapes_and_dtypes(sines, fitted_tiny):
    ae = fitted_tiny
    Z = ae.transform(sines)
    assert Z.shape == (60, 2) and Z.dtype == np.float32
    assert np.isfinite(Z).all()
    assert (ae.n_timesteps_, ae.n_features_, ae.n_features_in_) == (12, 2, 2)
    R = ae.inverse_transform(Z)
    assert R.shape == (60, 12, 2) and R.dtype == np.float32
    assert set(ae.history_) == {"loss"} and len(ae.history_["loss"]) == 2
    assert all(isinstance(v, float) for v in ae.history_["loss"])


def test_fit_transform_matches_fit_then_transform(fitted_ragged):
    fitted, L = fitted_ragged
    a = tiny()
    Z = a.fit_transform(L)
    np.testing.assert_allclose(Z, a.transform(L), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(Z, fitted.transform(L))


def test_2d_input_is_univariate(sines):
    X = sines[:, :, 0]
    ae = tiny().fit(X)
    assert (ae.n_timesteps_, ae.n_features_, ae.n_features_in_) == (12, 1, 12)
    assert ae.transform(X).shape == (60, 2)
    assert ae.inverse_transform(ae.transform(X)).shape == (60, 12, 1)
    # A table's columns are time steps: shorter and longer tables are shorter
    # and longer sequences, encoded as the same sequences in 3D are.
    longer = np.concatenate([X, X[:, :5]], axis=1)
    for table in (X[:, :-3], longer):
        np.testing.assert_array_equal(ae.transform(table), ae.transform(table[:, :, None]))
        np.testing.assert_array_equal(ae.score_samples(table), ae.score_samples(table[:, :, None]))


def test_variable_length_list_input(fitted_ragged):
    ae, L = fitted_ragged
    assert ae.n_timesteps_ == 12
    assert "padding_mask" in [layer.name for layer in ae.model_.layers]
    Z = ae.transform(L)
    assert Z.shape == (60, 2)
    # the same sequence alone, or in a batch of longer ones, gives the same code
    np.testing.assert_allclose(ae.transform([L[0]]), Z[:1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ae.transform(L[5:6]), Z[5:6], rtol=1e-5, atol=1e-6)
    # NaN-padded 3D array gives the same codes as the list
    padded = np.full((60, 12, 2), np.nan, np.float32)
    for i, s in enumerate(L):
        padded[i, : len(s)] = s
    np.testing.assert_allclose(ae.transform(padded), Z, rtol=1e-5, atol=1e-6)
    # inverse_transform returns the original lengths when told them
    back = ae.inverse_transform(Z, lengths=[len(s) for s in L])
    assert [b.shape for b in back] == [s.shape for s in L]
    # reconstruct marks padded steps with NaN
    R = ae.reconstruct(L[:2])
    assert np.isnan(R[0, len(L[0]) :]).all() and np.isfinite(R[0, : len(L[0])]).all()


def test_reconstruction_errors_per_step_and_per_feature(fitted_ragged):
    ae, L = fitted_ragged
    X = L[:6]
    lengths = [len(s) for s in X]
    # The squared errors of the reconstruction, in the scaler's units.
    scale = ae.scaler_.scale_
    sq = [((ae.reconstruct([s])[0, : len(s)] - s) / scale) ** 2 for s in X]
    per_feature = ae.reconstruction_errors(X, per_feature=True)
    assert per_feature.shape == (6, 2) and per_feature.dtype == np.float64
    np.testing.assert_allclose(per_feature, [e.mean(axis=0) for e in sq], rtol=1e-4)
    np.testing.assert_allclose(ae.reconstruction_errors(X), [e.mean() for e in sq], rtol=1e-4)
    steps = ae.reconstruction_errors(X, per_step=True, per_feature=True)
    assert steps.shape == (6, 12, 2)
    averaged = ae.reconstruction_errors(X, per_step=True)
    for row, mean, e, n in zip(steps, averaged, sq, lengths, strict=True):
        np.testing.assert_allclose(row[:n], e, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(row[:n].mean(axis=1), mean[:n], rtol=1e-5)
        assert np.isnan(row[n:]).all() and np.isnan(mean[n:]).all()  # padding
    # A flag that is not True or False is refused, not read as truthy.
    with pytest.raises(ValueError, match="'per_feature' parameter of reconstruction_errors"):
        ae.reconstruction_errors(X, per_feature="yes")
    with pytest.raises(ValueError, match="'per_step' parameter of reconstruction_errors"):
        ae.reconstruction_errors(X, per_step=1)


def test_fixed_length_data_trains_the_unmasked_graph(sines, fitted_tiny):
    ae = fitted_tiny
    assert "padding_mask" not in [layer.name for layer in ae.model_.layers]
    # padded input still works at transform time, through the masked encoder
    short = sines[:3, :5]
    padded = np.full((3, 12, 2), np.nan, np.float32)
    padded[:, :5] = short
    np.testing.assert_allclose(ae.transform(short), ae.transform(padded), rtol=1e-6)


def test_padding_changes_neither_codes_nor_loss(fitted_ragged):
    ae, L = fitted_ragged
    values = np.full((60, 12, 2), np.nan, np.float32)
    for i, s in enumerate(L):
        values[i, : len(s)] = (s - ae.scaler_.mean_) / ae.scaler_.scale_
    target = np.nan_to_num(values)
    garbage = np.where(np.isnan(values), 1e3, values).astype(np.float32)
    loss = ae.model_.evaluate(values, target, verbose=0)
    assert loss == pytest.approx(ae.model_.evaluate(values, garbage, verbose=0))
    # a code depends only on the sequence's own steps, not on what follows
    changed = values.copy()
    changed[0, len(L[0]) :] = np.nan
    np.testing.assert_array_equal(
        ae.encoder_.predict_on_batch(values[:1]),
        ae.encoder_.predict_on_batch(changed[:1]),
    )


def test_real_unequal_length_data():
    from aeon.datasets import load_classification

    X, _ = load_classification("PickupGestureWiimoteZ", split="train")
    seqs = [np.asarray(x).T for x in X[:24]]  # aeon: (channels, length) -> (length, 1)
    lengths = [len(s) for s in seqs]
    if len(set(lengths)) == 1:  # aeon before 1.4 (NumPy 1, the floor's) ships it padded
        pytest.skip("this aeon ships PickupGestureWiimoteZ at one length")
    assert len(set(lengths)) > 5
    ae = tiny(epochs=1, batch_size=8).fit(seqs)
    assert ae.n_timesteps_ == max(lengths)
    Z = ae.transform(seqs)
    assert Z.shape == (24, 2) and np.isfinite(Z).all()
    i = int(np.argmin(lengths))
    np.testing.assert_allclose(ae.transform([seqs[i]])[0], Z[i], rtol=1e-5, atol=1e-6)
    back = ae.inverse_transform(Z, lengths=lengths)
    assert [len(b) for b in back] == lengths
    # padded steps stay out of the scaler's statistics
    valid = np.concatenate(seqs)
    np.testing.assert_allclose(ae.scaler_.mean_, valid.mean(axis=0), rtol=1e-5)


# --------------------------------------------------------------- quality
def test_trained_model_beats_the_mean_baseline(fitted_sines):
    ae, X = fitted_sines
    R = ae.inverse_transform(ae.transform(X))
    mse = np.mean((R - X) ** 2)
    baseline = np.mean((X - X.mean(axis=(0, 1))) ** 2)  # predict each feature's mean
    assert mse < 0.1 * baseline
    np.testing.assert_allclose(ae.reconstruct(X), R, rtol=1e-4, atol=1e-4)
    # score is minus the error in scaled units; the mean predictor scores -1
    assert -0.1 < ae.score(X) < 0


def test_score_samples_flags_abnormal_sequences(fitted_sines):
    ae, X = fitted_sines
    odd = X[:5].copy()
    odd[:, 6:, 0] += 3.0  # a jump the model never saw
    scores = ae.score_samples(np.concatenate([X[5:15], odd]))
    assert scores.shape == (15,)
    assert (scores <= 0).all()
    assert scores[10:].max() < scores[:10].min()
    assert ae.score(X[:20]) == pytest.approx(ae.score_samples(X[:20]).mean())


def test_encoder_and_decoder_share_the_trained_weights(fitted_sines):
    ae, X = fitted_sines
    scaled = ((X[:4] - ae.scaler_.mean_) / ae.scaler_.scale_).astype(np.float32)
    np.testing.assert_allclose(ae.encoder_.predict_on_batch(scaled), ae.transform(X[:4]), rtol=1e-5)
    Z = ae.transform(X[:4])
    decoded = ae.decoder_.predict_on_batch(Z) * ae.scaler_.scale_ + ae.scaler_.mean_
    np.testing.assert_allclose(decoded, ae.inverse_transform(Z), rtol=1e-4, atol=1e-5)
    assert ae.encoder_.output.shape[-1] == 2 and ae.decoder_.output.shape[1:] == (12, 2)


# --------------------------------------------------------------- parameters
def test_same_random_state_gives_identical_codes(sines):
    a = tiny(dropout=0.2).fit(sines).transform(sines)
    b = tiny(dropout=0.2).fit(sines).transform(sines)
    np.testing.assert_array_equal(a, b)
    c = tiny(dropout=0.2, random_state=1).fit(sines).transform(sines)
    assert not np.allclose(a, c)


def _lstms(model):
    """Encoder LSTM layers then the reconstruction decoder's, in order."""
    encoder = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    return encoder + model.get_layer("reconstruction").lstms


def test_stacked_layers_and_mirrored_decoder(sines):
    ae = tiny(encoder_units=(16, 8), dropout=0.1).fit(sines)
    lstms = _lstms(ae.model_)
    assert [layer.units for layer in lstms] == [16, 8, 8, 16]
    assert [layer.name for layer in lstms[:2]] == ["encoder_lstm_0", "encoder_lstm_1"]
    assert all(layer.dropout == 0.1 for layer in lstms)
    ae = tiny(encoder_units=(16,), decoder_units=(4, 6)).fit(sines)
    assert [layer.units for layer in _lstms(ae.model_)] == [16, 4, 6]


def test_relu_activation_of_the_tutorials_trains(sines):
    ae = tiny(activation="relu", epochs=50, optimizer__learning_rate=0.01).fit(sines)
    assert ae.model_.get_layer("encoder_lstm_0").activation.__name__ == "relu"
    # Far better than the trivial reconstruction (each feature's mean: error 1
    # in scaled units); random_state 0, 1 and 2 reach 0.07 to 0.17.
    assert -ae.score_samples(sines).mean() < 0.3


def test_scalers(sines, fitted_tiny):
    ae = fitted_tiny
    np.testing.assert_allclose(ae.scaler_.mean_, sines.reshape(-1, 2).mean(0), rtol=1e-5)
    ae = tiny(scaler="minmax").fit(sines)
    np.testing.assert_allclose(ae.scaler_.data_max_, sines.reshape(-1, 2).max(0))
    ae = tiny(scaler=None).fit(sines)
    assert ae.scaler_ is None
    user = RobustScaler()
    ae = tiny(scaler=user).fit(sines)
    assert isinstance(ae.scaler_, RobustScaler) and ae.scaler_ is not user
    assert not hasattr(user, "center_")  # the parameter is cloned, never fitted
    R = ae.inverse_transform(ae.transform(sines))
    assert abs(R[..., 1].mean() - sines[..., 1].mean()) < 1.0  # back in original units


def test_binary_crossentropy_on_one_hot_moving_ones():
    rng = np.random.default_rng(0)
    seqs = []
    for _ in range(40):  # the first seed's padded "moving ones"
        n = rng.integers(1, 9)
        s = np.zeros((n, 8))
        s[np.arange(n), np.arange(n)] = 1
        seqs.append(s)
    ae = tiny(loss="binary_crossentropy", scaler=None).fit(seqs)
    decoder = ae.model_.get_layer("reconstruction")
    assert decoder.output_layer.activation.__name__ == "sigmoid"
    R = ae.reconstruct(seqs)
    valid = R[~np.isnan(R)]
    assert valid.min() >= 0 and valid.max() <= 1
    with pytest.raises(ValueError, match="needs targets in \\[0, 1\\].*scaler='minmax'"):
        tiny(loss="binary_crossentropy").fit(seqs)
    with pytest.raises(ValueError, match="needs values in \\[0, 1\\]"):
        tiny(loss="binary_crossentropy", scaler=None).fit([2 * s for s in seqs])


def test_optimizer_settings_are_routed_parameters(sines):
    ae = tiny(optimizer__learning_rate=0.005, optimizer__beta_1=0.8).fit(sines)
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(0.005)
    assert float(ae.model_.optimizer.beta_1) == pytest.approx(0.8)
    assert ae.model_.optimizer.clipnorm == 1.0  # the package's guard for a named optimizer
    ae = tiny(optimizer__clipvalue=0.5).fit(sines)  # a clipping of the user's replaces it
    assert ae.model_.optimizer.clipnorm is None and ae.model_.optimizer.clipvalue == 0.5
    ae = tiny(optimizer="sgd", optimizer__clipnorm=None).fit(sines)
    assert ae.model_.optimizer.clipnorm is None
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(0.01)  # SGD's own default
    opt = keras.optimizers.SGD(learning_rate=0.02)
    a = tiny(optimizer=opt).fit(sines)
    b = tiny(optimizer=opt).fit(sines)  # a fresh optimizer for every fit
    assert a.model_.optimizer is not b.model_.optimizer
    assert float(b.model_.optimizer.learning_rate) == pytest.approx(0.02)


def test_validation_split_metrics_and_callbacks_such_as_early_stopping(sines):
    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1

    ae = tiny(
        epochs=60,
        validation_split=0.25,
        optimizer__learning_rate=0.5,
        metrics=["mae"],
        callbacks=[Count(), keras.callbacks.EarlyStopping(patience=1)],
    ).fit(sines)
    n = len(ae.history_["loss"])
    # scikeras reports metrics under their full names
    assert set(ae.history_) == {
        "loss",
        "val_loss",
        "mean_absolute_error",
        "val_mean_absolute_error",
    }
    assert n < 60 and Count.epochs == n


def test_verbose_shows_keras_progress(sines, capfd):
    tiny(verbose=0).fit(sines)
    assert "loss" not in capfd.readouterr().out
    tiny(verbose=1).fit(sines)
    assert "Epoch 1/2" in capfd.readouterr().out


def test_partial_fit_continues_training(sines):
    ae = tiny(epochs=5)
    ae.partial_fit(sines)
    assert len(ae.history_["loss"]) == 1 and ae.epochs == 5
    w = ae.model_.get_weights()
    ae.partial_fit(sines)
    assert len(ae.history_["loss"]) == 2
    assert not all(np.array_equal(a, b) for a, b in zip(w, ae.model_.get_weights(), strict=True))
    before = _state(ae)
    with pytest.raises(ValueError, match="3 features per time step"):
        ae.partial_fit(np.ones((4, 12, 3)))
    _assert_unchanged(ae, before, sines)


# --------------------------------------------------------------- output API
def test_feature_names_and_pandas_output(sines, own_fitted_tiny):
    ae = own_fitted_tiny
    names = ae.get_feature_names_out()
    assert names.tolist() == [
        "lstmautoencodertransformer0",
        "lstmautoencodertransformer1",
    ]
    ae.set_output(transform="pandas")
    out = ae.transform(sines)
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == names.tolist()
    df = pd.DataFrame(sines[:, :, 0], columns=[f"t{i}" for i in range(12)])
    ae = tiny().fit(df)
    assert ae.feature_names_in_.tolist() == list(df.columns)
    assert ae.transform(df).shape == (60, 2)


# --------------------------------------------------------------- errors
def test_not_fitted_errors(sines):
    ae = tiny()
    for method in (
        ae.transform,
        ae.score_samples,
        ae.reconstruct,
        ae.score,
        ae.inverse_transform,
    ):
        with pytest.raises(NotFittedError):
            method(sines)
    with pytest.raises(NotFittedError):
        ae.encoder_  # noqa: B018


@pytest.mark.parametrize(
    "params, error, match",
    [
        (
            dict(latent_dim=0),
            ValueError,
            "'latent_dim' parameter .* must be an int in the range \\[1, inf\\)",
        ),
        (
            dict(encoder_units=()),
            ValueError,
            "encoder_units must be a non-empty tuple of positive ints",
        ),
        (
            dict(decoder_units=(8, -1)),
            ValueError,
            "decoder_units must be a non-empty tuple",
        ),
        (
            dict(scaler="zscore"),
            ValueError,
            "'scaler' parameter .* 'standard', 'minmax', None",
        ),
        (dict(scaler=object()), ValueError, "fit, transform and inverse_transform"),
        (dict(dropout=1.0), ValueError, "'dropout' parameter"),
        (dict(epochs=0), ValueError, "'epochs' parameter"),
        (dict(validation_split=1.0), ValueError, "'validation_split' parameter"),
        (dict(pooling="median"), ValueError, "'pooling' parameter .*'lastmax'"),
        (dict(cell="rnn"), ValueError, "'cell' parameter .*'gru'"),
        (dict(data_format="NCT"), ValueError, "'data_format' parameter .*'channels_first'"),
        (dict(epochs="many"), ValueError, "'epochs' parameter .*'auto'"),
        (dict(shuffle="yes"), ValueError, "'shuffle' parameter .*'buckets'"),
    ],
)
def test_bad_parameters_are_reported_at_fit(sines, params, error, match):
    ae = LSTMAutoencoderTransformer(**params)  # the constructor never validates
    with pytest.raises(error, match=match):
        ae.fit(sines)


def test_misspelt_parameters_fail_at_once_naming_the_closest_one():
    with pytest.raises(
        TypeError, match="unexpected keyword argument 'lattent_dim'. Did you mean 'latent_dim'\\?"
    ):
        LSTMAutoencoderTransformer(lattent_dim=8)
    with pytest.raises(TypeError, match="'batch_sise'. Did you mean 'batch_size'\\?.*routed"):
        LSTMAutoencoderTransformer(batch_sise=4)
    with pytest.raises(TypeError, match="'colour'. Extra arguments must be routed"):
        LSTMAutoencoderTransformer(colour="red")  # nothing close: no guess
    ae = LSTMAutoencoderTransformer(optimizer__beta_1=0.8)  # routed names pass
    with pytest.raises(ValueError, match="'lattent_dim' .*Did you mean 'latent_dim'\\?"):
        ae.set_params(lattent_dim=8)
    # Routed names are checked against what they reach, where it is known.
    for routed, hint in [
        (dict(optimizer__beta1=0.8), "optimizer Adam takes no 'beta1'. Did you mean 'beta_1'"),
        (dict(optimizer="SGD", optimizer__beta_1=0.8), "optimizer SGD takes no 'beta_1'"),
        (dict(fit__validation_batchsize=8), "Model.fit takes no .*'validation_batch_size'"),
        (dict(compile__steps_per_exec=1), "Model.compile takes no .*'steps_per_execution'"),
        (dict(predict__batchsize=8), "inference .* takes no 'batchsize'. Did you mean"),
    ]:
        with pytest.raises(TypeError, match=hint):
            LSTMAutoencoderTransformer(**routed)
    with pytest.raises(TypeError, match="optimizer SGD takes no 'beta_1'"):
        ae.set_params(optimizer="sgd", optimizer__beta_1=0.9)
    assert ae.optimizer == "adam"  # a refused set_params sets nothing
    LSTMAutoencoderTransformer(optimizer="rmsprop", optimizer__rho=0.8, fit__validation_freq=2)


def test_a_y_of_the_wrong_length_is_refused_and_changes_nothing(sines, own_fitted_tiny):
    ae = own_fitted_tiny
    before = _state(ae)
    for method in (ae.fit, ae.fit_transform, ae.partial_fit):
        with pytest.raises(ValueError, match="y has 59 values but X holds 60 sequences"):
            method(sines, np.zeros(59))
    _assert_unchanged(ae, before, sines)
    assert tiny(epochs=1).fit_transform(sines, np.zeros(60)).shape == (60, 2)


def test_failed_calls_leave_a_fitted_estimator_unchanged(sines, own_fitted_tiny):
    ae = own_fitted_tiny
    Z = ae.transform(sines)
    before = _state(ae)
    bad_inputs = [
        np.ones((3, 12, 3)),  # wrong number of features
        np.full((3, 12, 2), np.inf),  # infinite values (longer sequences are fine now)
        np.array([[[np.nan, 1.0]] * 12]),  # NaN inside a sequence
    ]
    for X in bad_inputs:
        for method in (ae.transform, ae.score_samples, ae.reconstruct):
            with pytest.raises(ValueError):
                method(X)
        with pytest.raises(ValueError):
            ae.fit(X[:, :, :1] * np.inf)
    with pytest.raises(
        ValueError,
        match="has 3 columns, but codes of this transformer have latent_dim=2",
    ):
        ae.inverse_transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="'latent_dim' parameter"):
        ae.set_params(latent_dim=0).fit(sines)
    ae.set_params(latent_dim=2)
    _assert_unchanged(ae, before, sines)
    np.testing.assert_array_equal(ae.transform(sines), Z)


def test_diverging_training_raises_and_changes_nothing(sines, own_fitted_tiny):
    ae = own_fitted_tiny
    before = _state(ae)
    Z = ae.transform(sines)
    ae.set_params(activation="relu", scaler=None, optimizer__learning_rate=1e6, epochs=3)
    wild = np.random.default_rng(0).normal(size=(32, 6, 2)) * 1e3
    diverged = "Training diverged.*Lower optimizer__learning_rate"
    with pytest.raises(FloatingPointError, match=diverged):
        ae.fit(wild)
    ae.set_params(activation="tanh", scaler="standard", epochs=2)
    del ae.optimizer__learning_rate  # the parameters as they were
    _assert_unchanged(ae, before, sines)
    np.testing.assert_array_equal(ae.transform(sines), Z)
