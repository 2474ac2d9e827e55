"""Training: one core that builds and runs Keras, fed by arrays, length buckets or a PyDataset.

Every path (in-memory arrays, length-bucketed lists, a ``PyDataset`` of
batches, ``partial_fit``) turns its data into :class:`Batches` and calls
:func:`_train`, which builds the network, computes the update budget, runs
Keras and checks the result; a fit returns a new
:class:`~sklearn_lstm_ae._fitted.FittedAutoencoder`. Every function reads
a :class:`~sklearn_lstm_ae._config.FitConfig` resolved once by the
estimator's ``fit``, never the estimator. A new loss term is added in
:func:`make_targets` (what the batches carry) and in the network builder,
once for all paths.
"""

from dataclasses import dataclass, field, replace

import keras
import numpy as np

from ._callbacks import StopOnNaN, budget, quiet_retracing, steps_per_epoch, training_callbacks
from ._config import is_bce
from ._data.buckets import BucketedTraining
from ._data.scaling import fit_scaler, make_scaler, partial_fit_scaler, scale_inplace
from ._data.sequences import check_sequences
from ._data.steps import check_future_lengths, nan_to_zero, reverse_steps, split_future
from ._data.streaming import TrainingBatches
from ._fitted import FittedAutoencoder
from ._input import check_targets, read_training, scaled
from ._keras.network import build_autoencoder, training_inputs
from ._keras.objectives import TermLoss
from ._names import FUTURE, RECONSTRUCTION
from ._random import Seeds, order_seed, ordered_training
from ._runners import runner_for, runner_of
from ._scikeras import fit_keras_model

__all__ = ["fit_sequences", "fit_stream", "train_more", "make_targets"]

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
#: A fit of at most this many updates (its whole budget) runs one step per
#: call instead, unless the user routes ``compile__steps_per_execution``:
#: tracing Keras's multi-step loop costs about 0.2 s, a fifth of a small
#: fit, and one call per step about 2.5 ms more per update. A tiny network
#: on 2 CPU cores fitted in 0.75 instead of 0.94 s at 8 updates, 0.90
#: instead of 1.09 s at 40 and 1.47 instead of 1.26 s at 200 (medians of 5
#: alternating fits, identical losses): below about 76 updates one step per
#: call is faster.
FEW_UPDATES = 64


def short_epochs(config, steps):
    """Whether epochs of ``steps`` updates are laid out in advance (see :func:`_array_batches`).

    They are when an epoch is no longer than one call into Keras's train
    function and the user routes no ``compile__steps_per_execution``: a new
    ``tf.data`` iterator each epoch then costs about as much as the epoch's
    updates (17 ms against 2 updates of 17 ms on GunPoint, 2 CPU cores).
    """
    return steps <= STEPS_PER_EXECUTION and "compile__steps_per_execution" not in config.keras


def one_step_if_few(config, batches, epochs=None):
    """``batches`` run one step per call if ``epochs`` of them make at most FEW_UPDATES updates."""
    if "compile__steps_per_execution" in config.keras:
        return batches
    epochs = budget(config, batches.steps) if epochs is None else epochs
    if epochs * batches.steps > FEW_UPDATES:
        return batches
    return replace(batches, steps_per_execution=1)


def make_targets(values, lengths, spec):
    """Model inputs and targets for training on scaled, NaN-padded ``values``.

    Returns ``(x, targets, padded)``: what ``Model.fit`` reads, a dict of
    targets by decoder, and whether the encoder's input holds padding (and
    needs the masked graph).
    """
    targets = {}
    if spec.mode == "reconstruct":
        encoder_input, input_lengths = values, lengths
    else:
        check_future_lengths(lengths, spec, "Fitting")
        encoder_input, targets[FUTURE] = split_future(values, lengths, spec.n_future)
        input_lengths = lengths - spec.n_future
    if spec.mode != "predict":
        target = encoder_input
        if spec.reverse_target:
            target = reverse_steps(target, input_lengths)
        targets[RECONSTRUCTION] = nan_to_zero(target)
    for term in spec.terms:
        # A term's output is its own loss: Keras wants a target all the same.
        targets[term] = np.zeros(len(values), np.float32)
    padded = int(input_lengths.min()) < values.shape[1]
    return training_inputs(encoder_input, targets, spec.conditional), targets, padded


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
    steps_per_execution: int = STEPS_PER_EXECUTION


def _build_fn(config, n_timesteps, n_features, masked, seed, steps_per_execution):
    """``build(compile_kwargs)`` making the compiled training graph."""
    spec = config.spec

    def build(compile_kwargs):
        model = build_autoencoder(
            config.network,
            spec,
            n_timesteps=n_timesteps,
            n_features=n_features,
            masked=masked,
            seed=seed,
        )
        weights = spec.loss_weights
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
                for head in spec.decoders
            }
        loss = compile_kwargs.pop("loss")
        losses = {head: TermLoss() if head in spec.terms else loss for head in weights}
        compile_kwargs.setdefault("steps_per_execution", steps_per_execution)
        model.compile(loss=losses, loss_weights=weights, **compile_kwargs)
        build_training_state(model)
        return model

    return build


