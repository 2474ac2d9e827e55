"""Parameters resolved once per fit into frozen configs that the builder and trainer read."""

import dataclasses

import numpy as np
import pytest

from sklearn_lstm_ae._config import FitConfig, NetworkConfig, TrainingSpec
from sklearn_lstm_ae._keras.network import SeedPlan, build_autoencoder

from .helpers import tiny


def test_fit_config_resolves_the_parameters_once():
    config = FitConfig.from_params(tiny(encoder_units=[16, 8], optimizer__beta_1=0.8).get_params())
    # Units become tuples; decoder_units=None mirrors the encoder.
    assert config.network.encoder_units == (16, 8) and config.network.decoder_units == (8, 16)
    assert config.network.output_activation is None and config.spec == TrainingSpec()
    # Keras's parameters, routed ones and the default gradient clipping included.
    assert config.keras["optimizer__beta_1"] == 0.8 and config.keras["optimizer__clipnorm"] == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 1


@pytest.mark.parametrize(
    "mode, future_weight, decoders",
    [
        ("reconstruct", 0.3, {"reconstruction": 1.0}),
        ("predict", 0.3, {"future": 1.0}),
        ("composite", 0.3, {"reconstruction": 0.7, "future": 0.3}),
    ],
)
def test_the_training_spec_says_which_decoders_train_and_how_much(mode, future_weight, decoders):
    params = tiny(mode=mode, n_future=2, future_weight=future_weight).get_params()
    spec = TrainingSpec.from_params(params)
    assert spec.n_future == (0 if mode == "reconstruct" else 2)
    assert spec.decoders == pytest.approx(decoders)
    assert TrainingSpec.from_dict(spec.to_dict()) == spec


def test_only_weighted_terms_are_trained():
    spec = TrainingSpec.from_params(tiny(subseries_weight=0.5, pooling="max").get_params())
    assert spec.terms == {"subseries": 0.5}
    assert spec.loss_weights == {"reconstruction": 1.0, "subseries": 0.5}


def test_binary_cross_entropy_gives_the_output_a_sigmoid():
    params = tiny(loss="binary_crossentropy", scaler="minmax").get_params()
    assert NetworkConfig.from_params(params).output_activation == "sigmoid"


def test_data_format_is_frozen_at_fit(sines):
    """Changing data_format after fit changes the next fit, not what this one reads."""
    X = np.ascontiguousarray(sines.transpose(0, 2, 1))  # (n, features, steps)
    ae = tiny(data_format="channels_first").fit(X)
    codes = ae.transform(X)
    ae.set_params(data_format="channels_last")
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert ae.reconstruct(X).shape == X.shape


def test_a_layers_initial_weights_depend_on_its_name_alone():
    """Adding a decoder moves no other part's weights (seeds come from names, not a count)."""
    network = NetworkConfig(latent_dim=2, encoder_units=(8, 4), decoder_units=(4, 8))
    shape = dict(n_timesteps=12, n_features=2)

    def build(spec, seed=0):
        return build_autoencoder(network, spec, seed=seed, **shape)

    predict = build(TrainingSpec(mode="predict", n_future=2, future_weight=1.0))
    both = build(TrainingSpec(mode="composite", n_future=2, future_weight=0.5))
    for name in ("encoder_lstm_0", "encoder_lstm_1", "latent", "future"):
        for a, b in zip(
            predict.get_layer(name).get_weights(), both.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(a, b, err_msg=name)
    other = build(TrainingSpec(mode="predict", n_future=2, future_weight=1.0), seed=1)
    first = predict.get_layer("encoder_lstm_0").get_weights()[0]
    assert not np.array_equal(first, other.get_layer("encoder_lstm_0").get_weights()[0])
    plan = SeedPlan(0)
    assert plan("latent") == SeedPlan(0)("latent") != plan("future")
    assert SeedPlan(None)("latent") is None


def test_the_network_config_survives_json():
    network = NetworkConfig.from_params(tiny(conv_filters=[4, 8]).get_params())
    values = network.to_dict()
    assert values["conv_filters"] == [4, 8] and NetworkConfig.from_dict(values) == network


def test_the_plain_value_modules_import_no_tensorflow_or_keras():
    """Names, parameters and resolved configs are plain values: no TensorFlow behind them."""
    import subprocess
    import sys
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "sklearn_lstm_ae"
    probe = (
        "import sys, types\n"
        "stub = types.ModuleType('sklearn_lstm_ae')\n"  # the package, without its __init__
        f"stub.__path__ = [{str(package)!r}]\n"
        "sys.modules['sklearn_lstm_ae'] = stub\n"
        "import sklearn_lstm_ae._names, sklearn_lstm_ae._config, sklearn_lstm_ae._params\n"
        "import sklearn_lstm_ae._constraints\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
