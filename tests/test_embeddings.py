"""Numeric embeddings: the layer's encodings, the bins fit learns, and the estimators with them."""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from helpers import fit_quietly
from sklearn.metrics import r2_score

import skgrn
from skgrn import GRNClassifier, GRNRegressor, _network
from skgrn._embeddings import NumericEmbedding
from skgrn._network import to_numpy
from skgrn._tabular import learn_layout

KINDS = ["piecewise_linear", "periodic", None]
# The default network, which builds the embeddings, trained for 20 iterations: the
# reproducibility and round-trip checks then see trained weights, not initial ones.
TRAINED = dict(max_iter=20, random_state=0)


def outputs(layer, inputs):
    return to_numpy(layer(np.asarray(inputs, dtype="float32")))


def identity_map(layer):
    """Make the layer's per-column linear map the identity, so it outputs the encoding."""
    layer.weight.assign(np.zeros(layer.weight.shape))
    layer.bias.assign(np.zeros(layer.bias.shape))
    layer.kernel.assign(np.broadcast_to(np.eye(layer.n_terms), layer.kernel.shape))


def test_piecewise_linear_encoding_follows_the_definition():
    layer = NumericEmbedding("piecewise_linear", n_columns=2, n_terms=4, units=4, seed=0)
    layer.build((None, 3))
    # Column 0 has four bins of width 1; column 1 a single bin [0, 2).
    layer.set_bins([np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([0.0, 2.0])])
    identity_map(layer)
    values = np.array([-1.0, 0.5, 2.5, 5.0])
    inputs = np.stack([values, values, np.arange(4.0)], axis=1)  # the third passes through
    result = outputs(layer, inputs)
    assert result.shape == (4, 2 * 4 + 1)
    # Left of its bin a value counts 1, right of it 0, inside it the fraction
    # covered; the first bin extends below the edges and the last above them.
    np.testing.assert_allclose(
        result[:, :4], [[-1, 0, 0, 0], [0.5, 0, 0, 0], [1, 1, 0.5, 0], [1, 1, 1, 2]]
    )
    # A column with one bin is linear on both sides; its unused bins stay 0.
    np.testing.assert_allclose(
        result[:, 4:8], [[-0.5, 0, 0, 0], [0.25, 0, 0, 0], [1.25, 0, 0, 0], [2.5, 0, 0, 0]]
    )
    np.testing.assert_array_equal(result[:, 8], np.arange(4.0))


def test_piecewise_linear_embedding_starts_linear_in_each_column():
    """The bins' map starts at zero (TabM's version B): each column's embedding is
    then an affine function of its value, and training adds bins where they help."""
    layer = NumericEmbedding("piecewise_linear", n_columns=1, n_terms=8, units=3, seed=0)
    layer.build((None, 1))
    layer.set_bins([np.linspace(-2, 2, 9)])
    values = np.linspace(-3, 3, 7)[:, None]
    result = outputs(layer, values)
    slope = to_numpy(layer.weight)[0]
    np.testing.assert_allclose(result - result[:1], (values - values[0]) * slope, atol=1e-6)


def test_periodic_embedding_keeps_the_value_beside_its_waves():
    layer = NumericEmbedding("periodic", n_columns=2, n_terms=8, units=4, seed=0)
    values = np.random.default_rng(0).normal(size=(5, 2))
    result = outputs(layer, values)
    assert result.shape == (5, 8)
    np.testing.assert_allclose(result[:, [0, 4]], values, rtol=1e-6)
    # Columns get their own frequencies.
    frequencies = to_numpy(layer.frequencies)
    assert frequencies.shape == (2, 8) and not np.allclose(frequencies[0], frequencies[1])


@pytest.mark.parametrize("kind", ["piecewise_linear", "periodic"])
def test_layer_config_round_trips(kind):
    layer = NumericEmbedding(kind, n_columns=3, n_terms=4, units=5, seed=7, name="numbers")
    copy = NumericEmbedding.from_config(layer.get_config())
    assert copy.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="kind must be one of"):
        NumericEmbedding("splines", n_columns=1, n_terms=2, units=2, seed=0)


# -- the bins fit learns ------------------------------------------------------------
def test_bin_edges_are_quantiles_in_the_networks_units():
    frame = pd.DataFrame({"x": np.arange(101.0), "constant": 3.0, "flag": np.arange(101) % 2})
    layout = learn_layout(frame, np.ones(101), "from_dtype", n_bins=4)
    x, constant, flag = layout.numeric
    np.testing.assert_allclose(x.bin_edges, x.scale([0.0, 25.0, 50.0, 75.0, 100.0]))
    assert constant.bin_edges == (0.0,)  # one edge: no bins
    assert len(flag.bin_edges) == 2  # two values: one bin
    assert learn_layout(frame, np.ones(101), "from_dtype").numeric[0].bin_edges == ()


