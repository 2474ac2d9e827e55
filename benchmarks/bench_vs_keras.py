"""Benchmark: sklearn_lstm_ae against the hand-written Keras autoencoder of the classic tutorials.

Runs in ONE process, one run: the hand-written Keras code and the library at (a) the same
architecture and settings and (b) the library's defaults, on the same data,
and prints a Markdown table (fit and transform seconds, 16-sequence latency,
peak memory, final reconstruction error, library/raw ratios).

    python benchmarks/bench_vs_keras.py            # full run (a few minutes)
    python benchmarks/bench_vs_keras.py --quick    # seconds; CI runs this

Timings are wall-clock medians where repeated; machines are shared and noisy,
so read them as orders of magnitude and compare ratios within one run.
"""

import argparse
import gc
import os
import platform
import statistics
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # roofline.py beside this file

import keras  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
from roofline import autoencoder_flops, cpu_peak, matmul_ceiling, percent  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402
from sklearn_lstm_ae._data.buckets import bucket_batches  # noqa: E402
from sklearn_lstm_ae._inference import InferenceFunction, _batch_size  # noqa: E402

# ----------------------------------------------------------------- data


def moving_ones(n, rng, width=8, max_len=10):
    """The 'moving ones' of a well-known Keras Q&A thread: one-hot rows, lengths 1..10."""
    seqs = []
    for length in rng.integers(1, max_len + 1, n):
        rows = np.zeros((length, width), dtype=np.float32)
        k = min(length, width)
        rows[np.arange(k), np.arange(k)] = 1
        seqs.append(rows)
    return seqs


def zero_padded(seqs, n_timesteps):
    """What the tutorials do: keras pad_sequences(padding='post', value=0.)."""
    out = np.zeros((len(seqs), n_timesteps, seqs[0].shape[1]), dtype=np.float32)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def gunpoint():
    from aeon.datasets import load_gunpoint

    X_train, _ = load_gunpoint(split="train")
    X_test, _ = load_gunpoint(split="test")
    return np.concatenate([X_train, X_test]).transpose(0, 2, 1).astype(np.float32)


# ------------------------------------------------------------ measuring


class PeakRSS:
    """Peak resident memory above the level at entry, sampled every 2 ms (MiB)."""

    def __enter__(self):
        gc.collect()
        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)
        self.mib = (self.peak - self.start) / 2**20


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def latency_ms(fn, repeats):
    fn()  # warm up (tracing)
    times = [timed(fn)[1] for _ in range(repeats)]
    return 1000 * statistics.median(times)


def valid_mse(pred, seqs):
    """Mean squared error over the valid (unpadded) steps, original units."""
    err = [np.mean((pred[i, : len(s)] - s) ** 2) for i, s in enumerate(seqs)]
    return float(np.mean(err))


# --------------------------------------------------------------- models


