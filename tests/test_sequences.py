"""Input handling: the three input forms, padding, lengths and input errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_lstm_ae import check_sequences, unpad_sequences


def test_2d_array_is_univariate_sequences():
    X = np.arange(12, dtype=np.float64).reshape(3, 4)
    seqs = check_sequences(X)
    assert seqs.values.shape == (3, 4, 1)
    assert seqs.values.dtype == np.float32
    np.testing.assert_array_equal(seqs.values[..., 0], X)
    assert seqs.lengths.tolist() == [4, 4, 4]
    assert not seqs.is_padded


def test_3d_array_with_trailing_nan_padding():
    X = np.ones((3, 5, 2))
    X[1, 3:] = np.nan
    X[2, 1:] = np.nan
    seqs = check_sequences(X)
    assert seqs.lengths.tolist() == [5, 3, 1]
    assert seqs.is_padded
    np.testing.assert_array_equal(seqs.mask(), [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]])


def test_list_of_unequal_sequences_is_padded_with_nan():
    X = [np.ones((4, 2)), 2 * np.ones((2, 2)), 3 * np.ones((1, 2))]
    seqs = check_sequences(X)
    assert seqs.values.shape == (3, 4, 2)
    assert seqs.lengths.tolist() == [4, 2, 1]
    assert np.isnan(seqs.values[1, 2:]).all()
    np.testing.assert_array_equal(seqs.values[1, :2], 2)


def test_list_of_unequal_1d_sequences():
    seqs = check_sequences([[1.0, 2.0, 3.0], [4.0]])
    assert seqs.values.shape == (2, 3, 1)
    assert seqs.lengths.tolist() == [3, 1]


def test_input_is_copied_not_modified():
    X = np.ones((2, 3, 1), dtype=np.float32)
    seqs = check_sequences(X)
    seqs.values[...] = 5
    assert (X == 1).all()


def test_shorter_arrays_are_padded_to_max_timesteps():
    seqs = check_sequences(np.ones((2, 3, 1)), max_timesteps=5)
    assert seqs.values.shape == (2, 5, 1)
    assert seqs.lengths.tolist() == [3, 3]
    assert np.isnan(seqs.values[:, 3:]).all()


@pytest.mark.parametrize(
    "X, match",
    [
        (
            np.array([[1.0, np.nan, 2.0]]),
            r"X\[0\] contains NaN inside the sequence at time step 1",
        ),
        (
            np.array([[[1.0, np.nan], [1.0, 1.0]]]),
            r"NaN inside the sequence at time step 0",
        ),
        (np.array([[[1.0, 1.0], [np.nan, 1.0]]]), r"NaN in some but not all features"),
        (np.array([[1.0, np.inf]]), r"contains inf"),
        (np.array([[np.inf, 1.0], [-np.inf, 1.0]]), r"contains inf"),  # sum is NaN, not inf
        (np.array([[np.nan, np.nan], [1.0, 2.0]]), r"X\[0\] is a sequence of length 0"),
        (np.ones(3), r"must be 2D .* got an array of shape \(3,\)\. Reshape your data"),
        (np.ones((2, 2, 2, 2)), r"must be 2D .* shape \(2, 2, 2, 2\)"),
        (np.empty((0, 4)), r"0 sample\(s\)"),
        (np.empty((3, 0)), r"0 feature\(s\) \(shape=\(3, 0\)\)"),
        (np.array([["a", "b"]]), r"must contain numbers, got an array of dtype <U1"),
        ([np.ones((2, 1)), np.ones((0, 1))], r"X\[1\] is a sequence of length 0"),
        ([np.ones((2, 1)), np.ones((3, 2))], r"different numbers of features \[1, 2\]"),
        (np.ones((2, 2), dtype=complex), r"Complex data not supported"),
    ],
)
def test_bad_input_gets_a_clear_error(X, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only the ValueError, no NumPy warning
        with pytest.raises(ValueError, match=match):
            check_sequences(X)


def test_finite_values_whose_sum_overflows_are_valid_full_length_sequences():
    # The quick check (is the float32 sum finite?) fails here; the exact one accepts.
    big = np.finfo(np.float32).max
    X = np.full((3, 4, 2), big, dtype=np.float32)
    X[1, 2:] = np.nan  # one padded sequence among them
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from the quick check
        seqs = check_sequences(X)
    assert seqs.lengths.tolist() == [4, 2, 4]
    assert np.isfinite(seqs.values[0]).all()
    full = check_sequences(np.full((3, 4), big, dtype=np.float32))
    assert full.lengths.tolist() == [4, 4, 4]


def test_none_and_sparse_are_type_errors():
    with pytest.raises(TypeError, match="got None"):
        check_sequences(None)
    with pytest.raises(TypeError, match="sparse matrix.*toarray"):
        check_sequences(sp.csr_matrix(np.ones((2, 2))))


def test_feature_count_and_length_limits():
    with pytest.raises(
        ValueError,
        match="has 2 features per time step, but the transformer was fitted with 3",
    ):
        check_sequences(np.ones((1, 4, 2)), n_features=3)
    with pytest.raises(ValueError, match="up to 6 time steps.*at most 5"):
        check_sequences(np.ones((1, 6)), max_timesteps=5)


def test_unpad_sequences_round_trip_and_errors():
    X = [np.arange(4.0).reshape(4, 1), np.arange(2.0).reshape(2, 1)]
    seqs = check_sequences(X)
    back = unpad_sequences(seqs.values, seqs.lengths)
    for a, b in zip(X, back, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="one length per sequence"):
        unpad_sequences(seqs.values, [1])
    with pytest.raises(ValueError, match="between 1 and 4"):
        unpad_sequences(seqs.values, [5, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        unpad_sequences(seqs.values, [1.5, 1])
