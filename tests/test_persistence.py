"""save()/load(): the .keras model plus scikit-learn state, loaded in Keras safe mode."""

import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler

from sklearn_lstm_ae import LSTMAutoencoderTransformer

from .helpers import ragged, sine_waves, tiny


@pytest.mark.parametrize("scaler", ["standard", "minmax", None, MinMaxScaler((-1, 1))])
def test_save_load_round_trip(sines, tmp_path, scaler):
    L = ragged(sines, 5, 7)
    ae = tiny(scaler=scaler, encoder_units=(8, 4), optimizer__beta_1=0.8).fit(L)
    path = ae.save(tmp_path / "ae.lstmae")
    loaded = LSTMAutoencoderTransformer.load(path)
    assert type(loaded) is LSTMAutoencoderTransformer
    assert repr(loaded) == repr(ae)
    assert loaded.get_params().keys() == ae.get_params().keys()
    assert loaded.encoder_units == (8, 4) and loaded.optimizer__beta_1 == 0.8
    np.testing.assert_array_equal(loaded.transform(L), ae.transform(L))
    np.testing.assert_array_equal(
        loaded.inverse_transform(ae.transform(L)), ae.inverse_transform(ae.transform(L))
    )
    assert loaded.history_ == ae.history_
    assert (loaded.n_timesteps_, loaded.n_features_) == (
        ae.n_timesteps_,
        ae.n_features_,
    )
    loaded.partial_fit(L)  # training can go on after loading
    assert len(loaded.history_["loss"]) == len(ae.history_["loss"]) + 1


def test_save_keeps_feature_names_and_keras_objects(sines, tmp_path):
    df = pd.DataFrame(sines[:, :, 0], columns=[f"t{i}" for i in range(12)])
    ae = tiny(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), metrics=["mae"]).fit(df)
    loaded = LSTMAutoencoderTransformer.load(ae.save(tmp_path / "ae.zip"))
    assert loaded.feature_names_in_.tolist() == df.columns.tolist()
    assert isinstance(loaded.optimizer, keras.optimizers.RMSprop)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    shorter = df.iloc[:, :-1].to_numpy()  # a table's columns are steps: shorter sequences
    np.testing.assert_array_equal(loaded.transform(shorter), ae.transform(shorter))
    with pytest.raises(ValueError, match="feature names should match"):
        loaded.transform(df.rename(columns={"t0": "s0"}))  # same steps, other names


def test_file_holds_no_pickles(fitted_tiny, tmp_path):
    path = fitted_tiny.save(tmp_path / "ae.lstmae")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["estimator.json", "model.keras", "scaler.npz"]
        state = json.loads(zf.read("estimator.json"))
    assert state["format"] == "sklearn_lstm_ae/3"
    assert state["params"]["latent_dim"] == 2


def test_files_of_format_2_load_with_their_merged_parameters_translated(saved, tmp_path):
    def as_format_2(state):  # the parameters a format-2 file holds
        params = state["params"]
        state["format"] = "sklearn_lstm_ae/2"
        params.pop("optimizer__clipnorm", None)
        params.update(
            learning_rate=0.01,
            clipnorm=0.5,
            max_updates=300,
            epochs=3,
            early_stopping=None,
            bucketing=False,
            shuffle=True,
        )

    old = _tamper(saved, tmp_path / "old.lstmae", as_format_2)
    loaded = LSTMAutoencoderTransformer.load(old)
    params = loaded.get_params()
    assert params["optimizer__learning_rate"] == 0.01 and params["optimizer__clipnorm"] == 0.5
    assert params["shuffle"] is True  # bucketing=False: random batches
    assert not {"learning_rate", "clipnorm", "early_stopping", "bucketing"} & set(params)
    assert (params["epochs"], params["max_updates"]) == (3, 500)  # it was ignored beside 3
    here = LSTMAutoencoderTransformer.load(saved)
    X = np.random.default_rng(1).normal(size=(5, 12, 2)).astype(np.float32)
    np.testing.assert_array_equal(loaded.transform(X), here.transform(X))
    assert here.get_params()["shuffle"] == "buckets"


