"""The ``python`` code blocks of the reference documentation pages, run as written.

Each block below is copied verbatim from the ``SlowNetwork`` and
``GatedResidualNetwork`` reference pages; the only change is the import line,
``from kerasfactory.layers import X`` -> ``from skgrn.layers import X``. The
copies live here so that the test suite never needs the pages themselves.
"""

# The blocks are verbatim copies, including the whitespace-only lines of the pages.
# ruff: noqa: W293

import re

import keras
import numpy as np
import pytest

from skgrn.layers import GatedResidualNetwork, SlowNetwork

# SlowNetwork page, "Basic Usage"
SLOW_BASIC_USAGE = """\
import keras
from skgrn.layers import SlowNetwork

# Create sample input data
batch_size, input_dim = 32, 16
x = keras.random.normal((batch_size, input_dim))

# Apply slow network
slow_net = SlowNetwork(input_dim=16, num_layers=3, units=64)
output = slow_net(x)

print(f"Input shape: {x.shape}")           # (32, 16)
print(f"Output shape: {output.shape}")     # (32, 16)
"""


# SlowNetwork page, "In a Sequential Model"
SLOW_SEQUENTIAL_MODEL = """\
import keras
from skgrn.layers import SlowNetwork

model = keras.Sequential([
    keras.layers.Dense(32, activation='relu'),
    SlowNetwork(input_dim=32, num_layers=3, units=64),
    keras.layers.Dense(16, activation='relu'),
    SlowNetwork(input_dim=16, num_layers=2, units=32),
    keras.layers.Dense(1, activation='sigmoid')
])

model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
"""


# SlowNetwork page, "In a Functional Model"
SLOW_FUNCTIONAL_MODEL = """\
import keras
from skgrn.layers import SlowNetwork

# Define inputs
inputs = keras.Input(shape=(20,))  # 20 features

# Apply slow network
x = SlowNetwork(input_dim=20, num_layers=3, units=64)(inputs)

# Continue processing
x = keras.layers.Dense(32, activation='relu')(x)
x = SlowNetwork(input_dim=32, num_layers=2, units=32)(x)
x = keras.layers.Dense(16, activation='relu')(x)
outputs = keras.layers.Dense(1, activation='sigmoid')(x)

model = keras.Model(inputs, outputs)
"""


# SlowNetwork page, "Advanced Configuration" (no import line of its own)
SLOW_ADVANCED_CONFIGURATION = """\
# Advanced configuration with multiple slow networks
def create_complex_network():
    inputs = keras.Input(shape=(30,))
    
    # Multiple slow networks with different configurations
    x = SlowNetwork(input_dim=30, num_layers=4, units=128)(inputs)
    x = keras.layers.Dense(64, activation='relu')(x)
    x = keras.layers.BatchNormalization()(x)
    
    x = SlowNetwork(input_dim=64, num_layers=3, units=96)(x)
    x = keras.layers.Dense(48, activation='relu')(x)
    x = keras.layers.Dropout(0.2)(x)
    
    x = SlowNetwork(input_dim=48, num_layers=2, units=64)(x)
    x = keras.layers.Dense(32, activation='relu')(x)
    x = keras.layers.Dropout(0.1)(x)
    
    # Multi-task output
    classification = keras.layers.Dense(3, activation='softmax', name='classification')(x)
    regression = keras.layers.Dense(1, name='regression')(x)
    
    return keras.Model(inputs, [classification, regression])

model = create_complex_network()
model.compile(
    optimizer='adam',
    loss={'classification': 'categorical_crossentropy', 'regression': 'mse'},
    loss_weights={'classification': 1.0, 'regression': 0.5}
)
"""


# SlowNetwork page, "Example 1: Complex Feature Processing"
SLOW_EXAMPLE_1_COMPLEX_FEATURE_PROCESSING = """\
import keras
import numpy as np
from skgrn.layers import SlowNetwork

# Create a complex feature processing model
def create_complex_feature_processor():
    inputs = keras.Input(shape=(25,))  # 25 features
    
    # Multiple slow networks for different processing stages
    x = SlowNetwork(input_dim=25, num_layers=4, units=128)(inputs)
    x = keras.layers.Dense(64, activation='relu')(x)
    x = keras.layers.BatchNormalization()(x)
    
    x = SlowNetwork(input_dim=64, num_layers=3, units=96)(x)
    x = keras.layers.Dense(48, activation='relu')(x)
    x = keras.layers.Dropout(0.2)(x)
    
    x = SlowNetwork(input_dim=48, num_layers=2, units=64)(x)
    x = keras.layers.Dense(32, activation='relu')(x)
    x = keras.layers.Dropout(0.1)(x)
    
    # Output
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)
    
    return keras.Model(inputs, outputs)

model = create_complex_feature_processor()
model.compile(optimizer='adam', loss='binary_crossentropy')

# Test with sample data
sample_data = keras.random.normal((100, 25))
predictions = model(sample_data)
print(f"Complex feature processor predictions shape: {predictions.shape}")
"""


