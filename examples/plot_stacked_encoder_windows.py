"""
Windows of a multivariate series and a stacked (128, 64) encoder
================================================================

The second tutorial turns one long multivariate series into overlapping
samples with a ``temporalize(X, y, lookback)`` function, then trains a
stacked encoder ``LSTM(128) -> LSTM(64)`` with a mirrored decoder. Here the
windows come from :class:`~sklearn_lstm_ae.SlidingWindows` (which, unlike
``temporalize``, skips no window), and the stack is ``encoder_units=(128, 64)``
(the decoder mirrors it). Train and validation losses show when to stop.
"""

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from sklearn_lstm_ae import LSTMAutoencoderTransformer, SlidingWindows, plot_history

# %%
# The tutorial's toy series: 9 time points, 2 features.
x1 = np.arange(1, 10) / 10
series = np.column_stack([x1, x1**3])
windows = SlidingWindows(window=3).fit_transform(series)
print("windows:", windows.shape)  # 7 windows; temporalize made 5
print(windows[0])

# %%
# A longer series: 3 noisy sensors over 2,000 time points, cut into windows of
# 20 steps every 2 steps.
rng = np.random.default_rng(0)
t = np.arange(2000)
sensors = np.column_stack(
    [np.sin(t / 15), np.sin(t / 15 + 1) * np.cos(t / 90), np.cos(t / 40)]
) + rng.normal(0, 0.05, (2000, 3))
X = SlidingWindows(window=20, stride=2).fit_transform(sensors)
print("training windows:", X.shape)

# %%
ae = LSTMAutoencoderTransformer(
    encoder_units=(128, 64),  # the tutorial's stack; decoder (64, 128)
    conv_filters=(),  # the tutorial's network: no convolutional front end,
    subseries_weight=0.0,  # and the decoder's loss alone
    latent_dim=16,
    epochs=20,
    batch_size=64,
    validation_split=0.2,  # the last 20% of windows, as in Keras
    # stop when val_loss stops improving, keep the best weights
    callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
    random_state=0,
)
ae.fit(X)
print("layers:", [layer.name for layer in ae.model_.layers])
print(f"epochs run: {len(ae.history_['loss'])}, best val_loss: {min(ae.history_['val_loss']):.4f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
plot_history(ae, ax=left)
left.set_title("train vs validation loss")
rebuilt = ae.reconstruct(X[-1:])
for f in range(3):
    right.plot(X[-1, :, f], color=f"C{f}")
    right.plot(rebuilt[0, :, f], "--", color=f"C{f}")
right.set_title("last window (solid) and its reconstruction (dashed)")
right.set_xlabel("time step")
fig.tight_layout()
