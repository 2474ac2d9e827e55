"""The context contrast (``context_weight``): its crops, its loss against TS2Vec's, its fits."""

import math
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from sklearn_lstm_ae import LSTMAutoencoderTransformer
from sklearn_lstm_ae._config import NetworkConfig, TrainingSpec
from sklearn_lstm_ae._keras.layers import MaskedConv1D, NaNPaddingMask
from sklearn_lstm_ae._keras.network import build_autoencoder
from sklearn_lstm_ae._keras.objectives import (
    MAX_CONTEXT_STEPS,
    MIN_CROP,
    ContextCrops,
    ContextualContrast,
    _levels_for,
    _pair_losses,
    hierarchical_losses,
)

from .helpers import tiny


def _np(x):
    return keras.ops.convert_to_numpy(x)


# ------------------------------------------------------------------ the math
def _log_softmax_without_self(s):
    """-log softmax of each row over the other entries of the row (TS2Vec's tril/triu)."""
    n = s.shape[-1]
    off = ~np.eye(n, dtype=bool)
    rows = s[..., off].reshape(*s.shape[:-1], n - 1)
    lse = np.log(np.exp(rows - rows.max(-1, keepdims=True)).sum(-1)) + rows.max(-1)
    return lse[..., None] - s


def _instance(z1, z2):
    """TS2Vec's ``instance_contrastive_loss``, per sequence: ``(B, T, C)`` views."""
    b = z1.shape[0]
    z = np.concatenate([z1, z2], 0).transpose(1, 0, 2)  # T x 2B x C
    nll = _log_softmax_without_self(z @ z.transpose(0, 2, 1))
    i = np.arange(b)
    return (nll[:, i, b + i] + nll[:, b + i, i]).mean(0) / 2


def _temporal(z1, z2):
    """TS2Vec's ``temporal_contrastive_loss``, per sequence."""
    t = z1.shape[1]
    z = np.concatenate([z1, z2], 1)  # B x 2T x C
    nll = _log_softmax_without_self(z @ z.transpose(0, 2, 1))
    j = np.arange(t)
    return (nll[:, j, t + j] + nll[:, t + j, j]).mean(1) / 2


def _floor_halve(z):  # torch.max_pool1d(kernel_size=2): an odd last step is dropped
    t = z.shape[1] // 2 * 2
    return z[:, :t].reshape(len(z), -1, 2, z.shape[-1]).max(2)


def _ceil_halve(z):  # "same" padding: an odd last step is kept
    if z.shape[1] % 2:
        z = np.concatenate([z, z[:, -1:]], axis=1)
    return _floor_halve(z)


def _levels(z1, z2, halve):
    """Each level's term of TS2Vec's ``hierarchical_contrastive_loss`` (alpha=0.5)."""
    terms = []
    while z1.shape[1] > 1:
        terms.append(0.5 * _instance(z1, z2) + 0.5 * _temporal(z1, z2))
        z1, z2 = halve(z1), halve(z2)
    return terms + [0.5 * _instance(z1, z2)]


def _reference(z1, z2, halve):
    """TS2Vec's loss, per sequence: the levels' terms summed, over their number."""
    terms = _levels(z1, z2, halve)
    return sum(terms) / len(terms)


@pytest.mark.parametrize("steps", [1, 2, 8, 16])
def test_the_loss_is_ts2vecs_on_lengths_that_halve_evenly(steps):
    rng = np.random.default_rng(steps)
    z1, z2 = rng.normal(size=(2, 5, steps, 3)).astype("float32")
    expected = _reference(z1.astype(float), z2.astype(float), _floor_halve)
    np.testing.assert_allclose(_np(hierarchical_losses(z1, z2)), expected, rtol=1e-5)


def test_odd_lengths_keep_their_last_step_when_halved():
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(2, 4, 7, 3)).astype("float32")  # 7 -> 4 -> 2 -> 1
    got = _np(hierarchical_losses(z1, z2))
    np.testing.assert_allclose(got, _reference(z1, z2, _ceil_halve), rtol=1e-5)
    assert not np.allclose(got, _reference(z1, z2, _floor_halve), rtol=1e-3)


def test_the_loss_of_states_that_tell_nothing_apart_is_hand_computed():
    # All dot products 0: each state picks its partner among 2B - 1 others
    # (instance) and 2T - 1 others (temporal). B = 3, T = 2: the two-step
    # level scores (ln 5 + ln 3) / 2, the one-step level ln 5 / 2, and the
    # loss is their sum over the 2 levels.
    z = np.zeros((3, 2, 4), "float32")
    expected = (0.5 * (math.log(5) + math.log(3)) + 0.5 * math.log(5)) / 2
    np.testing.assert_allclose(_np(hierarchical_losses(z, z)), expected, rtol=1e-6)
    # Far-apart states matched with themselves: nothing left to learn.
    basis = 20.0 * np.eye(6, dtype="float32").reshape(3, 2, 6)
    np.testing.assert_allclose(_np(hierarchical_losses(basis, basis)), 0.0, atol=1e-4)
    # One sequence of one step: no negatives, no loss.
    np.testing.assert_allclose(_np(hierarchical_losses(z[:1, :1], z[:1, :1])), 0.0, atol=1e-7)


