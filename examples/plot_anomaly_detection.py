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
# detector found and ``window_`` half of it.
detector = LSTMAutoencoderSeriesDetector(random_state=0).fit(train)
scores = detector.predict(test)
peak = int(np.argmax(scores))
print(f"period {detector.period_}, window {detector.window_}")
print(f"highest score at {peak} (labelled {start}..{end})")

# %%
# ``threshold_`` says which scores are anomalies. By default
# (``contamination="auto"``) it lies far outside the spread of the normal
# windows' errors, so normal data gets next to no alarms. This anomaly, a
# few beats of a slightly changed shape, ranks first but stays inside that
# spread, so nothing is flagged. To flag the most abnormal stretches whatever
# they are, ask for a share of the normal points instead: ``predict_events``
# then groups the flagged points into events, here the anomaly and three
# false alarms of one or two points, each of a far lower peak.
print(f"'auto' threshold {detector.threshold_:.1f}: {detector.predict_labels(test).sum()} points")
top_share = LSTMAutoencoderSeriesDetector(contamination=0.001, random_state=0).fit(train)
events = top_share.predict_events(test)
for begin, stop, at, score in zip(
    events.start, events.stop, events.peak, events.peak_score, strict=True
):
    print(f"event {begin}..{stop - 1}, peak {score:.1f} at {at}")

# %%
fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
top.plot(test, lw=0.7)
top.axvspan(start, end, color="red", alpha=0.3, label="labelled anomaly")
top.set_ylabel("heart rate")
top.legend(loc="upper right")
bottom.plot(scores, lw=0.7, color="C1", label="anomaly score")
bottom.axhline(top_share.threshold_, color="grey", ls=":", label="threshold_ (contamination=0.001)")
bottom.axvline(peak, color="red", ls="--", label=f"highest score ({peak})")
bottom.set_ylabel("score (1 = a normal window)")
bottom.set_xlabel("time point")
bottom.legend(loc="upper right")
fig.tight_layout()
