"""Behaviour of the public Keras layers of :mod:`skgrn.layers`."""

import inspect
import json

import keras
import numpy as np
import pytest

import skgrn.layers
from skgrn.layers import GatedLinearUnit, GatedResidualNetwork, SlowNetwork

N_FEATURES = 5


def _data(*shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _np(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _dtype(tensor):
    return keras.backend.standardize_dtype(tensor.dtype)


def _float64_available():
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


# JAX truncates float64 to float32 unless its own switch is on; nothing a layer can change.
needs_float64 = pytest.mark.skipif(
    not _float64_available(), reason="JAX computes float64 only with JAX_ENABLE_X64=1"
)
# Outside TensorFlow, Keras promotes float64 to float32 in some operations (its
# BIT64_TO_BIT32_DTYPE rule): LayerNormalization's variance is computed in 32 bits.
FLOAT64_RTOL = 1e-10 if keras.backend.backend() == "tensorflow" else 1e-6


def _make_glu(width, **kwargs):
    return GatedLinearUnit(units=7, **kwargs)


def _make_grn(width, **kwargs):
    return GatedResidualNetwork(units=7, **kwargs)


def _make_slow(width, **kwargs):
    return SlowNetwork(input_dim=width, num_layers=2, units=9, **kwargs)


def _output_width(layer):
    return layer.input_dim if isinstance(layer, SlowNetwork) else layer.units


ALL_LAYERS = pytest.mark.parametrize(
    "make_layer", [_make_glu, _make_grn, _make_slow], ids=["glu", "grn", "slow"]
)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _dense(layer, x):
    return x @ _np(layer.kernel) + _np(layer.bias)


def _layer_norm(layer, x):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    normalised = (x - mean) / np.sqrt(var + layer.epsilon)
    return normalised * _np(layer.gamma) + _np(layer.beta)


def _glu_by_hand(glu, x):
    return _dense(glu.linear, x) * _sigmoid(_dense(glu.gate, x))


def _grn_by_hand(grn, x):
    hidden = _dense(grn.elu_dense, x)
    hidden = np.where(hidden > 0, hidden, np.expm1(np.minimum(hidden, 0)))  # ELU
    hidden = _dense(grn.linear_dense, hidden)
    skip = x if grn.project is None else _dense(grn.project, x)
    return _layer_norm(grn.layer_norm, skip + _glu_by_hand(grn.gated_linear_unit, hidden))


# --------------------------------------------------------------------------- shapes


@ALL_LAYERS
@pytest.mark.parametrize(
    "shape",
    [(4, N_FEATURES), (3, 2, N_FEATURES), (2, 3, 2, N_FEATURES)],
    ids=["rank2", "rank3", "rank4"],
)
def test_output_shape(make_layer, shape):
    layer = make_layer(N_FEATURES, seed=0)
    outputs = layer(_data(*shape))
    expected = (*shape[:-1], _output_width(layer))
    assert tuple(outputs.shape) == expected
    assert tuple(layer.compute_output_shape(shape)) == expected
    # The batch dimension may be unknown.
    assert tuple(layer.compute_output_shape((None, *shape[1:]))) == (None, *expected[1:])


@ALL_LAYERS
def test_symbolic_output_shape_with_unknown_inner_dimension(make_layer):
    layer = make_layer(N_FEATURES, seed=0)
    inputs = keras.Input(shape=(None, N_FEATURES))
    outputs = layer(inputs)
    assert tuple(outputs.shape) == (None, None, _output_width(layer))
    model = keras.Model(inputs, outputs)
    assert model.predict(_data(2, 3, N_FEATURES), verbose=0).shape == (2, 3, _output_width(layer))


@pytest.mark.parametrize(
    ("make_layer", "n_weights"),
    [
        (lambda: GatedLinearUnit(4), 4),
        (lambda: GatedResidualNetwork(N_FEATURES), 10),
        (lambda: GatedResidualNetwork(4), 12),
        (lambda: SlowNetwork(N_FEATURES, num_layers=3, units=4), 8),
    ],
    ids=["glu", "grn-identity-skip", "grn-projected-skip", "slow"],
)
def test_sublayer_weights_are_tracked(make_layer, n_weights):
    layer = make_layer()
    layer(_data(2, N_FEATURES))
    assert len(layer.trainable_weights) == n_weights
    assert len(layer.non_trainable_weights) == 0


# ---------------------------------------------------------------- GRN structure


def test_grn_projects_skip_path_when_widths_differ():
    grn = GatedResidualNetwork(units=8, seed=0)
    grn(_data(3, N_FEATURES))
    assert isinstance(grn.project, keras.layers.Dense)
    assert tuple(grn.project.kernel.shape) == (N_FEATURES, 8)
    assert grn.project.activation is keras.activations.linear


def test_grn_skip_path_is_identity_when_widths_match():
    grn = GatedResidualNetwork(units=N_FEATURES, dropout_rate=0.0, seed=0)
    x = _data(3, N_FEATURES)
    outputs = grn(x, training=False)
    assert grn.project is None
    # The skip path adds the raw input: layer_norm(x + glu(...)).
    glu_out = grn.gated_linear_unit(grn.linear_dense(grn.elu_dense(x)))
    expected = grn.layer_norm(keras.ops.convert_to_tensor(x) + glu_out)
    np.testing.assert_allclose(_np(outputs), _np(expected), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("width", [N_FEATURES, 3], ids=["identity-skip", "projected-skip"])
@pytest.mark.parametrize("shape_prefix", [(4,), (2, 3)], ids=["rank2", "rank3"])
def test_grn_matches_hand_computation(width, shape_prefix):
    grn = GatedResidualNetwork(units=N_FEATURES, dropout_rate=0.0, seed=1)
    x = _data(*shape_prefix, width)
    outputs = _np(grn(x, training=False))
    assert (grn.project is None) == (width == N_FEATURES)

    # From the sublayers ...
    skip = x if grn.project is None else grn.project(x)
    hidden = grn.linear_dense(grn.elu_dense(x))
    from_sublayers = grn.layer_norm(keras.ops.add(skip, grn.gated_linear_unit(hidden)))
    np.testing.assert_allclose(outputs, _np(from_sublayers), rtol=1e-6, atol=1e-6)
    # ... and from their weights alone, in float64 numpy.
    by_hand = _grn_by_hand(grn, x.astype("float64"))
    np.testing.assert_allclose(outputs, by_hand, rtol=1e-4, atol=1e-5)


def test_glu_matches_hand_computation():
    glu = GatedLinearUnit(units=6, seed=2)
    x = _data(4, N_FEATURES)
    outputs = _np(glu(x))
    np.testing.assert_allclose(
        outputs, _glu_by_hand(glu, x.astype("float64")), rtol=1e-4, atol=1e-5
    )


def test_slow_network_matches_hand_computation():
    slow = SlowNetwork(input_dim=N_FEATURES, num_layers=3, units=6, seed=3)
    x = _data(4, N_FEATURES)
    outputs = _np(slow(x))
    hidden = x.astype("float64")
    for layer in slow.hidden_layers:
        hidden = np.maximum(_dense(layer, hidden), 0.0)
    np.testing.assert_allclose(outputs, _dense(slow.output_layer, hidden), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("width", [N_FEATURES, 16], ids=["projected-skip", "identity-skip"])
def test_grn_output_is_layer_normalised(width):
    grn = GatedResidualNetwork(units=16, dropout_rate=0.0, seed=0)
    x = 10.0 * _data(6, width) + 3.0
    outputs = _np(grn(x, training=False)).astype("float64")
    # Default gamma = 1 and beta = 0: every row has mean 0 and standard deviation 1.
    np.testing.assert_allclose(outputs.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(outputs.std(axis=-1), 1.0, atol=1e-2)


# ---------------------------------------------------------------------- dropout


def test_grn_dropout_only_in_training():
    grn = GatedResidualNetwork(units=8, dropout_rate=0.5, seed=0)
    x = _data(16, N_FEATURES)
    inference = _np(grn(x, training=False))
    training = _np(grn(x, training=True))
    assert not np.allclose(training, inference)
    # Inference is deterministic, and is the default mode of a direct call.
    np.testing.assert_array_equal(_np(grn(x, training=False)), inference)
    np.testing.assert_array_equal(_np(grn(x)), inference)
    np.testing.assert_allclose(inference, _grn_by_hand(grn, x.astype("float64")), atol=1e-5)


def test_grn_dropout_masks_change_between_training_calls():
    grn = GatedResidualNetwork(units=8, dropout_rate=0.5, seed=0)
    x = _data(16, N_FEATURES)
    assert not np.allclose(_np(grn(x, training=True)), _np(grn(x, training=True)))


def _weights(layer):
    return [_np(weight) for weight in layer.weights]


@ALL_LAYERS
def test_same_seed_gives_identical_layers(make_layer):
    x = _data(8, N_FEATURES)
    first, second = make_layer(N_FEATURES, seed=7), make_layer(N_FEATURES, seed=7)
    np.testing.assert_array_equal(_np(first(x)), _np(second(x)))
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)


def test_same_seed_gives_identical_dropout_masks():
    x = _data(16, N_FEATURES)
    first = GatedResidualNetwork(units=8, dropout_rate=0.5, seed=7)
    second = GatedResidualNetwork(units=8, dropout_rate=0.5, seed=7)
    for _ in range(2):  # the masks stay in step call after call
        np.testing.assert_array_equal(_np(first(x, training=True)), _np(second(x, training=True)))


@ALL_LAYERS
@pytest.mark.parametrize("seeds", [(1, 2), (None, None)], ids=["seeded", "unseeded"])
def test_different_seeds_give_different_weights(make_layer, seeds):
    x = _data(8, N_FEATURES)
    first, second = (make_layer(N_FEATURES, seed=seed) for seed in seeds)
    first(x), second(x)
    assert not np.allclose(_np(first(x)), _np(second(x)))
    # Biases, gamma and beta start as constants; every kernel is drawn from the seed.
    kernels = [
        (a, b, weight.path)
        for a, b, weight in zip(_weights(first), _weights(second), first.weights, strict=True)
        if "kernel" in weight.path
    ]
    assert kernels
    for a, b, path in kernels:
        assert not np.allclose(a, b), path


# ------------------------------------------------------------------------ dtype


@needs_float64
@ALL_LAYERS
def test_float64_layer_computes_and_stores_float64(make_layer):
    layer = make_layer(N_FEATURES, seed=0, dtype="float64")
    x = _data(4, N_FEATURES, dtype="float64")
    outputs = layer(x, training=True) if isinstance(layer, GatedResidualNetwork) else layer(x)
    assert _dtype(outputs) == "float64"
    assert layer.compute_dtype == "float64"
    assert layer.weights
    assert {_dtype(weight) for weight in layer.weights} == {"float64"}


@needs_float64
def test_float64_grn_with_projection_and_dropout():
    grn = GatedResidualNetwork(units=3, dropout_rate=0.5, seed=0, dtype="float64")
    x = _data(4, N_FEATURES, dtype="float64")
    assert _dtype(grn(x, training=True)) == "float64"
    outputs = grn(x, training=False)
    assert _dtype(outputs) == "float64"
    assert _dtype(grn.project.kernel) == "float64"
    # float64 all the way (on TensorFlow): agrees with a float64 numpy computation to ~1e-12.
    expected = _grn_by_hand(grn, x)
    np.testing.assert_allclose(_np(outputs), expected, rtol=FLOAT64_RTOL, atol=FLOAT64_RTOL)


@ALL_LAYERS
def test_mixed_float16_layer_computes_float16_with_float32_variables(make_layer):
    layer = make_layer(N_FEATURES, seed=0, dtype="mixed_float16")
    outputs = layer(_data(4, N_FEATURES))
    assert _dtype(outputs) == "float16"
    assert layer.weights
    assert {_dtype(weight) for weight in layer.weights} == {"float32"}
    assert np.all(np.isfinite(_np(outputs)))


# ------------------------------------------------------------------- validation


@pytest.mark.parametrize("units", [0, -1, 1.5, True, "8", None])
@pytest.mark.parametrize(
    "make_layer",
    [
        lambda units: GatedLinearUnit(units),
        lambda units: GatedResidualNetwork(units),
        lambda units: SlowNetwork(input_dim=4, units=units),
    ],
    ids=["glu", "grn", "slow"],
)
def test_invalid_units(make_layer, units):
    with pytest.raises(ValueError, match="units"):
        make_layer(units)


@pytest.mark.parametrize("dropout_rate", [-0.1, 1.0, 1.5, "0.2", True, None, float("nan")])
def test_invalid_dropout_rate(dropout_rate):
    with pytest.raises(ValueError, match="dropout_rate"):
        GatedResidualNetwork(4, dropout_rate=dropout_rate)


@pytest.mark.parametrize("argument", ["input_dim", "num_layers"])
@pytest.mark.parametrize("value", [0, -2, 2.0, "3"])
def test_invalid_slow_network_sizes(argument, value):
    kwargs = {"input_dim": 4, "num_layers": 2, argument: value}
    with pytest.raises(ValueError, match=argument):
        SlowNetwork(**kwargs)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
@pytest.mark.parametrize(
    "make_layer",
    [
        lambda seed: GatedLinearUnit(4, seed=seed),
        lambda seed: GatedResidualNetwork(4, seed=seed),
        lambda seed: SlowNetwork(4, seed=seed),
    ],
    ids=["glu", "grn", "slow"],
)
def test_invalid_seed(make_layer, seed):
    with pytest.raises(ValueError, match="seed"):
        make_layer(seed)


def test_numpy_scalars_are_accepted_and_stored_as_python_numbers():
    grn = GatedResidualNetwork(np.int64(4), dropout_rate=np.float64(0.25), seed=np.int32(3))
    slow = SlowNetwork(np.int64(4), num_layers=np.int16(2), units=np.uint8(5), seed=np.int64(0))
    for layer in (grn, slow):
        config = layer.get_config()
        json.dumps(config)  # plain Python numbers only
    assert grn.get_config()["units"] == 4
    assert grn.get_config()["dropout_rate"] == 0.25
    assert type(slow.get_config()["num_layers"]) is int


def test_slow_network_rejects_wrong_input_width():
    slow = SlowNetwork(input_dim=4)
    with pytest.raises(ValueError, match="input_dim"):
        slow(_data(2, N_FEATURES))


@ALL_LAYERS
def test_rank_1_input_is_rejected(make_layer):
    layer = make_layer(N_FEATURES)
    with pytest.raises(ValueError, match="rank"):
        layer(_data(N_FEATURES))


@ALL_LAYERS
def test_unknown_feature_dimension_is_rejected(make_layer):
    layer = make_layer(N_FEATURES)
    with pytest.raises(ValueError, match="last"):
        layer(keras.Input(shape=(None,)))


# --------------------------------------------------------------------- config


CONFIG_CASES = [
    pytest.param(
        GatedLinearUnit,
        {"units": 6, "seed": 4, "name": "my_glu", "dtype": "float64"},
        id="glu",
    ),
    pytest.param(
        GatedResidualNetwork,
        {"units": 6, "dropout_rate": 0.35, "seed": 4, "name": "my_grn", "dtype": "float64"},
        id="grn",
    ),
    pytest.param(
        SlowNetwork,
        {
            "input_dim": N_FEATURES,
            "num_layers": 4,
            "units": 6,
            "seed": 4,
            "name": "my_slow",
            "dtype": "float64",
        },
        id="slow",
    ),
]


@pytest.mark.parametrize(("layer_class", "kwargs"), CONFIG_CASES)
def test_config_round_trip(layer_class, kwargs):
    layer = layer_class(**kwargs)
    config = layer.get_config()
    json.dumps(config)
    for key, value in kwargs.items():
        if key == "dtype":
            assert keras.dtype_policies.deserialize(config["dtype"]).name == value
        else:
            assert config[key] == value

    restored = layer_class.from_config(config)
    assert restored.get_config() == config
    assert restored.name == kwargs["name"]
    assert restored.dtype_policy.name == kwargs["dtype"]
    for key, value in kwargs.items():
        if key not in ("name", "dtype"):
            assert getattr(restored, key) == value

    # Same seed in the config: identical weights, hence identical outputs.
    x = _data(3, N_FEATURES, dtype="float64")
    np.testing.assert_array_equal(_np(layer(x)), _np(restored(x)))


@pytest.mark.parametrize(("layer_class", "kwargs"), CONFIG_CASES)
def test_default_arguments_round_trip(layer_class, kwargs):
    key = "input_dim" if layer_class is SlowNetwork else "units"
    layer = layer_class(**{key: kwargs[key]})
    config = layer.get_config()
    assert config["seed"] is None
    if layer_class is GatedResidualNetwork:
        assert config["dropout_rate"] == 0.2
    if layer_class is SlowNetwork:
        assert (config["num_layers"], config["units"]) == (3, 128)
    assert layer_class.from_config(config).get_config() == config


@pytest.mark.parametrize(("layer_class", "kwargs"), CONFIG_CASES)
def test_layers_are_registered_with_keras(layer_class, kwargs):
    assert keras.saving.get_registered_name(layer_class) == f"skgrn>{layer_class.__name__}"
    layer = layer_class(**kwargs)
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is layer_class
    assert restored.get_config() == layer.get_config()


# -------------------------------------------------------------- serialization


def _model_with_all_layers(dtype):
    inputs = keras.Input(shape=(N_FEATURES,), dtype=dtype)
    x = GatedLinearUnit(8, seed=0, dtype=dtype)(inputs)
    x = GatedResidualNetwork(8, dropout_rate=0.3, seed=10, dtype=dtype)(x)  # identity skip
    x = GatedResidualNetwork(6, dropout_rate=0.1, seed=20, dtype=dtype)(x)  # projected skip
    outputs = SlowNetwork(6, num_layers=2, units=9, seed=30, dtype=dtype)(x)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=needs_float64)])
def test_model_save_and_load_without_custom_objects(tmp_path, dtype):
    model = _model_with_all_layers(dtype)
    x = _data(7, N_FEATURES, dtype=dtype)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)

    loaded = keras.saving.load_model(path, safe_mode=True)
    predictions = loaded.predict(x, verbose=0)
    np.testing.assert_array_equal(predictions, expected)
    assert predictions.dtype == np.dtype(dtype)

    assert [type(layer) for layer in loaded.layers[1:]] == [
        GatedLinearUnit,
        GatedResidualNetwork,
        GatedResidualNetwork,
        SlowNetwork,
    ]
    assert loaded.layers[2].project is None
    assert loaded.layers[3].project is not None
    for original, restored in zip(model.weights, loaded.weights, strict=True):
        assert original.path == restored.path
        assert _dtype(restored) == dtype
        np.testing.assert_array_equal(_np(original), _np(restored))


