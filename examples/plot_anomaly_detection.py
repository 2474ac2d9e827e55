"""
Anomaly detection on a real recording: KDD-TSAD 135
===================================================

The second tutorial's use of an LSTM autoencoder: learn what normal data look
like, then flag what it reconstructs badly. The data are series 135 of the
UCR anomaly archive (SIGKDD 2021 competition, shipped inside ``aeon``): the
heart rate of a patient with internal bleeding, a 1,200-point training part
with no anomaly and a 7,501-point test part with one labelled anomaly.

Windows of 64 points train an :class:`~sklearn_lstm_ae.LSTMAutoencoderOutlierDetector`;
its per-time-step errors, averaged back onto the series, point at the anomaly.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_kdd_tsad_135

from sklearn_lstm_ae import (
    LSTMAutoencoderOutlierDetector,
    LSTMAutoencoderTransformer,
    SlidingWindows,
    windows_to_series,
)

train, _ = load_kdd_tsad_135(split="train")
test, labels = load_kdd_tsad_135(split="test")
start, end = np.flatnonzero(labels)[[0, -1]]
print(f"train {train.shape}, test {test.shape}, labelled anomaly at {start}..{end}")

# %%
# ``contamination`` is the share of (normal) training windows allowed above
# the threshold: it sets how many false alarms to expect.
windows = SlidingWindows(window=64)
detector = LSTMAutoencoderOutlierDetector(
    LSTMAutoencoderTransformer(
        latent_dim=8,
        encoder_units=(32,),
        epochs=30,
        random_state=0,
        conv_filters=(),  # the tutorial's network: LSTMs only,
        subseries_weight=0.0,  # trained to reconstruct alone
    ),
    contamination=0.001,
)
detector.fit(windows.fit_transform(train))

test_windows = windows.transform(test)
errors = windows_to_series(detector.timestep_errors(test_windows), len(test))
peak = int(np.nanargmax(errors))
print(f"largest error at time point {peak} (labelled anomaly: {start}..{end})")

# %%
# Precision of the flagged windows: the share that overlaps the labelled
# anomaly.
flagged = np.flatnonzero(detector.predict(test_windows) == -1)
hits = (flagged + 64 > start) & (flagged <= end)
print(f"{len(flagged)} windows flagged, precision {hits.mean():.2f}")

# %%
fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
top.plot(test, lw=0.7)
top.axvspan(start, end, color="red", alpha=0.3, label="labelled anomaly")
top.set_ylabel("heart rate")
top.legend(loc="upper right")
bottom.plot(errors, lw=0.7, color="C1")
bottom.axvline(peak, color="red", ls="--", label=f"largest error ({peak})")
bottom.set_ylabel("reconstruction error")
bottom.set_xlabel("time point")
bottom.legend(loc="upper right")
fig.tight_layout()
