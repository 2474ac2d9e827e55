"""Length-bucketed batches: similar lengths together, same codes and losses as padding."""

import numpy as np
import pytest

from sklearn_lstm_ae._data.buckets import BucketedTraining, bucket_batches, map_bucketed

from .helpers import tiny


def test_bucket_batches_cover_every_sequence_once_with_close_lengths():
    lengths = np.random.default_rng(0).integers(1, 400, 1000)
    plain = bucket_batches(lengths, 32)
    assert sorted(np.concatenate(plain).tolist()) == list(range(1000))
    assert [len(b) for b in plain[:-1]] == [32] * (len(plain) - 1)
    steps = sum(len(b) * lengths[b].max() for b in plain)
    assert steps < 1.1 * lengths.sum() < 1000 * lengths.max()  # ~valid steps, not n x longest
    rng = np.random.default_rng(1)
    epoch1, epoch2 = bucket_batches(lengths, 32, rng), bucket_batches(lengths, 32, rng)
    for batches in (epoch1, epoch2):
        assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
        spread = [lengths[b].max() / lengths[b].min() for b in batches if lengths[b].min() > 40]
        assert np.median(spread) < 1.3  # members of a batch have similar lengths
    assert [b.tolist() for b in epoch1] != [b.tolist() for b in epoch2]  # redrawn per epoch
    again = bucket_batches(lengths, 32, np.random.default_rng(1))
    assert [b.tolist() for b in again] == [b.tolist() for b in epoch1]  # seeded


def test_map_bucketed_returns_rows_in_input_order():
    values = np.full((5, 6, 1), np.nan, np.float32)
    lengths = np.array([6, 1, 4, 2, 5])
    for i, n in enumerate(lengths):
        values[i, :n] = i
    seen = []

    def fn(batch):
        seen.append(batch.shape[1])
        return batch * 1.0

    out = map_bucketed(fn, values, lengths, 2, timewise=True)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(values))
    np.testing.assert_array_equal(out[~np.isnan(out)], values[~np.isnan(values)])
    assert seen == [2, 5, 6]  # each batch cut to its own longest: (1, 2), (4, 5), (6,)
    rows = map_bucketed(lambda b: np.nanmax(b[:, :, 0], axis=1), values, lengths, 2, timewise=False)
    np.testing.assert_array_equal(rows, np.arange(5))


@pytest.fixture
def ragged(sines):
    return [s[: 3 + (7 * i) % 10] for i, s in enumerate(sines)]


def test_bucketing_changes_neither_codes_nor_losses(ragged):
    ae = tiny(epochs=3).fit(ragged)
    padded = np.full((60, 12, 2), np.nan, np.float32)
    for i, s in enumerate(ragged):
        padded[i, : len(s)] = s
    # transform of a list is bucketed; of the padded array, padded to the longest
    np.testing.assert_allclose(ae.transform(ragged), ae.transform(padded), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ae.score_samples(ragged), ae.score_samples(padded), rtol=1e-5, atol=1e-7
    )
    rebuilt = ae.reconstruct(ragged)
    np.testing.assert_allclose(rebuilt, ae.reconstruct(padded), rtol=1e-5, atol=1e-6)
    assert np.isnan(rebuilt[0, 3:]).all() and np.isfinite(rebuilt[0, :3]).all()
    # the loss of one bucket is the masked loss of the same sequences padded to the longest
    values = (padded - ae.scaler_.mean_) / ae.scaler_.scale_
    target = np.nan_to_num(values)
    idx = np.array([0, 10, 20, 30])  # all 3 steps long
    short = ae.model_.evaluate(values[idx, :3], target[idx, :3], verbose=0)
    assert short == pytest.approx(ae.model_.evaluate(values[idx], target[idx], verbose=0))


def test_bucketed_training_matches_padding_at_equal_seed(ragged):
    bucketed = tiny(epochs=4, random_state=3).fit(ragged)
    again = tiny(epochs=4, random_state=3).fit(ragged)
    np.testing.assert_array_equal(bucketed.transform(ragged), again.transform(ragged))
    padded = tiny(epochs=4, random_state=3, shuffle=True).fit(ragged)
    assert len(bucketed.history_["loss"]) == len(padded.history_["loss"]) == 4
    # different batches, same objective: the losses agree closely, not exactly
    np.testing.assert_allclose(bucketed.history_["loss"], padded.history_["loss"], rtol=0.2)
    data = BucketedTraining(
        np.zeros((60, 12, 2)), np.array([len(s) for s in ragged]), 16, lambda v, n: (v, v)
    )
    assert data.padded_steps < 60 * 12 and len(data) == 4
    assert max(x.shape[1] for x, _ in (data[i] for i in range(len(data)))) == 12
    assert min(x.shape[1] for x, _ in (data[i] for i in range(len(data)))) < 8
