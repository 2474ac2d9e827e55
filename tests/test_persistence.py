"""save()/load(): the .keras model plus scikit-learn state, loaded in Keras safe mode."""

import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler, RobustScaler

from sklearn_lstm_ae import LSTMAutoencoderTransformer

from .conftest import tiny


@pytest.mark.parametrize("scaler", ["standard", "minmax", None, MinMaxScaler((-1, 1))])
def test_save_load_round_trip(sines, tmp_path, scaler):
    L = [s[: 5 + i % 7] for i, s in enumerate(sines)]
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
    with pytest.raises(ValueError, match="X has 11 features"):
        loaded.transform(df.iloc[:, :-1].to_numpy())


def test_file_holds_no_pickles(sines, tmp_path):
    path = tiny().fit(sines).save(tmp_path / "ae.lstmae")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["estimator.json", "model.keras", "scaler.npz"]
        state = json.loads(zf.read("estimator.json"))
    assert state["format"] == "sklearn_lstm_ae/1"
    assert state["params"]["latent_dim"] == 2


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


def test_load_refuses_code_in_the_model(sines, tmp_path):
    """A model file carrying a Lambda layer (arbitrary code) is refused by safe mode."""
    path = tiny().fit(sines).save(tmp_path / "ae.lstmae")
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
