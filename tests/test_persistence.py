"""skgrn.save and skgrn.load: identical estimators, no pickle, nothing executed on load,
atomic writes, version warnings (for pickles too), the fitted state estimators export,
and the files and pickles of older versions."""

import importlib.util
import io
import json
import os
import pickle
import warnings
import zipfile
from pathlib import Path

import joblib
import keras
import numpy as np
import pandas as pd
import pytest
from helpers import QUICK_FIT, fit_quietly

import skgrn
import skgrn._version
from skgrn import GRNClassifier, GRNRegressor, InconsistentVersionWarning

#: Estimators saved and pickled by an older skgrn (see make_fixtures.py there).
FIXTURES = Path(__file__).parent / "persistence_fixtures"


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


def test_a_network_with_a_lambda_layer_is_refused_and_not_executed(tmp_path):
    """Only format 1 stored the network as model.keras (see test_format_1_*)."""
    created = tmp_path / "created-by-lambda"
    target = str(created)
    network = keras.Sequential(
        [keras.Input((3,)), keras.layers.Lambda(lambda x: (open(target, "w"), x)[1])]
    )
    network.save(tmp_path / "lambda.keras")
    created.unlink()  # building the network ran the lambda once
    replace = {"model.keras": (tmp_path / "lambda.keras").read_bytes()}
    rewrite(FIXTURES / "regressor.skgrn", tmp_path / "bad.skgrn", replace)
    with pytest.raises(ValueError, match="not a network skgrn can load safely"):
        skgrn.load(tmp_path / "bad.skgrn")
    assert not created.exists()


def test_a_keras_file_in_a_format_2_file_is_refused(fitted, tmp_path):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    network = zipfile.ZipFile(FIXTURES / "regressor.skgrn").read("model.keras")
    rewrite(tmp_path / "good.skgrn", tmp_path / "bad.skgrn", {"model.keras": network})
    with pytest.raises(ValueError, match="format version 2 holds no \\['model.keras'\\]"):
        skgrn.load(tmp_path / "bad.skgrn")


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


def read_archive(path):
    """The JSON header and the arrays of a file written by skgrn.save."""
    with zipfile.ZipFile(path) as archive:
        header = json.loads(archive.read("skgrn.json"))
        with np.load(io.BytesIO(archive.read("arrays.npz"))) as stored:
            return header, {name: stored[name] for name in stored.files}


