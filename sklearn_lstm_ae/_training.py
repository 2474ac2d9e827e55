"""Training: one core that builds and runs Keras, fed by arrays, length buckets or a PyDataset.

Every path (in-memory arrays, length-bucketed lists, a ``PyDataset`` of
batches, ``partial_fit``) turns its data into :class:`Batches` and calls
:func:`_train`, which builds the network, computes the update budget, runs
Keras and checks the result; a fit returns a new
:class:`~sklearn_lstm_ae._fitted.FittedAutoencoder` and changes no
estimator. A new loss term is added in :func:`make_targets` (what the
batches carry) and in the network builder, once for all paths.
"""

import functools
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from ._buckets import BucketedTraining
from ._callbacks import StopOnNaN, budget, quiet_retracing, steps_per_epoch, training_callbacks
from ._fitted import FittedAutoencoder
from ._input import read_training, scaled
from ._multi_worker import (
    check_multi_worker,
    fit_multi_worker,
    is_multi_worker,
    multi_worker_strategy,
)
from ._network import CONTEXT, FUTURE, RECONSTRUCTION, SUBSERIES, build_autoencoder, training_inputs
from ._objectives import TERMS, TermLoss
from ._params import heads, is_bce, keras_params, loss_weights
from ._random import Seeds, ordered_training
from ._scaling import fit_scaler, make_scaler, partial_fit_scaler, scale_inplace
from ._scikeras import fit_keras_model
from ._sequences import check_sequences
from ._steps import check_future_lengths, nan_to_zero, reverse_steps, split_future
from ._streaming import TrainingBatches

__all__ = ["fit_sequences", "fit_stream", "train_more", "fit_spec", "make_targets"]

#: Training steps Keras runs per call into its traced train function
#: (``Model.compile(steps_per_execution=...)``), unless the user routes
#: ``compile__steps_per_execution``. One call per step costs a fixed overhead
#: that weighs on small batches: 32 steps per call trained the network of
#: the classic tutorials (batch 32, 10 steps, 100 units) in 0.93x and 0.96x
#: the fit time of one step per call on 2 CPU cores (two benchmark runs,
#: medians of 3 alternating fits), with identical losses (tested).
#: Batch-level callback hooks then run once per 32 steps; epoch-level ones
#: are unchanged.
STEPS_PER_EXECUTION = 32


def fit_spec(est):
    """What a model trained with ``est``'s parameters is trained for (saved with it)."""
    weights = heads(est.mode, est.future_weight)
    return {
        "mode": est.mode,
        "n_future": est.n_future if est.mode != "reconstruct" else 0,
        "reverse_target": bool(est.reverse_target) and est.mode != "predict",
        "conditional": bool(est.conditional),
        "future_weight": float(weights.get(FUTURE, 0.0)),
        "subseries_weight": float(est.subseries_weight),
        "context_weight": float(est.context_weight),
    }


def make_targets(values, lengths, spec):
    """Model inputs and targets for training on scaled, NaN-padded ``values``.

    Returns ``(x, targets, padded)``: what ``Model.fit`` reads, a dict of
    targets by decoder, and whether the encoder's input holds padding (and
    needs the masked graph).
    """
    targets = {}
    if spec["mode"] == "reconstruct":
        encoder_input, input_lengths = values, lengths
    else:
        check_future_lengths(lengths, spec, "Fitting")
        k = spec["n_future"]
        encoder_input, targets[FUTURE] = split_future(values, lengths, k)
        input_lengths = lengths - k
    if spec["mode"] != "predict":
        target = encoder_input
        if spec["reverse_target"]:
            target = reverse_steps(target, input_lengths)
        targets[RECONSTRUCTION] = nan_to_zero(target)
    for term in TERMS.keys() & loss_weights(spec).keys():
        # A term's output is its own loss: Keras wants a target all the same.
        targets[term] = np.zeros(len(values), np.float32)
    padded = int(input_lengths.min()) < values.shape[1]
    return training_inputs(encoder_input, targets, spec["conditional"]), targets, padded


@dataclass
class Batches:
    """Where a fit's batches come from, and what Keras needs to read them.

    ``x, y`` are what ``Model.fit`` takes (arrays, a ``tf.data`` dataset or
    a ``PyDataset`` with ``y=None``); ``steps`` is the number of gradient
    updates per epoch; ``fit_kwargs`` and ``callbacks`` go to ``Model.fit``.
    """

    x: object
    y: object
    steps: int
    fit_kwargs: dict = field(default_factory=dict)
    callbacks: list = field(default_factory=list)


def _units(units):
    return tuple(int(u) for u in units)


