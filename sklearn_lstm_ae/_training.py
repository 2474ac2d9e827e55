"""Training: targets, seeding and the fit paths (arrays, bucketed, PyDataset, partial_fit)."""

import keras
import numpy as np
import tensorflow as tf

from ._buckets import BucketedTraining
from ._callbacks import StopOnNaN, budget, quiet_retracing, training_callbacks
from ._input import check_input, scaled
from ._network import FUTURE, RECONSTRUCTION, AutoencoderGraphs, build_autoencoder, training_inputs
from ._params import heads, is_bce, keras_params
from ._random import Seeds, ordered_training
from ._scaling import fit_scaler, make_scaler, partial_fit_scaler, scale_inplace
from ._scikeras import fit_keras_model
from ._sequences import check_sequences
from ._steps import nan_to_zero, reverse_steps, split_future
from ._streaming import TrainingBatches

__all__ = ["fit_arrays", "fit_batches", "partial_fit", "restore_model", "FITTED_PRIVATE"]

#: Training steps Keras runs per call into its traced train function
#: (``Model.compile(steps_per_execution=...)``), unless the user routes
#: ``compile__steps_per_execution``. One call per step costs a fixed overhead
#: that weighs on small batches: 32 steps per call trained the seeds' network
#: (batch 32, 10 steps, 100 units) in 0.93x and 0.96x the fit time of one
#: step per call on 2 CPU cores (two benchmark runs, medians of 3 alternating
#: fits), with identical losses (tested). Batch-level callback hooks then run
#: once per 32 steps; epoch-level ones are unchanged.
STEPS_PER_EXECUTION = 32

# Private state made by fit; removed with the public fitted attributes on refit.
FITTED_PRIVATE = ("_graphs", "_fit_on_table", "_padded_fit", "_fit_spec")


def _units(units):
    return tuple(int(u) for u in units)


def fit_spec(est):
    """What a fitted model was trained for, kept with it (and saved)."""
    weights = heads(est.mode, est.future_weight)
    return {
        "mode": est.mode,
        "n_future": est.n_future if est.mode != "reconstruct" else 0,
        "reverse_target": bool(est.reverse_target) and est.mode != "predict",
        "conditional": bool(est.conditional),
        "future_weight": float(weights.get(FUTURE, 0.0)),
    }


def _build_fn(est, seed):
    """``build(compile_kwargs)`` making the compiled training graph for ``est``.

    ``seed`` seeds every initial weight and dropout mask (None: unseeded).
    """

    def build(compile_kwargs):
        encoder = _units(est.encoder_units)
        decoder = encoder[::-1] if est.decoder_units is None else _units(est.decoder_units)
        weights = heads(est.mode, est.future_weight)
        model = build_autoencoder(
            n_timesteps=est.n_timesteps_,
            n_features=est.n_features_,
            latent_dim=est.latent_dim,
            encoder_units=encoder,
            decoder_units=decoder,
            activation=est.activation,
            dropout=est.dropout,
            masked=est._padded_fit,
            output_activation="sigmoid" if is_bce(est.loss) else None,
            reconstruct=RECONSTRUCTION in weights,
            n_future=est.n_future if FUTURE in weights else 0,
            conditional=est.conditional,
            cell=est.cell,
            bidirectional=est.bidirectional,
            pooling=est.pooling,
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
            }
        loss = compile_kwargs.pop("loss")
        compile_kwargs.setdefault("steps_per_execution", STEPS_PER_EXECUTION)
        model.compile(loss={head: loss for head in weights}, loss_weights=weights, **compile_kwargs)
        return model

    return build


def training_data(values, lengths, spec):
    """Model inputs and targets for fitting on scaled, NaN-padded ``values``.

    Returns ``(x, targets, padded)``; ``padded`` says whether the encoder's
    input holds padding (and needs the masked graph).
    """
    targets = {}
    if spec["mode"] == "reconstruct":
        encoder_input, input_lengths = values, lengths
    else:
        k = spec["n_future"]
        if lengths.min() <= k:
            raise ValueError(
                f"mode={spec['mode']!r} with n_future={k} splits the last {k} "
                "steps off each training sequence as its future, so every "
                f"sequence needs more than {k} steps; the shortest has "
                f"{lengths.min()}. Lower n_future or drop the short sequences."
            )
        encoder_input, targets[FUTURE] = split_future(values, lengths, k)
        input_lengths = lengths - k
    if spec["mode"] != "predict":
        target = encoder_input
        if spec["reverse_target"]:
            target = reverse_steps(target, input_lengths)
        targets[RECONSTRUCTION] = nan_to_zero(target)
    padded = int(input_lengths.min()) < values.shape[1]
    return encoder_input, targets, padded


def _strategy(est):
    """The tf.distribute strategy to build and train under."""
    if est.distribution_strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
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


def restore_model(est, model):
    """Attach a trained Keras model and the inference graphs sharing its weights."""
    est.model_ = model
    est._graphs = AutoencoderGraphs(model)


def _unfitted_copy(est):
    new = object.__new__(type(est))
    vars(new).update(
        (k, v) for k, v in vars(est).items() if not (k.endswith("_") or k in FITTED_PRIVATE)
    )
    return new


def _commit(est, new):
    """Replace ``est``'s state by the fitted ``new``'s (a fit changes nothing until here)."""
    vars(est).clear()
    vars(est).update(vars(new))
    return est


