"""Benchmark: encoding a dataset on a Dask cluster with 1 and 2 worker processes.

The sequences lie in a .npy file that the workers read themselves through a
memory map; ``dask_apply`` sends them the fitted transformer once. Throughput
is sequences per second of ``dask_apply(...).compute()`` (codes gathered on
the client), medians of repeated calls after one warm-up call (which loads
the model and traces its functions on each worker), beside an in-process
``transform`` of the same array.

    python benchmarks/bench_dask.py            # 200,000 sequences (a few minutes)
    python benchmarks/bench_dask.py --quick    # seconds
"""

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the scripts beside this one

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import distributed  # noqa: E402
import numpy as np  # noqa: E402
from roofline import median_seconds  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer, dask_apply  # noqa: E402


def read_rows(path, start, stop):
    """Rows [start, stop) of a .npy file, read through a memory map on the worker."""
    return np.asarray(np.load(path, mmap_mode="r")[start:stop])


def npy_dask_array(path, chunk):
    data = np.load(path, mmap_mode="r")
    n, tail = data.shape[0], data.shape[1:]
    return da.concatenate(
        [
            da.from_delayed(
                dask.delayed(read_rows)(path, i, min(i + chunk, n)),
                shape=(min(chunk, n - i), *tail),
                dtype=data.dtype,
            )
            for i in range(0, n, chunk)
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n, steps, features = (8_000, 30, 3) if args.quick else (200_000, 30, 3)
    chunk, repeats = (1_000, 1) if args.quick else (12_500, 3)
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(n, steps, features)), axis=1).astype(np.float32)
    ae = LSTMAutoencoderTransformer(epochs=1, random_state=0).fit(X[:2000])
    # Each timing follows a warm-up call: the model loaded and traced on each worker.
    results = {"in-process transform": median_seconds(lambda: ae.transform(X), repeats)}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sequences.npy")
        np.save(path, X)
        lazy = npy_dask_array(path, chunk)
        for workers, threads in ((1, 2), (2, 1)):
            with (
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=threads,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                distributed.Client(cluster),
            ):
                label = f"Dask, {workers} worker process(es) x {threads} thread(s)"
                results[label] = median_seconds(lambda: dask_apply(ae, lazy).compute(), repeats)
    print(
        f"{n:,} sequences of {steps} steps x {features} features, chunks of {chunk:,}, "
        f"{os.cpu_count()} cores; medians of {repeats} after a warm-up call.\n"
    )
    print("| run | seconds | sequences / s |\n|---|---|---|")
    for label, seconds in results.items():
        print(f"| {label} | {seconds:.2f} | {n / seconds:,.0f} |")
    one, two = list(results.values())[1:]
    print(f"\nScaling from 1 to 2 worker processes: {one / two:.2f}x")
    return results


if __name__ == "__main__":
    main()
