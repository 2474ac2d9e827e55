"""Length-bucketed batches against padding every batch to the longest sequence.

PickupGestureWiimoteZ's training sequences have 29 to 361 steps: padded to
the longest, most LSTM steps are padding. The script fits the same network
twice, at equal epochs and seed, with ``shuffle="buckets"`` (the default) and
``shuffle=True``, and reports fit seconds per epoch, the final loss, the
transform time of the 100 train and test sequences, and the LSTM steps each
computes (valid + padded) against the valid ones; then the transform time of
5,000 sequences (the 100 train and test sequences 50 times over): as a list
(length-bucketed batches of 1,024) and as one NaN-padded array (every batch
padded to the longest). One run, alternated, medians of ``--repeats`` timings.

Run: ``python benchmarks/bench_bucketing.py [--quick]``.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from aeon.datasets import load_classification  # noqa: E402

from sklearn_lstm_ae import LSTMAutoencoderTransformer  # noqa: E402
from sklearn_lstm_ae._data.buckets import bucket_batches  # noqa: E402


def load():
    train, _ = load_classification("PickupGestureWiimoteZ", split="train")
    test, _ = load_classification("PickupGestureWiimoteZ", split="test")
    return list(train), list(train) + list(test)


def steps(lengths, batch_size, bucketed):
    """LSTM steps of one pass: each batch runs to its longest (or the overall longest)."""
    lengths = np.asarray(lengths)
    if not bucketed:
        return len(lengths) * int(lengths.max())
    return sum(len(b) * int(lengths[b].max()) for b in bucket_batches(lengths, batch_size))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: numbers mean nothing")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    train, every = load()
    epochs, repeats = (2, 1) if args.quick else (60, args.repeats)
    if args.quick:
        train, every = train[:16], every[:24]
    lengths = [x.shape[1] for x in train]
    batch_size = 8
    rows = {}
    fits = {True: [], False: []}
    transforms = {True: [], False: []}
    models, outputs = {}, {}
    for _ in range(repeats):
        for bucketed in (True, False):
            ae = LSTMAutoencoderTransformer(
                latent_dim=16,
                epochs=epochs,
                batch_size=batch_size,
                shuffle="buckets" if bucketed else True,
                data_format="channels_first",
                random_state=0,
            )
            start = time.perf_counter()
            ae.fit(train)
            fits[bucketed].append((time.perf_counter() - start) / epochs)
            rows[bucketed] = ae.history_["loss"][-1]
            models[bucketed] = ae
    many = every * (1 if args.quick else 50)
    many_padded = _padded(many)
    for _ in range(repeats):
        for bucketed in (True, False):
            ae = models[True]  # one model: only the batching differs
            start = time.perf_counter()
            codes = ae.transform(many) if bucketed else ae.transform(many_padded)
            transforms[bucketed].append(time.perf_counter() - start)
            outputs[bucketed] = codes
    same = np.abs(outputs[True] - outputs[False]).max()
    valid = int(sum(lengths))
    print(
        f"PickupGestureWiimoteZ: {len(train)} training sequences of {min(lengths)} to "
        f"{max(lengths)} steps, batch {batch_size}, {epochs} epochs; transform of "
        f"{len(many)} sequences. Medians of {repeats} alternating runs.\n"
    )
    print("| batches | fit s / epoch | final loss | transform s | LSTM steps / epoch | of valid |")
    print("|---|---|---|---|---|---|")
    for bucketed, name in ((True, "length-bucketed"), (False, "padded to the longest")):
        n_steps = steps(lengths, batch_size, bucketed)
        print(
            f"| {name} | {statistics.median(fits[bucketed]):.3f} | {rows[bucketed]:.4f} "
            f"| {statistics.median(transforms[bucketed]):.3f} | {n_steps} "
            f"| {n_steps / valid:.2f}x |"
        )
    ratio = statistics.median(fits[True]) / statistics.median(fits[False])
    t_ratio = statistics.median(transforms[True]) / statistics.median(transforms[False])
    print(
        f"\nratios bucketed / padded: fit {ratio:.2f}, transform {t_ratio:.2f}; "
        f"transform steps {steps([x.shape[1] for x in many], 1024, True)} against "
        f"{steps([x.shape[1] for x in many], 1024, False)}; codes differ by at most {same:.1e}"
    )
    return fits, transforms, rows


def _padded(seqs):
    """One NaN-padded (n, channels, longest) array: the transform that pads to the maximum."""
    longest = max(x.shape[1] for x in seqs)
    out = np.full((len(seqs), seqs[0].shape[0], longest), np.nan, np.float32)
    for i, x in enumerate(seqs):
        out[i, :, : x.shape[1]] = x
    return out


if __name__ == "__main__":
    main()
