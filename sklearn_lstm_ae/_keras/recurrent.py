"""Keras's LSTM and GRU layers, traced in a few operations on CPUs (fused LSTM, GRU gradient)."""

import contextvars
from contextlib import contextmanager

import keras
import tensorflow as tf
from keras import activations, ops, tree

from .._fallbacks import note

__all__ = [
    "FusedLSTM",
    "ScanGRU",
    "fused_lstm",
    "scan_gru",
    "at_step",
    "standard_ops",
    "fast_paths_on",
    "recurrent_class",
    "RECURRENT",
]

#: The activations the fast paths compute (tanh and sigmoid), as Keras names them.
_TANH = (activations.tanh, tf.tanh, ops.tanh)
_SIGMOID = (activations.sigmoid, tf.sigmoid, ops.sigmoid)


try:  # TensorFlow's private check; no public API tells an XLA trace apart
    from tensorflow.python.framework import ops as _graphs
    from tensorflow.python.ops import control_flow_util as _control_flow

    #: True when this TensorFlow tells whether a trace is compiled with XLA.
    XLA_CHECK = callable(getattr(_control_flow, "GraphOrParentsInXlaContext", None)) and callable(
        getattr(_graphs, "get_default_graph", None)
    )
except ImportError:  # pragma: no cover - a TensorFlow without those modules
    XLA_CHECK = False


#: True when this TensorFlow has the fused ``BlockLSTM`` kernel (a raw op);
#: without it FusedLSTM runs Keras's own loop.
BLOCK_LSTM = hasattr(tf.raw_ops, "BlockLSTM")


def _xla_context():
    """True while a function compiled with XLA is being traced (no fused kernel there).

    Without TensorFlow's check (:data:`XLA_CHECK`) every trace counts as one,
    with a one-time note: Keras's own loops run everywhere, the same results.
    """
    if not XLA_CHECK:
        note("TensorFlow's XLA-context check", "Keras's own recurrent loops run on CPUs too")
        return True
    return _control_flow.GraphOrParentsInXlaContext(_graphs.get_default_graph())


#: Set (in this thread or task only) while graphs are traced for export.
_STANDARD_OPS = contextvars.ContextVar("sklearn_lstm_ae_standard_ops", default=False)


@contextmanager
def standard_ops():
    """Keras's own recurrent layers and loops within this block: standard operations only.

    The fast paths put ``BlockLSTM`` and a custom gradient into the graphs
    they trace; an exported graph must hold only what every serving stack
    (ONNX converters included) reads. Layers built within the block are
    Keras's ``LSTM`` and ``GRU`` themselves (:func:`recurrent_class`), and a
    model loaded within it keeps the Keras classes its file names. The
    switch is a context variable: other threads and later traces are not
    affected.
    """
    token = _STANDARD_OPS.set(True)
    try:
        yield
    finally:
        _STANDARD_OPS.reset(token)


def fast_paths_on():
    """False inside :func:`standard_ops`: layers built and graphs traced there are Keras's own."""
    return not _STANDARD_OPS.get()


def _on_cpu_outside_xla():
    """True on a machine without a visible GPU, outside XLA: where the fast paths run.

    The :func:`standard_ops` switch is read by the layers' ``inner_loop``
    before this, since its fallback also avoids Keras's cuDNN kernel.
    """
    return not tf.config.list_logical_devices("GPU") and not _xla_context()


def _gates_icfo(matrix):
    """Keras's gate blocks (input, forget, cell, output) in ``BlockLSTM``'s order (i, c, f, o)."""
    i, f, c, o = tf.split(matrix, 4, axis=-1)
    return tf.concat([i, c, f, o], axis=-1)


def at_step(sequences, steps, training=False):
    """``sequences[i, steps[i]]`` for every ``i``: one step of each sequence.

    In inference a batched ``gather``. In training a product with the
    one-hot steps summed over time: the same values (the other terms are
    exact zeros), and a gradient of a few operations where a gather's
    traces dozens (tracing time in every fit).
    """
    if not training:
        return tf.gather(sequences, steps, batch_dims=1)
    pick = tf.one_hot(steps, tf.shape(sequences)[1], dtype=sequences.dtype)
    return tf.reduce_sum(sequences * pick[:, :, None], axis=1)


def _valid_lengths(mask):
    """Valid steps per sequence of a right-padded ``mask`` (None without one)."""
    return None if mask is None else tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)