def _build_fn(est, spec, n_timesteps, n_features, masked, seed):
    """``build(compile_kwargs)`` making the compiled training graph."""

    def build(compile_kwargs):
        encoder = _units(est.encoder_units)
        decoder = encoder[::-1] if est.decoder_units is None else _units(est.decoder_units)
        weights = loss_weights(spec)
        model = build_autoencoder(
            n_timesteps=n_timesteps,
            n_features=n_features,
            latent_dim=est.latent_dim,
            encoder_units=encoder,
            decoder_units=decoder,
            activation=est.activation,
            dropout=est.dropout,
            masked=masked,
            output_activation="sigmoid" if is_bce(est.loss) else None,
            reconstruct=RECONSTRUCTION in weights,
            n_future=spec["n_future"] if FUTURE in weights else 0,
            conditional=spec["conditional"],
            cell=est.cell,
            bidirectional=est.bidirectional,
            pooling=est.pooling,
            conv_filters=_units(est.conv_filters),
            conv_kernel_size=est.conv_kernel_size,
            conv_stride=est.conv_stride,
            mask_ratio=est.mask_ratio,
            subseries=SUBSERIES in weights,
            context=CONTEXT in weights,
            seed=seed,
        )
        metrics = compile_kwargs.pop("metrics", None)
        if metrics:
            # One copy of each metric per decoder: a metric object keeps state.
            compile_kwargs["metrics"] = {
                head: [
                    type(m).from_config(m.get_config())
                    if isinstance(m, keras.metrics.Metric)
                    else m
                    for m in metrics
                ]
                for head in weights
                if head not in TERMS
            }
        loss = compile_kwargs.pop("loss")
        losses = {head: TermLoss() if head in TERMS else loss for head in weights}
        compile_kwargs.setdefault("steps_per_execution", STEPS_PER_EXECUTION)
        model.compile(loss=losses, loss_weights=weights, **compile_kwargs)
        return model

    return build


def _strategy(est):
    """The tf.distribute strategy to build and train under.

    Called before a fit's first TensorFlow operation: TensorFlow sets up a
    multi-worker strategy's collective operations only then.
    """
    if est.distribution_strategy == "multi_worker" or is_multi_worker(est.distribution_strategy):
        check_multi_worker(est)
    if est.distribution_strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if est.distribution_strategy == "multi_worker":
        return multi_worker_strategy()
    if est.distribution_strategy is None:
        return tf.distribute.get_strategy()
    return est.distribution_strategy


def _check_converged(history):
    losses = np.asarray(history.get("loss", []), dtype=float)
    if losses.size == 0 or not np.isfinite(losses).all():
        raise FloatingPointError(
            "Training diverged: the loss became NaN or infinite after "
            f"{losses.size} epoch(s). Lower learning_rate, keep scaler="
            "'standard', or use activation='tanh'."
        )


def _check_bce_range(est, values):
    if is_bce(est.loss) and est.scaler is None:
        values = values[~np.isnan(values)]
        if values.min() < 0 or values.max() > 1:
            raise ValueError(
                "loss='binary_crossentropy' needs values in [0, 1], but X "
                f"ranges from {values.min():g} to {values.max():g}. Use "
                "scaler='minmax' or loss='mse'."
            )


def _train(est, spec, batches, *, build, strategy=None, model=None, initial_epoch=0, epochs=None):
    """The one training core: build (unless warm), budget, run Keras, check the loss.

    ``strategy`` is :func:`_strategy`'s, resolved before the fit's first
    TensorFlow operation. Returns the trained Keras model and the history of
    this call.
    """
    if epochs is None:
        epochs = budget(est, batches.steps)
    warm = model is not None
    callbacks = [*batches.callbacks]
    callbacks += [StopOnNaN()] if warm else training_callbacks(est, batches.steps)
    # A warm start keeps training under the strategy the model was built in.
    strategy = model.distribute_strategy if warm else strategy or _strategy(est)
    run = None
    if is_multi_worker(strategy):
        # Keras's fit fails under this strategy (keras-team/keras#20585).
        run = functools.partial(fit_multi_worker, heads=loss_weights(spec))
    with strategy.scope(), quiet_retracing():
        model, history = fit_keras_model(
            build,
            batches.x,
            batches.y,
            params=keras_params(est),
            callbacks=callbacks,
            epochs=epochs,
            model=model,
            initial_epoch=initial_epoch,
            fit_kwargs=batches.fit_kwargs,
            run=run,
        )
    _check_converged(history)
    return model, history