def write_archive(path, header, arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("skgrn.json", json.dumps(header))
        archive.writestr("arrays.npz", buffer.getvalue())


def test_a_network_of_another_shape_is_refused(fitted, tmp_path):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    skgrn.save(fitted["classifier"], tmp_path / "other.skgrn")
    header, arrays = read_archive(tmp_path / "good.skgrn")
    other_header, other_arrays = read_archive(tmp_path / "other.skgrn")
    arrays = {name: array for name, array in arrays.items() if name not in header["weights"]}
    arrays.update((name, other_arrays[name]) for name in other_header["weights"])
    header["weights"] = other_header["weights"]
    write_archive(tmp_path / "bad.skgrn", header, arrays)
    with pytest.raises(ValueError, match="do not fit"):
        skgrn.load(tmp_path / "bad.skgrn")


@pytest.mark.parametrize("weights", [None, ["no_such_array"], "weight_0", ["array_0"]])
def test_missing_or_malformed_weights_are_refused(fitted, tmp_path, weights):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    header, arrays = read_archive(tmp_path / "good.skgrn")
    header["weights"] = weights
    write_archive(tmp_path / "bad.skgrn", header, arrays)
    with pytest.raises(ValueError, match="do not fit|weights in skgrn.json are malformed"):
        skgrn.load(tmp_path / "bad.skgrn")


# -- atomic writes --------------------------------------------------------------------
def test_a_failed_save_leaves_the_previous_file_intact(fitted, tmp_path, monkeypatch):
    path = tmp_path / "model.skgrn"
    skgrn.save(fitted["regressor"], path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)  # after the JSON was written
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


# -- the fitted state: what pickles and files hold -----------------------------------
@pytest.fixture(scope="module")
def small_classifiers(table):
    X, rng = table
    return {
        kind: fit_quietly(GRNClassifier(ensemble_size=2, **QUICK_FIT), X, y)
        for kind, y in [
            ("binary", rng.choice(["no", "yes"], 300)),
            ("multiclass", rng.choice([3, 1, 2], 300)),
            ("multilabel-indicator", rng.randint(0, 2, (300, 4))),
        ]
    }


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel-indicator", "regressor"])
def test_exported_state_imports_into_an_identical_estimator(small_classifiers, fitted, table, kind):
    estimator = fitted["regressor"] if kind == "regressor" else small_classifiers[kind]
    X = table[0]
    state, weights = estimator._export_state()
    copy = type(estimator)(**estimator.get_params())
    copy._import_state(state, weights)
    np.testing.assert_array_equal(outputs(copy, X), outputs(estimator, X))
    np.testing.assert_array_equal(copy.predict(X), estimator.predict(X))
    assert copy.model_ is not estimator.model_
    assert set(copy._export_state()[0]) == set(state)
    assert not set(state) & set(estimator.get_params())  # parameters are apart
    if kind != "regressor":
        assert state["label_kind"] == kind
        assert copy._label_binarizer.y_type_ == kind
        assert copy._label_binarizer.classes_ is copy.classes_
        np.testing.assert_array_equal(copy.classes_, estimator.classes_)
        assert copy.classes_.dtype == estimator.classes_.dtype
        Y = estimator.predict(X)
        np.testing.assert_array_equal(
            copy._label_binarizer.transform(Y), estimator._label_binarizer.transform(Y)
        )


@pytest.mark.parametrize("Estimator", [GRNClassifier, GRNRegressor])
def test_an_unfitted_estimator_exports_and_imports_nothing(Estimator):
    estimator = Estimator(block_units=4)
    assert estimator._export_state() == ({}, None)
    copy = Estimator(block_units=4)
    copy._import_state({}, None)
    assert not hasattr(copy, "model_") and vars(copy) == vars(estimator)
    pickled = estimator.__getstate__()
    assert pickled["state"] == {} and pickled["weights"] is None
    assert pickled["params"] == estimator.get_params(deep=False)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda state: state.pop("_spec"), "missing \\['_spec'\\]"),
        (lambda state: state.update(model_=None), "unknown \\['model_'\\]"),
        (lambda state: state.update(_spec="a spec"), "of the wrong type"),
        (lambda state: state.update(label_kind="continuous"), "Unknown label kind"),
        (lambda state: state.update(label_kind="binary"), "not the classes of binary targets"),
    ],
)
def test_import_refuses_a_state_export_could_not_have_exported(fitted, change, message):
    state, weights = fitted["classifier"]._export_state()
    state = dict(state)
    change(state)
    with pytest.raises(ValueError, match=message):
        GRNClassifier()._import_state(state, weights)


def test_import_refuses_a_fitted_state_without_weights(fitted):
    with pytest.raises(ValueError, match="no network weights"):
        GRNClassifier()._import_state(fitted["classifier"]._export_state()[0], None)


def test_the_file_holds_classes_and_their_kind_not_a_label_binarizer(small_classifiers, tmp_path):
    for kind, classifier in small_classifiers.items():
        skgrn.save(classifier, tmp_path / f"{kind}.skgrn")
        text = zipfile.ZipFile(tmp_path / f"{kind}.skgrn").read("skgrn.json").decode()
        for private in ("LabelBinarizer", "y_type_", "sparse_input_", "neg_label", "_model"):
            assert private not in text
        state = json.loads(text)["state"]["dict"]
        assert ["label_kind", kind] in state
        assert any(key == "classes_" for key, _ in state)