def test_bin_edges_of_integer_weights_are_those_of_repeated_rows():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": np.round(rng.normal(size=60), 1)})
    weights = rng.integers(0, 4, 60)
    repeated = frame.loc[frame.index.repeat(weights)]
    weighted = learn_layout(frame, weights.astype(float), "from_dtype", n_bins=16)
    plain = learn_layout(repeated, np.ones(len(repeated)), "from_dtype", n_bins=16)
    assert weighted.numeric[0].bin_edges == plain.numeric[0].bin_edges
    assert len(weighted.numeric[0].bin_edges) > 8


def test_fitted_network_holds_the_layouts_bins():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.exponential(size=200)})
    X.loc[::9, "b"] = np.nan
    reg = fit_quietly(GRNRegressor(numeric_embedding="piecewise_linear", **TRAINED), X, X["a"])
    layer = reg.model_.get_layer("numeric_embedding")
    lower = to_numpy(layer.lower)
    for column, numeric in enumerate(reg._layout.numeric):
        edges = np.asarray(numeric.bin_edges)
        np.testing.assert_allclose(lower[column, : len(edges) - 1], edges[:-1], rtol=1e-6)
    assert reg._spec.embedding_terms == lower.shape[1]


# -- the estimators with each embedding ---------------------------------------------
@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=240),
            "z": rng.uniform(size=240),
            "shop": rng.choice(["north", "south", "east"], 240),
        }
    )
    X.loc[::7, "z"] = np.nan
    y = np.where(X["x"] > 0.3, 2.0, 0.0) + (X["shop"] == "north") + 0.1 * rng.normal(size=240)
    return X, y


@pytest.mark.parametrize("kind", KINDS)
def test_estimators_train_reproducibly_with_each_embedding(mixed, kind):
    X, y = mixed
    first = fit_quietly(GRNRegressor(numeric_embedding=kind, **TRAINED), X, y)
    second = fit_quietly(GRNRegressor(numeric_embedding=kind, **TRAINED), X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    assert first._spec.numeric_embedding == kind
    clf = fit_quietly(GRNClassifier(numeric_embedding=kind, **TRAINED), X, y > 1)
    assert clf.predict_proba(X).shape == (240, 2)


def test_auto_embedding_follows_the_rows_of_the_first_fit(mixed):
    """The "auto" embedding is piecewise-linear: with 48 bins from 2,000 rows on,
    with 16 below and a plain branch beside it (see docs/defaults.md);
    partial_fit's first chunk decides, as it does the ensemble's size."""
    X, y = mixed
    small = fit_quietly(GRNRegressor(**TRAINED), X, y)._spec
    assert small.numeric_embedding == "piecewise_linear"
    assert small.plain_branch and small.embedding_terms == 16
    large_X = pd.concat([X] * 9, ignore_index=True).iloc[:2000]
    large_y = np.tile(y, 9)[:2000]
    large = fit_quietly(GRNRegressor(max_iter=1, random_state=0), large_X, large_y)._spec
    assert large.numeric_embedding == "piecewise_linear"
    assert not large.plain_branch and large.embedding_terms == 48
    chunked = GRNRegressor(random_state=0).partial_fit(X, y)
    chunked.partial_fit(large_X, large_y)
    assert chunked._spec == fit_quietly(GRNRegressor(max_iter=1), X, y)._spec


@pytest.mark.parametrize("kind", ["piecewise_linear", "periodic"])
def test_a_pair_with_none_adds_the_plain_branch_in_either_order(mixed, kind):
    X, y = mixed
    first = fit_quietly(GRNRegressor(numeric_embedding=[kind, None], **TRAINED), X, y)
    second = fit_quietly(GRNRegressor(numeric_embedding=(None, kind), **TRAINED), X, y)
    assert first._spec.plain_branch and first._spec.numeric_embedding == kind
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    assert fit_quietly(GRNRegressor(numeric_embedding=kind, **TRAINED), X, y)._spec.n_members == 8


@pytest.mark.parametrize(
    "value",
    [[None, None], ["piecewise_linear"], ["piecewise_linear", "periodic"], ["auto", None],
     ["splines", None], [None, "periodic", None], [1, None]],
)  # fmt: skip
def test_bad_list_of_readings_is_refused_before_training(mixed, value):
    X, y = mixed
    reg = GRNRegressor(numeric_embedding=value, **TRAINED)
    with pytest.raises(ValueError, match="numeric_embedding as a list must pair"):
        reg.fit(X, y)
    assert not hasattr(reg, "model_")


def test_wide_embeddings_run_over_fewer_rows_per_call():
    """A chunk of rows (validation loss, predict) holds at most CHUNK_NUMBERS
    numbers in its widest activation: 50 periodic columns of 16 frequencies
    are cut to 1,310 rows a call, the same network without the embedding to
    4,096 (its 8 members' 32 units), a narrow one takes the most rows."""
    base = dict(
        n_features=50, n_numeric=50, embedding_rows=(), embedding_dims=(), n_outputs=1,
        output_activation="linear", n_blocks=1, block_units=32, slow_layers=0, slow_units=64,
        slow_position="after", dropout_rate=0.0, ensemble_size=8, dtype="float32",
    )  # fmt: skip
    plain = _network.NetworkSpec(**base)
    embedded = _network.NetworkSpec(
        **base, numeric_embedding="periodic", n_embedded=50, embedding_terms=16, numeric_units=4
    )
    assert plain.chunk_rows == 4096
    assert embedded.chunk_rows == _network.CHUNK_NUMBERS // (50 * 16) == 1310
    narrow = _network.NetworkSpec(**{**base, "n_features": 3, "n_numeric": 3, "ensemble_size": 1})
    assert narrow.chunk_rows == _network.MAX_CHUNK_ROWS
    very_wide = _network.NetworkSpec(**{**base, "n_features": 10**5, "n_numeric": 10**5})
    assert very_wide.chunk_rows == _network.MIN_CHUNK_ROWS


def test_piecewise_linear_embedding_learns_a_threshold(mixed):
    """A step in one column is what the bins are for: they fit it better than the
    plain network does in the same number of epochs."""
    X, y = mixed
    params = dict(random_state=0, max_iter=60)
    plain = fit_quietly(GRNRegressor(numeric_embedding=None, **params), X, y)
    binned = fit_quietly(GRNRegressor(numeric_embedding="piecewise_linear", **params), X, y)
    assert r2_score(y, binned.predict(X)) > r2_score(y, plain.predict(X))


def test_table_without_numeric_columns_has_no_numeric_embedding():
    X = pd.DataFrame({"shop": list("abcab") * 8})
    reg = fit_quietly(GRNRegressor(**TRAINED), X, np.arange(40.0))
    assert reg._spec.numeric_embedding is None
    # Nor a plain branch, which would read the same input as the first.
    assert not reg._spec.plain_branch and reg._spec.n_members == 8


@pytest.mark.parametrize("kind", ["piecewise_linear", "periodic", ("piecewise_linear", None)])
def test_pickle_and_file_round_trips_predict_identically(mixed, kind, tmp_path):
    X, y = mixed
    reg = fit_quietly(GRNRegressor(numeric_embedding=kind, **TRAINED), X, y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X))
    skgrn.save(reg, tmp_path / "model.skgrn")
    np.testing.assert_array_equal(skgrn.load(tmp_path / "model.skgrn").predict(X), reg.predict(X))
    reg.model_.save(tmp_path / "network.keras")
    network = keras.saving.load_model(tmp_path / "network.keras", safe_mode=True)
    encoded = reg._layout.encode(X)
    np.testing.assert_array_equal(to_numpy(network(encoded)), to_numpy(reg.model_(encoded)))