def _train(est, seqs, *, epochs, warm_start=False):
    """Build the training targets from scaled ``seqs`` and run Keras on them."""
    values, targets, padded = training_data(seqs.values, seqs.lengths, est._fit_spec)
    if not warm_start:
        est._padded_fit = padded or est._padded_fit
    x = training_inputs(values, targets, est._fit_spec["conditional"])
    # Every random part draws from the estimator's own seeds, in this order.
    seeds = Seeds(est.random_state)
    build_seed, order_seed = seeds(), seeds()
    params, fit_kwargs, callbacks = keras_params(est), {}, []
    if seqs.is_padded and not est.validation_split and est.bucketing:
        # Sequences of similar length batched together, each batch padded to
        # its own longest: the steps computed follow the valid ones.
        x, targets = _bucketed(est, seqs, order_seed), None
    elif est.shuffle and order_seed is not None:
        x, fit_kwargs, ordering = ordered_training(
            x,
            targets,
            batch_size=est.batch_size,
            validation_split=0.0 if "fit__validation_data" in params else est.validation_split,
            seed=order_seed,
        )
        targets, callbacks = None, [ordering]
    # A warm start keeps training under the strategy the model was built in.
    strategy = est.model_.distribute_strategy if warm_start else _strategy(est)
    model = est.model_ if warm_start else None
    done = len(est.history_["loss"]) if warm_start else 0
    n_epochs, steps = budget(est, len(values))
    if epochs is None:
        epochs = n_epochs
    callbacks += training_callbacks(est, steps) if not warm_start else [StopOnNaN()]
    with strategy.scope(), quiet_retracing():
        model, history = fit_keras_model(
            _build_fn(est, build_seed),
            x,
            targets,
            params=params,
            callbacks=callbacks,
            epochs=epochs,
            model=model,
            initial_epoch=done,
            fit_kwargs=fit_kwargs,
        )
    _check_converged(history)
    return model, history


def _bucketed(est, seqs, seed):
    """Length-bucketed training batches of scaled ``seqs``, redrawn every epoch from ``seed``."""
    spec = est._fit_spec

    def prepare(values, lengths):
        batch, targets, _ = training_data(values, lengths, spec)
        return training_inputs(batch, targets, spec["conditional"]), targets

    return BucketedTraining(
        seqs.values, seqs.lengths, est.batch_size, prepare, shuffle=est.shuffle, seed=seed
    )


def _fit_scaled(new, seqs, epochs, padded=False):
    """Fit the unfitted copy ``new`` on its validated ``seqs`` (scaled in place); return it."""
    _check_bce_range(new, seqs.values)
    new.scaler_ = fit_scaler(make_scaler(new.scaler), seqs.values)
    scale_inplace(new.scaler_, seqs.values)
    _, new.n_timesteps_, new.n_features_ = seqs.values.shape
    new._fit_spec = fit_spec(new)
    new._padded_fit = padded
    model, new.history_ = _train(new, seqs, epochs=epochs)
    restore_model(new, model)
    return new


def fit_arrays(est, X):
    """Fit ``est`` on in-memory sequences and commit; return X's scaled sequences."""
    new = _unfitted_copy(est)
    seqs = check_input(new, X, reset=True)
    fitted = _fit_scaled(new, seqs, None)
    _commit(est, fitted)
    return seqs


def fit_batches(est, dataset):
    """Fit from a PyDataset: scaler in a first pass, then Keras batch by batch."""
    if est.validation_split:
        raise ValueError(
            "validation_split cannot split a PyDataset. Set validation_split=0 "
            "and pass held-out batches as fit__validation_data=<a PyDataset "
            "of (inputs, targets)>, or monitor with callbacks."
        )
    n_batches = len(dataset)
    if n_batches == 0:
        raise ValueError("The PyDataset holds 0 batches; at least 1 is required.")
    new = _unfitted_copy(est)
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
    new.scaler_ = scaler
    new.n_timesteps_, new.n_features_ = max(steps), n_features
    new.n_features_in_, new._fit_on_table = n_features, False
    new._fit_spec = fit_spec(est)
    new._padded_fit = padded or len(steps) > 1 or est.mode != "reconstruct"

    def prepare(batch):
        seqs = scaled(new, batch)
        values, targets, _ = training_data(seqs.values, seqs.lengths, new._fit_spec)
        return training_inputs(values, targets, new._fit_spec["conditional"]), targets

    with _strategy(new).scope(), quiet_retracing():
        model, new.history_ = fit_keras_model(
            _build_fn(new, Seeds(est.random_state)()),
            TrainingBatches(dataset, prepare),
            None,
            params=keras_params(new),
            callbacks=training_callbacks(new, n_batches),
            epochs=-(-est.max_updates // n_batches) if est.epochs == "auto" else est.epochs,
        )
    _check_converged(new.history_)
    restore_model(new, model)
    _commit(est, new)


def partial_fit(est, X):
    """Train ``est`` for one more epoch on X (the first call fits the scaler and builds)."""
    if not hasattr(est, "model_"):
        new = _unfitted_copy(est)
        seqs = check_input(new, X, reset=True)
        # Later batches may be shorter: always build the masked graph.
        return _commit(est, _fit_scaled(new, seqs, epochs=1, padded=True))
    seqs = scaled(est, X)
    weights = est.model_.get_weights()
    try:
        model, history = _train(est, seqs, epochs=1, warm_start=True)
    except BaseException:
        est.model_.set_weights(weights)
        raise
    est.history_ = {k: [*est.history_.get(k, []), *v] for k, v in history.items()}
    return est
