"""skgrn.save and skgrn.load: identical estimators, no pickle, nothing executed on load,
atomic writes, and version warnings (for pickles too)."""

import io
import json
import os
import pickle
import warnings
import zipfile

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from helpers import QUICK_FIT, fit_quietly

import skgrn
import skgrn._version
from skgrn import GRNClassifier, GRNRegressor, InconsistentVersionWarning


@pytest.fixture(scope="module")
def table():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            "amount": rng.randn(300),
            "city": rng.choice(["oslo", "lima", "rome", None], 300),
            "rooms": rng.randint(0, 6, 300),
        }
    )
    return X, rng


@pytest.fixture(scope="module")
def fitted(table):
    X, rng = table
    labels = rng.choice(["low", "mid", "high"], 300)
    classifier = GRNClassifier(class_weight={"low": 2.0, "mid": 1.0, "high": 1.0}, **QUICK_FIT)
    multilabel = GRNClassifier(**QUICK_FIT)
    regressor = GRNRegressor(early_stopping=True, **QUICK_FIT)
    return {
        "classifier": fit_quietly(classifier, X, labels),
        "multilabel": fit_quietly(multilabel, X, rng.randint(0, 2, (300, 3))),
        "regressor": fit_quietly(regressor, X, np.column_stack([X["amount"] * 1e3, X["rooms"]])),
    }


def outputs(estimator, X):
    if isinstance(estimator, GRNClassifier):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def assert_same_layout(first, second):
    assert first.kinds == second.kinds and first.dtype == second.dtype
    assert first.numeric == second.numeric
    for ours, theirs in zip(first.categorical, second.categorical, strict=True):
        assert ours.label == theirs.label and ours.categories.equals(theirs.categories)


@pytest.fixture
def no_pickle(monkeypatch):
    """Make any use of pickle fail."""

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ("dump", "dumps", "load", "loads", "Pickler", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)


@pytest.mark.parametrize("kind", ["classifier", "multilabel", "regressor"])
def test_roundtrip_gives_an_identical_estimator(fitted, table, kind, tmp_path, no_pickle):
    estimator = fitted[kind]
    X = table[0]
    path = tmp_path / "model.skgrn"
    skgrn.save(estimator, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        loaded = skgrn.load(path)
    assert type(loaded) is type(estimator)
    np.testing.assert_array_equal(outputs(loaded, X), outputs(estimator, X))
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    assert loaded.get_params() == estimator.get_params()
    assert_same_layout(loaded._layout, estimator._layout)
    assert loaded._spec == estimator._spec
    np.testing.assert_array_equal(loaded.feature_names_in_, estimator.feature_names_in_)
    for name in ("classes_", "target_mean_", "target_scale_"):
        if hasattr(estimator, name):
            np.testing.assert_array_equal(getattr(loaded, name), getattr(estimator, name))
    np.testing.assert_equal(loaded.history_, estimator.history_)  # NaN equals NaN here
    assert loaded.n_iter_ == estimator.n_iter_


def test_loaded_estimator_keeps_training_reproducibly(fitted, table, tmp_path):
    """The random state travels: warm-started training continues the same stream."""
    X, rng = table
    y = X["amount"] + rng.randn(300)
    original = fit_quietly(GRNRegressor(warm_start=True, **QUICK_FIT), X, y)
    skgrn.save(original, tmp_path / "model.skgrn")
    loaded = skgrn.load(tmp_path / "model.skgrn")
    # Neither a file nor a pickle keeps Adam's moments, so both restart them
    # and continue the same random stream from the same weights.
    unpickled = pickle.loads(pickle.dumps(original))
    fit_quietly(loaded, X, y)
    fit_quietly(unpickled, X, y)
    np.testing.assert_array_equal(loaded.predict(X), unpickled.predict(X))
    fit_quietly(original, X, y)
    assert not np.array_equal(loaded.predict(X), original.predict(X))  # the moments mattered


def test_unfitted_estimator_roundtrips(tmp_path):
    estimator = GRNClassifier(n_blocks=3, categorical_features=["city"], random_state=None)
    skgrn.save(estimator, tmp_path / "unfitted.skgrn")
    loaded = skgrn.load(tmp_path / "unfitted.skgrn")
    assert loaded.get_params() == estimator.get_params()
    assert not hasattr(loaded, "model_")
    assert "model.keras" not in zipfile.ZipFile(tmp_path / "unfitted.skgrn").namelist()


def test_file_records_the_versions(fitted, tmp_path):
    skgrn.save(fitted["regressor"], tmp_path / "model.skgrn")
    header = json.loads(zipfile.ZipFile(tmp_path / "model.skgrn").read("skgrn.json"))
    assert header["versions"]["skgrn"] == skgrn.__version__
    assert header["versions"]["keras"] == keras.__version__
    assert set(header["versions"]) >= {"skgrn", "keras", "scikit-learn"}


def test_save_refuses_other_objects(tmp_path):
    with pytest.raises(TypeError, match="saves GRNClassifier and GRNRegressor"):
        skgrn.save(GRNClassifier, tmp_path / "x.skgrn")


# -- files that are not ours ----------------------------------------------------------
class CreatesAFile:
    """A pickle payload: unpickling it creates the file at ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def rewrite(source, target, replace):
    """Copy the archive ``source`` to ``target`` with some members replaced or added."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            copy.writestr(name, replace.pop(name, original.read(name)))
        for name, data in replace.items():
            copy.writestr(name, data)


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "noise.skgrn"
    path.write_bytes(np.random.RandomState(0).bytes(4096))
    with pytest.raises(ValueError, match="not a file written by skgrn.save"):
        skgrn.load(path)


def test_a_pickle_is_refused_and_not_executed(tmp_path):
    created = tmp_path / "created-by-pickle"
    path = tmp_path / "payload.skgrn"
    path.write_bytes(pickle.dumps(CreatesAFile(created)))
    with pytest.raises(ValueError, match="not a zip archive"):
        skgrn.load(path)
    assert not created.exists()


def test_a_joblib_file_is_refused(fitted, tmp_path):
    joblib.dump(fitted["regressor"], tmp_path / "model.joblib")
    with pytest.raises(ValueError, match="not a file written by skgrn.save"):
        skgrn.load(tmp_path / "model.joblib")


def test_a_foreign_archive_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match="holds \\['data.csv'\\]"):
        skgrn.load(tmp_path / "other.zip")