def _valid_reversed(sequences, lengths):
    """Each sequence's first ``lengths`` steps in reverse order, the steps after them in place."""
    if lengths is None:
        return tf.reverse(sequences, [1])
    return tf.reverse_sequence(sequences, lengths, seq_axis=1, batch_axis=0)


def _in_keras_backward_order(outputs, mask, lengths):
    """Outputs of valid steps read backward, laid out as Keras's ``go_backwards`` loop lays them.

    Keras reverses the whole padded sequence: it reads the padding first
    (zeros out), then the valid steps from the last to the first.
    """
    outputs = tf.where(tf.cast(mask, tf.bool)[:, :, None], outputs, tf.zeros_like(outputs))
    return tf.reverse(_valid_reversed(outputs, lengths), [1])


def fused_lstm(
    sequences,
    h0,
    c0,
    kernel,
    recurrent_kernel,
    bias,
    mask=None,
    training=False,
    go_backwards=False,
):
    """Keras's LSTM over ``sequences`` in one TensorFlow op: ``(last, outputs, [h, c])``.

    ``tf.raw_ops.BlockLSTM`` runs every step, forward and backward, inside
    one CPU kernel, where Keras's loop dispatches a few operations per step.
    The gradient registered for ``BlockLSTMV2`` assumes the other op's gate
    order, so the weights are reordered for ``BlockLSTM`` instead. A
    ``mask`` must be right-padded (the package's NaN padding is): the
    states at masked steps are those of the sequence's last valid step, as
    in Keras's masked loop (picked as :func:`at_step` does for ``training``).

    ``go_backwards`` reads each sequence from its last valid step to its
    first, and returns what Keras's loop returns then: the outputs in the
    order they were computed along the whole reversed time axis, so the
    padding, read first, gives zeros (Keras reverses the padded sequence;
    ``Bidirectional`` flips the outputs back).
    """
    lengths = _valid_lengths(mask)
    if go_backwards:
        sequences = _valid_reversed(sequences, lengths)
    x = tf.transpose(sequences, [1, 0, 2])
    units = tf.shape(recurrent_kernel)[0]
    no_peephole = tf.zeros([units], x.dtype)
    run = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.shape(x, out_type=tf.int64)[0],
        x=x,
        cs_prev=c0,
        h_prev=h0,
        w=_gates_icfo(tf.concat([kernel, recurrent_kernel], axis=0)),
        wci=no_peephole,
        wcf=no_peephole,
        wco=no_peephole,
        b=_gates_icfo(bias),
        forget_bias=0.0,
        cell_clip=-1.0,
        use_peephole=False,
    )
    h = tf.transpose(run.h, [1, 0, 2])
    c = tf.transpose(run.cs, [1, 0, 2])
    if mask is None:
        return h[:, -1], h, [h[:, -1], c[:, -1]]
    mask = tf.cast(mask, tf.bool)
    last = tf.maximum(lengths - 1, 0)
    h_last, c_last = at_step(h, last, training), at_step(c, last, training)
    if go_backwards:
        outputs = _in_keras_backward_order(h, mask, lengths)
    else:
        outputs = tf.where(mask[:, :, None], h, h_last[:, None])
    return h_last, outputs, [h_last, c_last]


def _runs_fast(layer):
    """Whether a Keras LSTM or GRU layer can run the package's CPU path.

    On a CPU, outside XLA, with tanh and sigmoid activations, a bias, no
    recurrent dropout and no unrolling.
    """
    cell = layer.cell
    return (
        not (layer.unroll or cell.recurrent_dropout)
        # Keras's (undocumented) dropout mask of the cell, for input dropout
        and (not cell.dropout or callable(getattr(cell, "get_dropout_mask", None)))
        and cell.use_bias
        and cell.activation in _TANH
        and cell.recurrent_activation in _SIGMOID
        and _on_cpu_outside_xla()
    )


def _dropped_out(layer, sequences, mask, training):
    """``(sequences, mask)``: the inputs under the cell's one dropout mask, the first mask.

    One input mask for every step while training, as in Keras's loop and
    its cuDNN path.
    """
    if tree.is_nested(mask):
        mask = mask[0]
    if layer.cell.dropout and training:
        dropout = layer.cell.get_dropout_mask(sequences[:, 0, :])
        sequences = sequences * ops.expand_dims(dropout, 1)
    return sequences, mask


