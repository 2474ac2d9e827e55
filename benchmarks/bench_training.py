"""Training speed: what one update costs, a roofline for fit, and how long a default fit takes.

One run, one process, on this machine:

1. **The tutorials' network against the defaults, on GunPoint's training split**
   (50 sequences of 150 steps). The classic tutorials' hand-written Keras network
   (LSTM 64, RepeatVector, LSTM 64, TimeDistributed Dense; Adam; batch 32)
   trained for 500 updates (250 epochs), and ``LSTMAutoencoderTransformer()``
   with its defaults (500 updates), fitted in turn ``--repeats`` times: the
   median fit seconds and their ratio, and each one's codes (the
   hand-written encoder's 64 numbers, the library's) scored on the test split
   by ``select_defaults.py``'s two heads: a logistic regression and an RBF
   SVM whose C is chosen by 3-fold CV on the training codes.
2. **A training roofline.** For the tutorials' network and the defaults, on
   GunPoint, ACSF1 (100 sequences of 1,460 steps) and the moving ones of a
   well-known Keras question-and-answer thread (5,000 one-hot sequences of 1
   to 10 steps, zero-padded to 10, as the thread trains them): FLOPs per update (the
   forward pass from :mod:`roofline`'s counter, times 3 for the backward pass),
   milliseconds per update (the median of timed calls into the compiled
   train function of the built model, divided by its steps per call),
   GFLOP/s, % of the CPU's FP32 peak, and the measured ceiling of the
   encoder LSTM's gate products at that batch and width (over at most 150
   steps: the rate per step does not depend on their number).
3. **Cost against length**: milliseconds per default update on batches of 32
   random walks of 150, 500, 1,460 and 5,000 steps.
4. **The default fit on ACSF1**: the median seconds of ``--repeats`` fits of
   ``LSTMAutoencoderTransformer()`` on ACSF1's training split (500 updates).
5. **Where one default update's time goes**, on GunPoint, ACSF1 and the moving
   ones (``--quick``: GunPoint): each part timed alone in a compiled function,
   one call per update (median of several): the front end's forward pass, the
   whole forward pass and loss, the gradient (forward and backward), the
   optimizer's update of every weight (the package's fused Adam, and Keras's
   own Adam with the same settings), Keras's whole ``train_step``, a batch of
   an in-memory ``tf.data`` pipeline, and the update as ``fit`` runs it
   (several per call into Keras's train function, as in part 2), whose
   difference from ``train_step`` is Keras's own per-call cost.
6. **The fused kernel against Keras's loop**: the defaults' network traced with
   the ``BlockLSTM`` kernel and traced with Keras's own LSTM loop
   (:func:`keras_loop`), timed in turn ``--rounds`` times in one process: the
   median milliseconds per update of each and their ratio.

Run: ``python benchmarks/bench_training.py [--quick] [--repeats 3]``. ``--quick``
is a smoke run (tiny budgets) whose numbers mean nothing. Timings are
wall-clock on a shared machine: compare the ratios within one run.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the scripts beside this one

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from bench_vs_keras import moving_ones, tutorial_autoencoder, zero_padded  # noqa: E402
from roofline import (  # noqa: E402
    cpu_peak,
    dense_flops,
    lstm_flops,
    matmul_ceiling,
    median_seconds,
    percent,
)
from select_defaults import heads  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402
from sklearn_lstm_ae._keras.layers import MaskedConv1D  # noqa: E402
from sklearn_lstm_ae._keras.recurrent import FusedLSTM  # noqa: E402
from sklearn_lstm_ae._names import RECONSTRUCTION  # noqa: E402

UPDATES = 500
BATCH = 32
UNITS = 64
LENGTHS = (150, 500, 1460, 5000)


def load(name):
    """``(X_train, y_train, X_test, y_test)``, sequences as (n, length, channels) float32."""
    from aeon.datasets import load_classification

    out = []
    for split in ("train", "test"):
        X, y = load_classification(name, split=split)
        out += [np.asarray(X, np.float32).transpose(0, 2, 1), np.asarray(y)]
    return out


def standardised(X, ref):
    return (X - ref.mean()) / ref.std()


def tutorial_network(n_timesteps, n_features):
    """The tutorials' hand-written autoencoder and its encoder (``bench_vs_keras``'s)."""
    return tutorial_autoencoder(n_timesteps, n_features, UNITS, "tanh")


def heads_accuracy(Z_train, y, Z_test, y_test):
    """Test accuracy of the selection's two heads (logistic regression, RBF SVM) on codes."""
    return {name: clf.fit(Z_train, y).score(Z_test, y_test) for name, clf in heads().items()}


