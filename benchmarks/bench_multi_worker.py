"""Benchmark: training across 1 and 2 worker processes with distribution_strategy="multi_worker".

Every configuration trains the same model on the same sequences in fresh
processes on 127.0.0.1, each TensorFlow process on one thread:

- Keras's ``Model.fit`` in one process (``distribution_strategy=None``);
- the multi-worker training step with 1 worker (its cost against ``fit``);
- the multi-worker training step with 2 workers, each training half of
  every global batch.

An epoch's seconds are timed by a callback (median over the epochs after the
first, which traces the step); throughput is training sequences per second.
Configurations alternate within each repeat, so the machine's noise falls on
all of them alike.

    python benchmarks/bench_multi_worker.py            # about 5 minutes on 2 cores
    python benchmarks/bench_multi_worker.py --quick    # under a minute
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WORKER = r"""
import json, os, sys, time
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
strategy = sys.argv[1]
if strategy == "multi_worker":
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
import keras
import numpy as np
from sklearn_lstm_ae import LSTMAutoencoderTransformer
n, steps, features, units, epochs = (int(a) for a in sys.argv[2:7])
rng = np.random.default_rng(0)
t = np.linspace(0, 8, steps)
X = np.sin(t[None, :, None] * rng.uniform(0.5, 2, (n, 1, features)) + rng.uniform(0, 6, (n, 1, 1)))
X = (X + rng.normal(0, 0.1, X.shape)).astype("float32")

class Clock(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds.append(time.perf_counter() - self.start)

seconds = []
ae = LSTMAutoencoderTransformer(
    encoder_units=(units,), latent_dim=16, epochs=epochs, batch_size=256, random_state=0,
    distribution_strategy=None if strategy == "none" else strategy, callbacks=[Clock()],
)
ae.fit(X)
print("RESULT" + json.dumps({"epoch_s": seconds, "loss": ae.history_["loss"]}))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(n_workers, size, workdir):
    """Train once with ``n_workers`` processes (0: Keras fit); return worker 0's result."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1"}
    env.pop("TF_CONFIG", None)
    cluster = {"worker": [f"127.0.0.1:{_free_port()}" for _ in range(max(n_workers, 1))]}
    procs = []
    for i in range(max(n_workers, 1)):
        if n_workers:
            config = {"cluster": cluster, "task": {"type": "worker", "index": i}}
            env = {**env, "TF_CONFIG": json.dumps(config)}
        strategy = "multi_worker" if n_workers else "none"
        log = open(Path(workdir) / f"out{i}", "w+")  # noqa: SIM115
        cmd = [sys.executable, "-c", WORKER, strategy, *map(str, size)]
        procs.append((subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    results = []
    for proc, log in procs:
        proc.wait(timeout=1800)
        log.seek(0)
        text = log.read()
        log.close()
        if proc.returncode:
            raise RuntimeError(text[-3000:])
        results.append(json.loads(text.split("RESULT", 1)[1]))
    # Every worker logged the loss they all agree on.
    assert all(r["loss"] == results[0]["loss"] for r in results)
    return results[0]


CONFIGS = {
    "Keras fit, 1 process": 0,
    "multi-worker step, 1 worker": 1,
    "multi-worker step, 2 workers": 2,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    size = (1024, 20, 3, 16, 3) if args.quick else (8192, 40, 3, 64, 6)
    repeats = 1 if args.quick else args.repeats
    epoch_s = {name: [] for name in CONFIGS}
    losses = {}
    with tempfile.TemporaryDirectory() as workdir:
        for _ in range(repeats):
            for name, n_workers in CONFIGS.items():
                result = run(n_workers, size, workdir)
                epoch_s[name] += result["epoch_s"][1:]
                losses[name] = result["loss"][-1]
    n, steps, features, units, epochs = size
    print(
        f"{n} sequences of {steps} steps x {features} features, LSTM({units}), "
        f"latent 16, global batch 256, {epochs} epochs; each process on 1 thread; "
        f"median epoch over epochs 2-{epochs} of {repeats} run(s)\n"
    )
    print("| configuration | epoch s | sequences/s | final loss |")
    print("|---|---|---|---|")
    medians = {name: statistics.median(v) for name, v in epoch_s.items()}
    for name, med in medians.items():
        print(f"| {name} | {med:.2f} | {n / med:,.0f} | {losses[name]:.4f} |")
    one, two = medians["multi-worker step, 1 worker"], medians["multi-worker step, 2 workers"]
    keras_fit = medians["Keras fit, 1 process"]
    print(f"\nScaling, 2 workers against 1: {one / two:.2f}x")
    print(f"Multi-worker step on 1 worker against Keras fit: {one / keras_fit:.2f}x the time")
    return medians, losses


if __name__ == "__main__":
    main()
