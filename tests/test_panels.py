"""pandas panels: (instance, time) frames, long-format tables and Series give the codes of lists."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_lstm_ae import from_long_format

from .helpers import ragged, sine_waves, tiny


@pytest.fixture(scope="module")
def ragged_panel():
    """Ragged 2-feature sequences as a list and as a long table, and a model fitted on the list."""
    sequences = ragged(sine_waves(24, seed=3), 5, 7)
    ids = np.arange(100, 100 + len(sequences))[::-1]  # not sorted: order is first appearance
    long = pd.DataFrame(
        [
            (i, t, *step)
            for i, seq in zip(ids, sequences, strict=True)
            for t, step in enumerate(seq)
        ],
        columns=["id", "time", "sin", "cos"],
    ).astype({"sin": np.float32, "cos": np.float32})
    return sequences, long, tiny().fit(sequences)


def test_a_multiindex_panel_gives_the_codes_of_the_list_in_every_method(ragged_panel):
    sequences, long, ae = ragged_panel
    panel = long.set_index(["id", "time"])
    expected = ae.transform(sequences)
    np.testing.assert_array_equal(ae.transform(panel), expected)
    np.testing.assert_array_equal(ae.score_samples(panel), ae.score_samples(sequences))
    np.testing.assert_array_equal(ae.reconstruct(panel), ae.reconstruct(sequences))
    # Rows in any order: steps follow the time level, instances their first row.
    shuffled = panel.sample(frac=1.0, random_state=0)
    first_seen = pd.unique(shuffled.index.get_level_values(0))
    order = [list(panel.index.unique(0)).index(i) for i in first_seen]
    np.testing.assert_array_equal(ae.transform(shuffled), expected[order])


def test_fitting_a_panel_is_fitting_the_list(ragged_panel):
    sequences, long, ae = ragged_panel
    refit = tiny().fit(long.set_index(["id", "time"]))
    assert (refit.n_timesteps_, refit.n_features_) == (ae.n_timesteps_, ae.n_features_) == (11, 2)
    np.testing.assert_array_equal(refit.transform(sequences), ae.transform(sequences))
    with pytest.raises(ValueError, match="y has 3 values but X holds 24 sequences"):
        tiny().fit(long.set_index(["id", "time"]), np.zeros(3))


def test_from_long_format_reads_one_sequence_per_id(ragged_panel):
    sequences, long, ae = ragged_panel
    shuffled = long.sample(frac=1.0, random_state=1)[["cos", "time", "sin", "id"]]
    panel = from_long_format(shuffled, value_columns=["sin", "cos"])
    assert panel.index.names == ["id", "time"] and list(panel.columns) == ["sin", "cos"]
    assert (panel.index.get_level_values(1).to_numpy()[:3] == [0, 1, 2]).all()
    expected = ae.transform(sequences)
    order = [list(long["id"].unique()).index(i) for i in panel.index.unique(0)]
    np.testing.assert_array_equal(ae.transform(panel), expected[order])
    # Default value columns: every column but the id and the time, in their order.
    assert list(from_long_format(long).columns) == ["sin", "cos"]


def test_a_flat_long_format_table_is_warned_about_and_a_wide_one_is_not(ragged_panel):
    _, long, _ = ragged_panel
    ae = tiny(epochs=1)
    with pytest.warns(UserWarning, match=r"long-format table .* from_long_format\(X, column_id="):
        ae.fit(long)
    assert ae.n_timesteps_ == 4  # read as asked: one row a sequence
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 5)))
    wide[0] = np.arange(30)  # an integer first column that names no groups
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny(epochs=1).fit(wide)


def test_series_of_arrays_and_single_column_panels(ragged_panel):
    sequences, long, ae = ragged_panel
    equal = [s[:5] for s in sequences]
    np.testing.assert_array_equal(ae.transform(pd.Series(equal)), ae.transform(equal))
    np.testing.assert_array_equal(ae.transform(pd.Series(sequences)), ae.transform(sequences))
    one = tiny(epochs=1).fit([s[:, :1] for s in sequences])
    series = long.set_index(["id", "time"])["sin"]
    first = [s[:, :1] for s in sequences]
    np.testing.assert_array_equal(one.transform(series), one.transform(first))


def test_datetime_time_levels_are_ordered_in_time(ragged_panel):
    sequences, long, ae = ragged_panel
    dated = long.assign(time=pd.Timestamp("2026-01-01") + pd.to_timedelta(long["time"], "h"))
    panel = from_long_format(dated.iloc[::-1])  # the last id now comes first
    np.testing.assert_array_equal(ae.transform(panel), ae.transform(sequences)[::-1])


def test_bad_panels_get_clear_errors(ragged_panel):
    _, long, ae = ragged_panel
    with pytest.raises(ValueError, match="Column\\(s\\) 'ts' not found .* 'id', 'time', 'sin'"):
        from_long_format(long, column_sort="ts")
    duplicated = pd.concat([long, long.iloc[[3]]])
    with pytest.raises(ValueError, match="instance 123 has two rows at time 3"):
        from_long_format(duplicated)
    with pytest.raises(ValueError, match="instance 123 has two rows at time 3"):
        ae.transform(duplicated.set_index(["id", "time"]))
    labelled = long.assign(label="a").set_index(["id", "time"])
    with pytest.raises(ValueError, match="column\\(s\\) 'label' hold no numbers"):
        ae.transform(labelled)
    with pytest.raises(ValueError, match="no value columns"):
        from_long_format(long[["id", "time"]])
    with pytest.raises(TypeError, match="reads a pandas DataFrame"):
        from_long_format(long.to_numpy())