def tutorial_autoencoder(n_timesteps, n_features, units, activation):
    """The tutorials' hand-written code, verbatim in structure (Keras 3 spelling)."""
    model = keras.Sequential(
        [
            keras.Input((n_timesteps, n_features)),
            keras.layers.LSTM(units, activation=activation),
            keras.layers.RepeatVector(n_timesteps),
            keras.layers.LSTM(units, activation=activation, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(n_features)),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    encoder = keras.Model(model.inputs, model.layers[0].output)
    return model, encoder


def unmasked_encoder(ae):
    """The library's encoder graph without the padding mask (the one zero-padded arrays take)."""
    return ae._fitted_.graphs.encoder(masked=False)


def measure(fit, reconstruct, seqs, encode_big, encode_small, repeats):
    """Fit, then time bulk and 16-sequence encoding; the row of one code."""
    with PeakRSS() as mem_fit:
        _, fit_s = timed(fit)
    error = valid_mse(np.nan_to_num(reconstruct()), seqs)
    with PeakRSS() as mem_tr:
        _, transform_s = timed(encode_big)
    _, again_s = timed(encode_big)  # compiled shapes and traces reused
    return dict(
        fit_s=fit_s,
        transform_s=transform_s,
        again_s=again_s,
        latency_ms=latency_ms(encode_small, repeats=repeats),
        fit_mib=mem_fit.mib,
        transform_mib=mem_tr.mib,
        error=error,
    )


def run_raw(X, seqs, *, units, activation, epochs, batch_size, big, small):
    keras.utils.set_random_seed(0)
    model, encoder = tutorial_autoencoder(X.shape[1], X.shape[2], units, activation)
    return measure(
        lambda: model.fit(X, X, epochs=epochs, batch_size=batch_size, verbose=0),
        lambda: model.predict(X, verbose=0),
        seqs,
        lambda: encoder.predict(big, verbose=0),  # the tutorials' call
        lambda: encoder.predict(small, verbose=0),
        repeats=20,
    )


def run_library(X_fit, seqs, params, *, big, small):
    ae = LSTMAutoencoderTransformer(random_state=0, **params)
    row = measure(
        lambda: ae.fit(X_fit),
        lambda: ae.reconstruct(X_fit),
        seqs,
        lambda: ae.transform(big),
        lambda: ae.transform(small),
        repeats=50,
    )
    return row, ae


class EpochSnapshots(keras.callbacks.Callback):
    """Record (training seconds, weights) after each epoch; copying is not timed."""

    def on_train_begin(self, logs=None):
        self.snapshots = []
        self.elapsed = 0.0
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed += time.perf_counter() - self._t
        self.snapshots.append((self.elapsed, self.model.get_weights()))
        self._t = time.perf_counter()


def alternating_fit_times(X, same, *, units, epochs, repeats):
    """Median fit seconds of the hand-written code, the library, and the library with
    one training step per execution (Keras's default), fitted in turn.

    Alternating them keeps slow drifts of a shared machine out of the ratios.
    """
    raw, lib, one_step = [], [], []
    for _ in range(repeats):
        keras.utils.set_random_seed(0)
        model, _ = tutorial_autoencoder(X.shape[1], X.shape[2], units, "relu")
        raw.append(timed(lambda m=model: m.fit(X, X, epochs=epochs, batch_size=32, verbose=0))[1])
        ae = LSTMAutoencoderTransformer(random_state=0, **same)
        lib.append(timed(lambda a=ae: a.fit(X))[1])
        ae = LSTMAutoencoderTransformer(random_state=0, compile__steps_per_execution=1, **same)
        one_step.append(timed(lambda a=ae: a.fit(X))[1])
    return statistics.median(raw), statistics.median(lib), statistics.median(one_step)


def inference_ablation(ae, big, name):
    """Transform seconds (first call, second call) of ``ae`` with the speed-ups
    taken away one at a time, and the largest code difference to the default.

    Rows: batches of 1,024 without XLA (before this work), batches of the
    default size without XLA, the default (XLA for recurring shapes).
    """
    reference = ae.transform(big)
    rows = []
    for label, params in [
        ("batches of 1,024, no XLA", dict(predict__batch_size=1024, predict__jit_compile=False)),
        ("default batches, no XLA", dict(predict__jit_compile=False)),
        ("default batches, XLA always", dict(predict__jit_compile=True)),
    ]:
        ae.set_params(**params)
        codes, first = timed(lambda: ae.transform(big))
        _, again = timed(lambda: ae.transform(big))
        diff = float(np.max(np.abs(codes - reference)))
        rows.append(dict(model=name, variant=label, first=first, again=again, diff=diff))
        for key in params:  # back to the defaults
            delattr(ae, key)
    return rows


def encoder_variants(ae, big):
    """Options tried and not adopted, on the same-settings encoder and weights.

    The library's last-state encoder is an LSTM and a Dense layer; rebuilt
    with ``unroll=True`` (a fixed length of 10) or in bfloat16
    (``mixed_bfloat16``), it runs through the same batches and XLA policy.
    """
    lstm = ae.model_.get_layer("encoder_lstm_0")
    weights = unmasked_encoder(ae).get_weights()
    steps = big.shape[1]
    size = _batch_size(ae._options(), steps)
    reference = ae.transform(big)
    rows = []
    for label, unroll, dtype in [
        ("unrolled LSTM (10 steps)", True, None),
        ("bfloat16 products", False, "mixed_bfloat16"),
    ]:
        inputs = keras.Input((steps if unroll else None, big.shape[2]))
        x = keras.layers.LSTM(lstm.units, activation=lstm.activation, unroll=unroll, dtype=dtype)(
            inputs
        )
        model = keras.Model(inputs, keras.layers.Dense(ae.latent_dim, dtype=dtype)(x))
        model.set_weights(weights)
        fn = InferenceFunction(model)

        def run(fn=fn):
            out = np.empty((len(big), ae.latent_dim), np.float32)
            for i in range(0, len(big), size):
                out[i : i + size] = fn(big[i : i + size])
            return out

        codes, first = timed(run)
        _, again = timed(run)
        diff = float(np.max(np.abs(codes - reference)))
        rows.append(dict(model="same settings", variant=label, first=first, again=again, diff=diff))
    return rows


def error_trace(ae, snapshots, probe):
    """(seconds, reconstruction error) of each epoch's weights, evaluated after training."""
    final = ae.model_.get_weights()
    trace = []
    for seconds, weights in snapshots:
        ae.model_.set_weights(weights)
        trace.append((seconds, valid_mse(np.nan_to_num(ae.reconstruct(probe)), probe)))
    ae.model_.set_weights(final)
    return trace


def time_to_reach(trace, target):
    for seconds, error in trace:
        if error <= target:
            return seconds
    return float("nan")


# ------------------------------------------------------------ work (FLOPs)


def forward_flops(n_seq, seq_steps, *, encoder_units, latent_dim, n_features, pooling_width=1):
    """Forward FLOPs ``(encoder, autoencoder)`` of ``n_seq`` sequences, ``seq_steps`` steps."""
    net = dict(
        n_features=n_features,
        encoder_units=encoder_units,
        latent_dim=latent_dim,
        pooling_width=pooling_width,
    )
    enc0, all0 = autoencoder_flops(steps=0, **net)  # per sequence: the code's Dense
    enc1, all1 = autoencoder_flops(steps=1, **net)
    return (
        (enc1 - enc0) * seq_steps + enc0 * n_seq,
        (all1 - all0) * seq_steps + all0 * n_seq,
    )


def row_work(*, fit_steps, n_fit, epochs, transform_steps, n_transform, **net):
    """``(training FLOPs, transform FLOPs)`` of a row: a training step is ~3x the forward pass."""
    return (
        3 * epochs * forward_flops(n_fit, fit_steps, **net)[1],
        forward_flops(n_transform, transform_steps, **net)[0],
    )


def make_row(data, setting, who, measured, work):
    """One table row: what was measured, and the work it did (for GFLOP/s)."""
    return dict(data=data, setting=setting, who=who, work=work, **measured)


# ------------------------------------------------------------ measuring rows

#: The defaults' recurrent network: no convolutional front end, the decoder's
#: loss alone. The hand-written network of the tutorials is that with a
#: last-state encoder and no clipping.
RECURRENT_CORE = dict(conv_filters=(), subseries_weight=0.0, augment=None)
TUTORIAL_NETWORK = dict(pooling="last", optimizer__clipnorm=None, **RECURRENT_CORE)


def measure_same_settings(data, *, epochs, big, small, quick):
    """(a) Hand-written Keras and the library at the tutorials' settings (moving ones)."""
    seqs, X0 = data
    same = dict(
        encoder_units=(100,),
        latent_dim=100,
        activation="relu",
        scaler=None,
        epochs=epochs,
        batch_size=32,
        **TUTORIAL_NETWORK,
    )
    raw = run_raw(
        X0, seqs, units=100, activation="relu", epochs=epochs, batch_size=32, big=big, small=small
    )
    lib, lib_ae = run_library(X0, seqs, same, big=big, small=small)
    one_step_s = float("nan")
    if not quick:  # fit times: medians of 3 alternating fits of each
        raw["fit_s"], lib["fit_s"], one_step_s = alternating_fit_times(
            X0, same, units=100, epochs=epochs, repeats=3
        )
    work = row_work(
        fit_steps=len(seqs) * 10,
        n_fit=len(seqs),
        epochs=epochs,
        transform_steps=len(big) * 10,
        n_transform=len(big),
        encoder_units=(100,),
        latent_dim=100,
        n_features=8,
    )
    rows = [
        make_row("moving ones", "same settings", "hand-written Keras", raw, work),
        make_row("moving ones", "same settings", "sklearn_lstm_ae", lib, work),
    ]
    ablation = [
        dict(a, work=work[1])
        for a in inference_ablation(lib_ae, big, "same settings") + encoder_variants(lib_ae, big)
    ]
    return rows, ablation, one_step_s


def measure_defaults(seqs, *, epochs, big, small, target_error):
    """(b) The library's defaults on the variable-length list; time to reach ``target_error``.

    The defaults' recurrent network: its convolutional front end and its
    subseries contrast are off (``RECURRENT_CORE``), since this table measures
    the recurrent core against hand-written Keras, FLOP for FLOP; what they
    cost and bring is measured by ``bench_representation.py``.
    """
    probe = seqs[: min(1000, len(seqs))]
    snap = EpochSnapshots()
    params = dict(epochs=epochs, callbacks=[snap], **RECURRENT_CORE)
    lib_def, ae = run_library(seqs, seqs, params, big=big, small=small)
    lengths = np.array([len(s) for s in seqs])
    bucketed_steps = sum(len(b) * int(lengths[b].max()) for b in bucket_batches(lengths, 32))
    work = row_work(
        fit_steps=bucketed_steps,
        n_fit=len(seqs),
        epochs=epochs,
        transform_steps=len(big) * 10,
        n_transform=len(big),
        encoder_units=(64,),
        latent_dim=ae.latent_dim,
        n_features=8,
        pooling_width=2 if ae.pooling in ("lastmax", "meanmax") else 1,
    )
    row = make_row("moving ones", "library defaults", "sklearn_lstm_ae", lib_def, work)
    reach_s = time_to_reach(error_trace(ae, snap.snapshots, probe), target_error)
    # The tutorials' calling style on the library's own trained encoder: the
    # same network, so the ratio isolates how inference is called.
    encoder = unmasked_encoder(ae)
    _, tutorial_style_s = timed(lambda: encoder.predict(big, verbose=0))
    ablation = [dict(a, work=work[1]) for a in inference_ablation(ae, big, "library defaults")]
    return row, ae, ablation, reach_s, tutorial_style_s


def measure_ceilings(*, n_seqs, n_big, batch):
    """The nearer limit: the encoders' gate matrix products alone, at the rows' shapes."""
    ceilings = {
        model: matmul_ceiling(n_seq=n_big, steps=10, n_in=8, units=units, batch=batch)
        for model, units in (("same settings", 100), ("library defaults", 64))
    }
    # ... and at the training batch of 32 (forward products only).
    ceilings["same settings, batch 32"] = matmul_ceiling(
        n_seq=n_seqs, steps=10, n_in=8, units=100, batch=32
    )
    return ceilings


def measure_memory(ae, rng, n):
    """Peak memory above the input of transform and score_samples on ``n`` sequences."""
    huge = zero_padded(moving_ones(n, rng), 10)
    gc.collect()
    with PeakRSS() as mem_transform:
        codes = ae.transform(huge)
    del codes
    with PeakRSS() as mem_score:
        scores = ae.score_samples(huge)
    del scores
    return dict(
        n=n,
        input_mib=huge.nbytes / 2**20,
        transform_mib=mem_transform.mib,
        score_mib=mem_score.mib,
        out_mib=n * ae.latent_dim * 4 / 2**20,
    )


#: --quick: 2 epochs on 32 of GunPoint's sequences (a smoke run, not a measurement).
QUICK_GUNPOINT = dict(epochs=2, n=32)


def measure_gunpoint(*, epochs=30, n=None):
    """GunPoint (UCR, from aeon), 200 sequences of 150 steps: hand-written Keras and the library.

    ``n`` keeps the first ``n`` sequences only (``--quick``).
    """
    try:
        G = gunpoint()[:n]
    except ImportError:
        return []
    g_seqs = list(G)
    work = row_work(
        fit_steps=len(G) * G.shape[1],
        n_fit=len(G),
        epochs=epochs,
        transform_steps=len(G) * G.shape[1],
        n_transform=len(G),
        encoder_units=(64,),
        latent_dim=64,
        n_features=1,
    )
    raw = run_raw(
        G, g_seqs, units=64, activation="tanh", epochs=epochs, batch_size=32, big=G, small=G[:16]
    )
    lib, _ = run_library(
        G,
        g_seqs,
        dict(encoder_units=(64,), latent_dim=64, scaler=None, epochs=epochs, **TUTORIAL_NETWORK),
        big=G,
        small=G[:16],
    )
    return [
        make_row("GunPoint", "same settings", "hand-written Keras (tanh)", raw, work),
        make_row("GunPoint", "same settings", "sklearn_lstm_ae", lib, work),
    ]


def measure_all(quick):
    """Every measurement of one run; each row carries its own work, so order does not matter."""
    n_seqs, epochs = (300, 2) if quick else (5000, 20)
    n_big = 2000 if quick else 200_000
    rng = np.random.default_rng(0)
    seqs = moving_ones(n_seqs, rng)
    X0 = zero_padded(seqs, 10)
    big = zero_padded(moving_ones(n_big, rng), 10)
    small = big[:16]
    same_rows, ablation, one_step_s = measure_same_settings(
        (seqs, X0), epochs=epochs, big=big, small=small, quick=quick
    )
    default_row, ae, default_ablation, reach_s, tutorial_style_s = measure_defaults(
        seqs, epochs=epochs, big=big, small=small, target_error=same_rows[0]["error"]
    )
    return dict(
        n_seqs=n_seqs,
        epochs=epochs,
        n_big=n_big,
        rows=[*same_rows, default_row, *measure_gunpoint(**QUICK_GUNPOINT if quick else {})],
        ablation=ablation + default_ablation,
        one_step_s=one_step_s,
        reach_s=reach_s,
        tutorial_style_s=tutorial_style_s,
        ceilings=measure_ceilings(n_seqs=n_seqs, n_big=n_big, batch=_batch_size(ae._options(), 10)),
        memory=measure_memory(ae, rng, 20_000 if quick else 1_000_000),
    )


# ------------------------------------------------------------ deriving


def is_baseline(row):
    return row["who"].startswith("hand-written")


def derive(rows, peak):
    """Each row with its ratios to the hand-written row of its data, GFLOP/s and % of peak."""
    baselines = {r["data"]: r for r in rows if is_baseline(r)}
    out = []
    for r in rows:
        b = baselines[r["data"]]
        fit_work, transform_work = r["work"]
        d = dict(r)
        d["fit_ratio"] = r["fit_s"] / b["fit_s"]
        for key in ("transform", "again"):
            d[f"{key}_ratio"] = r[f"{key}_s"] / b[f"{key}_s"]
            d[f"{key}_gflops"], d[f"{key}_peak"] = percent(transform_work, r[f"{key}_s"], peak)
        d["latency_ratio"] = r["latency_ms"] / b["latency_ms"]
        d["fit_gflops"], d["fit_peak"] = percent(fit_work, r["fit_s"], peak)
        out.append(d)
    return out


def _row(rows, data, setting, who="sklearn_lstm_ae"):
    (match,) = [r for r in rows if (r["data"], r["setting"], r["who"]) == (data, setting, who)]
    return match


# ------------------------------------------------------------ printing


def format_report(results, rows, peak, peak_text):
    """The Markdown report of one run from its measurements and derived rows."""
    n_big = results["n_big"]
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"Keras {keras.__version__}; {results['n_seqs']} training sequences, "
        f"{results['epochs']} epochs; transform on {n_big:,} sequences. Fit seconds of the "
        "moving-ones same-settings rows are medians of 3 alternating fits (full mode).",
        "",
        "| data | setting | code | fit s | transform s | again s | 16-seq ms | fit MiB "
        "| transform MiB | recon. MSE | fit ratio | transform ratio | again ratio "
        "| latency ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['data']} | {r['setting']} | {r['who']} | {r['fit_s']:.2f} | "
        f"{r['transform_s']:.2f} | {r['again_s']:.2f} | {r['latency_ms']:.1f} | "
        f"{r['fit_mib']:.0f} | {r['transform_mib']:.0f} | {r['error']:.2e} | "
        f"{r['fit_ratio']:.2f} | {r['transform_ratio']:.3f} | "
        f"{r['again_ratio']:.3f} | {r['latency_ratio']:.3f} |"
        for r in rows
    ]
    lines += [
        "",
        f"Peak FP32 rate: {peak_text} (benchmarks/roofline.py says how it is derived).",
        "",
        "| data | setting | code | fit GFLOP/s | fit % of peak | transform GFLOP/s "
        "| transform % of peak | again GFLOP/s | again % of peak |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['data']} | {r['setting']} | {r['who']} | {r['fit_gflops']:.1f} | "
        f"{r['fit_peak']:.1f} | {r['transform_gflops']:.1f} | {r['transform_peak']:.1f} | "
        f"{r['again_gflops']:.1f} | {r['again_peak']:.1f} |"
        for r in rows
    ]
    lib = _row(rows, "moving ones", "same settings")
    lib_def = _row(rows, "moving ones", "library defaults")
    raw = _row(rows, "moving ones", "same settings", "hand-written Keras")
    one_step_s = results["one_step_s"]
    lines += [
        "",
        f"Training steps per execution (moving ones, same settings, medians of 3 "
        f"alternating fits): 32 (the default) {lib['fit_s']:.2f} s, 1 (Keras's default) "
        f"{one_step_s:.2f} s (ratio {lib['fit_s'] / one_step_s:.2f}).",
        "",
        f"Inference options on {n_big:,} sequences (seconds of the first and second "
        "call; largest code difference to the default transform):",
        "",
        "| encoder | variant | first s | again s | again GFLOP/s | again % of peak "
        "| max code difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in results["ablation"]:
        gflops, share = percent(a["work"], a["again"], peak)
        lines.append(
            f"| {a['model']} | {a['variant']} | {a['first']:.2f} | {a['again']:.2f} | "
            f"{gflops:.1f} | {share:.1f} | {a['diff']:.1e} |"
        )
    ceilings = results["ceilings"]
    reached = "; ".join(
        f"{ceilings[m]:.1f} GFLOP/s = {100 * ceilings[m] / peak:.1f}% of peak ({m}, "
        f"{u} units; the library's transform, second call, reaches "
        f"{100 * r['again_gflops'] / ceilings[m]:.0f}% of it)"
        for m, u, r in (("same settings", 100, lib), ("library defaults", 64, lib_def))
    )
    batch32 = ceilings["same settings, batch 32"]
    lines += [
        "",
        "Ceiling: the encoder's gate matrix products alone (`x @ W + h @ U`, same batches "
        f"and steps, XLA, no element-wise work) run at {reached}. At the training batch "
        f"of 32, the same settings' products alone run at {batch32:.1f} GFLOP/s = "
        f"{100 * batch32 / peak:.1f}% of peak; training (3x the forward work, same "
        f"settings) reached {lib['fit_gflops']:.1f} GFLOP/s.",
    ]
    reach_s, style_s, memory = (
        results["reach_s"],
        results["tutorial_style_s"],
        results["memory"],
    )
    lines += [
        "",
        f"Library defaults reached the hand-written code's final error ({raw['error']:.2e}) "
        f"after {reach_s:.2f} s of training; the hand-written code trained "
        f"{raw['fit_s']:.2f} s (ratio {reach_s / raw['fit_s']:.2f}).",
        "",
        f"Tutorial-style `encoder.predict(X)` (batch 32) on the library's own default encoder: "
        f"{style_s:.2f} s for {n_big:,} sequences; `transform` took "
        f"{lib_def['transform_s']:.2f} s (ratio {lib_def['transform_s'] / style_s:.3f}, "
        f"{style_s / lib_def['transform_s']:.1f}x faster).",
        "",
        f"Memory on {memory['n']:,} sequences ({memory['input_mib']:.0f} MiB of float32 input): "
        f"peak above the input {memory['transform_mib']:.0f} MiB for transform (codes: "
        f"{memory['out_mib']:.0f} MiB), {memory['score_mib']:.0f} MiB for score_samples.",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    peak, peak_text = cpu_peak()
    results = measure_all(args.quick)
    rows = derive(results["rows"], peak)
    table = format_report(results, rows, peak, peak_text)
    print(table)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(table + "\n")
    return rows, results["reach_s"], results["ablation"], results["ceilings"]


if __name__ == "__main__":
    main()
