"""Fitting from a keras.utils.PyDataset of batches: data that do not fit in memory."""

import keras
import numpy as np
import pytest

from .helpers import tiny


class MemmapBatches(keras.utils.PyDataset):
    """Batches read from a .npy file opened as a memory map (never loaded whole)."""

    def __init__(self, path, batch_size, lengths=None):
        super().__init__()
        self.data = np.load(path, mmap_mode="r")
        self.batch_size = batch_size
        self.lengths = lengths
        self.reads = 0

    def __len__(self):
        return -(-len(self.data) // self.batch_size)

    def __getitem__(self, i):
        self.reads += 1
        sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
        batch = np.asarray(self.data[sl])
        if self.lengths is None:
            return batch
        return [s[:n] for s, n in zip(batch, self.lengths[sl], strict=True)]


@pytest.fixture
def on_disk(sines, tmp_path):
    path = tmp_path / "sines.npy"
    np.save(path, sines)
    return path


def test_batches_fit_the_scaler_incrementally_and_train(on_disk, sines):
    batches = MemmapBatches(on_disk, batch_size=16)
    # The seeds' last-state encoder: it learns these short sines fastest.
    ae = tiny(epochs=8, optimizer__learning_rate=0.01, shuffle=False, pooling="last").fit(batches)
    # The scaler saw every batch: its statistics are those of the whole data.
    np.testing.assert_allclose(ae.scaler_.mean_, sines.reshape(-1, 2).mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(ae.scaler_.var_, sines.reshape(-1, 2).var(axis=0), rtol=1e-4)
    assert ae.n_timesteps_ == 12 and ae.n_features_ == 2 and not ae._fitted_.masked
    assert len(ae.history_["loss"]) == 8
    # Same batches in the same order: the same training as from memory.
    in_memory = tiny(
        epochs=8, optimizer__learning_rate=0.01, shuffle=False, batch_size=16, pooling="last"
    ).fit(sines)
    np.testing.assert_allclose(ae.history_["loss"], in_memory.history_["loss"], rtol=1e-3)
    assert ae.history_["loss"][-1] < 0.9 * ae.history_["loss"][0]
    assert batches.reads >= 4 * 9  # one scaler pass + one pass per epoch
    assert ae.transform(sines).shape == (60, 2)
    codes = tiny(epochs=1).fit_transform(MemmapBatches(on_disk, batch_size=16))
    assert codes.shape == (60, 2)


def test_batches_of_variable_length_sequences(on_disk, sines):
    lengths = np.random.default_rng(0).integers(6, 13, 60)
    batches = MemmapBatches(on_disk, batch_size=20, lengths=lengths)
    ae = tiny(mode="composite", n_future=2, epochs=2).fit(batches)
    assert ae._fitted_.masked
    valid = np.concatenate([s[:n] for s, n in zip(sines, lengths, strict=True)])
    np.testing.assert_allclose(ae.scaler_.mean_, valid.mean(axis=0), rtol=1e-5)
    assert ae.forecast([sines[0, :7]]).shape == (1, 2, 2)


def test_batch_errors_leave_the_estimator_unchanged(on_disk, sines, own_fitted_tiny):
    ae = own_fitted_tiny
    before = ae.transform(sines)
    with pytest.raises(ValueError, match="validation_split cannot split a PyDataset"):
        ae.set_params(validation_split=0.2).fit(MemmapBatches(on_disk, 16))
    ae.set_params(validation_split=0.0)

    class Mixed(MemmapBatches):
        def __getitem__(self, i):
            batch = super().__getitem__(i)
            return batch if i == 0 else batch[:, :, :1]

    with pytest.raises(ValueError, match="batch 1 has 1 feature"):
        ae.fit(Mixed(on_disk, 16))
    with pytest.raises(ValueError, match="needs a scaler with partial_fit"):
        from sklearn.preprocessing import QuantileTransformer

        ae.set_params(scaler=QuantileTransformer()).fit(MemmapBatches(on_disk, 16))
    np.testing.assert_array_equal(ae.transform(sines), before)


def test_inference_reads_an_array_batch_by_batch(sines):
    """transform and the scores copy one batch at a time, never the whole input."""
    ae = tiny(mode="composite", n_future=2, epochs=1, predict__batch_size=16).fit(sines)
    X = sines.astype(np.float64)  # converted to float32 per batch
    X[40, 9:] = np.nan  # padding inside the third batch
    original = X.copy()
    as_list = [s[: 9 if i == 40 else 12] for i, s in enumerate(sines)]
    # Same batches, same graphs: the same results as from one padded copy.
    np.testing.assert_allclose(ae.transform(X), ae.transform(as_list), rtol=1e-6)
    np.testing.assert_allclose(ae.score_samples(X), ae.score_samples(as_list), rtol=1e-6)
    rec = ae.reconstruct(X)
    np.testing.assert_allclose(rec, ae.reconstruct(as_list), rtol=1e-6, equal_nan=True)
    assert np.isnan(rec[40, 9:]).all() and not np.isnan(rec[40, :9]).any()
    np.testing.assert_array_equal(X, original)  # the caller's array is never scaled
    # Errors count sequences in the whole input, not in the batch.
    X[50, 3, 1] = np.nan
    with pytest.raises(ValueError, match=r"X\[50\] contains NaN inside the sequence"):
        ae.transform(X)


def test_inference_memory_grows_only_with_the_output(sines):
    import tracemalloc

    ae = tiny(epochs=1).fit(sines)
    X = np.tile(sines.astype(np.float64), (2400, 1, 1))  # 144,000 sequences, 27.6 MB
    ae.transform(X[:10])  # build the inference graph outside the measurement
    tracemalloc.start()
    try:
        codes = ae.transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # One float32 copy of X would be X.nbytes / 2; batches of 4,096 cost a
    # constant (about 2 MB here), far below.
    assert peak < codes.nbytes + X.nbytes / 8, (peak, codes.nbytes, X.nbytes)
