"""Training callbacks and budget: NaN stop, learning-rate plateaus, best weights, quiet traces."""

import logging
from contextlib import contextmanager

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "StopOnNaN",
    "UpdateProgbar",
    "quiet_retracing",
    "budget",
    "steps_per_epoch",
    "training_callbacks",
]


class _NoRetracingNotice(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" notice."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextmanager
def quiet_retracing():
    """Silence the retracing notice while this package trains, and only then.

    TensorFlow counts traces per function *code*, and Keras gives every
    model a train step of the same code: a grid search that fits many small
    models (each tracing its own step once, as it must) reads to TensorFlow
    as one function retraced in a loop, and it warns. The notice is a false
    alarm there, so it is filtered from TensorFlow's logger for the duration
    of the fit; the filter is removed afterwards, so the user's own
    functions still get the notice. Inference needs no filter: each fitted
    model's functions are traced once (see :mod:`sklearn_lstm_ae._inference`).
    """
    logger = tf.get_logger()
    notice = _NoRetracingNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


class StopOnNaN(keras.callbacks.Callback):
    """Stop training after an epoch whose loss is NaN or infinite.

    Checked per epoch, not per batch like ``TerminateOnNaN``: a batch-level
    hook makes Keras copy the logs back from the device after every step,
    which cost about 10% of the training time of small networks.
    """

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.model.stop_training = True


class UpdateProgbar(keras.callbacks.ProgbarLogger):
    """Keras's progress bar, counting updates without running past the epoch's end.

    Keras runs 32 updates per call into its train function and reports the
    last step of a call as ``begin + 32 - 1`` even when the epoch ends
    sooner, so an epoch of 63 updates reads ``32/63``, ``64/63``, then
    ``63/63``; here the count stops at the epoch's length. With
    ``max_updates`` given, the bar's first line says how many epochs and
    updates the budget rounds up to.
    """

    def __init__(self, max_updates=None):
        super().__init__()
        self.max_updates = max_updates

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        epochs, steps = self.epochs, self.target  # what set_params read from Keras
        if self.max_updates and epochs and steps and epochs * steps != self.max_updates:
            print(
                f"Training {epochs} epoch(s) of {steps} updates: {epochs * steps} "
                f"updates (max_updates={self.max_updates} rounded up to whole epochs; "
                "early stopping may end sooner)."
            )

    def on_train_batch_end(self, batch, logs=None):
        if self.target:
            batch = min(batch, self.target - 1)
        super().on_train_batch_end(batch, logs)


#: With epochs="auto": gradient updates without improvement before the
#: learning rate is halved, and before training stops (best weights kept).
PLATEAU_UPDATES = 60
STOP_UPDATES = 200


def steps_per_epoch(config, n_train):
    """Gradient updates per epoch on ``n_train`` in-memory sequences (less those held out)."""
    n_fit = n_train - int(n_train * config.validation_split)  # Keras keeps the last ones out
    return max(1, -(-max(n_fit, 1) // config.batch_size))


def budget(config, steps):
    """Epochs of a fit that makes ``steps`` gradient updates per epoch.

    ``epochs="auto"`` counts the budget in gradient updates: as many epochs as
    ``max_updates`` updates take, so a dataset of 50 sequences gets as many
    updates as one of 50,000. An int is the number of epochs, as in Keras.
    """
    if config.epochs != "auto":
        return int(config.epochs)
    return max(1, -(-config.max_updates // steps))


def training_callbacks(config, steps):
    """The callbacks every fit with ``config`` runs, with ``steps`` updates per epoch."""
    callbacks = [StopOnNaN()]
    if config.keras.get("verbose"):
        auto = config.epochs == "auto"
        callbacks.append(UpdateProgbar(config.max_updates if auto else None))
    monitor = "val_loss" if config.validation_split else "loss"
    if config.epochs == "auto":
        # Converge by default: halve the learning rate on a plateau, stop once
        # the loss stops improving, and end on the best weights, never on a
        # loss that has blown back up.
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=0.5,
                patience=max(1, -(-PLATEAU_UPDATES // steps)),
                min_lr=(config.learning_rate or 0.0) / 64,
            )
        )
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=max(2, -(-STOP_UPDATES // steps)),
                restore_best_weights=True,
            )
        )
    return callbacks
