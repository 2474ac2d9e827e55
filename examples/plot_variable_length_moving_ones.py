"""
Variable-length sequences: the "moving ones"
============================================

A well-known Keras question-and-answer thread generates sequences of one-hot rows ("a one
moving along 8 positions") of random length and pads them with zeros, so that
the network cannot tell padding from real zero rows. Here the sequences go in
as a list; they are padded with NaN internally and the padding becomes a Keras
mask: padded steps change neither a sequence's code nor the loss.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_lstm_ae import LSTMAutoencoderTransformer

rng = np.random.default_rng(0)


def moving_ones(length, width=8):
    rows = np.zeros((length, width))
    rows[np.arange(min(length, width)), np.arange(min(length, width))] = 1
    return rows


# The thread draws lengths 0..10; an empty sequence has nothing to encode.
sequences = [moving_ones(n) for n in rng.integers(1, 11, 1000)]
print("lengths:", sorted({len(s) for s in sequences}))

# %%
# 0/1 data: binary cross-entropy with a sigmoid output, values kept as they are.
ae = LSTMAutoencoderTransformer(
    latent_dim=4,
    encoder_units=(32,),
    conv_filters=(),  # the thread's network: LSTMs only,
    subseries_weight=0.0,  # trained to reconstruct alone
    loss="binary_crossentropy",
    scaler=None,
    epochs=40,
    batch_size=64,
    random_state=0,
)
codes = ae.fit_transform(sequences)
print("codes:", codes.shape, "- trained on sequences padded to", ae.n_timesteps_, "steps")

# A sequence gives the same code alone or padded in a batch of longer ones.
print(
    "same code alone and in the batch:",
    np.allclose(ae.transform([sequences[0]]), codes[:1], atol=1e-5),
)

# %%
# Decoding with the lengths gives back a list of sequences of those lengths.
decoded = ae.inverse_transform(codes, lengths=[len(s) for s in sequences])
exact = [np.array_equal(d.round(), s) for d, s in zip(decoded, sequences, strict=True)]
print("decoded lengths:", [len(d) for d in decoded[:4]], "...")
print(f"sequences recovered exactly after rounding: {np.mean(exact):.1%}")

fig, axes = plt.subplots(1, 4, figsize=(9, 2.6), sharey=True)
for ax, d, s in zip(axes, decoded[:4], sequences[:4], strict=True):
    ax.imshow(d.T, vmin=0, vmax=1, cmap="Greys", aspect="auto")
    ax.set_title(f"length {len(s)}")
    ax.set_xlabel("time step")
axes[0].set_ylabel("position")
fig.suptitle("decoded moving ones")
fig.tight_layout()
