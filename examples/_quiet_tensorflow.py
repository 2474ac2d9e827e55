"""Import TensorFlow without the C++ notices it prints while loading (demo and docs build)."""

import os

# "3" also hides errors such as the "failed call to cuInit" of a machine without
# a GPU. Set before TensorFlow is imported; a value the user set is kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def import_tensorflow_quietly():
    """Import TensorFlow with the C++ notices it prints while loading hidden.

    TensorFlow's shared libraries print oneDNN and CUDA-probe lines straight to
    the process's stderr as they load, before ``TF_CPP_MIN_LOG_LEVEL`` can act;
    on a machine without a GPU they read like faults. Only this import is
    silenced: errors raised by it still propagate.
    """
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
