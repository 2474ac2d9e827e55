"""
The latent space of a real dataset
==================================

With ``latent_dim=2`` the codes can be drawn directly. GunPoint (from the
UCR archive, shipped inside ``aeon``) holds 150-step recordings of a hand
drawing a gun or pointing; the autoencoder never sees the labels, yet the
two classes separate in its codes. For ``latent_dim > 2``,
:func:`~sklearn_lstm_ae.plot_latent_space` projects on two principal
components.
"""

# %%
import matplotlib.pyplot as plt
from aeon.datasets import load_gunpoint

from sklearn_lstm_ae import LSTMAutoencoderTransformer, plot_latent_space

X, y = load_gunpoint(split="train")  # aeon layout: (n_cases, n_channels, n_timepoints)
X = X.transpose(0, 2, 1)  # ours: (n_samples, n_timesteps, n_features)
print(X.shape)

# %%
ae = LSTMAutoencoderTransformer(
    latent_dim=2, encoder_units=(32,), epochs=40, batch_size=16, random_state=0
).fit(X)
wide = LSTMAutoencoderTransformer(
    latent_dim=8, encoder_units=(32,), epochs=40, batch_size=16, random_state=0
).fit(X)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
plot_latent_space(ae, X, y, ax=left, s=12)
left.set_title("latent_dim=2: the codes")
plot_latent_space(wide, X, y, ax=right, s=12)
right.set_title("latent_dim=8: two principal components")
fig.tight_layout()
