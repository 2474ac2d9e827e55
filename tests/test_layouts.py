"""The time-series libraries' layouts: data_format and the transposed-data warning."""

import warnings

import numpy as np
import pytest

from sklearn_lstm_ae import check_sequences

from .helpers import tiny


@pytest.fixture(scope="module")
def gunpoint():
    from aeon.datasets import load_gunpoint

    X, _ = load_gunpoint(split="train")  # aeon: (n_cases, n_channels, n_timepoints)
    return X[:20, :, ::10].astype(np.float32)  # (20, 1, 15)


def test_channels_first_reads_aeon_arrays_as_keras_would_read_them_transposed(gunpoint):
    first = tiny(data_format="channels_first").fit(gunpoint)
    last = tiny().fit(np.transpose(gunpoint, (0, 2, 1)))
    assert (first.n_timesteps_, first.n_features_) == (15, 1)
    np.testing.assert_array_equal(first.transform(gunpoint), last.transform(gunpoint[:, 0]))
    # outputs come back in the layout the transformer reads
    assert first.reconstruct(gunpoint).shape == (20, 1, 15)
    assert first.inverse_transform(first.transform(gunpoint)).shape == (20, 1, 15)
    back = first.inverse_transform(first.transform(gunpoint[:2]), lengths=[15, 7])
    assert [b.shape for b in back] == [(1, 15), (1, 7)]


def test_channels_first_lists_of_unequal_length(sines):
    seqs = [s[: 4 + i % 9].T for i, s in enumerate(sines)]  # (n_channels, length_i)
    ae = tiny(data_format="channels_first").fit(seqs)
    assert (ae.n_timesteps_, ae.n_features_) == (12, 2)
    Z = ae.transform(seqs)
    np.testing.assert_allclose(ae.transform([seqs[0]])[0], Z[0], rtol=1e-5, atol=1e-6)
    assert ae.reconstruct(seqs).shape == (60, 2, 12)
    with pytest.raises(ValueError, match="different numbers of features.*'channels_first'"):
        tiny().fit(seqs)  # (n_channels, length_i) read as channels last
    seqs_ = check_sequences(seqs, data_format="channels_first")
    assert seqs_.values.shape == (60, 12, 2) and seqs_.lengths[:3].tolist() == [4, 5, 6]
    with pytest.raises(ValueError, match="'channels_last' or 'channels_first'"):
        check_sequences(seqs, data_format="NCT")


def test_transposed_looking_data_get_a_warning_that_names_the_fix(gunpoint, sines):
    with pytest.warns(UserWarning, match="looks like the .*aeon.*data_format='channels_first'"):
        tiny(epochs=1).fit(gunpoint)  # 1 time step of 15 features
    wide = np.random.default_rng(0).normal(size=(10, 3, 40)).astype(np.float32)
    with pytest.warns(UserWarning, match="at most 3 time step\\(s\\) of 40 features"):
        tiny(epochs=1).fit(wide)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny(epochs=1, data_format="channels_first").fit(gunpoint)
        tiny(epochs=1).fit(sines)
        tiny(epochs=1).fit(gunpoint[:, 0])  # 2D: univariate rows, no ambiguity


def test_test_sequences_longer_than_any_in_fit_are_encoded():
    """JapaneseVowels: training sequences of 7 to 26 steps, test ones up to 29."""
    from aeon.datasets import load_classification

    train, _ = load_classification("JapaneseVowels", split="train")  # list of (12, length)
    test, _ = load_classification("JapaneseVowels", split="test")
    longest_train = max(x.shape[1] for x in train)
    longer = [x for x in test if x.shape[1] > longest_train]
    if longest_train != 26:  # aeon before 1.4 (NumPy 1, the floor's) ships other lengths
        pytest.skip(f"this aeon ships JapaneseVowels' training sequences up to {longest_train}")
    assert [x.shape[1] for x in longer] == [29]
    ae = tiny(data_format="channels_first", epochs=1).fit(list(train[:60]))
    assert ae.n_timesteps_ == 26  # information: the longest training sequence
    batch = longer + list(test[:5])
    Z = ae.transform(batch)
    assert Z.shape == (6, 2) and np.isfinite(Z).all()
    for i in (0, 5):  # the same code alone as beside longer or shorter ones
        np.testing.assert_allclose(ae.transform([batch[i]])[0], Z[i], rtol=1e-5, atol=1e-6)
    rebuilt = ae.reconstruct(batch)
    assert rebuilt.shape == (6, 12, 29)
    assert np.isfinite(rebuilt[0, :, : longer[0].shape[1]]).all()
    assert np.isnan(rebuilt[1, :, test[0].shape[1] :]).all()
    assert np.isfinite(ae.score_samples(batch)).all()
    back = ae.inverse_transform(Z[:2], lengths=[29, 3])
    assert [b.shape for b in back] == [(12, 29), (12, 3)]
    assert ae.inverse_transform(Z[:2]).shape == (2, 12, 26)
