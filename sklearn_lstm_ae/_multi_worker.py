"""Training across processes: a TensorFlow training step under MultiWorkerMirroredStrategy.

Keras 3's ``Model.fit`` fails under ``tf.distribute.MultiWorkerMirroredStrategy``
on its first batch ("Attempt to convert a value (PerReplica:...) with an
unsupported type", keras-team/keras#20585, TensorFlow 2.16 to at least 2.21
with Keras 3.15). This module trains the same compiled model with a training
step of TensorFlow's own: the global batches are split over the workers by
``strategy.experimental_distribute_dataset``, each replica computes its part of
the loss, the gradients are summed across workers by the Keras optimizer
(built under the strategy's scope) and every worker applies the same update.

The loss is the one ``Model.fit`` computes on the whole global batch: for each
decoder, the per-step loss summed over the valid (unpadded) steps and divided
by the number of valid steps of the global batch, the decoders weighted as
compiled. The epoch's loss, the plateaus, early stopping with best weights,
the NaN stop, the progress bar and the user's callbacks run through the very
Keras callbacks ``fit`` runs (:mod:`sklearn_lstm_ae._callbacks`), fed with the
loss all workers agree on, so every worker takes the same decisions. The
contrastive terms (``subseries_weight``, ``context_weight``) are losses per
sequence, averaged over the global batch like the others; their negatives
are the other sequences of the worker's own share of the batch, so it differs from one process's
contrast, as a contrast over each GPU's share does.

Every worker must call ``fit`` with the same data (for example one
memory-mapped ``.npy`` file on shared storage) and the same ``random_state``:
each worker draws the same global batches and trains on its share of every
one. The work of an epoch is divided, not the data.
"""

import keras
import numpy as np
import tensorflow as tf

from ._keras.layers import valid_steps
from ._names import RECONSTRUCTION, SEQUENCES
from ._random import hold_out

__all__ = [
    "MULTI_WORKER_FIT_ARGS",
    "is_multi_worker",
    "multi_worker_strategy",
    "check_multi_worker",
    "fit_multi_worker",
]

_STRATEGY = None
#: Gradients are exchanged in packs of up to this many bytes.
PACK_BYTES = 64 * 2**20


