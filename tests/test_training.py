"""Training: the update budget, the one training core, and the fitted object it returns."""

import re

import keras
import numpy as np
import pytest

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._callbacks import budget, steps_per_epoch
from sklearn_lstm_ae._data.sequences import check_sequences
from sklearn_lstm_ae._fitted import STATE_FIELDS, FittedAutoencoder, InferenceOptions

from .helpers import ragged, sine_waves, tiny


def test_auto_epochs_count_gradient_updates_and_keep_the_best_weights(sines):
    # 60 sequences: 2 updates per epoch at batch 30, so 40 updates are 20 epochs
    # (the stop patience, 200 updates, is never reached).
    ae = tiny(epochs="auto", max_updates=40, batch_size=30).fit(sines)
    history = ae.history_
    assert len(history["loss"]) == 20 == budget(ae._resolve(), 2)
    assert len(history["learning_rate"]) == 20
    small = tiny(epochs="auto", max_updates=40, batch_size=60).fit(sines)  # 1 update per epoch
    assert len(small.history_["loss"]) == 40

    # The last epoch made worse on purpose (its weights scaled up before it
    # trains): the fit still ends on the weights of the best epoch, not the last.
    class Record(keras.callbacks.Callback):
        weights, losses = [], []

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 19:
                self.model.set_weights([4.0 * w for w in self.model.get_weights()])

        def on_epoch_end(self, epoch, logs=None):
            Record.weights.append(self.model.get_weights())
            Record.losses.append(logs["loss"])

    wild = tiny(epochs="auto", max_updates=60, batch_size=20, callbacks=[Record()]).fit(sines)
    assert len(Record.losses) == 20  # 3 updates per epoch
    best = int(np.argmin(Record.losses))
    assert best < len(Record.losses) - 1  # the last epoch was worse
    for got, want in zip(wild.model_.get_weights(), Record.weights[best], strict=True):
        np.testing.assert_array_equal(got, want)


def test_explicit_epochs_mean_what_they_say(sines):
    ae = tiny(epochs=7).fit(sines)
    assert len(ae.history_["loss"]) == 7 and "learning_rate" not in ae.history_
    # The update budget of epochs="auto" would change nothing: refused, not ignored.
    with pytest.raises(ValueError, match="max_updates=1 is the budget of epochs='auto'"):
        ae.set_params(max_updates=1).fit(sines)
    assert len(ae.history_["loss"]) == 7


def test_the_budget_is_counted_in_updates():
    est = tiny(epochs="auto", max_updates=100, batch_size=16, validation_split=0.25)
    assert steps_per_epoch(est, 60) == 3  # 45 sequences fit, in batches of 16
    assert budget(est, 3) == 34  # ceil(100 / 3)
    assert budget(est.set_params(epochs=5), 3) == 5


def test_every_training_path_spends_the_same_budget(sines):
    """Arrays, length buckets and a PyDataset get as many epochs as their updates allow."""

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return sines[15 * i : 15 * (i + 1)]

    params = dict(epochs="auto", max_updates=12, batch_size=15)
    lists = ragged(sines, 6, 7)
    for data in (sines, lists, Batches()):
        ae = tiny(**params).fit(data)  # 4 updates per epoch: 3 epochs, unless stopped early
        assert len(ae.history_["loss"]) == 3, type(data)


def test_a_fit_stores_one_fitted_attribute(sines):
    ae = tiny(optimizer__beta_1=0.8)
    before = set(vars(ae))
    ae.fit(sines)
    assert set(vars(ae)) - before == {"_fitted_"}
    assert isinstance(ae._fitted_, FittedAutoencoder)
    assert ae.model_ is ae._fitted_.model and ae.scaler_ is ae._fitted_.scaler
    assert (ae.n_timesteps_, ae.n_features_, ae.n_features_in_) == (12, 2, 2)
    assert not hasattr(ae, "feature_names_in_")
    assert not hasattr(tiny(), "n_features_in_") and not hasattr(tiny(), "model_")


