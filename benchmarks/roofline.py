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
"""

import os
import re

__all__ = ["lstm_flops", "dense_flops", "autoencoder_flops", "cpu_peak", "percent"]


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
