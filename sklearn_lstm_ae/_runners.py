"""Where a fit trains: this process (one device or mirrored ones) or several worker processes.

A runner is chosen once per fit (:func:`runner_for`, or :func:`runner_of` a
model trained further) and owns what differs between the three: the
``tf.distribute`` strategy, whether Keras draws each epoch's batches or all
the epochs trained are laid out in one dataset read by one iterator, and the
loop that trains (``Model.fit``, or the package's cross-worker step, since
Keras's fit fails under ``MultiWorkerMirroredStrategy``,
keras-team/keras#20585). The training core reads the same for all of them.
"""

import functools

import tensorflow as tf

from ._multi_worker import (
    check_multi_worker,
    fit_multi_worker,
    is_multi_worker,
    multi_worker_strategy,
)

__all__ = ["Runner", "MultiWorkerRunner", "runner_for", "runner_of"]


class Runner:
    """Training in this process with Keras's ``Model.fit``, under ``strategy``.

    TensorFlow's default strategy (one device) or a ``MirroredStrategy``
    (the devices of this machine, every batch split across them).
    """

    def __init__(self, strategy):
        self.strategy = strategy

    def scope(self):
        """The scope to build, compile and train the model in."""
        return self.strategy.scope()

    def span(self, initial_epoch, stop):
        """The epochs that in-memory batches must be laid out for in advance: none here."""
        return None

    def loop(self, loss_weights):
        """What trains in place of ``Model.fit`` (None: ``Model.fit`` itself)."""
        return None


class MultiWorkerRunner(Runner):
    """Training across the worker processes of a ``MultiWorkerMirroredStrategy``.

    Every worker reads the same ordered batches of all the epochs trained
    (one dataset, one iterator) and trains its share of each, with the
    package's own step.
    """

    def span(self, initial_epoch, stop):
        """``(initial_epoch, stop)``: stop None runs to the end of the update budget."""
        return (initial_epoch, stop)

    def loop(self, loss_weights):
        return functools.partial(fit_multi_worker, loss_weights=loss_weights)


def _runner(strategy):
    return MultiWorkerRunner(strategy) if is_multi_worker(strategy) else Runner(strategy)


def runner_for(config):
    """The runner of a new fit with ``config`` (a :class:`~sklearn_lstm_ae._config.FitConfig`).

    Called before the fit's first TensorFlow operation: TensorFlow sets up a
    multi-worker strategy's collective operations only then.
    """
    strategy = config.distribution_strategy
    if strategy == "multi_worker" or is_multi_worker(strategy):
        check_multi_worker(config.random_state, config.metrics, config.keras)
    if strategy == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    elif strategy == "multi_worker":
        strategy = multi_worker_strategy()
    elif strategy is None:
        strategy = tf.distribute.get_strategy()
    return _runner(strategy)


def runner_of(model):
    """The runner that trains ``model`` further: the strategy it was built under."""
    return _runner(model.distribute_strategy)