# SlowNetwork page, "Example 2: Architecture Component" (no import line of its own)
SLOW_EXAMPLE_2_ARCHITECTURE_COMPONENT = """\
# Use SlowNetwork as a component in complex architecture
def create_component_based_architecture():
    inputs = keras.Input(shape=(20,))
    
    # Initial processing
    x = keras.layers.Dense(32, activation='relu')(inputs)
    x = keras.layers.BatchNormalization()(x)
    
    # SlowNetwork component 1
    x = SlowNetwork(input_dim=32, num_layers=3, units=64)(x)
    x = keras.layers.Dropout(0.2)(x)
    
    # SlowNetwork component 2
    x = SlowNetwork(input_dim=32, num_layers=2, units=48)(x)
    x = keras.layers.Dropout(0.1)(x)
    
    # Final processing
    x = keras.layers.Dense(16, activation='relu')(x)
    x = keras.layers.Dropout(0.1)(x)
    
    # Output
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)
    
    return keras.Model(inputs, outputs)

model = create_component_based_architecture()
model.compile(optimizer='adam', loss='binary_crossentropy')
"""


# SlowNetwork page, "Example 3: Layer Analysis" (no import line of its own)
SLOW_EXAMPLE_3_LAYER_ANALYSIS = """\
# Analyze SlowNetwork behavior
def analyze_slow_network():
    # Create model with SlowNetwork
    inputs = keras.Input(shape=(15,))
    x = SlowNetwork(input_dim=15, num_layers=3, units=32)(inputs)
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)
    
    model = keras.Model(inputs, outputs)
    
    # Test with different input patterns
    test_inputs = [
        keras.random.normal((10, 15)),  # Random data
        keras.random.normal((10, 15)) * 2,  # Scaled data
        keras.random.normal((10, 15)) + 1,  # Shifted data
    ]
    
    print("SlowNetwork Analysis:")
    print("=" * 40)
    
    for i, test_input in enumerate(test_inputs):
        prediction = model(test_input)
        print(f"Test {i+1}: Prediction mean = {keras.ops.mean(prediction):.4f}")
    
    return model

# Analyze SlowNetwork
# model = analyze_slow_network()
"""


# GatedResidualNetwork page, "Basic Usage"
GRN_BASIC_USAGE = """\
import keras
from skgrn.layers import GatedResidualNetwork

# Create sample input data
batch_size, input_dim = 32, 16
x = keras.random.normal((batch_size, input_dim))

# Apply gated residual network
grn = GatedResidualNetwork(units=16, dropout_rate=0.2)
output = grn(x)

print(f"Input shape: {x.shape}")           # (32, 16)
print(f"Output shape: {output.shape}")     # (32, 16)
"""


# GatedResidualNetwork page, "In a Sequential Model"
GRN_SEQUENTIAL_MODEL = """\
import keras
from skgrn.layers import GatedResidualNetwork

model = keras.Sequential([
    keras.layers.Dense(32, activation='relu'),
    GatedResidualNetwork(units=32, dropout_rate=0.2),
    keras.layers.Dense(16, activation='relu'),
    GatedResidualNetwork(units=16, dropout_rate=0.1),
    keras.layers.Dense(1, activation='sigmoid')
])

model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
"""


# GatedResidualNetwork page, "In a Functional Model"
GRN_FUNCTIONAL_MODEL = """\
import keras
from skgrn.layers import GatedResidualNetwork

# Define inputs
inputs = keras.Input(shape=(20,))  # 20 features

# Apply gated residual network
x = GatedResidualNetwork(units=32, dropout_rate=0.2)(inputs)

# Continue processing
x = keras.layers.Dense(64, activation='relu')(x)
x = GatedResidualNetwork(units=64, dropout_rate=0.1)(x)
x = keras.layers.Dense(32, activation='relu')(x)
outputs = keras.layers.Dense(1, activation='sigmoid')(x)

model = keras.Model(inputs, outputs)
"""