def _generic_loop(layer, sequences, initial_state, mask, training):
    """Keras's step-by-step loop of ``layer``, never its cuDNN kernel.

    Inside :func:`standard_ops` the graph must run anywhere: Keras's
    ``LSTM`` and ``GRU`` pick the cuDNN kernel whenever a GPU is visible,
    whose op runs on NVIDIA GPUs only, so the loop of their base class
    ``keras.layers.RNN`` is called instead (on CPUs, the one Keras runs).
    """
    return keras.layers.RNN.inner_loop(layer, sequences, initial_state, mask, training=training)


def _weights(cell):
    """The cell's kernel, recurrent kernel and bias, as tensors."""
    return cell.kernel.value, cell.recurrent_kernel.value, cell.bias.value


class FusedLSTM(keras.layers.LSTM):
    """Keras's ``LSTM`` layer, run on CPUs through TensorFlow's fused sequence kernel.

    The same weights, configuration and function as ``keras.layers.LSTM``
    (to float32 round-off, forward and backward). On a CPU, outside XLA,
    with tanh and sigmoid activations, a bias, no recurrent dropout and no
    unrolling, the whole sequence runs as one ``BlockLSTM`` operation
    (:func:`fused_lstm`; either way in time, so the backward half of a
    ``Bidirectional`` layer too) instead of a loop that dispatches several
    operations per step, in training and in inference: a traced graph of a
    few operations instead of a loop and its gradient. Everything else
    (XLA-compiled inference, GPUs with their cuDNN kernel, other settings)
    is Keras's own path.
    """

    def _fuses(self):
        if not BLOCK_LSTM:
            note("TensorFlow's BlockLSTM kernel", "Keras's own LSTM loop runs")
            return False
        return _runs_fast(self)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not fast_paths_on():
            return _generic_loop(self, sequences, initial_state, mask, training)
        if not self._fuses():
            return super().inner_loop(sequences, initial_state, mask, training=training)
        sequences, mask = _dropped_out(self, sequences, mask, training)
        h0, c0 = initial_state
        weights = _weights(self.cell)
        return fused_lstm(
            sequences,
            h0,
            c0,
            *weights,
            mask=mask,
            training=bool(training),
            go_backwards=self.go_backwards,
        )


def _gru_steps_gradient(R, saved, mask, d_states, first):
    """Backpropagation through the steps of :func:`_gru_steps`: ``(dxp, dh0, dR, db)``.

    ``first`` holds zeros shaped as the backward scan's carry: a state's
    gradient and two steps' input gradients.
    """
    z, r, hh, rh, previous = saved

    def back(carry, inputs):
        dh_out, zt, rt, hht, rht, ht, mt = inputs
        dh = carry[0] + dh_out
        dnew = tf.where(mt, dh, tf.zeros_like(dh))  # a masked step passes its state on
        da_h = dnew * (1 - zt) * (1 - hht * hht)
        da_z = dnew * (ht - hht) * zt * (1 - zt)
        da_r = da_h * rht * rt * (1 - rt)
        d_recurrent = tf.concat([da_z, da_r, da_h * rt], axis=-1)
        d_previous = dh - dnew + dnew * zt + tf.matmul(d_recurrent, R, transpose_b=True)
        return d_previous, d_recurrent, tf.concat([da_z, da_r, da_h], axis=-1)

    d_previous, d_recurrent, dxp = tf.scan(
        back, (d_states, z, r, hh, rh, previous, mask), initializer=first, reverse=True
    )
    flat_previous = tf.reshape(previous, [-1, R.shape[0]])
    flat_recurrent = tf.reshape(d_recurrent, [-1, 3 * R.shape[0]])
    dR = tf.matmul(flat_previous, flat_recurrent, transpose_a=True)
    return dxp, d_previous[0], dR, tf.reduce_sum(flat_recurrent, axis=0)


