"""Out-of-core training: batches from a keras.utils.PyDataset, validated and scaled one by one."""

import keras

__all__ = ["TrainingBatches", "is_batch_source"]


def is_batch_source(X):
    """True when X is a source of batches rather than the data itself."""
    return isinstance(X, keras.utils.PyDataset)


class TrainingBatches(keras.utils.PyDataset):
    """The batches of ``source`` turned into Keras ``(inputs, targets)`` pairs.

    Only one batch at a time is read, validated, padded, scaled and turned
    into targets, so the training data never need to fit in memory. The
    source's ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are
    kept.

    Parameters
    ----------
    source : keras.utils.PyDataset
        Yields batches of sequences (any form accepted by ``fit``).
    prepare : callable
        Maps one batch to ``(inputs, targets)``.
    """

    def __init__(self, source, prepare):
        super().__init__(
            workers=getattr(source, "workers", 1),
            use_multiprocessing=getattr(source, "use_multiprocessing", False),
            max_queue_size=getattr(source, "max_queue_size", 10),
        )
        self.source = source
        self.prepare = prepare

    def __len__(self):
        return len(self.source)

    def __getitem__(self, index):
        return self.prepare(self.source[index])

    def on_epoch_end(self):
        self.source.on_epoch_end()