def fit_tutorial(X, updates):
    """Fit the hand-written network for ``updates`` updates; ``(encoder, seconds)``."""
    steps = -(-len(X) // BATCH)
    model, encoder = tutorial_network(X.shape[1], X.shape[2])
    start = time.perf_counter()
    model.fit(X, X, epochs=max(1, updates // steps), batch_size=BATCH, verbose=0)
    return encoder, time.perf_counter() - start


def fit_defaults(X, updates):
    ae = LSTMAutoencoderTransformer(random_state=0, max_updates=updates)
    start = time.perf_counter()
    ae.fit(X)
    return ae, time.perf_counter() - start


def head_to_head(data, repeats, updates):
    """Part 1: median fit seconds in turn, and the codes' test accuracy (first fit of each)."""
    X, y, X_test, y_test = data
    Xs, Xs_test = standardised(X, X), standardised(X_test, X)  # the tutorials scale by hand
    seconds = {"tutorials": [], "defaults": []}
    scores = {}
    for i in range(repeats):
        encoder, s = fit_tutorial(Xs, updates)
        seconds["tutorials"].append(s)
        ae, s = fit_defaults(X, updates)
        seconds["defaults"].append(s)
        if i == 0:
            scores["tutorials"] = heads_accuracy(
                encoder.predict(Xs, verbose=0), y, encoder.predict(Xs_test, verbose=0), y_test
            )
            scores["defaults"] = heads_accuracy(ae.transform(X), y, ae.transform(X_test), y_test)
    return {k: statistics.median(v) for k, v in seconds.items()}, scores


def ms_per_update(model, x, y, repeats=7):
    """Median milliseconds per update of ``model``'s compiled train function on batches of x."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH, drop_remainder=True)
    iterator = iter(dataset.repeat())
    model.make_train_function()
    seconds = median_seconds(lambda: model.train_function(iterator), repeats)
    return 1000 * seconds / model.steps_per_execution


def library_model(X):
    """The defaults' compiled training model (fitted for 2 updates) and its target names."""
    ae = LSTMAutoencoderTransformer(random_state=0, max_updates=2).fit(X)
    return ae, ae._fitted_.model


def default_flops(length, n_features, ae):
    """Forward FLOPs per sequence of the defaults' network (front end, LSTMs, code, decoder)."""
    p = ae.get_params()
    flops, width, steps = 0, n_features, length
    for filters in ae.conv_filters_:  # as fitted: "auto" deepens long series
        steps = -(-steps // p["conv_stride"])
        flops += steps * (2 * p["conv_kernel_size"] * width * filters + filters)
        width = filters
    for units in p["encoder_units"]:
        flops += steps * lstm_flops(width, units)
        width = units
    flops += dense_flops(2 * width, p["latent_dim"])  # "lastmax": two pooled summaries
    up = p["conv_stride"] ** len(ae.conv_filters_)
    width = p["latent_dim"]
    for units in reversed(p["encoder_units"]):
        flops += steps * lstm_flops(width, units)
        width = units
    flops += steps * dense_flops(width, n_features * up)
    return flops, steps


def tutorial_flops(length, n_features):
    return (
        length * lstm_flops(n_features, UNITS)
        + length * lstm_flops(UNITS, UNITS)
        + length * dense_flops(UNITS, n_features)
    )


def roofline_rows(datasets, peak, quick):
    """Part 2: one row per (dataset, network)."""
    rows = []
    for name, X in datasets.items():
        n, length, n_features = X.shape
        Xs = standardised(X, X)[: max(BATCH, min(n, 128))]
        tutorial, _ = tutorial_network(length, n_features)
        ae, model = library_model(X)
        lib_flops, lib_steps = default_flops(length, n_features, ae)
        raw_flops = tutorial_flops(length, n_features)
        for network, m, y, flops, steps, n_in in (
            ("tutorials' network", tutorial, Xs, raw_flops, length, n_features),
            ("defaults", model, {RECONSTRUCTION: Xs}, lib_flops, lib_steps, 64),
        ):
            ms = ms_per_update(m, Xs, y, repeats=1 if quick else 7)
            update_flops = 3 * flops * BATCH
            rate, pct = percent(update_flops, ms / 1000, peak)
            # The rate per step does not depend on the number of steps; the
            # ceiling's loop is unrolled under XLA, so it runs at most 150
            # (1,460 unrolled steps take 20 GB to compile); --quick, at most 20.
            ceiling = matmul_ceiling(
                n_seq=BATCH,
                steps=min(steps, 20 if quick else 150),
                n_in=n_in,
                units=UNITS,
                batch=BATCH,
                repeats=1 if quick else 3,
            )
            rows.append(
                dict(
                    data=name,
                    length=length,
                    network=network,
                    steps=steps,
                    mflop=update_flops / 1e6,
                    ms=ms,
                    gflops=rate,
                    pct=pct,
                    ceiling=ceiling,
                )
            )
    return rows


def length_rows(quick):
    """Part 3: ms per default update against sequence length (random walks)."""
    rng = np.random.default_rng(0)
    out, timed = [], 1 if quick else 2
    for length in LENGTHS[:2] if quick else LENGTHS:
        X = np.cumsum(rng.normal(size=(BATCH, length, 1)), axis=1).astype(np.float32)
        ae, model = library_model(X)
        Xs = standardised(X, X)
        out.append((length, ms_per_update(model, Xs, {RECONSTRUCTION: Xs}, repeats=timed)))
    return out


@contextlib.contextmanager
def keras_loop():
    """Models built and traced inside run their LSTMs by Keras's loop, not the fused kernel."""
    fuses = FusedLSTM._fuses
    FusedLSTM._fuses = lambda self: False
    try:
        yield
    finally:
        FusedLSTM._fuses = fuses


def fused_against_loop(X, rounds, repeats=2):
    """Part 6: median ms per default update with the fused kernel and with Keras's loop."""
    Xs = standardised(X, X)[: max(BATCH, min(len(X), 128))]
    y = {RECONSTRUCTION: Xs}
    _, fused = library_model(X)  # fitting traces the train function
    with keras_loop():
        _, loop = library_model(X)
    times = {"fused": [], "keras loop": []}
    for _ in range(rounds):  # in turn, so that both see the same machine
        times["fused"].append(ms_per_update(fused, Xs, y, repeats=repeats))
        times["keras loop"].append(ms_per_update(loop, Xs, y, repeats=repeats))
    out = {k: statistics.median(v) for k, v in times.items()}
    return {**out, "ratio": out["fused"] / out["keras loop"]}


def update_profile(X, repeats):
    """Part 5: milliseconds of each part of one default update, each timed alone."""
    _, model = library_model(X)
    x = tf.constant(standardised(X, X)[:BATCH])
    y = {RECONSTRUCTION: x}
    weights = model.trainable_variables
    convs = [layer for layer in model._flatten_layers() if isinstance(layer, MaskedConv1D)]

    @tf.function
    def front_end():
        h = x
        for conv in convs:
            h = conv(h, training=True)
        return h

    @tf.function
    def forward():
        return model.compute_loss(x, y, model(x, training=True), training=True)

    @tf.function
    def gradient():
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, y, model(x, training=True), training=True)
        return tape.gradient(loss, weights)

    grads = [tf.constant(g) for g in gradient()]

    @tf.function
    def optimizer():
        model.optimizer.apply(grads, weights)

    keras_adam = keras.optimizers.Adam.from_config(model.optimizer.get_config())
    keras_adam.build(weights)

    @tf.function
    def keras_optimizer():
        keras_adam.apply(grads, weights)

    @tf.function
    def train_step():
        return model.train_step((x, y))

    batches = iter(tf.data.Dataset.from_tensor_slices(x).repeat().batch(BATCH))
    parts = {
        "front end (forward)": front_end,
        "forward pass and loss": forward,
        "gradient (forward and backward)": gradient,
        "optimizer update": optimizer,
        "optimizer update, Keras's Adam": keras_optimizer,
        "Keras's train_step": train_step,
        "a batch of the input pipeline": lambda: next(batches),
    }
    out = {name: 1000 * median_seconds(fn, repeats) for name, fn in parts.items()}
    out["update as fit runs it"] = ms_per_update(model, x.numpy(), y, repeats=min(repeats, 3))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: numbers mean nothing")
    parser.add_argument("--repeats", type=int, default=3, help="fits of each network, in turn")
    parser.add_argument("--rounds", type=int, default=4, help="turns of the fused/loop timing")
    args = parser.parse_args(argv)
    peak, peak_text = cpu_peak()
    updates = 4 if args.quick else UPDATES
    gunpoint = load("GunPoint")
    if args.quick:
        gunpoint = [a[:40] for a in gunpoint]
    repeats = 1 if args.quick else args.repeats
    seconds, scores = head_to_head(gunpoint, repeats, updates)
    print(f"Peak: {peak_text}")
    print(
        f"\nGunPoint, {updates} updates, median of {repeats} fits in turn; "
        "codes' test accuracy (logistic regression / RBF SVM)\n"
    )
    print("| network | fit s | ratio | logreg | SVM |")
    print("|---|---|---|---|---|")
    for key, label in (("tutorials", "tutorials' network (64 numbers)"), ("defaults", "defaults")):
        print(
            f"| {label} | {seconds[key]:.1f} | {seconds[key] / seconds['tutorials']:.2f} "
            f"| {scores[key]['logreg']:.3f} | {scores[key]['svm']:.3f} |"
        )
    acsf1 = load("ACSF1")[0]
    # --quick: 40 sequences cut to 300 steps, 200 moving ones.
    acsf1 = acsf1[:40, :300] if args.quick else acsf1
    ones = zero_padded(moving_ones(200 if args.quick else 5000, np.random.default_rng(0)), 10)
    datasets = {"GunPoint": gunpoint[0], "ACSF1": acsf1, "moving ones": ones}
    rows = roofline_rows(datasets, peak, args.quick)
    print(f"\nTraining roofline, batch {BATCH}, one update = forward + backward (3x forward)\n")
    print(
        "| data | network | recurrent steps | MFLOP/update | ms/update | GFLOP/s | % of peak "
        "| gate-product ceiling GFLOP/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['data']} | {r['network']} | {r['steps']} | {r['mflop']:.0f} | {r['ms']:.1f} "
            f"| {r['gflops']:.1f} | {r['pct']:.1f} | {r['ceiling']:.1f} |"
        )
    lengths = length_rows(args.quick)
    print("\nDefault update against length (batch 32, random walks)\n")
    print("| steps | ms/update | x the 150-step update | x the steps |")
    print("|---|---|---|---|")
    base = lengths[0][1]
    for length, ms in lengths:
        print(f"| {length} | {ms:.1f} | {ms / base:.2f} | {length / LENGTHS[0]:.2f} |")
    acsf1_s = statistics.median(fit_defaults(acsf1, updates)[1] for _ in range(repeats))
    print(f"\nDefault fit on ACSF1's training split, median of {repeats}: {acsf1_s:.1f} s")
    profiled = ["GunPoint"] if args.quick else list(datasets)
    profiles = {name: update_profile(datasets[name], 1 if args.quick else 15) for name in profiled}
    print("\nWhere one default update's time goes (ms, each part timed alone, batch 32)\n")
    print("| part | " + " | ".join(profiles) + " |")
    print("|---|" + "---|" * len(profiles))
    for part in profiles["GunPoint"]:
        print(f"| {part} | " + " | ".join(f"{p[part]:.2f}" for p in profiles.values()) + " |")
    rounds = 1 if args.quick else args.rounds
    timed = 1 if args.quick else 2  # timed calls per round, not fits
    against = {name: fused_against_loop(datasets[name], rounds, timed) for name in profiled}
    print(f"\nFused kernel against Keras's loop, in turn {rounds} times (ms per update)\n")
    print("| data | fused | Keras's loop | ratio |")
    print("|---|---|---|---|")
    for name, a in against.items():
        print(f"| {name} | {a['fused']:.2f} | {a['keras loop']:.2f} | {a['ratio']:.2f} |")
    return dict(
        against=against,
        seconds=seconds,
        scores=scores,
        roofline=rows,
        lengths=lengths,
        acsf1_s=acsf1_s,
        profiles=profiles,
    )


if __name__ == "__main__":
    main()