# GatedResidualNetwork page, "Advanced Configuration" (no import line of its own)
GRN_ADVANCED_CONFIGURATION = """\
# Advanced configuration with multiple GRN layers
def create_deep_grn_model():
    inputs = keras.Input(shape=(50,))
    
    # Multiple GRN layers with different configurations
    x = GatedResidualNetwork(units=64, dropout_rate=0.3)(inputs)
    x = GatedResidualNetwork(units=64, dropout_rate=0.2)(x)
    x = GatedResidualNetwork(units=32, dropout_rate=0.1)(x)
    
    # Final processing
    x = keras.layers.Dense(16, activation='relu')(x)
    x = keras.layers.Dropout(0.2)(x)
    
    # Multi-task output
    classification = keras.layers.Dense(3, activation='softmax', name='classification')(x)
    regression = keras.layers.Dense(1, name='regression')(x)
    
    return keras.Model(inputs, [classification, regression])

model = create_deep_grn_model()
model.compile(
    optimizer='adam',
    loss={'classification': 'categorical_crossentropy', 'regression': 'mse'},
    loss_weights={'classification': 1.0, 'regression': 0.5}
)
"""


# GatedResidualNetwork page, "Example 1: Deep Tabular Network"
GRN_EXAMPLE_1_DEEP_TABULAR_NETWORK = """\
import keras
import numpy as np
from skgrn.layers import GatedResidualNetwork

# Create a deep tabular network with GRN layers
def create_deep_tabular_network():
    inputs = keras.Input(shape=(30,))  # 30 features
    
    # Initial processing
    x = keras.layers.Dense(64, activation='relu')(inputs)
    x = keras.layers.BatchNormalization()(x)
    
    # Multiple GRN layers
    x = GatedResidualNetwork(units=64, dropout_rate=0.2)(x)
    x = GatedResidualNetwork(units=64, dropout_rate=0.2)(x)
    x = GatedResidualNetwork(units=32, dropout_rate=0.1)(x)
    x = GatedResidualNetwork(units=32, dropout_rate=0.1)(x)
    
    # Final processing
    x = keras.layers.Dense(16, activation='relu')(x)
    x = keras.layers.Dropout(0.2)(x)
    
    # Output
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)
    
    return keras.Model(inputs, outputs)

model = create_deep_tabular_network()
model.compile(optimizer='adam', loss='binary_crossentropy')

# Test with sample data
sample_data = keras.random.normal((100, 30))
predictions = model(sample_data)
print(f"Deep network predictions shape: {predictions.shape}")
"""


# GatedResidualNetwork page, "Example 2: Feature Transformation Pipeline" (no import line)
GRN_EXAMPLE_2_FEATURE_TRANSFORMATION_PIPELINE = """\
# Create a feature transformation pipeline with GRN
def create_feature_transformation_pipeline():
    inputs = keras.Input(shape=(25,))
    
    # Feature transformation stages
    # Stage 1: Basic transformation
    x1 = keras.layers.Dense(32, activation='relu')(inputs)
    x1 = GatedResidualNetwork(units=32, dropout_rate=0.2)(x1)
    
    # Stage 2: Advanced transformation
    x2 = keras.layers.Dense(64, activation='relu')(inputs)
    x2 = GatedResidualNetwork(units=64, dropout_rate=0.2)(x2)
    x2 = GatedResidualNetwork(units=32, dropout_rate=0.1)(x2)
    
    # Stage 3: Final transformation
    x3 = keras.layers.Dense(48, activation='relu')(inputs)
    x3 = GatedResidualNetwork(units=48, dropout_rate=0.2)(x3)
    x3 = GatedResidualNetwork(units=24, dropout_rate=0.1)(x3)
    
    # Combine transformed features
    combined = keras.layers.Concatenate()([x1, x2, x3])
    
    # Final processing
    x = keras.layers.Dense(32, activation='relu')(combined)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)
    
    return keras.Model(inputs, outputs)

model = create_feature_transformation_pipeline()
model.compile(optimizer='adam', loss='binary_crossentropy')
"""