def test_a_pickled_array_inside_the_file_is_refused_and_not_executed(fitted, tmp_path):
    created = tmp_path / "created-by-array"
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    payload = np.empty(1, dtype=object)
    payload[0] = CreatesAFile(created)
    buffer = io.BytesIO()
    np.savez(buffer, array_0=payload)
    rewrite(tmp_path / "good.skgrn", tmp_path / "bad.skgrn", {"arrays.npz": buffer.getvalue()})
    with pytest.raises(ValueError, match="other than plain arrays"):
        skgrn.load(tmp_path / "bad.skgrn")
    assert not created.exists()


def test_a_network_with_a_lambda_layer_is_refused_and_not_executed(fitted, tmp_path):
    created = tmp_path / "created-by-lambda"
    target = str(created)
    network = keras.Sequential(
        [keras.Input((3,)), keras.layers.Lambda(lambda x: (open(target, "w"), x)[1])]
    )
    network.save(tmp_path / "lambda.keras")
    created.unlink()  # building the network ran the lambda once
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    replace = {"model.keras": (tmp_path / "lambda.keras").read_bytes()}
    rewrite(tmp_path / "good.skgrn", tmp_path / "bad.skgrn", replace)
    with pytest.raises(ValueError, match="not a network skgrn can load safely"):
        skgrn.load(tmp_path / "bad.skgrn")
    assert not created.exists()


@pytest.mark.parametrize(
    "state",
    [
        {"object": "system", "attributes": {"dict": []}},
        {"array": "no_such_array"},
        {"dict": [[{"dict": []}, 1]]},
        {"random_state": "not a state"},
        ["a list, not a dict"],
    ],
)
def test_malformed_state_is_refused(fitted, tmp_path, state):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    header = json.loads(zipfile.ZipFile(tmp_path / "good.skgrn").read("skgrn.json"))
    header["state"] = state
    rewrite(tmp_path / "good.skgrn", tmp_path / "bad.skgrn", {"skgrn.json": json.dumps(header)})
    with pytest.raises(ValueError, match="malformed|Unexpected"):
        skgrn.load(tmp_path / "bad.skgrn")


def test_a_network_of_another_shape_is_refused(fitted, tmp_path):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    skgrn.save(fitted["classifier"], tmp_path / "other.skgrn")
    other_network = zipfile.ZipFile(tmp_path / "other.skgrn").read("model.keras")
    rewrite(tmp_path / "good.skgrn", tmp_path / "bad.skgrn", {"model.keras": other_network})
    with pytest.raises(ValueError, match="do not fit"):
        skgrn.load(tmp_path / "bad.skgrn")


# -- atomic writes --------------------------------------------------------------------
def test_a_failed_save_leaves_the_previous_file_intact(fitted, tmp_path, monkeypatch):
    path = tmp_path / "model.skgrn"
    skgrn.save(fitted["regressor"], path)
    before = path.read_bytes()

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        skgrn.save(fitted["classifier"], path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.skgrn"]
    monkeypatch.undo()
    np.testing.assert_array_equal(skgrn.load(path).target_mean_, fitted["regressor"].target_mean_)


# -- versions -------------------------------------------------------------------------
def test_a_file_from_another_version_warns(fitted, tmp_path):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    header = json.loads(zipfile.ZipFile(tmp_path / "good.skgrn").read("skgrn.json"))
    header["versions"]["skgrn"] = "0.0.1"
    rewrite(tmp_path / "good.skgrn", tmp_path / "old.skgrn", {"skgrn.json": json.dumps(header)})
    with pytest.warns(InconsistentVersionWarning, match="saved by skgrn 0.0.1") as record:
        loaded = skgrn.load(tmp_path / "old.skgrn")
    assert [w.message.original_version for w in record] == ["0.0.1"]
    assert loaded.n_iter_ == fitted["regressor"].n_iter_


def test_pickles_from_another_version_warn(fitted, monkeypatch):
    data = pickle.dumps(fitted["classifier"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(data)  # the same version: silent
    monkeypatch.setattr(skgrn._version, "__version__", "9.9.9")
    with pytest.warns(InconsistentVersionWarning, match="GRNClassifier saved by skgrn 0.1.0"):
        pickle.loads(data)


def test_joblib_files_from_another_version_warn(fitted, tmp_path, monkeypatch):
    joblib.dump(fitted["classifier"], tmp_path / "model.joblib")
    monkeypatch.setattr(skgrn._version, "__version__", "9.9.9")
    with pytest.warns(InconsistentVersionWarning, match="saved by skgrn 0.1.0 with skgrn 9.9.9"):
        joblib.load(tmp_path / "model.joblib")
