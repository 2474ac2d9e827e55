"""Inference batching: traced (and XLA-compiled) functions, batch sizes, lazy input.

How inference runs, not what it computes: :class:`InferenceFunction` runs
one Keras graph on batches (compiling recurring shapes with XLA),
:func:`map_sequences` and :func:`map_batches` cut the input into batches
and join the results, and :class:`LazySequences` validates and scales a
large array one batch at a time. What each method computes is in
:class:`~sklearn_lstm_ae._fitted.FittedAutoencoder`.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ._data.buckets import map_bucketed

__all__ = ["LazySequences", "InferenceFunction", "map_batches", "map_sequences"]

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
#: Batches are padded to a multiple of this many rows: the CPU's matrix
#: kernels compute the rows of a partial block with another summation order,
#: so without padding a sequence's code changed in its last bits with its
#: position in the batch (seen with 20 rows: rows 16-19 differed by 1e-6
#: relative). Padded, every row goes through full blocks and ``transform``
#: does not depend on the order of the sequences (scikit-learn checks this).
ROW_BLOCK = 16
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
        n = len(batch)
        if n % ROW_BLOCK:
            batch = np.concatenate(
                [batch, np.zeros((ROW_BLOCK - n % ROW_BLOCK, *batch.shape[1:]), batch.dtype)]
            )
        x = tf.convert_to_tensor(batch)
        if self._use_xla(tuple(x.shape)):
            try:
                return self.compiled(x).numpy()[:n]
            except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
                self.xla = False  # a graph XLA cannot compile: plain from now on
        return self.plain(x).numpy()[:n]


@dataclass(frozen=True)
class LazySequences:
    """A NumPy array of sequences, validated, padded and scaled one batch at a time.

    Parameters
    ----------
    values : ndarray
        The raw array, in the caller's layout.
    load : callable
        ``load(part, start) -> ndarray (n, n_timesteps, n_features)``: one
        slice validated and scaled (``start`` numbers the sequences in errors).
    steps : int
        Time steps per sequence (sizes the batches).
    """

    values: np.ndarray
    load: Callable
    steps: int


def _batch_size(options, steps):
    """Sequences per inference batch for sequences of ``steps`` time steps."""
    if options.batch_size:
        return int(options.batch_size)
    return int(np.clip(PREDICT_STEPS // max(int(steps), 1), 1, PREDICT_BATCH))


def _batches(options, n, steps):
    size = _batch_size(options, steps)
    return (slice(i, min(i + size, n)) for i in range(0, n, size))


def map_batches(options, fn, values, load=None, dtype=np.float32, steps=None):
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
    slices = list(_batches(options, len(values), steps))
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


def map_sequences(fn, seqs, options, dtype=np.float32, timewise=False):
    """Apply ``fn`` to validated, scaled sequences batch by batch.

    :class:`LazySequences` are read one batch at a time (each batch
    validated and scaled in a thread while the one before is computed), so
    peak memory above the input grows only with the output. Padded
    ``PaddedSequences`` are cut into batches of similar length, each to its
    own longest (``timewise`` results are NaN past each sequence's batch).
    """
    if isinstance(seqs, LazySequences):
        return map_batches(options, fn, seqs.values, load=seqs.load, dtype=dtype, steps=seqs.steps)
    if seqs.is_padded:
        return map_bucketed(
            fn,
            seqs.values,
            seqs.lengths,
            _batch_size(options, seqs.values.shape[1]),
            timewise=timewise,
            dtype=dtype,
        )
    return map_batches(options, fn, seqs.values, dtype=dtype)