def _array_batches(est, seqs, spec, order_seed, span=None):
    """Batches of in-memory scaled sequences; returns ``(Batches, padded)``.

    ``span=(initial_epoch, epochs)`` (multi-worker training) or ``None`` (one
    more epoch from ``initial_epoch``) asks for ordered batches of all the
    epochs trained, in one dataset read by one iterator.
    """
    x, targets, padded = make_targets(seqs.values, seqs.lengths, spec)
    steps = steps_per_epoch(est, len(seqs.values))
    if seqs.is_padded and not est.validation_split and est.bucketing:
        # Sequences of similar length batched together, each batch padded to
        # its own longest: the steps computed follow the valid ones.
        def prepare(values, lengths):
            return make_targets(values, lengths, spec)[:2]

        bucketed = BucketedTraining(
            seqs.values, seqs.lengths, est.batch_size, prepare, shuffle=est.shuffle, seed=order_seed
        )
        return Batches(bucketed, None, steps), padded
    if est.shuffle and order_seed is not None:
        params = keras_params(est)
        epochs = None
        if span is not None:
            start, stop = span
            epochs = (start, start + budget(est, steps) if stop is None else stop)
        dataset, fit_kwargs, ordering = ordered_training(
            x,
            targets,
            batch_size=est.batch_size,
            validation_split=0.0 if "fit__validation_data" in params else est.validation_split,
            seed=order_seed,
            epochs=epochs,
        )
        callbacks = [] if ordering is None else [ordering]
        return Batches(dataset, None, steps, fit_kwargs, callbacks), padded
    return Batches(x, targets, steps), padded


def fit_sequences(est, X, *, epochs=None, masked=False):
    """Fit on in-memory sequences; return ``(FittedAutoencoder, X's scaled sequences)``.

    ``masked=True`` builds the masked graph even without padding (later
    ``partial_fit`` batches may be shorter).
    """
    strategy = _strategy(est)
    seqs, seen = read_training(X, est.data_format)
    _check_bce_range(est, seqs.values)
    scaler = fit_scaler(make_scaler(est.scaler), seqs.values)
    scale_inplace(scaler, seqs.values)
    _, n_timesteps, n_features = seqs.values.shape
    spec = fit_spec(est)
    # Every random part draws from the estimator's own seeds, in this order.
    seeds = Seeds(est.random_state)
    build_seed, order_seed = seeds(), seeds()
    span = (0, epochs) if is_multi_worker(strategy) else None
    batches, padded = _array_batches(est, seqs, spec, order_seed, span)
    masked = masked or padded
    build = _build_fn(est, spec, n_timesteps, n_features, masked, build_seed)
    model, history = _train(est, spec, batches, build=build, strategy=strategy, epochs=epochs)
    fitted = FittedAutoencoder(
        model,
        scaler,
        spec,
        n_timesteps=n_timesteps,
        n_features=n_features,
        masked=masked,
        history=history,
        **seen,
    )
    return fitted, seqs


def fit_stream(est, dataset):
    """Fit from a PyDataset: the scaler in a first pass, then Keras batch by batch."""
    if est.validation_split:
        raise ValueError(
            "validation_split cannot split a PyDataset. Set validation_split=0 "
            "and pass held-out batches as fit__validation_data=<a PyDataset "
            "of (inputs, targets)>, or monitor with callbacks."
        )
    strategy = _strategy(est)
    n_batches = len(dataset)
    if n_batches == 0:
        raise ValueError("The PyDataset holds 0 batches; at least 1 is required.")
    scaler = make_scaler(est.scaler)
    n_features, steps, padded = None, set(), False
    for i in range(n_batches):
        seqs = check_sequences(
            dataset[i], n_features=n_features, name=f"batch {i}", data_format=est.data_format
        )
        n_features = seqs.values.shape[2]
        steps.add(seqs.values.shape[1])
        padded = padded or seqs.is_padded
        _check_bce_range(est, seqs.values)
        scaler = partial_fit_scaler(scaler, seqs.values)
    spec = fit_spec(est)
    fitted = FittedAutoencoder(
        None,
        scaler,
        spec,
        n_timesteps=max(steps),
        n_features=n_features,
        masked=padded or len(steps) > 1 or est.mode != "reconstruct",
        table=False,
        n_features_in=n_features,
    )

    def prepare(batch):
        seqs = scaled(est, batch, fitted)
        return make_targets(seqs.values, seqs.lengths, spec)[:2]

    build = _build_fn(
        est, spec, fitted.n_timesteps, n_features, fitted.masked, Seeds(est.random_state)()
    )
    batches = Batches(TrainingBatches(dataset, prepare), None, n_batches)
    model, history = _train(est, spec, batches, build=build, strategy=strategy)
    fitted.attach(model, history)
    return fitted


def train_more(est, fitted, X):
    """Train ``fitted``'s model one more epoch on X; return the extended history.

    The weights are restored if training raises, so a failed call changes nothing.
    """
    seqs = scaled(est, X, fitted)
    seeds = Seeds(est.random_state)
    seeds()  # the build seed, unused by a warm start
    initial_epoch = len(fitted.history.get("loss", []))
    span = None
    if is_multi_worker(fitted.model.distribute_strategy):
        span = (initial_epoch, initial_epoch + 1)
    batches, _ = _array_batches(est, seqs, fitted.spec, seeds(), span)
    weights = fitted.model.get_weights()
    try:
        _, history = _train(
            est,
            fitted.spec,
            batches,
            build=None,
            model=fitted.model,
            initial_epoch=initial_epoch,
            epochs=1,
        )
    except BaseException:
        fitted.model.set_weights(weights)
        raise
    return {k: [*fitted.history.get(k, []), *v] for k, v in history.items()}
