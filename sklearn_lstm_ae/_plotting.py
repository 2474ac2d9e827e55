"""Plots: training loss, original vs reconstructed sequences, and the latent space (matplotlib)."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_history", "plot_reconstruction", "plot_latent_space"]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Plotting needs matplotlib: pip install matplotlib.") from exc
    return plt.subplots()[1] if ax is None else ax


def plot_history(estimator, *, keys=None, log=True, ax=None):
    """Plot the per-epoch training (and validation) losses of a fitted transformer.

    Parameters
    ----------
    estimator : LSTMAutoencoderTransformer or dict
        A fitted transformer, or its ``history_`` dict.
    keys : list of str, default=None
        Entries of ``history_`` to draw; None draws every loss (``loss``,
        ``val_loss`` and the per-decoder losses of "composite" mode).
    log : bool, default=True
        Use a logarithmic loss axis.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None creates a figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, one line per key, labelled for a legend.

    See Also
    --------
    plot_reconstruction : Original against reconstructed sequences.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_lstm_ae import plot_history
    >>> ax = plot_history({"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.4]})
    >>> [line.get_label() for line in ax.get_lines()]
    ['loss', 'val_loss']
    """
    if not isinstance(estimator, dict):
        check_is_fitted(estimator)
    history = estimator if isinstance(estimator, dict) else estimator.history_
    if keys is None:
        keys = [k for k in history if k.endswith("loss")]
    missing = [k for k in keys if k not in history]
    if missing:
        raise ValueError(f"history_ has no {missing}; it holds {sorted(history)}.")
    ax = _axes(ax)
    for key in keys:
        values = history[key]
        ax.plot(np.arange(1, len(values) + 1), values, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    ax.legend()
    return ax


def plot_reconstruction(estimator, X, *, n_sequences=3, feature=0, ax=None):
    """Plot sequences (solid) against their reconstructions (dashed).

    Parameters
    ----------
    estimator : LSTMAutoencoderTransformer
        A fitted transformer with a reconstruction decoder.
    X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
        Sequences, in the estimator's ``data_format``; the first
        ``n_sequences`` are drawn.
    n_sequences : int, default=3
        Number of sequences to draw.
    feature : int, default=0
        Feature (channel) to draw.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None creates a figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes: for each sequence a solid original and a dashed
        reconstruction line of the same colour.

    See Also
    --------
    LSTMAutoencoderTransformer.reconstruct : The values drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_lstm_ae import LSTMAutoencoderTransformer, plot_reconstruction
    >>> X = np.sin(np.linspace(0, 6, 20) + np.arange(30)[:, None])
    >>> ae = LSTMAutoencoderTransformer(latent_dim=2, encoder_units=(8,), epochs=2,
    ...                                 random_state=0).fit(X)
    >>> len(plot_reconstruction(ae, X, n_sequences=2).get_lines())
    4
    """
    check_is_fitted(estimator)
    ae = estimator
    from ._data.sequences import check_sequences
    from ._input import to_layout

    layout = ae.data_format
    seqs = check_sequences(X, n_features=ae.n_features_, data_format=layout)
    if not 0 <= feature < ae.n_features_:
        raise ValueError(f"feature must lie in [0, {ae.n_features_}), got {feature}.")
    original = seqs.values[:n_sequences]  # channels last, whatever the layout
    # to_layout swaps the last two axes of channels-first data, both ways.
    rebuilt = to_layout(layout, ae.reconstruct(to_layout(layout, original)))
    ax = _axes(ax)
    for i in range(len(original)):
        (line,) = ax.plot(original[i, :, feature], label=f"sequence {i}")
        ax.plot(rebuilt[i, :, feature], "--", color=line.get_color(), label=f"reconstruction {i}")
    ax.set_xlabel("time step")
    ax.set_ylabel(f"feature {feature}")
    ax.legend(fontsize="small")
    return ax


def plot_latent_space(estimator, X, y=None, *, ax=None, **scatter_kwargs):
    """Scatter the codes of sequences in two dimensions, coloured by ``y``.

    Codes with ``latent_dim > 2`` are projected on their first two principal
    components (scikit-learn's PCA, fitted on these codes).

    Parameters
    ----------
    estimator : LSTMAutoencoderTransformer
        A fitted transformer.
    X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
        Sequences to encode.
    y : array-like of shape (n_samples,), default=None
        Labels or values to colour the points by; a legend is drawn for up to
        ten distinct labels.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None creates a figure.
    **scatter_kwargs
        Passed to ``ax.scatter``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the scatter plot.

    See Also
    --------
    LSTMAutoencoderTransformer.transform : The codes drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_lstm_ae import LSTMAutoencoderTransformer, plot_latent_space
    >>> X = np.sin(np.linspace(0, 6, 20) + np.arange(30)[:, None])
    >>> ae = LSTMAutoencoderTransformer(latent_dim=3, encoder_units=(8,), epochs=2,
    ...                                 random_state=0).fit(X)
    >>> plot_latent_space(ae, X, y=np.arange(30) % 2).get_xlabel()
    'principal component 1 of the codes'
    """
    check_is_fitted(estimator)
    codes = estimator.transform(X)
    if codes.shape[1] > 2:
        from sklearn.decomposition import PCA

        points = PCA(n_components=2).fit_transform(codes)
        labels = ("principal component 1 of the codes", "principal component 2 of the codes")
    elif codes.shape[1] == 2:
        points, labels = codes, ("code 1", "code 2")
    else:
        points = np.column_stack([codes[:, 0], np.zeros(len(codes))])
        labels = ("code 1", "")
    ax = _axes(ax)
    if y is None:
        ax.scatter(points[:, 0], points[:, 1], **scatter_kwargs)
    else:
        y = np.asarray(y)
        if len(y) != len(points):
            raise ValueError(f"y has {len(y)} values but X has {len(points)} sequences.")
        classes = np.unique(y)
        if len(classes) <= 10:
            for c in classes:
                sel = y == c
                ax.scatter(points[sel, 0], points[sel, 1], label=str(c), **scatter_kwargs)
            ax.legend(title="y")
        else:
            ax.figure.colorbar(ax.scatter(points[:, 0], points[:, 1], c=y, **scatter_kwargs), ax=ax)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return ax
