"""
Prediction, composite, reversed and conditional autoencoders
============================================================

Srivastava et al. (2015), "Unsupervised Learning of Video Representations
using LSTMs", train the encoder with other objectives than reconstruction.
Each is a parameter here, and ``transform`` still returns the encoder's
vector:

* ``mode="predict"``: the decoder predicts the ``n_future`` steps after the
  input (the tutorials' "prediction LSTM autoencoder");
* ``mode="composite"``: one encoder, a reconstruction decoder and a future
  decoder trained together (the paper's best representations);
* ``reverse_target=True``: the input is reconstructed backwards;
* ``conditional=True``: each decoder step reads the previous output.

The targets are cut from X itself: the last ``n_future`` steps of each
training sequence are its future. ``forecast(X)`` returns the steps after X.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_lstm_ae import LSTMAutoencoderTransformer

sequence = np.arange(1, 10)[None, :, None] / 10  # 0.1 .. 0.9, shape (1, 9, 1)
tutorial_like = dict(
    conv_filters=(),  # the tutorials' network: no convolutional front end,
    subseries_weight=0.0,  # and the decoders' loss alone
    latent_dim=8,
    encoder_units=(32,),
    scaler=None,
    batch_size=1,
    optimizer__learning_rate=0.01,
    epochs=150,
    random_state=0,
)

# %%
# Prediction: from the first step, predict the other eight
# ---------------------------------------------------------
predictor = LSTMAutoencoderTransformer(mode="predict", n_future=8, **tutorial_like)
predictor.fit(sequence)
print("forecast after 0.1:", predictor.forecast(sequence[:, :1])[0, :, 0].round(3))

# %%
# Composite, conditioned and reversed
# -----------------------------------
# Reconstruct the first seven steps (backwards, as the paper suggests) and
# predict the last two, each decoder conditioned on its previous output.
composite = LSTMAutoencoderTransformer(
    mode="composite", n_future=2, reverse_target=True, conditional=True, **tutorial_like
).fit(sequence)
past = sequence[:, :7]
print("reconstruction:", composite.reconstruct(past)[0, :, 0][:7].round(3))
print("forecast:      ", composite.forecast(past)[0, :, 0].round(3))
print("losses of both decoders:", {k: round(v[-1], 5) for k, v in composite.history_.items()})

# %%
# On many sequences: forecasting sine waves
# -----------------------------------------
# 300 sine waves of 24 steps with random phase and frequency; the predictor
# learns from the first 18 steps to write the last 6.
rng = np.random.default_rng(0)
t = np.arange(24)
waves = np.sin(rng.uniform(0.2, 0.5, (300, 1)) * t + rng.uniform(0, 6.3, (300, 1)))
waves = waves[:, :, None]
train, test = waves[:250], waves[250:]
model = LSTMAutoencoderTransformer(
    mode="composite", n_future=6, latent_dim=8, encoder_units=(32,), epochs=60, random_state=0
)
model.fit(train)
future = model.forecast(test[:, :18])
error = np.mean((future - test[:, 18:]) ** 2)
naive = np.mean((test[:, 17:18] - test[:, 18:]) ** 2)
print(f"test MSE of the forecast {error:.4f}; repeating the last value {naive:.4f}")

fig, ax = plt.subplots(figsize=(7, 3.2))
for i, color in enumerate(["C0", "C1", "C2"]):
    ax.plot(t, test[i, :, 0], color=color, alpha=0.5)
    ax.plot(t[18:], future[i, :, 0], "o--", color=color)
ax.axvline(17.5, color="grey", lw=0.8)
ax.set_xlabel("time step")
ax.set_title("input (left of the line) and forecast (dots)")
fig.tight_layout()
