"""The prediction path: one traced graph per network shape, bit-identical to Keras.

``predict`` runs the graph ``model_.predict`` runs, in batches of
``spec.chunk_rows`` rows, so its network outputs must equal
``model_.predict``'s on the same batches to the last bit, at either float
precision and for any number of rows. (``model_.predict`` is fed a
``tf.data.Dataset`` because Keras rounds NumPy input to float32 first.)
"""

import threading

import numpy as np
import pandas as pd
import pytest
from helpers import QUICK_FIT, fit_quietly

from skgrn import GRNClassifier, GRNRegressor, _network

# The traced graph of skgrn._forward, compared with Keras' predict through tf.data:
# TensorFlow's own prediction path. Other backends predict through skgrn._portable,
# whose outputs the estimator tests check on each backend.
pytestmark = pytest.mark.tensorflow_only

# The piecewise-linear embedding (the default of large tables): with it (and
# without an embedding) the traced graph reproduces model_.predict bit for bit;
# the periodic embedding is tested on its own below.
PIECEWISE = dict(QUICK_FIT, numeric_embedding="piecewise_linear")
N_ROWS = 300


def keras_outputs(estimator, X, batch_size=None):
    """What ``model_.predict`` gives for the encoded ``X``, batch by batch."""
    import tensorflow as tf

    batch_size = batch_size or estimator._spec.chunk_rows
    encoded = estimator._layout.encode(estimator._check_table(X, reset=False))
    batches = tf.data.Dataset.from_tensor_slices(encoded).batch(batch_size)
    return estimator.model_.predict(batches, verbose=0)


@pytest.fixture(scope="module", params=["float32", "float64"])
def data(request):
    rng = np.random.RandomState(0)
    X = rng.randn(N_ROWS, 5).astype(request.param)
    return X, X[:, 0] + X[:, 1] * X[:, 2]


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {
        "regressor": fit_quietly(GRNRegressor(**PIECEWISE), X, y),
        "classifier": fit_quietly(GRNClassifier(**PIECEWISE), X, y > 0),
        "multiclass": fit_quietly(GRNClassifier(**PIECEWISE), X, np.digitize(y, [-1, 0, 1])),
    }


@pytest.mark.parametrize("kind", ["regressor", "classifier", "multiclass"])
@pytest.mark.parametrize("n_rows", [1, 2, 3, 33, N_ROWS])
def test_outputs_equal_keras_predict_to_the_last_bit(fitted, data, kind, n_rows):
    estimator = fitted[kind]
    X = data[0][:n_rows]
    outputs = estimator._forward(X)
    assert outputs.dtype == estimator._spec.dtype == X.dtype
    np.testing.assert_array_equal(outputs, keras_outputs(estimator, X))


def test_public_predictions_decode_the_same_outputs(fitted, data):
    X = data[0]
    regressor, classifier = fitted["regressor"], fitted["multiclass"]
    np.testing.assert_array_equal(
        regressor.predict(X), regressor._decode(keras_outputs(regressor, X))
    )
    np.testing.assert_array_equal(
        classifier.predict_proba(X), classifier._probabilities(keras_outputs(classifier, X))
    )


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_inputs_longer_than_a_chunk_are_predicted_in_chunks(fitted, data, monkeypatch, chunk_rows):
    monkeypatch.setattr(_network, "MAX_CHUNK_ROWS", chunk_rows)
    estimator = fitted["classifier"]
    X = data[0][:150]
    np.testing.assert_array_equal(
        estimator._forward(X), keras_outputs(estimator, X, batch_size=chunk_rows)
    )


def test_networks_of_one_shape_share_the_graph_and_keep_their_own_weights(data):
    from skgrn._forward import get_forward_pass

    X, y = data
    first = fit_quietly(GRNRegressor(**PIECEWISE), X, y)
    second = fit_quietly(GRNRegressor(**{**PIECEWISE, "random_state": 1}), X, y)
    assert first._spec == second._spec
    assert get_forward_pass(first._spec) is get_forward_pass(second._spec)
    first_outputs, second_outputs = first._forward(X), second._forward(X)
    assert not np.array_equal(first_outputs, second_outputs)
    np.testing.assert_array_equal(first_outputs, keras_outputs(first, X))
    np.testing.assert_array_equal(second_outputs, keras_outputs(second, X))


def test_predictions_follow_further_training(data):
    X, y = data
    regressor = fit_quietly(GRNRegressor(warm_start=True, **PIECEWISE), X, y)
    before = regressor.predict(X)
    fit_quietly(regressor, X, y)
    after = regressor._forward(X)
    assert not np.array_equal(regressor._decode(after), before)
    np.testing.assert_array_equal(after, keras_outputs(regressor, X))


def test_unpickled_estimator_predicts_identically(fitted, data):
    import pickle

    estimator = fitted["multiclass"]
    X = data[0]
    reloaded = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(reloaded.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(reloaded._forward(X), keras_outputs(reloaded, X))


def test_networks_with_dropout_and_embeddings(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["city"] = np.array(["oslo", "lima", "rome"])[np.arange(N_ROWS) % 3]
    classifier = fit_quietly(GRNClassifier(dropout_rate=0.3, **PIECEWISE), frame, y > 0)
    np.testing.assert_array_equal(classifier._forward(frame), keras_outputs(classifier, frame))
    # Dropout is off at predict time: the same rows give the same outputs every call.
    np.testing.assert_array_equal(classifier.predict_proba(frame), classifier.predict_proba(frame))


def test_prediction_in_another_thread_is_identical(fitted, data):
    estimator = fitted["regressor"]
    X = data[0]
    results = {}
    thread = threading.Thread(target=lambda: results.update(other=estimator.predict(X)))
    thread.start()
    thread.join()
    np.testing.assert_array_equal(results["other"], estimator.predict(X))


def test_periodic_embedding_agrees_with_keras_predict_to_rounding(data):
    """With the periodic embedding the traced graph and a graph traced
    from the fitted network itself differ in the last bits of some rows (about
    1e-7 in float32): a gap not yet explained, so the docs claim no more than this.
    The traced graph itself is deterministic: copies and reloads predict identically."""
    import pickle

    X, y = data
    regressor = fit_quietly(GRNRegressor(**QUICK_FIT, numeric_embedding="periodic"), X, y)
    outputs = regressor._forward(X)
    np.testing.assert_allclose(outputs, keras_outputs(regressor, X), rtol=1e-5, atol=1e-6)
    reloaded = pickle.loads(pickle.dumps(regressor))
    np.testing.assert_array_equal(reloaded._forward(X), outputs)
