"""Plot helpers return matplotlib Axes with the data drawn (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_lstm_ae import plot_history, plot_latent_space, plot_reconstruction  # noqa: E402

from .helpers import tiny  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_history_draws_each_loss(fitted_sines):
    ae, _ = fitted_sines
    ax = plot_history(ae)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), ae.history_["loss"])
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 41))
    assert ax.get_yscale() == "log"
    _, own = plt.subplots()
    assert plot_history({"loss": [2, 1], "val_loss": [3, 2]}, log=False, ax=own) is own
    assert [t.get_text() for t in own.get_legend().get_texts()] == ["loss", "val_loss"]
    with pytest.raises(ValueError, match="history_ has no \\['acc'\\]"):
        plot_history(ae, keys=["acc"])


def test_plot_reconstruction_draws_originals_and_reconstructions(fitted_sines):
    ae, X = fitted_sines
    ax = plot_reconstruction(ae, X, n_sequences=2, feature=1)
    lines = ax.get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[0].get_ydata(), X[0, :, 1])
    np.testing.assert_allclose(lines[1].get_ydata(), ae.reconstruct(X[:1])[0, :, 1], rtol=1e-5)
    assert lines[1].get_linestyle() == "--" and lines[0].get_color() == lines[1].get_color()
    with pytest.raises(ValueError, match="feature must lie in \\[0, 2\\)"):
        plot_reconstruction(ae, X, feature=2)


def test_plot_reconstruction_reads_the_estimators_layout(sines):
    ae = tiny(data_format="channels_first", epochs=1).fit(sines.transpose(0, 2, 1))
    first = sines[:2].transpose(0, 2, 1)  # (n, channels, steps)
    lines = plot_reconstruction(ae, first, n_sequences=2, feature=1).get_lines()
    np.testing.assert_allclose(lines[2].get_ydata(), sines[1, :, 1])
    np.testing.assert_allclose(lines[3].get_ydata(), ae.reconstruct(first)[1, 1], rtol=1e-5)


def test_plot_latent_space_scatter_and_projection(fitted_sines, sines):
    ae, X = fitted_sines
    y = (X[:, 0, 0] > 0).astype(int)
    ax = plot_latent_space(ae, X, y)
    assert len(ax.collections) == 2  # one scatter per class
    np.testing.assert_allclose(
        np.vstack([c.get_offsets() for c in ax.collections]),
        np.vstack([ae.transform(X)[y == c] for c in (0, 1)]),
        rtol=1e-5,
    )
    wide = tiny(latent_dim=4).fit(sines)
    ax = plot_latent_space(wide, sines, y=np.arange(60))  # many values: a colour bar
    assert ax.get_xlabel() == "principal component 1 of the codes"
    assert ax.collections[0].get_offsets().shape == (60, 2)
    with pytest.raises(ValueError, match="y has 3 values but X has 60"):
        plot_latent_space(wide, sines, y=[0, 1, 2])