@tf.custom_gradient
def _gru_steps(xp, mask, h0, R, b):
    """The states of Keras's GRU cell (``reset_after=True``) over time-major inputs.

    ``xp`` (time, batch, 3 x units) are the inputs already multiplied by the
    kernel, with the input bias; ``mask`` (time, batch, 1) holds the valid
    steps; a masked step keeps its state. The gradient is written out as one
    backward ``scan``: TensorFlow's own gradient of a loop keeps every
    intermediate of every step in accumulators, most of the time of tracing.
    """

    def step(carry, inputs):
        h = carry[0]
        xt, mt = inputs
        xz, xr, xh = tf.split(xt, 3, axis=-1)
        rz, rr, rh = tf.split(tf.matmul(h, R) + b, 3, axis=-1)
        z, r = tf.sigmoid(xz + rz), tf.sigmoid(xr + rr)
        hh = tf.tanh(xh + r * rh)
        return tf.where(mt, z * h + (1 - z) * hh, h), z, r, hh, rh, h

    states, *saved = tf.scan(step, (xp, mask), initializer=(h0,) * 6)

    def gradient(d_states):
        first = (tf.zeros_like(h0), tf.zeros_like(xp[0]), tf.zeros_like(xp[0]))
        dxp, dh0, dR, db = _gru_steps_gradient(R, saved, mask, d_states, first)
        return dxp, None, dh0, dR, db

    return states, gradient


def scan_gru(sequences, h0, kernel, recurrent_kernel, bias, mask=None, go_backwards=False):
    """Keras's GRU over ``sequences`` as one ``scan``: ``(last, outputs, [h])``.

    The inputs are multiplied by the kernel for every step at once, the
    steps run as a ``tf.scan`` of the recurrent product and the gates, and
    the gradient is a second ``scan`` written out (:func:`_gru_steps`).
    Masks and ``go_backwards`` follow Keras's loop as :func:`fused_lstm`
    does (right-padded masks).
    """
    lengths = _valid_lengths(mask)
    if go_backwards:
        sequences = _valid_reversed(sequences, lengths)
    shape = tf.shape(sequences)
    width = 3 * recurrent_kernel.shape[0]
    xp = tf.matmul(tf.reshape(sequences, [-1, sequences.shape[-1]]), kernel) + bias[0]
    xp = tf.transpose(tf.reshape(xp, [shape[0], shape[1], width]), [1, 0, 2])
    if mask is None:
        valid = tf.ones([shape[1], shape[0], 1], tf.bool)
    else:
        valid = tf.transpose(tf.cast(mask, tf.bool))[:, :, None]
    h = tf.transpose(_gru_steps(xp, valid, h0, recurrent_kernel, bias[1]), [1, 0, 2])
    last = h[:, -1]  # a masked step keeps the state of the last valid one
    if mask is not None and go_backwards:
        h = _in_keras_backward_order(h, mask, lengths)
    return last, h, [last]


class ScanGRU(keras.layers.GRU):
    """Keras's ``GRU`` layer, its steps run on CPUs as a ``scan`` with a written-out gradient.

    The same weights, configuration and function as ``keras.layers.GRU``
    (to float32 round-off, forward and backward). TensorFlow has no fused
    kernel for a GRU sequence; on a CPU, outside XLA, with tanh and sigmoid
    activations, a bias, ``reset_after=True`` (Keras's default), no
    recurrent dropout and no unrolling, the layer runs :func:`scan_gru`:
    its train step traces in a fraction of Keras's loop and its gradient.
    Everything else (GPUs with their cuDNN kernel, XLA, other settings) is
    Keras's own path.
    """

    def _scans(self):
        return self.cell.reset_after and _runs_fast(self)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not fast_paths_on():
            return _generic_loop(self, sequences, initial_state, mask, training)
        if not self._scans():
            return super().inner_loop(sequences, initial_state, mask, training=training)
        sequences, mask = _dropped_out(self, sequences, mask, training)
        h0 = initial_state[0] if tree.is_nested(initial_state) else initial_state
        return scan_gru(
            sequences, h0, *_weights(self.cell), mask=mask, go_backwards=self.go_backwards
        )


#: Recurrent layers by cell name. On GPUs both run Keras's cuDNN kernels
#: (with tanh); on CPUs the LSTM runs through TensorFlow's fused kernel and
#: the GRU as a scan with a written-out gradient.
RECURRENT = {"lstm": FusedLSTM, "gru": ScanGRU}
_KERAS_RECURRENT = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def recurrent_class(cell):
    """The layer class of ``cell``: the fast path, or Keras's own inside :func:`standard_ops`."""
    return (RECURRENT if fast_paths_on() else _KERAS_RECURRENT)[cell]
