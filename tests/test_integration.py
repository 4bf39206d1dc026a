"""The estimators inside scikit-learn's machinery: pipelines, column transformers,
searches, cloning, feature names, metadata routing and persistence."""

import os
import pickle
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from helpers import rtol, subprocess_env
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skgrn import GRNClassifier, GRNRegressor

N_SAMPLES = 80

# Small max_iter values are the point here; their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def X():
    # Features on very different scales, so that the scaler matters.
    return np.random.RandomState(0).randn(N_SAMPLES, 4) * [1.0, 100.0, 0.01, 10.0]


@pytest.fixture(scope="module")
def y_class(X):
    return np.digitize(X[:, 0] + X[:, 1] / 100, [-0.7, 0.7])


@pytest.fixture(scope="module")
def y_reg(X):
    return X[:, 0] - X[:, 1] / 50 + 0.1 * np.sin(X[:, 3])


# -- pipelines ------------------------------------------------------------------------
def test_pipeline_with_scaler(make_clf, X, y_class):
    pipe = make_pipeline(StandardScaler(), make_clf(max_iter=60, learning_rate_init=0.01))
    pipe.fit(X, y_class)
    assert pipe.score(X, y_class) > 0.8
    np.testing.assert_array_equal(pipe.classes_, [0, 1, 2])
    assert pipe.predict_proba(X).shape == (N_SAMPLES, 3)
    # The classifier saw the scaled features.
    clf = pipe[-1]
    np.testing.assert_array_equal(clf.predict_proba(pipe[0].transform(X)), pipe.predict_proba(X))


def test_column_transformer_on_dataframe(make_reg, X):
    rng = np.random.RandomState(3)
    colors = np.array(["red", "green", "blue"])[rng.randint(0, 3, N_SAMPLES)]
    frame = pd.DataFrame({"size": X[:, 0], "color": pd.Categorical(colors)})
    y = 2 * frame["size"].to_numpy() + np.select(
        [colors == "red", colors == "green"], [3.0, -3.0], 0.0
    )
    pipe = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("numeric", StandardScaler(), ["size"]),
                        ("categorical", OneHotEncoder(), ["color"]),
                    ]
                ),
            ),
            ("reg", make_reg(max_iter=100, learning_rate_init=0.01)),
        ]
    )
    pipe.fit(frame, y)
    assert pipe[-1].n_features_in_ == 4
    assert r2_score(y, pipe.predict(frame)) > 0.8
    assert pipe.predict(frame.iloc[:5]).shape == (5,)


def test_cross_val_score(make_clf, X, y_class):
    scores = cross_val_score(
        make_pipeline(StandardScaler(), make_clf(max_iter=60, learning_rate_init=0.01)),
        X,
        y_class,
        cv=3,
    )
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.mean() > 0.6