def test_a_pickle_holds_parameters_state_and_weights_apart(fitted):
    pickled = fitted["classifier"].__getstate__()
    assert set(pickled) == {"_skgrn_version", "params", "state", "weights"}
    assert pickled["params"] == fitted["classifier"].get_params(deep=False)
    assert "_label_binarizer" not in pickled["state"] and "model_" not in pickled["state"]
    assert len(pickled["weights"]) == len(fitted["classifier"].model_.weights)


def test_metadata_routing_requests_survive_pickling_and_are_refused_by_save(tmp_path):
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        estimator = GRNRegressor().set_fit_request(sample_weight=True)
        loaded = pickle.loads(pickle.dumps(estimator))
        requests = loaded.get_metadata_routing().fit.requests
    # fit's other metadata (the validation set) stays unrequested.
    assert requests == {
        "sample_weight": True,
        "X_val": None,
        "y_val": None,
        "sample_weight_val": None,
    }
    with pytest.raises(TypeError, match="metadata routing requests"):
        skgrn.save(estimator, tmp_path / "model.skgrn")


class CountBuilds:
    """Counts the networks built (each has one input layer) and the Keras files loaded."""

    def __init__(self, monkeypatch):
        self.networks = self.keras_files = 0
        input_layer, load_model = keras.layers.InputLayer.__init__, keras.saving.load_model

        def counting_input_layer(layer, *args, **kwargs):
            self.networks += 1
            input_layer(layer, *args, **kwargs)

        def counting_load_model(*args, **kwargs):
            self.keras_files += 1
            return load_model(*args, **kwargs)

        monkeypatch.setattr(keras.layers.InputLayer, "__init__", counting_input_layer)
        monkeypatch.setattr(keras.saving, "load_model", counting_load_model)


def test_load_builds_the_network_once_and_reads_no_keras_file(fitted, tmp_path, monkeypatch):
    skgrn.save(fitted["classifier"], tmp_path / "model.skgrn")
    counts = CountBuilds(monkeypatch)
    skgrn.load(tmp_path / "model.skgrn")
    assert (counts.networks, counts.keras_files) == (1, 0)
    pickle.loads(pickle.dumps(fitted["classifier"]))
    assert (counts.networks, counts.keras_files) == (2, 0)


# -- files and pickles of older versions ----------------------------------------------
def fixture_table():
    """The input table and expected outputs of the files in FIXTURES."""
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = dict(np.load(FIXTURES / "expected.npz"))
    return module.table(expected), expected


OLD_ESTIMATORS = ["classifier", "single", "multilabel", "regressor"]