def test_files_written_before_a_parameter_existed_load_with_its_old_meaning(saved, tmp_path):
    def before_the_options(state):  # conv_pooling, conv_dilation and augment came later
        for part in (state["params"], state["fitted"]["_network"]):
            del part["conv_pooling"], part["conv_dilation"], part["augment"]

    old = _tamper(saved, tmp_path / "old.lstmae", before_the_options)
    loaded = LSTMAutoencoderTransformer.load(old)
    assert loaded.get_params()["conv_pooling"] is None
    assert loaded.get_params()["conv_dilation"] == 1
    assert loaded.get_params()["augment"] is None and loaded._fitted_.network.augment == ()
    here = LSTMAutoencoderTransformer.load(saved)
    X = np.random.default_rng(2).normal(size=(5, 12, 2)).astype(np.float32)
    np.testing.assert_array_equal(loaded.transform(X), here.transform(X))


def test_callbacks_are_not_saved(sines, tmp_path):
    ae = tiny(callbacks=[keras.callbacks.History()]).fit(sines)
    with pytest.warns(UserWarning, match="callbacks are not saved"):
        path = ae.save(tmp_path / "ae.lstmae")
    assert LSTMAutoencoderTransformer.load(path).callbacks is None


def test_save_and_load_errors(sines, tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tiny().save(tmp_path / "x")
    ae = tiny(scaler=RobustScaler()).fit(sines)
    with pytest.raises(TypeError, match="'standard'/'minmax' scalers. Use pickle or joblib"):
        ae.save(tmp_path / "x")
    (tmp_path / "junk").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is not a file written by"):
        LSTMAutoencoderTransformer.load(tmp_path / "junk")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="is not a file written by"):
        LSTMAutoencoderTransformer.load(tmp_path / "other.zip")


def test_load_refuses_code_in_the_model(fitted_tiny, tmp_path):
    """A model file carrying a Lambda layer (arbitrary code) is refused by safe mode."""
    path = fitted_tiny.save(tmp_path / "ae.lstmae")
    inp = keras.Input((12, 2))
    evil = keras.Model(inp, keras.layers.Lambda(lambda x: x * 2)(inp))
    evil.save(tmp_path / "evil.keras")
    with (
        zipfile.ZipFile(path) as src,
        zipfile.ZipFile(tmp_path / "bad.lstmae", "w") as dst,
    ):
        for name in src.namelist():
            if name != "model.keras":
                dst.writestr(name, src.read(name))
        dst.write(tmp_path / "evil.keras", "model.keras")
    with pytest.raises(ValueError, match="(?i)lambda|unsafe|safe_mode"):
        LSTMAutoencoderTransformer.load(tmp_path / "bad.lstmae")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One saved transformer (12 steps, 2 features) for the tampering tests to copy."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 12, 2)).astype(np.float32)
    return tiny().fit(X).save(tmp_path_factory.mktemp("saved") / "ae.lstmae")


def _tamper(path, out, edit_state=None, members=None):
    """Copy the saved archive ``path`` to ``out``, editing its JSON state or members."""
    members = members or {}
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = members.get(name, src.read(name))
            if name == "estimator.json" and edit_state is not None:
                state = json.loads(data)
                edit_state(state)
                data = json.dumps(state)
            if data is not None:
                dst.writestr(name, data)
    return out


def _set(*keys, value=None, delete=False):
    def edit(state):
        target = state
        for key in keys[:-1]:
            target = target[key]
        if delete:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value

    return edit


_OS_CONFIG = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}


@pytest.mark.parametrize(
    "edit, members, match",
    [
        (
            _set("fitted", "n_timesteps_", delete=True),
            None,
            "fitted field 'n_timesteps_' is missing",
        ),
        (_set("fitted", "n_features_", value="2"), None, "n_features_ must be a positive int"),
        (_set("fitted", "_fit_spec", "mode", value="x"), None, "unknown mode 'x'"),
        (_set("fitted", "history_", value=[1]), None, "history_ must map names"),
        (
            _set("scaler", "class", value="PickleScaler"),
            None,
            "unknown scaler class 'PickleScaler'",
        ),
        (_set("params", "loss", value={"evil": 1}), None, "unknown object kind 'evil'"),
        (_set("params", "loss", value={"__keras__": "evil"}), None, "unknown object kind 'evil'"),
        (_set("params", "_graphs", value=1), None, "unknown parameter '_graphs'"),
        (_set("params", "bogus__x", value=1), None, "unknown parameter 'bogus__x'"),
        (
            _set("params", "optimizer", value={"__keras__": "optimizer", "config": _OS_CONFIG}),
            None,
            "names the module 'os'; only Keras's own objects",
        ),
        (
            _set("params", "scaler", value={"__scaler__": "StandardScaler", "params": {"x": 1}}),
            None,
            r"params.scaler holds the unknown parameter 'x'",
        ),
        (_set("class", value="Other"), None, "holds a 'Other', not a LSTMAutoencoderTransformer"),
        (_set("extra", value=1), None, "must hold exactly"),
        (None, {"model.keras": None}, "the archive has no 'model.keras'"),
        (None, {"scaler.npz": None}, "the archive has no 'scaler.npz'"),
        (None, {"scaler.npz": b"junk"}, "scaler.npz cannot be read"),
        (None, {"estimator.json": b"{not json"}, "is not a file written by"),
    ],
)
def test_tampered_files_raise_a_value_error_that_names_the_problem(
    saved, tmp_path, edit, members, match
):
    path = saved
    bad = _tamper(path, tmp_path / "bad.lstmae", edit, members)
    with pytest.raises(ValueError, match=match) as info:
        LSTMAutoencoderTransformer.load(bad)
    assert "bad.lstmae" in str(info.value)