def test_trained_weights_survive_save_and_load(tmp_path):
    model = _model_with_all_layers("float32")
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data(16, N_FEATURES), _data(16, 6, seed=1)
    before = [_np(weight) for weight in model.weights]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    # Training moved every trainable weight, the projection included.
    for old, weight in zip(before, model.weights, strict=True):
        assert not np.array_equal(old, _np(weight)), weight.path
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------------- backends


def test_layers_module_uses_only_keras_ops():
    source = inspect.getsource(skgrn.layers)
    assert "tensorflow" not in source
    assert "import tf" not in source


def test_neighbouring_seeds_share_no_sublayer_weights():
    # Seeds derived as seed + offset made GRN(seed=1).elu_dense equal to
    # GRN(seed=0).linear_dense; users stacking layers with seed=i hit that.
    x = np.zeros((1, 8), "float32")
    first = GatedResidualNetwork(8, seed=0)
    second = GatedResidualNetwork(8, seed=1)
    first(x)
    second(x)
    first_kernels = [w.numpy() for w in first.weights if w.path.endswith("kernel")]
    second_kernels = [w.numpy() for w in second.weights if w.path.endswith("kernel")]
    # Two dense layers and the gated linear unit's two: no projection at equal widths.
    assert len(first_kernels) == len(second_kernels) == 4
    for a in first_kernels:
        for b in second_kernels:
            assert a.shape != b.shape or not np.array_equal(a, b)


def test_huge_seed_is_accepted():
    layer = GatedResidualNetwork(4, seed=2**70)
    assert tuple(layer(np.ones((2, 3), "float32")).shape) == (2, 4)
