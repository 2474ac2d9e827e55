"""Inference: batched encoding and decoding, reconstruction errors and per-sequence scores."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf
from sklearn.utils.validation import check_array, check_is_fitted

from ._buckets import map_bucketed
from ._input import scaled
from ._network import FUTURE, RECONSTRUCTION
from ._scaling import unscale_inplace
from ._sequences import unpad_sequences
from ._steps import reverse_steps, split_future, valid_lengths

__all__ = [
    "encode",
    "decode",
    "reconstruct",
    "forecast",
    "step_errors",
    "reconstruction_errors",
    "objectives",
]

#: Sequence steps (batch size x time steps) per inference batch, unless the
#: user routes ``predict__batch_size``: large batches keep the matrix
#: products busy, and this bound keeps the activations of long sequences
#: to some hundreds of MiB.
PREDICT_STEPS = 2**18
#: At most this many sequences per inference batch.
PREDICT_BATCH = 4096
#: Batch shapes are compiled with XLA (CPU only) from their third call on,
#: when they hold at least ``XLA_MIN_STEPS`` sequence steps, and for at most
#: ``XLA_MAX_SHAPES`` shapes per function. XLA fuses the LSTM's element-wise
#: work and took 18% (100 units) to 36% (64 units) off a repeated bulk
#: transform on 2 CPU cores, but compiles each new shape for about 0.3 s:
#: the bounds keep that cost for shapes that recur (the full batches of a
#: large transform, repeated calls) and away from one-off and small calls.
XLA_AFTER_CALLS = 2
XLA_MIN_STEPS = 2**14
XLA_MAX_SHAPES = 8


class _Run:
    """Call a Keras model in inference mode.

    An object rather than a closure: TensorFlow counts retracing per
    function code, so closures of every fitted model would share one count
    (and warn) where each model's function here counts alone.
    """

    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        return self.model(x, training=False)


def _xla_wanted():
    """XLA only where no GPU is visible: on a GPU the cuDNN kernels are faster."""
    return not tf.config.list_logical_devices("GPU")


class InferenceFunction:
    """The traced inference function of one Keras model, with an XLA twin for hot shapes.

    Both take batches of any size (and, for a free time axis, any length)
    through one trace each. With ``jit_compile=None`` (the default) calls are
    counted per batch shape, and a shape called more than ``XLA_AFTER_CALLS``
    times with at least ``XLA_MIN_STEPS`` sequence steps runs the
    XLA-compiled function from then on (CPU only, up to ``XLA_MAX_SHAPES``
    shapes). ``True`` compiles every shape on its first call, on any device;
    ``False`` never compiles. Should XLA fail on a graph, the plain function
    is used from then on. Results agree with the plain function to float32
    round-off (tested).
    """

    def __init__(self, model, jit_compile=None):
        inputs = model.inputs[0]
        spec = tf.TensorSpec((None, *inputs.shape[1:]), inputs.dtype)
        self.plain = tf.function(_Run(model), input_signature=[spec])
        self.always = jit_compile is True
        self.xla = _xla_wanted() if jit_compile is None else bool(jit_compile)
        self.compiled = (
            tf.function(_Run(model), input_signature=[spec], jit_compile=True) if self.xla else None
        )
        self.calls = {}  # batch shape -> calls so far
        self.compiled_shapes = set()

    def _use_xla(self, shape):
        if not self.xla:
            return False
        if self.always or shape in self.compiled_shapes:
            return True
        steps = shape[0] * (shape[1] if len(shape) > 2 else 1)
        self.calls[shape] = calls = self.calls.get(shape, 0) + 1
        if (
            calls > XLA_AFTER_CALLS
            and steps >= XLA_MIN_STEPS
            and len(self.compiled_shapes) < XLA_MAX_SHAPES
        ):
            self.compiled_shapes.add(shape)
            return True
        return False

    def __call__(self, batch):
        x = tf.convert_to_tensor(batch)
        if self._use_xla(tuple(x.shape)):
            try:
                return self.compiled(x).numpy()
            except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
                self.xla = False  # a graph XLA cannot compile: plain from now on
        return self.plain(x).numpy()


def _function(est, kind, *args):
    """The :class:`InferenceFunction` of one of ``est``'s graphs, built once per model.

    A routed ``predict__jit_compile`` (True or False) overrides the
    hot-shape policy.
    """
    graphs = est._graphs_
    jit = vars(est).get("predict__jit_compile")
    key = ("function", kind, *args, jit)
    if key not in graphs._cache:
        graphs._cache[key] = InferenceFunction(getattr(graphs, kind)(*args), jit)
    return graphs._cache[key]


def _batch_size(est, steps):
    """Sequences per inference batch for sequences of ``steps`` time steps."""
    routed = vars(est).get("predict__batch_size")
    if routed:
        return int(routed)
    return int(np.clip(PREDICT_STEPS // max(int(steps), 1), 1, PREDICT_BATCH))


def _batches(est, n, steps):
    size = _batch_size(est, steps)
    return (slice(i, min(i + size, n)) for i in range(0, n, size))


def map_batches(est, fn, values, load=None, dtype=np.float32, steps=None):
    """Apply ``fn`` to batches of ``values`` and stack the results.

    Memory grows only with the output: each batch's result is written into
    one preallocated array of ``dtype``. ``load(part, start)``, when given,
    turns each slice of ``values`` into the batch passed to ``fn``.
    ``steps``, the time steps per sequence that ``fn`` computes, sizes the
    batches (default: the second axis of 3D ``values``).
    """
    out = None
    if steps is None:
        steps = values.shape[1] if values.ndim > 2 else 1
    slices = list(_batches(est, len(values), steps))
    for sl, batch in zip(slices, _loaded(values, slices, load), strict=True):
        res = np.asarray(fn(batch))
        if out is None:
            out = np.empty((len(values),) + res.shape[1:], dtype=dtype)
        out[sl] = res
    if out is None:
        raise ValueError("Found array with 0 sample(s); at least 1 is required.")
    return out


def _loaded(values, slices, load):
    """The batches of ``values``, each loaded while the one before is computed.

    Validating and scaling a batch in NumPy took 18% of a transform's time
    with the network idle; a thread loads batch ``i + 1`` while TensorFlow
    (which releases the GIL) runs batch ``i``. Errors surface in batch order.
    """
    if load is None:
        yield from (values[sl] for sl in slices)
        return
    if len(slices) < 2:
        yield from (load(values[sl], sl.start) for sl in slices)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(load, values[slices[0]], slices[0].start)
        for nxt in slices[1:]:
            batch = pending.result()
            pending = pool.submit(load, values[nxt], nxt.start)
            yield batch
        yield pending.result()


def map_prepared(est, fn, seqs, dtype=np.float32, timewise=False):
    """Apply ``fn`` to validated, scaled PaddedSequences: length-bucketed when padded."""
    if seqs.is_padded:
        return map_bucketed(
            fn,
            seqs.values,
            seqs.lengths,
            _batch_size(est, seqs.values.shape[1]),
            timewise=timewise,
            dtype=dtype,
        )
    return map_batches(est, fn, seqs.values, dtype=dtype)


def map_sequences(est, fn, X, dtype=np.float32, timewise=False):
    """Validate and scale X and apply ``fn`` to it batch by batch.

    A numeric NumPy array is read one batch at a time, each batch copied to
    float32, validated, padded and scaled in one pass, so peak memory above
    the input grows only with the output. Other inputs (lists of sequences,
    DataFrames) are first converted in one padded copy; when their lengths
    differ, batches group sequences of similar length, each cut to its own
    longest (``timewise`` results are NaN past each sequence's batch).
    """
    check_is_fitted(est)
    if not (isinstance(X, np.ndarray) and X.ndim in (2, 3) and X.dtype.kind in "biuf"):
        return map_prepared(est, fn, scaled(est, X), dtype, timewise)
    time_axis = 2 if est.data_format == "channels_first" else 1
    return map_batches(
        est,
        fn,
        X,
        load=lambda part, start: scaled(est, part, start).values,
        dtype=dtype,
        steps=X.shape[time_axis] if X.ndim == 3 else est.n_timesteps_,
    )


def predict(est, batch, head=None):
    """Codes (``head=None``) or a decoder's output for one scaled batch of sequences.

    Batches without padding take the unmasked graph (same function, faster
    on CPU).
    """
    padded = bool(np.isnan(batch[:, -1, 0]).any())
    if head is None:
        return _function(est, "encoder", padded)(batch)
    return _function(est, "autoencoder", padded, head)(batch)


def require(est, head, method):
    """Raise unless ``est`` was trained with decoder ``head``."""
    if head in est._graphs_.heads:
        return
    mode = est._fit_spec["mode"]
    if head == FUTURE:
        raise ValueError(
            f"{method} needs the future decoder of mode='predict' or "
            f"'composite', but this transformer was fitted with mode={mode!r}."
        )
    raise ValueError(
        f"{method} needs the reconstruction decoder of mode='reconstruct' or "
        f"'composite', but this transformer was fitted with mode={mode!r}. "
        "Use forecast() for the predicted future."
    )


def _reconstruct_scaled(est, batch):
    """Forward-ordered reconstruction of a batch, scaled units, NaN on padding."""
    out = np.asarray(predict(est, batch, RECONSTRUCTION))
    if est._fit_spec["reverse_target"]:
        out = reverse_steps(out, valid_lengths(batch))
    out[np.isnan(batch)] = np.nan
    return out


def encode(est, X, prepared=False):
    """Codes of X; ``prepared=True`` when X is already validated, scaled PaddedSequences."""
    if prepared:
        return map_prepared(est, lambda batch: predict(est, batch), X)
    return map_sequences(est, lambda batch: predict(est, batch), X)


def decode(est, X, lengths=None):
    """Sequences decoded from codes X, forward order, original units."""
    check_is_fitted(est)
    require(est, RECONSTRUCTION, "inverse_transform")
    Z = check_array(X, dtype=np.float32)
    latent_dim = est._graphs_.latent_dim
    if Z.shape[1] != latent_dim:
        raise ValueError(
            f"X has {Z.shape[1]} columns, but codes of this transformer have "
            f"latent_dim={latent_dim}. Pass the output of transform."
        )
    if lengths is not None:
        lengths = np.asarray(lengths)
        if lengths.shape != (len(Z),):
            raise ValueError(
                f"lengths must hold one length per code ({len(Z)}), got shape {lengths.shape}."
            )
    steps = None  # the training length, n_timesteps_
    if lengths is not None and len(lengths) and est._graphs_.free_length:
        steps = max(int(lengths.max()), est.n_timesteps_)
        steps = None if steps == est.n_timesteps_ else steps
    out = map_batches(
        est,
        _function(est, "decoder", RECONSTRUCTION, steps),
        Z,
        steps=steps or est.n_timesteps_,
    )
    if est._fit_spec["reverse_target"]:
        full = np.full(len(out), out.shape[1])
        out = reverse_steps(out, full if lengths is None else np.clip(lengths, 1, None))
    unscale_inplace(est.scaler_, out)
    return out if lengths is None else unpad_sequences(out, lengths)


def reconstruct(est, X):
    """Encoded and decoded X in the original units, NaN on padding."""
    require(est, RECONSTRUCTION, "reconstruct")
    out = map_sequences(est, lambda batch: _reconstruct_scaled(est, batch), X, timewise=True)
    return unscale_inplace(est.scaler_, out)


def forecast(est, X):
    """The ``n_future`` steps predicted after each sequence, original units."""
    check_is_fitted(est)
    require(est, FUTURE, "forecast")
    out = map_sequences(est, lambda batch: predict(est, batch, FUTURE), X)
    return unscale_inplace(est.scaler_, out)


def step_errors(est, X):
    """Squared reconstruction error per step ``(n, n_timesteps_)``, NaN on padding.

    Averaged over features, in the scaled units the network is trained in.
    """
    require(est, RECONSTRUCTION, "the reconstruction error")
    return map_sequences(
        est,
        lambda batch: np.mean(np.square(_reconstruct_scaled(est, batch) - batch), axis=2),
        X,
        timewise=True,
    )


def _reconstruction_error(est, batch):
    """Per-sequence mean squared error over the valid steps of one scaled batch."""
    sq = np.square(_reconstruct_scaled(est, batch) - batch)  # NaN on padding
    return np.nanmean(sq.reshape(len(sq), -1), axis=1, dtype=np.float64)


def reconstruction_errors(est, X):
    """Mean squared reconstruction error of each sequence, float64, scaled units."""
    require(est, RECONSTRUCTION, "the reconstruction error")
    return map_sequences(est, lambda batch: _reconstruction_error(est, batch), X, np.float64)


def _objective(est, batch):
    """Per-sequence training loss (mean squared error) on one scaled batch."""
    spec = est._fit_spec
    if spec["mode"] == "reconstruct":
        return _reconstruction_error(est, batch)
    lengths = valid_lengths(batch)
    k = spec["n_future"]
    if lengths.min() <= k:
        raise ValueError(
            f"Scoring in mode={spec['mode']!r} compares the predicted last "
            f"n_future={k} steps of each sequence with the true ones, so "
            f"sequences need more than {k} steps; the shortest has {lengths.min()}."
        )
    past, future = split_future(batch, lengths, k)
    error = np.mean(np.square(predict(est, past, FUTURE) - future), axis=(1, 2))
    if spec["mode"] == "predict":
        return error
    weight = spec["future_weight"]
    return (1 - weight) * _reconstruction_error(est, past) + weight * error


def objectives(est, X):
    """Per-sequence training loss of X (the negative of ``score_samples``)."""
    return map_sequences(est, lambda batch: _objective(est, batch), X)