# GatedResidualNetwork page, "Example 3: Gradient Flow Analysis" (no import line of its own)
GRN_EXAMPLE_3_GRADIENT_FLOW_ANALYSIS = """\
# Analyze gradient flow in GRN networks
def analyze_gradient_flow():
    # Create model with GRN layers
    inputs = keras.Input(shape=(20,))
    x = GatedResidualNetwork(units=32, dropout_rate=0.2)(inputs)
    x = GatedResidualNetwork(units=32, dropout_rate=0.2)(x)
    x = GatedResidualNetwork(units=16, dropout_rate=0.1)(x)
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)
    
    model = keras.Model(inputs, outputs)
    
    # Test gradient flow
    with keras.GradientTape() as tape:
        x = keras.random.normal((10, 20))
        y = model(x)
        loss = keras.ops.mean(y)
    
    # Compute gradients
    gradients = tape.gradient(loss, model.trainable_variables)
    
    # Analyze gradient magnitudes
    print("Gradient Flow Analysis:")
    print("=" * 40)
    for i, grad in enumerate(gradients):
        if grad is not None:
            grad_norm = keras.ops.norm(grad)
            print(f"Layer {i}: Gradient norm = {grad_norm:.6f}")
    
    return model

# Analyze gradient flow
# model = analyze_gradient_flow()
"""


def _fresh_namespace(layer_class):
    """A fresh namespace for ``exec``-ing one block.

    Some blocks ("Advanced Configuration", "Example 2", "Example 3") have no
    import line of their own: on the page they rely on the imports of the
    earlier blocks. Every block is therefore run in a new namespace pre-seeded
    with exactly those imports -- ``import keras``, ``import numpy as np`` and
    the page's skgrn layer class -- so that a block never sees the variables of
    another one.
    """
    return {
        "__name__": "reference_example",
        "keras": keras,
        "np": np,
        layer_class.__name__: layer_class,
    }


def _printed_lines(capsys):
    # The pages print tensor shapes, which torch spells torch.Size([32, 16]).
    out = re.sub(r"torch\.Size\(\[([^\]]*)\]\)", r"(\1)", capsys.readouterr().out)
    return out.splitlines()


def _count_layers(model, layer_class):
    return sum(isinstance(layer, layer_class) for layer in model.layers)


def _predict(model, n_samples, n_features):
    x = np.random.default_rng(0).normal(size=(n_samples, n_features)).astype("float32")
    return model.predict(x, verbose=0)


def _check_basic_usage(namespace, printed, layer_class):
    # Both pages: a (32, 16) input goes through the layer and keeps its shape.
    assert tuple(namespace["x"].shape) == (32, 16)
    assert tuple(namespace["output"].shape) == (32, 16)
    assert printed == ["Input shape: (32, 16)", "Output shape: (32, 16)"]
    layer = namespace["slow_net" if layer_class is SlowNetwork else "grn"]
    assert isinstance(layer, layer_class)
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(namespace["output"])))


def _check_sequential_model(namespace, printed, layer_class):
    model = namespace["model"]
    assert isinstance(model, keras.Sequential)
    assert model.compiled
    assert _count_layers(model, layer_class) == 2
    # The first layer is a Dense, so the model accepts any number of features.
    predictions = _predict(model, 5, 7)
    assert predictions.shape == (5, 1)
    assert np.all((predictions >= 0) & (predictions <= 1))
    assert printed == []


def _check_functional_model(namespace, printed, layer_class):
    model = namespace["model"]
    assert isinstance(model, keras.Model)
    assert tuple(model.input.shape) == (None, 20)
    assert tuple(model.output.shape) == (None, 1)
    assert _count_layers(model, layer_class) == 2
    assert _predict(model, 5, 20).shape == (5, 1)
    assert printed == []


def _check_advanced_configuration(function_name, n_features, n_layers):
    def check(namespace, printed, layer_class):
        assert callable(namespace[function_name])
        model = namespace["model"]
        assert isinstance(model, keras.Model)
        assert model.compiled
        assert tuple(model.input.shape) == (None, n_features)
        # Multi-task output: a 3-class softmax head and a 1-d regression head.
        assert [tuple(out.shape) for out in model.outputs] == [(None, 3), (None, 1)]
        assert model.output_names == ["classification", "regression"]
        assert _count_layers(model, layer_class) == n_layers
        classification, regression = _predict(model, 4, n_features)
        assert classification.shape == (4, 3)
        assert regression.shape == (4, 1)
        np.testing.assert_allclose(classification.sum(axis=1), 1.0, rtol=1e-5)
        assert printed == []

    return check


