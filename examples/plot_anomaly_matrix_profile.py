"""
When a matrix profile is the better tool: one odd motion in a drifting recording
================================================================================

:class:`~sklearn_lstm_ae.LSTMAutoencoderSeriesDetector` learns what the
*values* of normal windows look like and scores how badly a new window is
rebuilt. That is the right question when anomalies change the rhythm or
the level of a recording (the KDD-TSAD 135 example). It is the wrong one
when

* the sensor drifts, so that normal stretches leave the range of values the
  network was trained on, and
* the anomaly is one repetition of a long shape that differs from all the
  others, while every short piece of it looks normal.

A matrix profile asks exactly the second question: it z-normalises every
window (so level and scale drift do not matter) and gives each window its
distance to its nearest neighbour elsewhere in the series; a window unlike
every other one is a discord. aeon's ``STOMP`` and the ``stumpy`` package
compute it fast; the few lines of NumPy below compute the same profile, so
this example needs nothing more.

The data: GunPoint's motion traces (an actor's hand, 150 samples a motion,
shipped inside ``aeon``) laid end to end. The detector is fitted on 20
motions; the next 30 drift upwards and grow by half, as a sensor losing its
calibration would, and in one of them the hand stops halfway.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_classification
from sklearn.metrics import average_precision_score, roc_auc_score

from sklearn_lstm_ae import LSTMAutoencoderSeriesDetector

X, _ = load_classification("GunPoint", split="train")
motions = X[:, 0, :]  # 50 motions of 150 samples
length = motions.shape[1]
train = motions[:20].ravel()

test_motions = motions[20:50].copy()
odd = 12
test_motions[odd, length // 2 :] = test_motions[odd, length // 2]  # the hand stops halfway
steady = test_motions.ravel()
ramp = np.arange(len(steady)) / len(steady)
test = steady * (1 + 0.5 * ramp) + ramp  # the drift
labels = np.zeros(len(test), dtype=int)
labels[odd * length : (odd + 1) * length] = 1
print(f"train {train.shape}, test {test.shape}, odd motion at {odd * length}..{(odd + 1) * length}")


# %%
# The z-normalised matrix profile, each point taking the largest distance of
# the windows that hold it. Windows that overlap a window by more than half
# are not its neighbours (the exclusion zone STOMP uses too).
def matrix_profile(series, window):
    windows = np.lib.stride_tricks.sliding_window_view(series, window)
    z = windows - windows.mean(axis=1, keepdims=True)
    z /= z.std(axis=1, keepdims=True) + 1e-8
    distance = np.sqrt(np.maximum(2 * window - 2 * z @ z.T, 0))
    i = np.arange(len(windows))
    distance[np.abs(i[:, None] - i[None, :]) < window // 2] = np.inf
    profile = distance.min(axis=1)
    points = np.zeros(len(series))
    for start, value in enumerate(profile):
        np.maximum(points[start : start + window], value, out=points[start : start + window])
    return points


# %%
# The detector with its defaults, fitted on the normal part, and the matrix
# profile of the test part with windows of one motion (the period the
# detector finds). AUC-PR is the area under the precision-recall curve of
# the per-point scores: 1 is perfect, and chance is the anomaly's share of
# the points (0.022 here).
detector = LSTMAutoencoderSeriesDetector(random_state=0).fit(train)
scores = {
    "LSTM autoencoder detector": detector.predict(test),
    f"matrix profile, window {detector.period_}": matrix_profile(test, detector.period_),
}
for name, score in scores.items():
    print(
        f"{name}: AUC-PR {average_precision_score(labels, score):.3f}, "
        f"AUC-ROC {roc_auc_score(labels, score):.3f}, highest at {int(np.argmax(score))}"
    )
print(f"points the detector flags: {detector.predict_labels(test).sum()} of {len(test)}")


# %%
# Part of the failure is the window: half a motion, of which half the odd
# motion is normal. With windows of a whole motion (``window="period"``) the
# detector finds the odd motion in the recording before the drift is added,
# but not in the drifting one: the drift is what it cannot take.
whole = LSTMAutoencoderSeriesDetector(window="period", random_state=0).fit(train)
for name, series in (("without the drift", steady), ("with the drift", test)):
    score = whole.predict(series)
    print(
        f"detector, window={whole.window_}, {name}: "
        f"AUC-PR {average_precision_score(labels, score):.3f}, "
        f"AUC-ROC {roc_auc_score(labels, score):.3f}"
    )

# %%
# The detector's scores climb with the drift: the last motions lie outside
# the values it was trained on, and its highest scores (and its alarms) are
# there. The matrix profile ignores the drift and peaks on the odd motion.
# Use a matrix profile for this kind of series. Use the detector where the
# values themselves carry the anomaly, where a series has several channels
# (STOMP reads one), and where a model fitted once must score new series as
# they come.
fig, axes = plt.subplots(3, 1, figsize=(10, 6), sharex=True)
axes[0].plot(test, lw=0.6)
axes[0].set_ylabel("hand position")
for ax, (name, score) in zip(axes, [(None, None), *scores.items()], strict=True):
    ax.axvspan(odd * length, (odd + 1) * length, color="red", alpha=0.25)
    if name is not None:
        ax.plot(score, lw=0.7, color="C1")
        ax.set_ylabel("score")
        ax.set_title(name, fontsize="small", loc="left")
axes[-1].set_xlabel("time point")
fig.tight_layout()