def is_multi_worker(strategy):
    """True for a strategy whose replicas span processes."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def multi_worker_strategy():
    """The process's ``MultiWorkerMirroredStrategy``, made from ``TF_CONFIG`` on first use.

    TensorFlow configures its collective operations once per process, so one
    strategy serves every fit of the process.
    """
    global _STRATEGY
    if _STRATEGY is None:
        # All gradients of a step in one message, not one per weight tensor.
        packed = tf.distribute.experimental.CommunicationOptions(bytes_per_pack=PACK_BYTES)
        try:
            _STRATEGY = tf.distribute.MultiWorkerMirroredStrategy(communication_options=packed)
        except RuntimeError as exc:
            raise ValueError(
                "TensorFlow could not set up training across workers: this "
                "process ran TensorFlow operations before the first fit, and "
                "TensorFlow configures its cross-worker operations only at "
                "startup. Create the strategy first in your script, before "
                "any other TensorFlow call: strategy = "
                "tf.distribute.MultiWorkerMirroredStrategy(), and pass "
                "distribution_strategy=strategy."
            ) from exc
    return _STRATEGY


#: The routed ``fit__`` arguments the multi-worker step reads; Keras's others
#: (``class_weight``, ``sample_weight``, ``steps_per_epoch``, ...) it cannot.
MULTI_WORKER_FIT_ARGS = ("validation_data", "validation_batch_size")


def check_multi_worker(random_state, metrics, routed=()):
    """Refuse, before any work, what the multi-worker step cannot do.

    ``routed`` are the names of the estimator's routed parameters.
    """
    unsupported = sorted(
        name
        for name in routed
        if name.startswith("fit__") and name[len("fit__") :] not in MULTI_WORKER_FIT_ARGS
    )
    if unsupported:
        raise ValueError(
            f"Training across workers cannot pass {', '.join(map(repr, unsupported))} to "
            "Keras: its step reads "
            f"{', '.join('fit__' + n for n in MULTI_WORKER_FIT_ARGS)} only. Remove "
            "the others, or train without distribution_strategy='multi_worker'."
        )
    if random_state is None:
        raise ValueError(
            "Training across workers needs random_state set to an int: every "
            "worker must start from the same weights and draw the same batches, "
            "of which it trains its share. Pass the same random_state on every "
            "worker."
        )
    if metrics:
        raise ValueError(
            "metrics are not computed when training across workers; set "
            "metrics=None and measure after fitting, for example with "
            "score_samples or reconstruction_errors."
        )


def _per_step(loss):
    """A loss as a function of ``(y_true, y_pred)`` that reduces over features only."""
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        return loss.call
    return loss


class _Step:
    """The distributed training and evaluation steps of one compiled model.

    Each step exchanges three messages between workers, whatever the number
    of decoders: the valid-step counts, the gradients (packed when the
    strategy's ``CommunicationOptions`` allow) and one vector of results.
    """

    def __init__(self, model, strategy, weights):
        self.model, self.strategy = model, strategy
        losses = model.loss if isinstance(model.loss, dict) else dict.fromkeys(weights, model.loss)
        self.heads = list(weights)
        self.losses = [_per_step(losses[head]) for head in self.heads]
        self.weights = tf.constant([weights[head] for head in self.heads], tf.float32)
        self.train = tf.function(self._run_train, reduce_retracing=True)
        self.evaluate = tf.function(self._run_evaluate, reduce_retracing=True)

    def _loss(self, x, y, training):
        """``(loss, results)`` of one replica.

        ``loss`` is this replica's share of the global batch's loss (the
        shares sum to it): for each decoder, its steps' losses divided by the
        valid steps of the whole global batch. ``results`` is the vector
        ``[loss, sequences, sum per decoder..., count per decoder...]``.
        """
        pred = self.model(x, training=training)
        # The steps Keras's loss counts: those of the reconstruction's mask.
        valid = tf.cast(valid_steps(x[SEQUENCES] if isinstance(x, dict) else x), tf.float32)
        sums, counts = [], []
        for head, fn in zip(self.heads, self.losses, strict=True):
            per = tf.cast(fn(y[head], pred[head]), tf.float32)
            if per.shape.rank == 2 and head == RECONSTRUCTION:
                per = per * valid
                counts.append(tf.reduce_sum(valid))
            else:
                counts.append(tf.cast(tf.size(per), tf.float32))
            sums.append(tf.reduce_sum(per))
        sums, counts = tf.stack(sums), tf.stack(counts)
        context = tf.distribute.get_replica_context()
        global_counts = context.all_reduce(tf.distribute.ReduceOp.SUM, counts)
        loss = tf.reduce_sum(self.weights * sums / tf.maximum(global_counts, 1.0))
        if self.model.losses:
            loss += tf.nn.scale_regularization_loss(tf.add_n(self.model.losses))
        size = tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], tf.float32)
        return loss, tf.concat([[loss, size], sums, counts], axis=0)

    def _replica_train(self, x, y):
        model = self.model
        with tf.GradientTape() as tape:
            loss, results = self._loss(x, y, training=True)
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return results

    def _replica_evaluate(self, x, y):
        return self._loss(x, y, training=False)[1]

    def _run_train(self, batch):
        results = self.strategy.run(self._replica_train, args=batch)
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, results, axis=None)

    def _run_evaluate(self, batch):
        results = self.strategy.run(self._replica_evaluate, args=batch)
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, results, axis=None)


class _EpochMeans:
    """The epoch's loss as ``fit`` logs it: batch losses weighted by batch size.

    Kept as tensors, so that no step waits for the host to read a value.
    """

    def __init__(self, heads, prefix=""):
        self.heads, self.prefix = heads, prefix
        self.loss, self.n, self.sums, self.counts = 0.0, 0.0, 0.0, 0.0

    def add(self, results):
        h = len(self.heads)
        self.loss += results[0] * results[1]
        self.n += results[1]
        self.sums += results[2 : 2 + h]
        self.counts += results[2 + h :]

    def logs(self):
        logs = {f"{self.prefix}loss": self.loss / tf.maximum(self.n, 1.0)}
        if len(self.heads) > 1:
            means = self.sums / tf.maximum(self.counts, 1.0)
            logs.update(
                (f"{self.prefix}{head}_loss", means[i]) for i, head in enumerate(self.heads)
            )
        return logs

    def values(self):
        """The logs as floats (the end of an epoch)."""
        return {k: float(v) for k, v in self.logs().items()}


def _epochs_of(x, y, batch_size, n_epochs):
    """``(dataset, batches per epoch)``: the global batches of ``n_epochs`` epochs in one dataset.

    One iterator then reads the whole training: under this strategy, ending
    an iterator (reaching the end of the data, or dropping it) made the
    workers wait for each other for up to several seconds (TensorFlow 2.21,
    2 workers on one machine), so it happens once per fit, not per epoch.
    """
    if isinstance(x, tf.data.Dataset):
        # Ordered batches of all the epochs (sklearn_lstm_ae._random.shuffled_batches).
        return x, int(x.cardinality()) // n_epochs
    if isinstance(x, keras.utils.PyDataset):
        signature = tf.nest.map_structure(
            lambda a: tf.TensorSpec((None,) * (np.ndim(a) - 1) + np.shape(a)[-1:], tf.float32),
            x[0],
        )

        def batches():
            for _ in range(n_epochs):
                for i in range(len(x)):
                    yield tf.nest.map_structure(lambda a: np.asarray(a, np.float32), x[i])
                x.on_epoch_end()

        return tf.data.Dataset.from_generator(batches, output_signature=signature), len(x)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    return dataset.repeat(n_epochs), int(dataset.cardinality())


class _Distributed:
    """The global batches of a fit, split over the workers, handed out one epoch at a time."""

    def __init__(self, strategy, dataset, steps):
        options = tf.data.Options()
        policy = tf.data.experimental.AutoShardPolicy.DATA
        options.experimental_distribute.auto_shard_policy = policy
        self.steps = steps
        self.batches = iter(strategy.experimental_distribute_dataset(dataset.with_options(options)))

    def epoch(self):
        for _ in range(self.steps):
            yield next(self.batches)


def fit_multi_worker(
    model,
    x,
    y=None,
    *,
    loss_weights,
    callbacks,
    epochs,
    initial_epoch=0,
    batch_size=32,
    verbose=0,
    validation_split=0.0,
    validation_data=None,
    validation_batch_size=None,
    shuffle=False,
):
    """Train a compiled model across the workers of its strategy, as ``Model.fit`` would.

    Parameters
    ----------
    model : keras.Model
        Built and compiled under a ``MultiWorkerMirroredStrategy``'s scope.
    x, y
        Arrays (``y`` the dict of targets), a ``tf.data.Dataset`` or a
        ``PyDataset`` of ``(inputs, targets)`` global batches.
    loss_weights : dict
        Loss weight of each decoder.
    callbacks : list of keras.callbacks.Callback
    epochs, initial_epoch : int
        As in ``Model.fit``: train epochs ``initial_epoch`` to ``epochs - 1``.
    batch_size : int
        Global batch size for arrays.
    verbose : int
        Keras's progress bar (0: none).
    validation_split, validation_data, validation_batch_size
        As in ``Model.fit``.
    shuffle : bool, default=False
        Read and ignored: the batches come in the order the estimator drew
        from its ``random_state`` (:func:`check_multi_worker` refuses the
        routed arguments this step cannot honour).

    Returns
    -------
    dict of list of float
        The history of this call.
    """
    strategy = model.distribute_strategy
    if (
        validation_split
        and validation_data is None
        and not isinstance(x, (tf.data.Dataset, keras.utils.PyDataset))
    ):
        (x, y), validation_data = hold_out(x, y, validation_split)
    n_epochs = epochs - initial_epoch
    train = _Distributed(strategy, *_epochs_of(x, y, batch_size, n_epochs))
    held_out = None
    if validation_data is not None:
        batches = _epochs_of(*validation_data[:2], validation_batch_size or batch_size, n_epochs)
        held_out = _Distributed(strategy, *batches)
    step = _Step(model, strategy, loss_weights)
    history = keras.callbacks.History()
    calls = keras.callbacks.CallbackList(
        [*callbacks, history],
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=train.steps,
    )
    model.stop_training = False
    calls.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        calls.on_epoch_begin(epoch)
        means = _EpochMeans(step.heads)
        for i, batch in enumerate(train.epoch()):
            calls.on_train_batch_begin(i)
            means.add(step.train(batch))
            calls.on_train_batch_end(i, means.logs())
        logs = means.values()
        if held_out is not None:
            val = _EpochMeans(step.heads, "val_")
            for batch in held_out.epoch():
                val.add(step.evaluate(batch))
            logs.update(val.values())
        calls.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    calls.on_train_end()
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}