def test_the_fitted_object_encodes_without_an_estimator(sines, fitted_tiny):
    ae = fitted_tiny
    fitted = ae._fitted_
    state = fitted.to_state()
    assert tuple(state) == STATE_FIELDS  # the one list of fitted fields
    again = FittedAutoencoder.from_state(fitted.model, fitted.scaler, state)
    assert again.network == fitted.network and again.spec == fitted.spec
    seqs = check_sequences(sines)
    values = seqs.values.copy()
    scaled = fitted.scaler.transform(values.reshape(-1, 2)).reshape(values.shape)
    seqs = type(seqs)(scaled.astype(np.float32), seqs.lengths)
    codes = again.encode(seqs, InferenceOptions(batch_size=7))
    np.testing.assert_allclose(codes, ae.transform(sines), rtol=1e-5, atol=1e-6)
    decoded = again.decode(codes, None, InferenceOptions())
    np.testing.assert_allclose(decoded, ae.inverse_transform(codes), rtol=1e-5, atol=1e-5)
    errors = again.errors(seqs, InferenceOptions())
    np.testing.assert_allclose(errors, -ae.score_samples(sines), rtol=1e-5)


def test_partial_fit_trains_the_same_fitted_object_further(sines):
    ae = LSTMAutoencoderTransformer(latent_dim=2, encoder_units=(8,), random_state=0)
    ae.partial_fit(sines)
    fitted = ae._fitted_
    ae.partial_fit(sines)
    assert ae._fitted_ is fitted and len(ae.history_["loss"]) == 2
    with pytest.raises(ValueError, match="X has 3 features"):
        ae.partial_fit(np.zeros((4, 12, 3)))
    assert len(ae.history_["loss"]) == 2


def test_short_epochs_laid_out_in_advance_train_what_one_dataset_per_epoch_trains(sines):
    """Epochs shorter than one train-function call read one iterator over all the epochs.

    The batches are those of one dataset per epoch (each epoch's order keyed
    on its number), so the weights and the history are the same, bit for
    bit, as a fit that makes an iterator every epoch (which a routed
    ``compile__steps_per_execution`` keeps).
    """
    from sklearn_lstm_ae._training import STEPS_PER_EXECUTION, _array_batches, short_epochs

    # More than FEW_UPDATES updates: several steps per call.
    params = dict(epochs="auto", max_updates=72, batch_size=5, validation_split=0.25)
    laid_out = tiny(**params).fit(sines)  # 45 sequences kept: 9 updates per epoch
    per_epoch = tiny(**params, compile__steps_per_execution=STEPS_PER_EXECUTION).fit(sines)
    assert laid_out._fitted_.model.steps_per_execution == 9
    assert per_epoch._fitted_.model.steps_per_execution == STEPS_PER_EXECUTION
    assert len(laid_out.history_["loss"]) == 8
    assert laid_out.history_ == per_epoch.history_
    for a, b in zip(
        laid_out._fitted_.model.get_weights(), per_epoch._fitted_.model.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(laid_out.transform(sines), per_epoch.transform(sines))

    seqs = check_sequences(sines, data_format="channels_last")
    for batch_size, steps, short in ((2, 23, True), (1, 45, False)):  # 45 sequences kept
        config = tiny(**{**params, "batch_size": batch_size})._resolve()
        assert short_epochs(config, steps) is short
        batches, _ = _array_batches(config, seqs, config.spec, 0, short=(0, None))
        assert batches.steps == steps
        assert batches.fit_kwargs.get("steps_per_epoch") == (steps if short else None)
        assert batches.steps_per_execution == (steps if short else STEPS_PER_EXECUTION)


def test_the_progress_bar_counts_updates_and_states_the_rounded_budget(capfd):
    # 300 sequences in batches of 8: 38 updates an epoch, past Keras's 32 per call.
    X = sine_waves(300, n_steps=6)
    tiny(epochs="auto", max_updates=40, batch_size=8, verbose=1).fit(X)
    out = capfd.readouterr().out
    assert "Training 2 epoch(s) of 38 updates: 76 updates (max_updates=40 rounded up" in out
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)  # no colours
    counts = [tuple(map(int, m)) for m in re.findall(r"(\d+)/(\d+)\b", plain)]
    steps = [done for done, total in counts if total == 38]
    assert steps and max(steps) == 38 and steps[-1] == 38  # never past the epoch's end