def test_truncated_or_foreign_model_is_refused(saved, sines, tmp_path):
    path = saved
    with zipfile.ZipFile(path) as zf:
        model = zf.read("model.keras")
    bad = _tamper(path, tmp_path / "cut.lstmae", members={"model.keras": model[: len(model) // 2]})
    with pytest.raises(ValueError, match="model.keras cannot be loaded in Keras safe mode"):
        LSTMAutoencoderTransformer.load(bad)
    # A different shape than the fitted state says: refused before use.
    other = tiny().fit(sines[:, :, :1]).save(tmp_path / "one.lstmae")
    with zipfile.ZipFile(other) as zf:
        one_feature = zf.read("model.keras")
    bad = _tamper(path, tmp_path / "mixed.lstmae", members={"model.keras": one_feature})
    with pytest.raises(ValueError, match=r"reads sequences of shape \(None, 1\).*says \(None, 2\)"):
        LSTMAutoencoderTransformer.load(bad)
    # The whole file cut short is not a zip archive any more.
    (tmp_path / "half.lstmae").write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="is not a file written by"):
        LSTMAutoencoderTransformer.load(tmp_path / "half.lstmae")


def test_a_save_after_set_params_loads_as_the_fitted_network(sines, tmp_path):
    # The size bound on model.keras follows the network the model was built
    # with (saved at fit), not a smaller one set afterwards.
    ae = tiny(encoder_units=(32,), latent_dim=3).fit(sines)
    codes = ae.transform(sines)
    ae.set_params(encoder_units=(2,), latent_dim=1)
    back = LSTMAutoencoderTransformer.load(ae.save(tmp_path / "changed.lstmae"))
    np.testing.assert_array_equal(back.transform(sines), codes)
    assert back.encoder_units == (2,) and back.get_feature_names_out().shape == (3,)


def test_a_file_of_format_1_gets_an_error_that_names_its_format(saved, tmp_path):
    # Format 1 was written by development versions only: no shim reads it.
    old = _tamper(saved, tmp_path / "old.lstmae", _set("format", value="sklearn_lstm_ae/1"))
    with pytest.raises(ValueError, match=r"format 'sklearn_lstm_ae/1'.*fit and save it again"):
        LSTMAutoencoderTransformer.load(old)


@pytest.mark.parametrize(
    "edit, match",
    [
        (_set("params", "pooling", delete=True), "params lacks the parameter 'pooling'"),
        (_set("params", "shuffle", value=""), "'shuffle' parameter .* must be"),
        (_set("params", "latent_dim", value=2.5), "'latent_dim' parameter .* must be"),
        (
            _set(
                "params",
                "scaler",
                value={"__scaler__": "StandardScaler", "params": {"with_std": ""}},
            ),
            "params.scaler has an invalid parameter: .*with_std",
        ),
        (_set("scaler", "params", "with_std", value=""), "scaler has an invalid parameter"),
        (_set("scaler", "class", value=[]), "unknown scaler class \\[\\]"),
        (_set("fitted", "_fit_spec", "n_future", value=3), "n_future must be 0 in mode"),
        (_set("fitted", "_fit_spec", "context_weight", delete=True), "_fit_spec must hold"),
        (_set("fitted", "n_timesteps_", value=13), "decoder of model.keras writes 12 steps"),
        (_set("fitted", "_padded_fit", value=True), "has no padding masks"),
        (_set("fitted", "history_", "loss", value=[True]), "history_ must map names"),
        (_set("fitted", "_network", "encoder_units", value=[]), "encoder_units must be a non"),
        (_set("fitted", "_network", "latent_dim", value=3), "writes codes of 2 numbers"),
        (_set("fitted", "_network", "dropout", value=1), "dropout must be in"),
        (_set("fitted", "_network", "conv_dilation", value=0), "conv_dilation must be a posit"),
        (_set("params", "conv_dilation", value=0), "'conv_dilation' parameter .* must be"),
        (_set("fitted", "_network", "augment", value=["rotate"]), "augment must be a list of"),
        (_set("fitted", "_network", "augment", value="crop"), "augment must be a list of"),
        (_set("params", "augment", value="rotate"), "augment holds 'rotate'"),
    ],
)
def test_every_leaf_is_checked_for_its_type_and_range(saved, tmp_path, edit, match):
    bad = _tamper(saved, tmp_path / "bad.lstmae", edit)
    with pytest.raises(ValueError, match=match) as info:
        LSTMAutoencoderTransformer.load(bad)
    assert "bad.lstmae" in str(info.value)


@pytest.mark.parametrize("term", ["subseries_weight", "context_weight"])
def test_a_spec_that_trains_a_term_the_model_lacks_is_refused(saved, tmp_path, term):
    # partial_fit would compile a loss for an output the model does not have.
    bad = _tamper(saved, tmp_path / "bad.lstmae", _set("fitted", "_fit_spec", term, value=1.0))
    message = rf"outputs \['reconstruction'\], but .* trains .*'{term.split('_')[0]}'"
    with pytest.raises(ValueError, match=message):
        LSTMAutoencoderTransformer.load(bad)


def _model_config(path):
    """The ``config.json`` of the Keras model inside a saved file, as text."""
    with zipfile.ZipFile(path) as outer, zipfile.ZipFile(outer.open("model.keras")) as inner:
        return inner.read("config.json").decode()


def _recurrent_layers(model):
    """The model's LSTM and GRU layers: both halves of a Bidirectional, the decoders' own."""
    found = []
    for layer in model.layers:
        halves = (getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None))
        for part in (layer, *halves, *getattr(layer, "lstms", ())):
            if isinstance(part, keras.layers.LSTM | keras.layers.GRU):
                found.append(part)
    return found


def test_saved_files_name_keras_classes_and_load_with_the_fast_paths_off(tmp_path):
    from sklearn_lstm_ae._keras.optimizers import FusedAdam
    from sklearn_lstm_ae._keras.recurrent import FusedLSTM, ScanGRU, standard_ops

    X = ragged(sine_waves(32, seed=4), 6, 5)
    for params in (dict(bidirectional=True, decoder_units=(8, 4)), dict(cell="gru")):
        ae = tiny(**params).fit(X)
        path = ae.save(tmp_path / "ae.lstmae")
        with zipfile.ZipFile(path) as outer, zipfile.ZipFile(outer.open("model.keras")) as inner:
            config = inner.read("config.json").decode()
            weights = inner.read("model.weights.h5")
        for fast in ("FusedLSTM", "ScanGRU", "FusedAdam", "fused_lstm", "scan_gru"):
            assert fast not in config and fast.encode() not in weights
        # The fast paths switched off, as if they had changed since the save:
        # Keras's own classes throughout, the same function.
        with standard_ops():
            plain = LSTMAutoencoderTransformer.load(path)
        plain_layers = _recurrent_layers(plain.model_)
        assert len(plain_layers) >= 2
        assert {type(layer) for layer in plain_layers} <= {keras.layers.LSTM, keras.layers.GRU}
        assert type(plain.model_.optimizer) is keras.optimizers.Adam
        np.testing.assert_allclose(plain.transform(X), ae.transform(X), atol=1e-5)
        # Loaded as usual, the fast paths are back, and so is everything else.
        loaded = LSTMAutoencoderTransformer.load(path)
        fast = _recurrent_layers(loaded.model_)
        assert len(fast) == len(plain_layers)
        assert all(isinstance(layer, FusedLSTM | ScanGRU) for layer in fast)
        assert isinstance(loaded.model_.optimizer, FusedAdam)
        np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
        loaded.partial_fit(X)  # the optimizer's state was restored under its own name


def test_files_naming_the_fast_path_classes_still_load(fitted_tiny, sines, tmp_path, monkeypatch):
    from sklearn_lstm_ae import _persistence

    monkeypatch.setattr(_persistence, "to_stable_names", lambda path: None)  # the old writer
    path = fitted_tiny.save(tmp_path / "old.lstmae")
    assert "sklearn_lstm_ae>FusedLSTM" in _model_config(path)
    loaded = LSTMAutoencoderTransformer.load(path)
    np.testing.assert_array_equal(loaded.transform(sines), fitted_tiny.transform(sines))
