"""
The latent space of several kinds of sequences
==============================================

With ``latent_dim=2`` the codes can be drawn directly. Here 300 sequences of
three shapes (sine, square and sawtooth waves, each with a slightly random
period, phase and amplitude) are encoded without their labels; colouring the codes by
shape shows what the encoder learned to tell apart. For ``latent_dim > 2``,
:func:`~sklearn_lstm_ae.plot_latent_space` projects the codes on their first
two principal components.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from sklearn_lstm_ae import LSTMAutoencoderTransformer, plot_latent_space

rng = np.random.default_rng(0)
n, steps = 300, 40
shape = rng.integers(0, 3, n)
period = rng.uniform(15, 20, (n, 1))
phase = rng.uniform(0, 0.25, (n, 1))
amplitude = rng.uniform(0.8, 1.2, (n, 1))
cycle = (np.arange(steps) / period + phase) % 1.0  # position in the cycle, 0..1
waves = np.select(
    [shape[:, None] == 0, shape[:, None] == 1],
    [np.sin(2 * np.pi * cycle), np.where(cycle < 0.5, 1.0, -1.0)],
    default=2 * cycle - 1,
)
X = amplitude * waves + rng.normal(0, 0.05, (n, steps))  # 2D: univariate sequences
names = np.array(["sine", "square", "sawtooth"])[shape]

# %%
params = dict(encoder_units=(32,), epochs=40, random_state=0)
two = LSTMAutoencoderTransformer(latent_dim=2, **params).fit(X)
eight = LSTMAutoencoderTransformer(latent_dim=8, **params).fit(X)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
plot_latent_space(two, X, names, ax=left, s=12)
left.set_title("latent_dim=2: the codes")
left.get_legend().set_title("shape")
plot_latent_space(eight, X, names, ax=right, s=12)
right.set_title("latent_dim=8: two principal components")
right.get_legend().set_title("shape")
fig.tight_layout()

# %%
# How separable are the shapes from the codes alone? A nearest-neighbour
# classifier, cross-validated, on the unsupervised codes:

for ae in (two, eight):
    score = cross_val_score(KNeighborsClassifier(5), ae.transform(X), shape, cv=5).mean()
    print(f"latent_dim={ae.latent_dim}: 5-NN accuracy on the codes {score:.2f}")