def assert_predicts_as_saved(estimator, name):
    """Predictions as when saved: to the last bit here; other machines' kernels
    (and a network rebuilt by a newer skgrn) may round float32 sums differently."""
    X, expected = fixture_table()
    predictions = estimator.predict(X)
    if isinstance(estimator, GRNClassifier):
        np.testing.assert_array_equal(predictions, expected[f"{name}_predict"])
        predictions, name = estimator.predict_proba(X), f"{name}_proba"
    else:
        name = f"{name}_predict"
    np.testing.assert_allclose(predictions, expected[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", OLD_ESTIMATORS)
def test_format_1_files_load_and_predict_as_saved(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        loaded = skgrn.load(FIXTURES / f"{name}.skgrn")
    assert_predicts_as_saved(loaded, name)
    # Saved again, it is a format-2 file that loads as the same estimator.
    skgrn.save(loaded, tmp_path / "again.skgrn")
    assert read_archive(tmp_path / "again.skgrn")[0]["format_version"] == 2
    assert_predicts_as_saved(skgrn.load(tmp_path / "again.skgrn"), name)


@pytest.mark.parametrize("load", [skgrn.load, joblib.load])
def test_older_files_number_the_best_epoch_from_0_as_the_history(load):
    """Before epochs counted from 0, best_epoch_ counted from 1 and MLP's names
    (loss_curve_, validation_scores_, best_loss_) did not exist."""
    suffix = ".skgrn" if load is skgrn.load else ".joblib"
    early = load(FIXTURES / f"regressor{suffix}")  # early-stopped, 2 epochs
    history = pd.DataFrame(early.history_)
    assert early.n_iter_ == 2 and early.best_epoch_ == 1
    assert history.loc[early.best_epoch_, "val_loss"] == early.best_validation_loss_
    assert history["val_score"].isna().all()  # not kept then
    assert early.loss_curve_ == early.history_["objective"]
    assert early.validation_scores_ is None and early.best_loss_ is None
    plain = load(FIXTURES / f"single{suffix}")  # no validation rows
    assert not hasattr(plain, "best_epoch_") and plain.validation_scores_ is None
    assert plain.best_loss_ == min(plain.loss_curve_)
    # Exported again, they are today's state, read as it is.
    again = pickle.loads(pickle.dumps(early))
    assert again.best_epoch_ == 1 and again.loss_curve_ == early.loss_curve_


def test_format_1_files_hold_the_layers_that_may_be_renamed():
    """The classifier fixture is the one whose network has MemberHeads and
    VariableSelection (whose variable GRNs are made of VariableDense layers),
    which _FORMAT_1_LAYERS may have to map."""
    with zipfile.ZipFile(FIXTURES / "classifier.skgrn") as archive:
        network = zipfile.ZipFile(io.BytesIO(archive.read("model.keras")))
    config = network.read("config.json").decode()
    assert '"skgrn>MemberHeads"' in config and '"skgrn>VariableSelection"' in config


def test_a_format_1_file_builds_one_network_besides_reading_model_keras(monkeypatch):
    counts = CountBuilds(monkeypatch)
    skgrn.load(FIXTURES / "classifier.skgrn")
    # Keras builds the file's network to read its weights; skgrn the estimator's.
    assert (counts.networks, counts.keras_files) == (2, 1)


@pytest.mark.parametrize("name", OLD_ESTIMATORS)
def test_pickles_of_the_whole_dict_load_and_predict_as_saved(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        loaded = joblib.load(FIXTURES / f"{name}.joblib")
    assert_predicts_as_saved(loaded, name)
    assert set(loaded.__getstate__()) == {"_skgrn_version", "params", "state", "weights"}
    assert_predicts_as_saved(pickle.loads(pickle.dumps(loaded)), name)


def test_other_format_versions_are_refused_by_number(fitted, tmp_path):
    skgrn.save(fitted["regressor"], tmp_path / "good.skgrn")
    header, arrays = read_archive(tmp_path / "good.skgrn")
    for version in (3, "2", True):
        header["format_version"] = version
        write_archive(tmp_path / "other.skgrn", header, arrays)
        with pytest.raises(
            ValueError, match=f"format version {version!r}; this skgrn reads versions 1 and 2"
        ):
            skgrn.load(tmp_path / "other.skgrn")


def test_files_keep_the_weight_order_of_older_versions(fitted):
    # A GRN that projects its skip path lists its weights [..., project,
    # layer_norm] since skgrn matched KerasFactory (issue 20); pickles and files
    # keep the order they always had, [..., layer_norm, project], so that older
    # files load and newer ones load into older versions.
    model = fitted["classifier"].model_
    grn = model.get_layer("grn_0")
    assert grn.project is not None
    live = [weight.path for weight in model.weights]
    start = live.index(grn.project.kernel.path)
    assert live[start : start + 4] == [
        weight.path for weight in (*grn.project.weights, *grn.layer_norm.weights)
    ]
    stored = [*live[:start], *live[start + 2 : start + 4], *live[start : start + 2]]
    stored_arrays = fitted["classifier"].__getstate__()["weights"]
    assert len(stored_arrays) == len(model.weights)
    by_path = {weight.path: keras.ops.convert_to_numpy(weight) for weight in model.weights}
    for path in stored[start : start + 4]:
        index = stored.index(path)
        np.testing.assert_array_equal(stored_arrays[index], by_path[path], err_msg=path)
