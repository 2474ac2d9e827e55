"""Parameters: the values each enumerated parameter takes, defined once (plain values)."""

__all__ = ["MODES", "CELLS", "POOLINGS", "POOLED", "TWO_SUMMARIES"]

#: Training objectives (``mode``): which decoders the model has.
MODES = ("reconstruct", "predict", "composite")
#: Recurrent cells (``cell``).
CELLS = ("lstm", "gru")
#: What the code summarises (``pooling``); "last" is the tutorials' last state.
POOLINGS = ("lastmax", "max", "mean", "meanmax", "last")
#: The poolings over the states of every valid step (all but "last").
POOLED = tuple(p for p in POOLINGS if p != "last")
#: The poolings whose code reads two summaries side by side (twice the width).
TWO_SUMMARIES = ("meanmax", "lastmax")
