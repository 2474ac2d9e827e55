"""
Anomaly detection on a real recording: KDD-TSAD 135
===================================================

The second tutorial's use of an LSTM autoencoder: learn what normal data look
like, then flag what it reconstructs badly. The data are series 135 of the
UCR anomaly archive (SIGKDD 2021 competition, shipped inside ``aeon``): the
heart rate of a patient with internal bleeding, a 1,200-point training part
with no anomaly and a 7,501-point test part with one labelled anomaly.

One estimator does the whole recipe:
:class:`~sklearn_lstm_ae.LSTMAutoencoderSeriesDetector` cuts the series into
windows half a period and at least 64 points long (the period is found by
autocorrelation), trains an
LSTM autoencoder on the normal part and gives every time point of a new
series a score: the reconstruction error of the windows that cover it,
relative to the typical error on normal data.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_kdd_tsad_135

from sklearn_lstm_ae import LSTMAutoencoderSeriesDetector

train, _ = load_kdd_tsad_135(split="train")
test, labels = load_kdd_tsad_135(split="test")
start, end = np.flatnonzero(labels)[[0, -1]]
print(f"train {train.shape}, test {test.shape}, labelled anomaly at {start}..{end}")

# %%
# Fit on the normal part, score the test part. ``period_`` is the period the
# detector found and ``window_`` half of it; ``threshold_`` lets 1%
# (``contamination``) of the normal training points through.
detector = LSTMAutoencoderSeriesDetector(random_state=0).fit(train)
scores = detector.predict(test)
peak = int(np.argmax(scores))
print(f"period {detector.period_}, window {detector.window_}")
print(f"highest score at {peak} (labelled {start}..{end})")
flagged = detector.predict_labels(test)
hits = flagged[start : end + 1].sum()
print(f"{flagged.sum()} points above the threshold, {hits} of them labelled")

# %%
fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
top.plot(test, lw=0.7)
top.axvspan(start, end, color="red", alpha=0.3, label="labelled anomaly")
top.set_ylabel("heart rate")
top.legend(loc="upper right")
bottom.plot(scores, lw=0.7, color="C1", label="anomaly score")
bottom.axhline(detector.threshold_, color="grey", ls=":", label="threshold_")
bottom.axvline(peak, color="red", ls="--", label=f"highest score ({peak})")
bottom.set_ylabel("score (1 = a normal window)")
bottom.set_xlabel("time point")
bottom.legend(loc="upper right")
fig.tight_layout()