def _check_example_1(n_features, n_layers, message):
    def check(namespace, printed, layer_class):
        model = namespace["model"]
        assert isinstance(model, keras.Model)
        assert model.compiled
        assert tuple(model.input.shape) == (None, n_features)
        assert tuple(model.output.shape) == (None, 1)
        assert _count_layers(model, layer_class) == n_layers
        assert tuple(namespace["sample_data"].shape) == (100, n_features)
        assert tuple(namespace["predictions"].shape) == (100, 1)
        assert printed == [f"{message}: (100, 1)"]

    return check


def _check_example_2(function_name, n_features, n_layers):
    def check(namespace, printed, layer_class):
        assert callable(namespace[function_name])
        model = namespace["model"]
        assert isinstance(model, keras.Model)
        assert model.compiled
        assert tuple(model.input.shape) == (None, n_features)
        assert tuple(model.output.shape) == (None, 1)
        assert _count_layers(model, layer_class) == n_layers
        assert _predict(model, 3, n_features).shape == (3, 1)
        assert printed == []

    return check


def _check_example_3(function_name):
    def check(namespace, printed, layer_class):
        # The page only defines the analysis function: its call is commented out
        # (``# model = ...``), so the block must define it and build nothing.
        assert callable(namespace[function_name])
        assert "model" not in namespace
        assert printed == []

    return check


# Each copied block: its page's layer class and its check. Seven blocks on each page.
CHECKS = {
    "SLOW_BASIC_USAGE": (SlowNetwork, _check_basic_usage),
    "SLOW_SEQUENTIAL_MODEL": (SlowNetwork, _check_sequential_model),
    "SLOW_FUNCTIONAL_MODEL": (SlowNetwork, _check_functional_model),
    "SLOW_ADVANCED_CONFIGURATION": (
        SlowNetwork,
        _check_advanced_configuration("create_complex_network", 30, 3),
    ),
    "SLOW_EXAMPLE_1_COMPLEX_FEATURE_PROCESSING": (
        SlowNetwork,
        _check_example_1(25, 3, "Complex feature processor predictions shape"),
    ),
    "SLOW_EXAMPLE_2_ARCHITECTURE_COMPONENT": (
        SlowNetwork,
        _check_example_2("create_component_based_architecture", 20, 2),
    ),
    "SLOW_EXAMPLE_3_LAYER_ANALYSIS": (SlowNetwork, _check_example_3("analyze_slow_network")),
    "GRN_BASIC_USAGE": (GatedResidualNetwork, _check_basic_usage),
    "GRN_SEQUENTIAL_MODEL": (GatedResidualNetwork, _check_sequential_model),
    "GRN_FUNCTIONAL_MODEL": (GatedResidualNetwork, _check_functional_model),
    "GRN_ADVANCED_CONFIGURATION": (
        GatedResidualNetwork,
        _check_advanced_configuration("create_deep_grn_model", 50, 3),
    ),
    "GRN_EXAMPLE_1_DEEP_TABULAR_NETWORK": (
        GatedResidualNetwork,
        _check_example_1(30, 4, "Deep network predictions shape"),
    ),
    "GRN_EXAMPLE_2_FEATURE_TRANSFORMATION_PIPELINE": (
        GatedResidualNetwork,
        _check_example_2("create_feature_transformation_pipeline", 25, 5),
    ),
    "GRN_EXAMPLE_3_GRADIENT_FLOW_ANALYSIS": (
        GatedResidualNetwork,
        _check_example_3("analyze_gradient_flow"),
    ),
}
# Every copied block, run with its check; the test id is the block's name. A block
# without a check fails collection.
REFERENCE_BLOCKS = [
    pytest.param(source, *CHECKS[name], id=name)
    for name, source in list(globals().items())
    if name.startswith(("SLOW_", "GRN_"))
]


@pytest.mark.parametrize(("source", "layer_class", "check"), REFERENCE_BLOCKS)
def test_reference_example_runs(source, layer_class, check, capsys):
    namespace = _fresh_namespace(layer_class)
    exec(compile(source, "<reference example>", "exec"), namespace)
    check(namespace, _printed_lines(capsys), layer_class)


@pytest.mark.parametrize(("source", "layer_class", "check"), REFERENCE_BLOCKS)
def test_reference_example_imports_skgrn(source, layer_class, check):
    # The only edit to the pages' code is the import line.
    assert "kerasfactory" not in source
    import_lines = [line for line in source.splitlines() if "import" in line]
    assert all(
        line
        in (
            "import keras",
            "import numpy as np",
            f"from skgrn.layers import {layer_class.__name__}",
        )
        for line in import_lines
    )