# -- searches -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def worker_env():
    """Parallel workers are fresh interpreters: they must find skgrn too."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = subprocess_env()["PYTHONPATH"]
    yield
    if saved is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = saved


def _grid_search(make_clf, X, y, n_jobs):
    search = GridSearchCV(
        make_clf(max_iter=10),
        {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-3, 1e-2]},
        cv=2,
        n_jobs=n_jobs,
    )
    return search.fit(X, y)


def _randomized_search(make_clf, X, y, n_jobs):
    search = RandomizedSearchCV(
        make_clf(max_iter=10),
        {"alpha": loguniform(1e-5, 1e-1), "learning_rate_init": loguniform(1e-3, 1e-1)},
        n_iter=3,
        cv=2,
        n_jobs=n_jobs,
        random_state=0,
    )
    return search.fit(X, y)


@pytest.mark.slow
@pytest.mark.parametrize("search", [_grid_search, _randomized_search])
def test_search_is_reproducible_across_n_jobs(make_clf, search, X, y_class, worker_env):
    X_scaled = StandardScaler().fit_transform(X)
    serial = search(make_clf, X_scaled, y_class, n_jobs=1)
    parallel = search(make_clf, X_scaled, y_class, n_jobs=2)
    scores = serial.cv_results_["mean_test_score"]
    assert len(scores) == (4 if search is _grid_search else 3)
    assert np.all(np.isfinite(scores))
    # The parameters differ enough for the scores to differ.
    assert len(np.unique(scores)) > 1
    np.testing.assert_array_equal(parallel.cv_results_["mean_test_score"], scores)
    assert parallel.best_params_ == serial.best_params_
    np.testing.assert_array_equal(
        parallel.best_estimator_.predict_proba(X_scaled),
        serial.best_estimator_.predict_proba(X_scaled),
    )


# -- cloning and feature names --------------------------------------------------------
def test_clone_of_fitted_estimator_is_unfitted(make_clf, X, y_class):
    clf = make_clf(max_iter=5, alpha=0.01, class_weight="balanced").fit(X, y_class)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    for name in ("model_", "classes_", "n_iter_", "history_", "n_features_in_"):
        assert not hasattr(copy, name)
    with pytest.raises(NotFittedError):
        copy.predict(X)
    # The original is untouched.
    assert clf.predict(X).shape == (N_SAMPLES,)


def test_feature_names_are_checked(make_reg, X, y_reg):
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    reg = make_reg(max_iter=5).fit(frame, y_reg)
    np.testing.assert_array_equal(reg.feature_names_in_, ["a", "b", "c", "d"])
    expected = reg.predict(frame)
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(frame.rename(columns={"a": "z"}))
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(frame[["b", "a", "c", "d"]])
    with pytest.warns(UserWarning, match="valid feature names"):
        from_array = reg.predict(X)
    np.testing.assert_array_equal(from_array, expected)


def test_no_feature_names_for_arrays(make_reg, X, y_reg):
    reg = make_reg(max_iter=5).fit(X, y_reg)
    assert not hasattr(reg, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        reg.predict(pd.DataFrame(X, columns=["a", "b", "c", "d"]))


# -- metadata routing -----------------------------------------------------------------
EXACT = dict(dropout_rate=0.0, batch_size=N_SAMPLES)


@pytest.fixture(scope="module")
def half_zero_weights():
    weights = np.ones(N_SAMPLES)
    weights[1::2] = 0
    return weights


@pytest.mark.filterwarnings("ignore:batch_size=")  # full batch on purpose: see EXACT
def test_metadata_routing_in_pipeline(make_reg, X, y_reg, half_zero_weights):
    kept = half_zero_weights > 0
    with sklearn.config_context(enable_metadata_routing=True):

        def make_pipe():
            return Pipeline(
                [
                    ("scale", StandardScaler().set_fit_request(sample_weight=True)),
                    # Zero weights equal dropped rows exactly without dropout and with
                    # full-batch steps.
                    ("reg", make_reg(max_iter=20, **EXACT).set_fit_request(sample_weight=True)),
                ]
            )

        weighted = make_pipe().fit(X, y_reg, sample_weight=half_zero_weights)
        dropped = make_pipe().fit(X[kept], y_reg[kept])
        unweighted = make_pipe().fit(X, y_reg)
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), rtol=rtol(1e-6))
    assert not np.allclose(weighted.predict(X), unweighted.predict(X), rtol=1e-3)


@pytest.mark.filterwarnings("ignore:batch_size=")
def test_metadata_routing_in_grid_search(make_reg, X, y_reg, half_zero_weights):
    X = StandardScaler().fit_transform(X)
    kept = half_zero_weights > 0
    grid = {"alpha": [1e-4, 1e-2]}
    with sklearn.config_context(enable_metadata_routing=True):

        def make_search():
            reg = make_reg(max_iter=20, **EXACT).set_fit_request(sample_weight=True)
            # Unweighted scoring: only the fits can make the weighted results differ.
            reg.set_score_request(sample_weight=False)
            return GridSearchCV(reg, grid, cv=2)

        weighted = make_search().fit(X, y_reg, sample_weight=half_zero_weights)
        unweighted = make_search().fit(X, y_reg)
    assert not np.allclose(
        weighted.cv_results_["mean_test_score"], unweighted.cv_results_["mean_test_score"]
    )
    # The refit on all rows got the weights: it matches a fit without the zero-weight rows.
    dropped = make_reg(max_iter=20, **EXACT, **weighted.best_params_).fit(X[kept], y_reg[kept])
    np.testing.assert_allclose(
        weighted.best_estimator_.predict(X), dropped.predict(X), rtol=rtol(1e-6)
    )
    assert not np.allclose(unweighted.best_estimator_.predict(X), dropped.predict(X), rtol=1e-3)


# -- persistence ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def wide_classifier(X, y_class):
    """Wide enough that its weights dominate the pickle (about 0.5 MB of float64)."""
    clf = GRNClassifier(
        n_blocks=2, block_units=96, slow_layers=2, slow_units=64, max_iter=5, random_state=0
    )
    return clf.fit(StandardScaler().fit_transform(X), y_class)


@pytest.mark.slow
def test_joblib_roundtrip_in_fresh_process(wide_classifier, X, tmp_path):
    X_scaled = StandardScaler().fit_transform(X)
    joblib.dump(wide_classifier, tmp_path / "clf.joblib")
    np.save(tmp_path / "X.npy", X_scaled)
    code = (
        "import sys, joblib, numpy as np\n"
        "clf = joblib.load(sys.argv[1] + '/clf.joblib')\n"
        "X = np.load(sys.argv[1] + '/X.npy')\n"
        "np.save(sys.argv[1] + '/proba.npy', clf.predict_proba(X))\n"
        "np.save(sys.argv[1] + '/pred.npy', clf.predict(X))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(
        np.load(tmp_path / "proba.npy"), wide_classifier.predict_proba(X_scaled)
    )
    np.testing.assert_array_equal(np.load(tmp_path / "pred.npy"), wide_classifier.predict(X_scaled))


def test_joblib_roundtrip_in_process(wide_classifier, X, tmp_path):
    X_scaled = StandardScaler().fit_transform(X)
    joblib.dump(wide_classifier, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(
        loaded.predict_proba(X_scaled), wide_classifier.predict_proba(X_scaled)
    )
    assert loaded.get_params() == wide_classifier.get_params()
    assert loaded.n_iter_ == wide_classifier.n_iter_
    np.testing.assert_array_equal(loaded.classes_, wide_classifier.classes_)
    # Pickling must not strip the original of its network.
    assert wide_classifier.model_ is not None


def test_pickle_holds_weights_only(wide_classifier):
    data = pickle.dumps(wide_classifier)
    weights_nbytes = sum(w.nbytes for w in wide_classifier.model_.get_weights())
    assert weights_nbytes > 300_000  # the size bound below is then meaningful
    assert len(data) <= 2 * weights_nbytes + 200_000
    assert len(data) >= weights_nbytes
    assert b"tensorflow" not in data


def test_loaded_estimator_can_keep_training(wide_classifier, X, y_class):
    X_scaled = StandardScaler().fit_transform(X)
    loaded = pickle.loads(pickle.dumps(wide_classifier))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        loaded.partial_fit(X_scaled, y_class)
    assert loaded.n_iter_ == wide_classifier.n_iter_ + 1
    assert not np.array_equal(
        loaded.predict_proba(X_scaled), wide_classifier.predict_proba(X_scaled)
    )


@pytest.mark.parametrize("Estimator", [GRNClassifier, GRNRegressor])
def test_unfitted_estimator_pickles(Estimator):
    estimator = Estimator(block_units=16, alpha=0.5, random_state=3)
    loaded = pickle.loads(pickle.dumps(estimator))
    assert loaded.get_params() == estimator.get_params()
    assert not hasattr(loaded, "model_")
    loaded = joblib.load(_dump_to_memory(estimator))
    assert loaded.get_params() == estimator.get_params()


def _dump_to_memory(estimator):
    import io

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return buffer


# -- thread limits in joblib's worker processes -----------------------------------------
def test_tensorflow_follows_the_omp_thread_limit(monkeypatch):
    from skgrn._threads import follow_thread_limit

    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    follow_thread_limit()  # no limit: TensorFlow keeps its defaults
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "3,2")  # a nested OpenMP setting: not ours to read
    follow_thread_limit()
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what joblib sets in its workers
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "2")  # the user's own setting wins
    follow_thread_limit()
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1"
    assert os.environ["TF_NUM_INTEROP_THREADS"] == "2"


@pytest.mark.slow
def test_parallel_search_gives_the_results_of_a_serial_one():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    y = X[:, 0] + np.sin(X[:, 1]) + 0.3 * rng.randn(300)
    grid = {"alpha": [0.1, 1.0]}
    results = [
        GridSearchCV(GRNRegressor(max_iter=20, random_state=0), grid, cv=2, n_jobs=n_jobs)
        .fit(X, y)
        .cv_results_
        for n_jobs in (1, 2)
    ]
    # Workers run TensorFlow with one thread each, this process with one per core:
    # the networks sum in an order that does not depend on it (skgrn._fixed_order).
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(results[0][key], results[1][key])


_FIT_IN_SUBPROCESS = """
import sys, numpy as np
from skgrn import GRNClassifier, GRNRegressor
rng = np.random.RandomState(0)
X = rng.randn(2400, 6).astype(sys.argv[2])
y = X[:, 0] + np.sin(X[:, 1]) + 0.3 * rng.randn(2400)
reg = GRNRegressor(max_iter=4, random_state=0).fit(X, y)
wide = dict(block_units=96, slow_layers=1, slow_units=80, batch_size=1200, max_iter=3)
clf = GRNClassifier(random_state=0, **wide).fit(X, np.digitize(y, [-1.0, 0.0, 1.0]))
single = GRNClassifier(random_state=0, ensemble_size=1, **wide).fit(X, y > 0)
# Variable selection: 6 columns embedded in 16 units each, a 96-wide selection GRN.
selected = GRNRegressor(variable_selection=True, batch_size=1200, max_iter=3, random_state=0)
selected.fit(X, y)
np.save(sys.argv[1], np.concatenate([
    reg.predict(X), clf.predict_proba(X).ravel(), single.predict_proba(X).ravel(),
    selected.predict(X), selected.feature_importances_]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fits_do_not_depend_on_tensorflow_thread_count(dtype, tmp_path):
    outputs = []
    for threads in ("1", "3"):
        env = subprocess_env(TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=threads)
        path = tmp_path / f"threads_{threads}.npy"
        result = subprocess.run(
            [sys.executable, "-c", _FIT_IN_SUBPROCESS, str(path), dtype],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(np.load(path))
    np.testing.assert_array_equal(outputs[0], outputs[1])


@pytest.mark.slow
def test_search_on_a_dask_cluster_gives_the_results_of_a_serial_one():
    distributed = pytest.importorskip(
        "distributed", reason="Dask is an optional extra: pip install 'skgrn[dask]'"
    )
    from joblib import parallel_backend

    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    y = X[:, 0] + np.sin(X[:, 1]) + 0.3 * rng.randn(300)
    grid = {"alpha": [0.1, 1.0], "block_units": [8, 16]}

    def search():
        return GridSearchCV(GRNRegressor(max_iter=20, random_state=0), grid, cv=2)

    serial = search().fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        on_dask = search().fit(X, y)
    assert on_dask.best_params_ == serial.best_params_
    # As with loky: the workers' TensorFlow runs one thread, which changes no bit.
    np.testing.assert_array_equal(
        on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