def test_scales_beyond_the_last_level_fold_into_one_max():
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=(2, 3, 8, 2)).astype("float32")
    # Two levels (8 and 4 steps), then the max over all steps as the one-step level.
    eight, four = _levels(z1, z2, _floor_halve)[:2]
    top = 0.5 * _instance(z1.max(1, keepdims=True), z2.max(1, keepdims=True))
    got = _np(hierarchical_losses(z1, z2, levels=2))
    np.testing.assert_allclose(got, (eight + four + top) / 3, rtol=1e-5)
    # Enough levels: the hierarchy itself.
    np.testing.assert_allclose(
        _np(hierarchical_losses(z1, z2, levels=3)), _reference(z1, z2, _floor_halve), rtol=1e-5
    )


@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 4, 2), (2, 5, 3)])
def test_the_written_out_gradient_is_the_numerical_one(shape):
    # Central differences in float64 against the gradient of the pair losses,
    # under random upstream weights (each output its own weight).
    rng = np.random.default_rng(sum(shape))
    z1, z2 = (tf.constant(z) for z in rng.normal(size=(2, *shape)))
    weights = tf.constant(rng.normal(size=shape[:2]))
    written, numerical = tf.test.compute_gradient(
        lambda a, b: _pair_losses(a, b) * weights, [z1, z2]
    )
    for got, expected in zip(written, numerical, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    largest = np.abs(np.concatenate([g.ravel() for g in written])).max()
    # One pair alone has no other candidate: its loss is 0 whatever the vectors.
    assert largest > 0.01 if shape[1] > 1 else largest == 0


@pytest.mark.parametrize(("bound", "steps"), [(1, 1), (2, 2), (12, 12), (12, 5), (13, 9), (64, 40)])
def test_tracing_only_the_scales_a_sequence_can_reach_changes_no_value_or_gradient(bound, steps):
    # The layer traces _levels_for(states' length) scales instead of all of
    # them; a crop of `steps` states from a `bound`-state sequence must get
    # the loss and gradients of the full hierarchy to the last bit.
    assert _levels_for(None) == _levels_for(10**6) == 1 + math.ceil(math.log2(MAX_CONTEXT_STEPS))
    assert _levels_for(bound) == max(0, math.ceil(math.log2(bound)))
    rng = np.random.default_rng(bound * 100 + steps)
    z1, z2 = (tf.constant(z) for z in rng.normal(size=(2, 4, steps, 3)).astype("float32"))

    def loss_and_grads(levels):
        with tf.GradientTape() as tape:
            tape.watch([z1, z2])
            loss = hierarchical_losses(z1, z2, levels=levels)
        return [_np(t) for t in (loss, *tape.gradient(loss, [z1, z2]))]

    for full, cut in zip(
        loss_and_grads(_levels_for(None)), loss_and_grads(_levels_for(bound)), strict=True
    ):
        np.testing.assert_array_equal(cut, full)


def test_the_layer_reads_the_whole_sequences_states_where_the_crops_lie():
    rng = np.random.default_rng(2)
    states = rng.normal(size=(3, 9, 2)).astype("float32")
    crop_states = rng.normal(size=(3, 6, 2)).astype("float32")  # 4 valid, then padding
    index = np.array([[0, 1, 2, 3], [5, 6, 7, 8], [2, 3, 4, 5]], "int32")
    whole = np.stack([states[i, index[i]] for i in range(3)])
    got = _np(ContextualContrast()([states, crop_states, index]))
    np.testing.assert_allclose(got, _reference(whole, crop_states[:, :4], _floor_halve), rtol=1e-5)


# ----------------------------------------------------------------- the crops
def _walks(n=12, steps=40, features=2, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=(n, steps, features)), axis=1).astype("float32")


@pytest.mark.parametrize("stride", [1, 2, 4])
def test_crops_are_pieces_of_their_own_sequence_on_the_stride(stride):
    x = _walks()
    x[:4, 25:] = np.nan  # 4 sequences of 25 valid steps, the rest 40
    layer = ContextCrops(stride, seed=3)
    for _ in range(20):
        start, length = (_np(v) for v in layer.crop_bounds(x))
        assert length.shape == () and math.ceil(MIN_CROP * 25) <= length <= 25
        assert (start % stride == 0).all() and (start >= 0).all()
        assert (start + length <= np.where(np.arange(12) < 4, 25, 40)).all()
    crops, index = (_np(v) for v in layer(x))
    states = math.ceil(crops.shape[1] / stride)
    assert index.shape == (12, states)
    for i in range(12):
        first = index[i, 0] * stride
        np.testing.assert_array_equal(crops[i], x[i, first : first + crops.shape[1]])
        np.testing.assert_array_equal(index[i], index[i, 0] + np.arange(states))
    # The same draws from the same seed, a new draw at every call.
    a, b = ContextCrops(stride, seed=3), ContextCrops(stride, seed=3)
    first = _np(a.crop_bounds(x)[0])
    np.testing.assert_array_equal(_np(b.crop_bounds(x)[0]), first)
    assert not np.array_equal(_np(a.crop_bounds(x)[0]), first)


