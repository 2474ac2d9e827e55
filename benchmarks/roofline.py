"""The limit: floating-point operations of the LSTM autoencoder and the CPU's peak FP32 rate.

FLOPs are counted as multiply-adds x 2, for the work the network does:

- an LSTM layer of ``u`` units reading ``d`` inputs does, per sequence and
  step, ``2 * 4u * (d + u)`` FLOPs in its gate matrix products, ``4u`` bias
  additions and about ``10u`` element-wise operations (three sigmoids, two
  tanh, three products, one sum; a transcendental counts as one);
- a Dense layer from ``d`` to ``k`` does ``2dk + k``;
- a training step costs about 3x the forward pass (forward, and a backward
  pass of twice its work), per sequence.

Padded steps are counted when the code computes them (every step of a padded
array; each batch's own longest with length-bucketed batches).

The peak FP32 rate is ``cores x clock x lanes x 2 x fma_units``: ``lanes`` is
16 with AVX-512 (8 with AVX2), 2 FLOPs per fused multiply-add, and
``fma_units`` FMA pipes per core that each take a full vector every cycle.
AMD Zen 5 (family 26) and Intel's server cores with AVX-512 have 2; Zen 4
(family 25) executes 512-bit FMAs on 256-bit pipes, which counts as 1. The
clock is the one /proc/cpuinfo reports (no turbo assumed).

The derived peak is a bound no code reaches; :func:`matmul_ceiling` measures
a nearer one: the LSTM's gate matrix products alone, at the batch and layer
shapes of a row, through TensorFlow's own kernels (XLA-compiled), with none
of the element-wise work. An LSTM can run no faster than its own matrix
products, so that rate is the ceiling for the row on this machine and with
this TensorFlow; the gap between it and the derived peak is the kernels'.
"""

import os
import re
import statistics
import time

__all__ = [
    "lstm_flops",
    "dense_flops",
    "autoencoder_flops",
    "cpu_peak",
    "percent",
    "matmul_ceiling",
]


def lstm_flops(n_in, units):
    """FLOPs of one LSTM step for one sequence."""
    return 2 * 4 * units * (n_in + units) + 4 * units + 10 * units


def dense_flops(n_in, n_out):
    return 2 * n_in * n_out + n_out


def autoencoder_flops(
    *, steps, n_features, encoder_units, latent_dim, decoder_units=None, pooling_width=1
):
    """Forward FLOPs per sequence of ``steps`` steps: ``(encoder, whole autoencoder)``.

    ``pooling_width`` is 2 when the code reads two pooled summaries (``"lastmax"``,
    ``"meanmax"``), 1 otherwise; pooling itself is negligible.
    """
    decoder_units = decoder_units or tuple(reversed(encoder_units))
    encoder, width = 0, n_features
    for units in encoder_units:
        encoder += steps * lstm_flops(width, units)
        width = units
    encoder += dense_flops(width * pooling_width, latent_dim)
    decoder, width = 0, latent_dim
    for units in decoder_units:
        decoder += steps * lstm_flops(width, units)
        width = units
    decoder += steps * dense_flops(width, n_features)
    return encoder, encoder + decoder


def _cpuinfo():
    try:
        with open("/proc/cpuinfo") as f:
            return f.read()
    except OSError:
        return ""


def cpu_peak(fma_units=None):
    """``(GFLOP/s, description)`` of this machine's peak FP32 rate (see the module docstring)."""
    info = _cpuinfo()
    flags = set(re.search(r"^flags\s*:(.*)$", info, re.M).group(1).split()) if info else set()
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", info, re.M)
    ghz = float(mhz.group(1)) / 1000 if mhz else float("nan")
    family = re.search(r"^cpu family\s*:\s*(\d+)", info, re.M)
    family = int(family.group(1)) if family else None
    vendor = "AMD" if "AuthenticAMD" in info else "Intel" if "GenuineIntel" in info else "?"
    if fma_units is None:
        fma_units = 1 if (vendor == "AMD" and family == 25) or lanes < 16 and vendor == "?" else 2
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    peak = cores * ghz * lanes * 2 * fma_units
    text = (
        f"{cores} cores x {ghz:.2f} GHz x {lanes} FP32 lanes x 2 (FMA) x {fma_units} FMA "
        f"unit(s) = {peak:.0f} GFLOP/s ({vendor} family {family})"
    )
    return peak, text


def percent(flops, seconds, peak_gflops):
    """``(GFLOP/s, % of peak)`` of ``flops`` done in ``seconds``."""
    rate = flops / seconds / 1e9
    return rate, 100 * rate / peak_gflops


def median_seconds(fn, repeats):
    """Median wall seconds of ``repeats`` calls of ``fn`` after an untimed one (trace, compile)."""
    fn()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def matmul_ceiling(*, n_seq, steps, n_in, units, batch, repeats=3):
    """Measured GFLOP/s of an LSTM layer's gate matrix products alone.

    Runs ``x_t @ W + h @ U`` (``W``: ``n_in x 4u``, ``U``: ``u x 4u``) for
    ``steps`` steps on batches of ``batch`` sequences, ``n_seq`` sequences in
    all, each step's ``h`` read from the one before (as in the recurrence),
    XLA-compiled, and returns the median rate of ``repeats`` timed passes
    after a warm-up, counting ``2 * 4u * (n_in + u)`` FLOPs per sequence step.
    """
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    w = tf.constant(rng.standard_normal((n_in, 4 * units), dtype=np.float32))
    u = tf.constant(0.01 * rng.standard_normal((units, 4 * units), dtype=np.float32))
    xs = tf.constant(rng.standard_normal((steps, batch, n_in), dtype=np.float32))

    @tf.function(jit_compile=True)
    def products(xs):
        h = tf.zeros((batch, units))
        for t in range(steps):
            h = (tf.matmul(xs[t], w) + tf.matmul(h, u))[:, :units]
        return h

    n_batches = max(n_seq // batch, 1)

    def one_pass():
        for _ in range(n_batches):
            products(xs).numpy()

    flops = n_batches * batch * steps * 2 * 4 * units * (n_in + units)
    return flops / median_seconds(one_pass, repeats) / 1e9