def build_training_state(model):
    """Make a compiled model's training variables now, not while its train step is traced.

    A traced function that makes variables is traced a second time, and the
    train step is most of a small fit's time. Keras makes them lazily, in
    the first trace, unless a distribution strategy builds them first: the
    optimizer's slots, the ``Mean`` tracker of each loss when there are
    several (``reconstruction_loss``, ``future_loss``, ``subseries_loss``
    ...) and the compiled metrics. They are built here from the functional
    model's symbolic outputs, which have the structure of the targets.
    """
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    # Private in Keras 3; a Keras without them traces twice, as before.
    for compiled in (
        getattr(model, "_compile_loss", None),
        getattr(model, "_compile_metrics", None),
    ):
        if compiled is not None and not getattr(compiled, "built", True):
            compiled.build(model.output, model.output)


def _check_converged(history):
    losses = np.asarray(history.get("loss", []), dtype=float)
    if losses.size == 0 or not np.isfinite(losses).all():
        raise FloatingPointError(
            "Training diverged: the loss became NaN or infinite after "
            f"{losses.size} epoch(s). Lower optimizer__learning_rate, keep scaler="
            "'standard', or use activation='tanh'."
        )


def _check_bce_range(config, values):
    if is_bce(config.loss) and config.scaler is None:
        values = values[~np.isnan(values)]
        if values.min() < 0 or values.max() > 1:
            raise ValueError(
                "loss='binary_crossentropy' needs values in [0, 1], but X "
                f"ranges from {values.min():g} to {values.max():g}. Use "
                "scaler='minmax' or loss='mse'."
            )


def _train(config, batches, *, build, runner=None, model=None, initial_epoch=0, epochs=None):
    """The one training core: build (unless warm), budget, run Keras, check the loss.

    ``runner`` is the fit's (:func:`~sklearn_lstm_ae._runners.runner_for`,
    chosen before its first TensorFlow operation); a warm start keeps
    training under the strategy ``model`` was built in. Returns the trained
    Keras model and the history of this call.
    """
    if epochs is None:
        epochs = budget(config, batches.steps)
    warm = model is not None
    callbacks = [*batches.callbacks]
    callbacks += [StopOnNaN()] if warm else training_callbacks(config, batches.steps)
    runner = runner_of(model) if warm else runner
    if warm:
        build_training_state(model)  # a loaded model's train step is traced anew
    with runner.scope(), quiet_retracing():
        model, history = fit_keras_model(
            build,
            batches.x,
            batches.y,
            params=config.keras,
            callbacks=callbacks,
            epochs=epochs,
            model=model,
            initial_epoch=initial_epoch,
            fit_kwargs=batches.fit_kwargs,
            run=runner.loop(config.spec.loss_weights),
        )
    _check_converged(history)
    return model, history


def _array_batches(config, seqs, spec, seed, span=None, *, short=None):
    """Batches of in-memory scaled sequences; returns ``(Batches, padded)``.

    ``seed`` orders the batches (None: Keras shuffles the arrays itself).
    ``span=(initial_epoch, stop)`` (a runner's :meth:`~sklearn_lstm_ae._runners.Runner.span`;
    ``stop=None``: to the end of the budget) asks for ordered batches of all
    the epochs trained, in one dataset read by one iterator. ``short=(0,
    stop)``, for a fit from epoch 0, lays out the epochs the same way when
    they are short (:func:`short_epochs`), and Keras reads
    one epoch per call into its train function from the one iterator
    (``steps_per_epoch``): the batches, and so the trained weights, are
    those of one dataset per epoch, without an iterator made per epoch.
    """
    x, targets, padded = make_targets(seqs.values, seqs.lengths, spec)
    steps = steps_per_epoch(config, len(seqs.values))
    if seqs.is_padded and not config.validation_split and config.shuffle == "buckets":
        # Sequences of similar length batched together, each batch padded to
        # its own longest: the steps computed follow the valid ones.
        def prepare(values, lengths):
            return make_targets(values, lengths, spec)[:2]

        bucketed = BucketedTraining(
            seqs.values,
            seqs.lengths,
            config.batch_size,
            prepare,
            seed=seed,
        )
        return Batches(bucketed, None, steps), padded
    if config.shuffle is not False and seed is not None:
        epochs, execution = None, STEPS_PER_EXECUTION
        laid_out_here = span is None and short is not None and short_epochs(config, steps)
        if laid_out_here:
            span, execution = short, steps
        if span is not None:
            start, stop = span
            epochs = (start, start + budget(config, steps) if stop is None else stop)
        dataset, fit_kwargs, ordering = ordered_training(
            x,
            targets,
            batch_size=config.batch_size,
            validation_split=0.0 if config.validation_data else config.validation_split,
            seed=seed,
            epochs=epochs,
        )
        callbacks = [] if ordering is None else [ordering]
        if laid_out_here:
            fit_kwargs["steps_per_epoch"] = steps
        return Batches(dataset, None, steps, fit_kwargs, callbacks, execution), padded
    return Batches(x, targets, steps), padded


