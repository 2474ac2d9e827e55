"""Cluster-wide inference: a fitted transformer applied to a dask array on a real LocalCluster."""

import numpy as np
import pytest

from sklearn_lstm_ae import dask_apply

from .helpers import tiny

#: Slow: a real LocalCluster (``pytest -m "not slow"`` skips this module).
pytestmark = pytest.mark.slow

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")


def read_rows(path, start, stop):
    """Read rows [start, stop) of a .npy file through a memory map (run on the workers)."""
    return np.asarray(np.load(path, mmap_mode="r")[start:stop])


def npy_dask_array(path, chunk):
    """A dask array whose chunks the workers read from ``path`` themselves."""
    data = np.load(path, mmap_mode="r")
    n, tail = data.shape[0], data.shape[1:]
    parts = [
        da.from_delayed(
            dask.delayed(read_rows)(str(path), i, min(i + chunk, n)),
            shape=(min(chunk, n - i), *tail),
            dtype=data.dtype,
        )
        for i in range(0, n, chunk)
    ]
    return da.concatenate(parts)


def _loads():
    import sklearn_lstm_ae._dask as module

    return module.loads


def test_codes_and_scores_on_a_cluster_equal_local_ones(sines, tmp_path):
    ae = tiny().fit(sines)
    X = np.concatenate([sines] * 4)  # 240 sequences
    X[::7, 9:] = np.nan  # some padded ones
    path = tmp_path / "sequences.npy"
    np.save(path, X)
    lazy = npy_dask_array(path, chunk=30)  # 8 chunks
    assert lazy.numblocks[0] == 8
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        codes = dask_apply(ae, lazy)
        assert codes.chunks == ((30,) * 8, (2,))
        np.testing.assert_allclose(codes.compute(), ae.transform(X), rtol=1e-5, atol=1e-6)
        scores = dask_apply(ae, lazy, method="score_samples").compute()
        np.testing.assert_allclose(scores, ae.score_samples(X), rtol=1e-5, atol=1e-7)
        # Each worker loaded the transformer once, not once per chunk or per call.
        loads = client.run(_loads)
        assert len(loads) == 2 and set(loads.values()) <= {0, 1} and max(loads.values()) == 1
        # Written to storage by the workers: the codes never pass through the client.
        out = tmp_path / "codes"
        da.to_npy_stack(out, dask_apply(ae, lazy))
    np.testing.assert_allclose(da.from_npy_stack(out).compute(), ae.transform(X), atol=1e-6)


def test_dask_apply_checks_its_input(sines):
    ae = tiny().fit(sines)
    with pytest.raises(TypeError, match="X must be a dask array"):
        dask_apply(ae, sines)
    with pytest.raises(ValueError, match="X has 3 features per step, but the transformer"):
        dask_apply(ae, da.zeros((4, 12, 3), chunks=2))
    with pytest.raises(ValueError, match="method must be one of"):
        dask_apply(ae, da.from_array(sines, chunks=20), method="predict")
    with pytest.raises(TypeError, match="needs a fitted LSTMAutoencoderTransformer"):
        dask_apply(object(), da.from_array(sines, chunks=20))
    errors = dask_apply(ae, da.from_array(sines, chunks=(20, 12, 2)), "reconstruction_errors")
    assert errors.dtype == np.float64 and errors.shape == (60,)
    np.testing.assert_allclose(errors.compute(), ae.reconstruction_errors(sines), rtol=1e-6)