def test_warm_start_refuses_another_embedding(mixed):
    X, y = mixed
    reg = fit_quietly(GRNRegressor(warm_start=True, numeric_embedding="periodic", **TRAINED), X, y)
    before = reg.predict(X)
    reg.set_params(numeric_embedding="piecewise_linear")
    with pytest.raises(ValueError, match="numeric_embedding"):
        reg.fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), before)


def test_partial_fit_keeps_the_bins_of_the_first_chunk(mixed):
    X, y = mixed
    reg = GRNRegressor(random_state=0)
    reg.partial_fit(X.iloc[:120], y[:120])
    edges = [column.bin_edges for column in reg._layout.numeric]
    shifted = X.iloc[120:].assign(x=X["x"].iloc[120:] + 5)
    reg.partial_fit(shifted, y[120:])
    assert [column.bin_edges for column in reg._layout.numeric] == edges


@pytest.mark.parametrize("kind", ["piecewise_linear", ("piecewise_linear", None)])
def test_variable_selection_reads_the_embedded_columns(mixed, kind):
    """With a plain branch, each branch selects its own way; the importances
    average both."""
    X, y = mixed
    reg = fit_quietly(
        GRNRegressor(variable_selection=True, numeric_embedding=kind, **TRAINED), X, y
    )
    assert reg.feature_importances_.shape == (3,)
    np.testing.assert_allclose(reg.feature_importances_.sum(), 1.0)


def test_pickles_from_before_numeric_embedding_load_without_it(mixed):
    X, y = mixed
    reg = fit_quietly(GRNRegressor(numeric_embedding=None, warm_start=True, **TRAINED), X, y)
    # What an older skgrn pickled: the whole __dict__, the network as weights (in
    # the order files store them, which was then model_.weights' order).
    weights = _network.stored_weights(reg.model_)
    state = {**vars(reg), "model_": None, "_model_weights": weights}
    state["_skgrn_version"] = skgrn.__version__
    del state["numeric_embedding"]  # ...before numeric_embedding existed
    old = GRNRegressor.__new__(GRNRegressor)
    old.__setstate__(state)
    assert old.get_params()["numeric_embedding"] is None
    np.testing.assert_array_equal(old.predict(X), reg.predict(X))
    fit_quietly(old, X, y)  # warm start continues the same network
