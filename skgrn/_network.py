"""Build the Keras model of an estimator from a plain description of it.

The estimator turns its parameters and what ``fit`` learned about the data
into a :class:`NetworkSpec`; :func:`build_network` is the only place that
turns a spec into layers. Rebuilding from the same spec (after unpickling,
or for the trainer's cached copy) gives the same architecture and the same
weight order, so weights move between copies with ``set_weights``.
"""

from dataclasses import asdict, dataclass

import keras

from skgrn.layers import GatedResidualNetwork, SlowNetwork


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to build one network, and nothing else.

    Being hashable, a spec is also the key of the trainer's cache.
    """

    n_features: int
    n_outputs: int
    output_activation: str  # "softmax", "sigmoid" or "linear"
    n_blocks: int
    block_units: int
    slow_layers: int
    slow_units: int
    slow_position: str  # "before" or "after" the GRN blocks
    dropout_rate: float
    dtype: str  # "float32" or "float64"

    def to_dict(self):
        return asdict(self)


def build_network(spec, seed):
    """Return the Keras model described by ``spec``, initialised from ``seed``.

    The model maps ``(batch, n_features)`` inputs to probabilities
    (``softmax``/``sigmoid`` heads) or values (``linear`` head). Its layer
    named ``"logits"`` gives the pre-activation outputs the trainer's loss
    uses, for numerical stability.
    """
    dtype = spec.dtype
    # The layers derive distinct sublayer seeds from consecutive ones.
    seeds = iter(range(seed, seed + spec.n_blocks + 3))
    inputs = keras.Input(shape=(spec.n_features,), dtype=dtype, name="features")

    def slow_network(width):
        return SlowNetwork(
            input_dim=width,
            num_layers=spec.slow_layers,
            units=spec.slow_units,
            seed=next(seeds),
            dtype=dtype,
            name="slow_network",
        )

    hidden = inputs
    if spec.slow_layers and spec.slow_position == "before":
        hidden = slow_network(spec.n_features)(hidden)
    for block in range(spec.n_blocks):
        hidden = GatedResidualNetwork(
            units=spec.block_units,
            dropout_rate=spec.dropout_rate,
            seed=next(seeds),
            dtype=dtype,
            name=f"grn_{block}",
        )(hidden)
    if spec.slow_layers and spec.slow_position == "after":
        hidden = slow_network(spec.block_units)(hidden)
    logits = keras.layers.Dense(
        spec.n_outputs,
        kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
        dtype=dtype,
        name="logits",
    )(hidden)
    outputs = keras.layers.Activation(spec.output_activation, dtype=dtype, name="output")(logits)
    return keras.Model(inputs, outputs, name="grn_network")


def logits_model(model):
    """A model sharing ``model``'s layers that stops before the output activation."""
    return keras.Model(model.inputs, model.get_layer("logits").output)


def dropout_seed_generators(model):
    """The seed generators of every active dropout layer in ``model``, in a fixed order.

    Keras only gives a dropout layer a seed generator when its rate is positive.
    """
    return [
        layer.dropout.seed_generator
        for layer in model.layers
        if isinstance(layer, GatedResidualNetwork) and layer.dropout_rate > 0
    ]


def kernels(model):
    """The kernels of ``model``'s dense layers: what the L2 penalty applies to."""
    return [weight for weight in model.trainable_weights if weight.path.endswith("/kernel")]
