"""Length-bucketed batches: similar lengths together, each batch padded to its own longest."""

import keras
import numpy as np

__all__ = ["bucket_batches", "BucketedTraining", "map_bucketed"]

#: Sequences are sorted by length within pools of this many batches.
POOL_BATCHES = 50
#: Jitter of the sort key, as a fraction of the length, so that members of
#: batches change from epoch to epoch while lengths stay close.
JITTER = 0.1


def bucket_batches(lengths, batch_size, rng=None):
    """Split sequence indices into batches of similar length.

    Without ``rng``: all sequences sorted by length (stable), cut into
    consecutive batches. With ``rng``: the sequences are shuffled, split into
    pools of ``POOL_BATCHES`` batches, sorted within each pool by length
    jittered by up to 10%, cut into batches, and the batches shuffled, so
    batches and their members change from epoch to epoch.

    Returns
    -------
    list of ndarray of int
    """
    lengths = np.asarray(lengths)
    n = len(lengths)
    if rng is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    pool = batch_size * POOL_BATCHES
    perm = rng.permutation(n)
    batches = []
    for start in range(0, n, pool):
        members = perm[start : start + pool]
        key = lengths[members] * (1.0 + rng.uniform(0.0, JITTER, len(members)))
        members = members[np.argsort(key, kind="stable")]
        batches += [members[i : i + batch_size] for i in range(0, len(members), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


class BucketedTraining(keras.utils.PyDataset):
    """Training batches of similar-length sequences for ``Model.fit``.

    Each batch is cut from the NaN-padded ``values`` to its own longest
    sequence and turned into ``(inputs, targets)`` by ``prepare``; the
    batches are drawn anew at every epoch from ``seed``.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features)
        Scaled, NaN-padded sequences.
    lengths : ndarray of shape (n_samples,)
        Valid steps of each sequence.
    batch_size : int
        Sequences per batch.
    prepare : callable
        ``prepare(values, lengths) -> (inputs, targets)`` for one batch.
    seed : int or None
        Seed of the draws.
    """

    def __init__(self, values, lengths, batch_size, prepare, *, seed=None):
        super().__init__()
        self.values, self.lengths = values, np.asarray(lengths)
        self.batch_size, self.prepare = batch_size, prepare
        self._rng = np.random.default_rng(seed)
        self._draw()

    def _draw(self):  # batches and their order redrawn every epoch
        self._batches = bucket_batches(self.lengths, self.batch_size, self._rng)

    def __len__(self):
        return len(self._batches)

    def __getitem__(self, index):
        idx = self._batches[index]
        longest = int(self.lengths[idx].max())
        return self.prepare(self.values[idx, :longest], self.lengths[idx])

    def on_epoch_end(self):
        self._draw()

    @property
    def padded_steps(self):
        """Time steps the current batches compute (valid and padded)."""
        return int(sum(len(b) * self.lengths[b].max() for b in self._batches))


def map_bucketed(fn, values, lengths, batch_size, *, timewise, dtype=np.float32):
    """Apply ``fn`` to length-bucketed batches of ``values``; results in input order.

    ``timewise`` results have a time axis (reconstructions, per-step errors):
    they are written over each batch's own length and NaN beyond, in an
    array as long as ``values``; other results are one row per sequence.
    """
    out = None
    for idx in bucket_batches(lengths, batch_size):
        longest = int(lengths[idx].max())
        res = np.asarray(fn(values[idx, :longest]))
        if out is None:
            shape = (values.shape[1], *res.shape[2:]) if timewise else res.shape[1:]
            out = np.full((len(values), *shape), np.nan if timewise else 0, dtype)
        if timewise:
            out[idx, :longest] = res
        else:
            out[idx] = res
    return out