def fit_sequences(config, X, y=None, *, epochs=None, masked=False):
    """Fit on in-memory sequences; return ``(FittedAutoencoder, X's scaled sequences)``.

    ``y`` is only checked to hold one value per sequence. ``masked=True``
    builds the masked graph even without padding (later ``partial_fit``
    batches may be shorter).
    """
    runner = runner_for(config)
    seqs, seen = read_training(X, config.data_format, y)
    config = config.for_length(float(np.median(seqs.lengths)))
    _check_bce_range(config, seqs.values)
    scaler = fit_scaler(make_scaler(config.scaler), seqs.values)
    scale_inplace(scaler, seqs.values)
    _, n_timesteps, n_features = seqs.values.shape
    spec = config.spec
    # Every random part draws from the estimator's own seeds, in this order.
    seeds = Seeds(config.random_state)
    build_seed, order = seeds(), order_seed(seeds())
    batches, padded = _array_batches(
        config, seqs, spec, order, runner.span(0, epochs), short=(0, epochs)
    )
    batches = one_step_if_few(config, batches, epochs)
    masked = masked or padded or config.network.needs_mask
    build = _build_fn(
        config, n_timesteps, n_features, masked, build_seed, batches.steps_per_execution
    )
    model, history = _train(config, batches, build=build, runner=runner, epochs=epochs)
    fitted = FittedAutoencoder(
        model,
        scaler,
        spec,
        network=config.network,
        data_format=config.data_format,
        n_timesteps=n_timesteps,
        n_features=n_features,
        masked=masked,
        history=history,
        **seen,
    )
    return fitted, seqs


def _first_pass(config, dataset, n_batches):
    """Read every batch once: ``(scaler, n_features, batch widths, median length, padded)``."""
    scaler = make_scaler(config.scaler)
    n_features, steps, lengths, padded = None, set(), [], False
    for i in range(n_batches):
        seqs = check_sequences(
            dataset[i], n_features=n_features, name=f"batch {i}", data_format=config.data_format
        )
        n_features = seqs.values.shape[2]
        steps.add(seqs.values.shape[1])
        lengths.append(seqs.lengths)
        padded = padded or seqs.is_padded
        _check_bce_range(config, seqs.values)
        scaler = partial_fit_scaler(scaler, seqs.values)
    return scaler, n_features, steps, float(np.median(np.concatenate(lengths))), padded


def fit_stream(config, dataset):
    """Fit from a PyDataset: the scaler in a first pass, then Keras batch by batch."""
    if config.validation_split:
        raise ValueError(
            "validation_split cannot split a PyDataset. Set validation_split=0 "
            "and pass held-out batches as fit__validation_data=<a PyDataset "
            "of (inputs, targets)>, or monitor with callbacks."
        )
    runner = runner_for(config)
    n_batches = len(dataset)
    if n_batches == 0:
        raise ValueError("The PyDataset holds 0 batches; at least 1 is required.")
    scaler, n_features, steps, median, padded = _first_pass(config, dataset, n_batches)
    config = config.for_length(median)
    spec = config.spec
    fitted = FittedAutoencoder(
        None,
        scaler,
        spec,
        network=config.network,
        data_format=config.data_format,
        n_timesteps=max(steps),
        n_features=n_features,
        masked=padded or len(steps) > 1 or spec.mode != "reconstruct" or config.network.needs_mask,
        table=False,
        n_features_in=n_features,
    )

    def prepare(batch):
        seqs = scaled(batch, fitted)
        return make_targets(seqs.values, seqs.lengths, spec)[:2]

    build = _build_fn(
        config,
        fitted.n_timesteps,
        n_features,
        fitted.masked,
        Seeds(config.random_state)(),
        STEPS_PER_EXECUTION,
    )
    batches = Batches(TrainingBatches(dataset, prepare), None, n_batches)
    model, history = _train(config, batches, build=build, runner=runner)
    fitted.attach(model, history)
    return fitted


def train_more(config, fitted, X, y=None):
    """Train ``fitted``'s model one more epoch on X; return the extended history.

    It trains for what the model was trained for (``fitted.spec``), whatever
    ``config.spec`` says now. The weights are restored if training raises, so
    a failed call changes nothing.
    """
    seqs = scaled(X, fitted)
    check_targets(y, len(seqs.lengths))
    seeds = Seeds(config.random_state)
    seeds()  # the build seed, unused by a warm start
    initial_epoch = len(fitted.history.get("loss", []))
    span = runner_of(fitted.model).span(initial_epoch, initial_epoch + 1)
    batches, _ = _array_batches(config, seqs, fitted.spec, seeds(), span)
    weights = fitted.model.get_weights()
    try:
        _, history = _train(
            replace(config, spec=fitted.spec),
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