def test_long_crops_are_cut_to_the_longest_the_loss_compares():
    x = _walks(n=4, steps=600, features=1)
    lengths = [int(_np(ContextCrops(2, seed=s).crop_bounds(x)[1])) for s in range(30)]
    assert (
        max(lengths) <= 2 * MAX_CONTEXT_STEPS and min(lengths) >= MIN_CROP * 2 * MAX_CONTEXT_STEPS
    )


def test_crop_states_line_up_with_the_whole_sequences_states():
    # A front end of width-1 windows reads no neighbours: a crop's states are
    # then exactly the whole sequence's states at the positions it reports.
    x = _walks(n=6, steps=33)
    x[:2, 20:] = np.nan
    front = [MaskedConv1D(3, 1, 2, seed=0), MaskedConv1D(4, 1, 2, seed=1)]
    mask = NaNPaddingMask()

    def states(v):
        h = mask(v)
        for layer in front:
            h = layer(h, mask=mask.compute_mask(v) if layer is front[0] else None)
        return _np(h)

    crops, index = ContextCrops(4, seed=0)(x)
    whole, crop = states(x), states(crops)
    for i in range(6):
        np.testing.assert_allclose(crop[i, : index.shape[1]], whole[i, _np(index)[i]], atol=1e-6)


# ------------------------------------------------------------------ the fits
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"cell": "gru", "bidirectional": True, "pooling": "max"},
        {"conv_filters": (4, 4), "conv_kernel_size": 3, "subseries_weight": 1.0},
    ],
    ids=["lstm", "bidirectional-gru", "front-end-and-subseries"],
)
def test_the_context_term_is_logged_and_weighed_in_the_loss(sines, params):
    # Batches of equal size (60 = 3 x 20), so Keras's epoch means add up.
    ae = tiny(context_weight=0.5, epochs=3, batch_size=20, **params).fit(sines)
    h = ae.history_
    terms = {"loss", "reconstruction_loss", "context_loss"}
    assert set(h) == terms | ({"subseries_loss"} if "subseries_weight" in params else set())
    total = np.add(h["reconstruction_loss"], 0.5 * np.asarray(h["context_loss"]))
    total = total + np.asarray(h.get("subseries_loss", 0.0))
    np.testing.assert_allclose(h["loss"], total, rtol=1e-4)
    kinds = {type(layer).__name__ for layer in ae.model_.layers}
    assert {"ContextCrops", "ContextualContrast"} <= kinds
    assert not {"ContextCrops", "ContextualContrast"} & {
        type(layer).__name__ for layer in ae.encoder_.layers
    }


def test_the_context_term_learns():
    # Random walks: every sequence, and every moment of it, is its own. The
    # same network with a vanishing weight logs the loss of the same crops
    # without learning from it.
    X = _walks(n=64, steps=32, features=1)
    params = dict(latent_dim=4, encoder_units=(16,), conv_filters=(8,), conv_kernel_size=3)
    params.update(epochs=50, optimizer__learning_rate=1e-2, batch_size=32, random_state=0)
    params.update(subseries_weight=0.0)  # 100 updates: about 1.4 against 2.7 measured
    trained = LSTMAutoencoderTransformer(context_weight=1.0, **params).fit(X)
    untrained = LSTMAutoencoderTransformer(context_weight=1e-9, **params).fit(X)
    learned = np.mean(trained.history_["context_loss"][-5:])
    idle = np.mean(untrained.history_["context_loss"][-5:])
    assert learned < 0.75 * idle, (learned, idle)


def test_the_context_term_adds_no_weights_and_leaves_the_initial_ones():
    # Seeding by random_state alone is tested with every term in test_objectives.
    # Its crops draw from a stream of their own and it adds no weights: the
    # network starts with the weights it has without the term.
    network = NetworkConfig(latent_dim=2, encoder_units=(8,), decoder_units=(8,), pooling="max")
    network = replace(network, conv_filters=(4,))
    shape = dict(n_timesteps=12, n_features=2, seed=0)
    with_term = build_autoencoder(network, TrainingSpec(context_weight=1.0), **shape)
    without = build_autoencoder(network, TrainingSpec(), **shape)
    assert "context" in with_term.output and "context" not in without.output
    with_term, without = with_term.get_weights(), without.get_weights()
    assert len(with_term) == len(without)
    for x, y in zip(with_term, without, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(context_weight=-1.0), "'context_weight' parameter"),
        (dict(context_weight="high"), "'context_weight' parameter"),
        (dict(context_weight=1.0, pooling="last"), r"context_weight > 0 .* pooling='last'"),
    ],
)
def test_bad_context_settings_are_refused_before_training(sines, params, message):
    ae = tiny(**params)
    with pytest.raises(ValueError, match=message):
        ae.fit(sines)
    assert not hasattr(ae, "model_")
