"""Beyond one process: tf.distribute strategies and grid search on a real Dask cluster."""

import joblib
import numpy as np
import pytest
import tensorflow as tf
from sklearn.model_selection import GridSearchCV

from .helpers import tiny

#: Slow: a real Dask cluster (``pytest -m "not slow"`` skips this module).
pytestmark = pytest.mark.slow


def test_mirrored_strategy_trains_and_predicts(sines):
    ae = tiny(distribution_strategy="mirrored", epochs=3).fit(sines)
    strategy = ae.model_.distribute_strategy
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    # One replica per GPU, or the CPU alone.
    assert strategy.num_replicas_in_sync == max(1, len(tf.config.list_logical_devices("GPU")))
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]
    codes = ae.transform(sines)
    if strategy.num_replicas_in_sync == 1:
        # One replica computes what the default strategy computes, from the same seeds.
        alone = tiny(epochs=3).fit(sines)
        np.testing.assert_allclose(codes, alone.transform(sines), rtol=1e-4, atol=1e-5)
    ae.partial_fit(sines)  # a warm start stays under the model's strategy
    assert len(ae.history_["loss"]) == 4


def test_strategy_instance_and_default_give_the_same_model(sines):
    default = tiny().fit(sines).transform(sines)
    given = tiny(distribution_strategy=tf.distribute.get_strategy()).fit(sines).transform(sines)
    np.testing.assert_allclose(given, default, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="'distribution_strategy' parameter"):
        tiny(distribution_strategy="tpu").fit(sines)


def test_grid_search_on_a_dask_cluster_matches_a_local_run(sines):
    distributed = pytest.importorskip("distributed")
    grid = {"latent_dim": [2, 3]}
    local = GridSearchCV(tiny(), grid, cv=2, n_jobs=1).fit(sines)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(tiny(), grid, cv=2, n_jobs=-1).fit(sines)
        # The fits ran in the workers' processes, which imported the library.
        imported = client.run(lambda: __import__("sys").modules.get("sklearn_lstm_ae") is not None)
        assert any(imported.values())
    # The same fits: Dask workers run TensorFlow with one thread
    # (OMP_NUM_THREADS=1), which changes float32 summation order, so the
    # scores agree closely rather than exactly.
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=2e-2
    )
    # The refitted best estimator came back from the cluster fitted, as the local one.
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.best_estimator_.transform(sines), local.best_estimator_.transform(sines), atol=1e-2
    )
