"""
Reconstruct a sequence and keep the encoder
===========================================

The first example of the tutorials: one sequence ``0.1, 0.2, ..., 0.9``, an
LSTM encoder that reads it into a vector and an LSTM decoder that rebuilds it.
By hand this takes an ``LSTM``, a ``RepeatVector``, a second ``LSTM`` with
``return_sequences=True``, a ``TimeDistributed(Dense)`` and, to get the vector
out, a second ``Model`` cut at the encoder. Here it is one estimator:
``transform`` is the standalone encoder, ``inverse_transform`` the decoder.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_lstm_ae import LSTMAutoencoderTransformer, plot_history

sequence = np.arange(1, 10)[None, :] / 10  # one univariate sequence: shape (1, 9)

# %%
# The tutorial's settings: 100 LSTM units, 300 epochs of one sequence, a code
# of 8 numbers. The tutorial printed reconstructions within about 0.004 of
# the input; the library's default ``tanh`` cells and standard scaling come
# back within 0.01 (the test suite checks it).
ae = LSTMAutoencoderTransformer(
    latent_dim=8,
    encoder_units=(100,),
    epochs=300,
    batch_size=1,
    random_state=0,
    conv_filters=(),  # the tutorials' network: no convolutional front end,
    subseries_weight=0.0,  # and the decoder's loss alone
)
code = ae.fit_transform(sequence)
print("code shape:", code.shape)  # the standalone encoder's fixed-length vector
print("reconstruction:", ae.reconstruct(sequence)[0, :, 0].round(3))
print("decoded code:  ", ae.inverse_transform(code)[0, :, 0].round(3))
print(f"max abs error: {np.abs(ae.reconstruct(sequence)[0, :, 0] - sequence[0]).max():.4f}")

# %%
# The Keras models are there for those who want them: ``encoder_`` and
# ``decoder_`` share their weights with the trained ``model_``.
ae.encoder_.summary()

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
left.plot(sequence[0], "o-", label="input")
left.plot(ae.reconstruct(sequence)[0, :, 0], "x--", label="reconstruction")
left.set_xlabel("time step")
left.legend()
plot_history(ae, ax=right)
right.set_title("training loss")
fig.tight_layout()
