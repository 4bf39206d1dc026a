"""Keras layers: the gated linear unit, the gated residual network and the slow network.

The layers use only ``keras.ops`` so they run on every Keras backend, keep the
dtype of their inputs (float16, float32 or float64 models all work), accept
inputs of any rank >= 2 (``(batch, ..., features)``), and are registered with
Keras so that a model containing them reloads with ``safe_mode=True`` and no
``custom_objects``.
"""

import numbers

import keras
import numpy as np

from skgrn import _fixed_order

__all__ = ["GatedLinearUnit", "GatedResidualNetwork", "SlowNetwork"]

_PACKAGE = "skgrn"


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None or a non-negative integer, got {seed!r}.")
    return int(seed)


def _sub_seed(seed, offset):
    """Seed of the ``offset``-th random sublayer, or None when unseeded.

    Derived through NumPy's SeedSequence rather than ``seed + offset`` so that
    layers with neighbouring seeds (``seed=0``, ``seed=1``, ...) never share
    sublayer seeds, and so that any non-negative seed maps into the range
    every backend accepts.
    """
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, offset]).generate_state(1)[0] >> 1)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FixedOrderDense(keras.layers.Dense):
    """``keras.layers.Dense`` whose sums run in an order independent of the thread count.

    TensorFlow splits long sums between the threads of its pool in ways that
    depend on the pool's size, so the same fit rounds differently with one
    thread than with several. This layer cuts its products into sums of at
    most 64 terms, added in a fixed order, and, when training on TensorFlow,
    computes its gradients that way too (see :mod:`skgrn._fixed_order`). A
    layer whose input is at most 64 wide outputs exactly what ``Dense`` does.
    """

    def call(self, inputs, training=None):
        if self.quantization_mode is not None or self.lora_enabled:
            return super().call(inputs, training=training)
        outputs = _fixed_order.dense(inputs, self.kernel, self.bias, training)
        return outputs if self.activation is None else self.activation(outputs)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class GroupedDense(keras.layers.Layer):
    """One dense layer per group: ``(batch, groups, features) -> (batch, groups, units)``.

    The groups are an ensemble's members (their output heads) or a table's
    columns (the per-variable layers of skgrn's variable selection). Each
    group has its own Glorot-uniform kernel and a zero bias; the sums run in a
    fixed order, as in :class:`FixedOrderDense`.

    Parameters
    ----------
    units : int
        Outputs of each group.
    seed : int
        Seed of the kernels.
    activation : str or callable, default=None
    """

    def __init__(self, units, seed, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_positive_int("units", units)
        self.seed = _check_seed(seed)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        n_groups, width = input_shape[-2], input_shape[-1]
        limit = np.sqrt(6.0 / (width + self.units))
        self.kernel = self.add_weight(
            shape=(n_groups, width, self.units),
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=self.seed),
            name="kernel",
        )
        self.bias = self.add_weight(shape=(n_groups, self.units), initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        return self.activation(_fixed_order.grouped_dense(inputs, self.kernel, self.bias, training))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "seed": self.seed,
            "activation": keras.activations.serialize(self.activation),
        }


def _gated_linear(inputs, linear, gate):
    """The gated linear unit's computation, over any two dense layers."""
    return linear(inputs) * gate(inputs)


def _gated_residual(inputs, skip, elu_dense, linear_dense, dropout, gated_linear, training):
    """The gated residual network's computation before its normalisation:
    ``skip + gated_linear(dropout(linear_dense(elu_dense(inputs))))``.

    :class:`GatedResidualNetwork` and the per-variable networks of skgrn's
    variable selection (whose dense layers are grouped) both compute this.
    """
    hidden = linear_dense(elu_dense(inputs))
    hidden = dropout(hidden, training=training)
    return skip + gated_linear(hidden)


def _dense(layer, units, offset, activation=None, name=None, dense_class=FixedOrderDense):
    """A dense sublayer of ``layer``, sharing its dtype policy and seed."""
    return dense_class(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=_sub_seed(layer.seed, offset)),
        name=name,
        dtype=layer.dtype_policy,
    )


class _CompositeLayer(keras.layers.Layer):
    """Shared plumbing: sublayers are built in ``build`` with the input shape."""

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self._output_units(input_shape))

    def _check_input_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"{type(self).__name__} expects inputs of rank >= 2 "
                f"(batch, ..., features), got shape {tuple(input_shape)}."
            )
        if input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} needs the last (feature) dimension of "
                f"its input to be known, got shape {tuple(input_shape)}."
            )


@keras.saving.register_keras_serializable(package=_PACKAGE)
class GatedLinearUnit(_CompositeLayer):
    """Gated linear unit: ``Dense(units)(x) * sigmoid(Dense(units)(x))``.

    Parameters
    ----------
    units : int
        Positive integer, dimensionality of the output space.
    seed : int, default=None
        Seed for the kernel initialisers. ``None`` draws from Keras' global
        seed generator.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Attributes
    ----------
    linear : keras.layers.Dense
        The linear dense layer.
    gate : keras.layers.Dense
        The sigmoid dense layer, also named ``sigmoid`` as in KerasFactory.

    Examples
    --------
    >>> import keras
    >>> from skgrn.layers import GatedLinearUnit
    >>> glu = GatedLinearUnit(units=8, seed=0)
    >>> tuple(glu(keras.ops.ones((4, 3))).shape)
    (4, 8)
    """

    def __init__(self, units, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_positive_int("units", units)
        self.seed = _check_seed(seed)
        self.linear = _dense(self, self.units, 0, name="linear")
        self.gate = _dense(self, self.units, 1, activation="sigmoid", name="gate")

    @property
    def sigmoid(self):
        """The gate: KerasFactory's name for :attr:`gate`, the same sublayer.

        Keras saves a sublayer's weights under its first attribute name in
        alphabetical order, ``gate``, as skgrn always has; loading tries the
        other names of a sublayer whose weights it did not find, so files that
        KerasFactory saved under ``sigmoid`` load too.
        """
        return self.gate

    @sigmoid.setter
    def sigmoid(self, layer):
        self.gate = layer

    def _output_units(self, input_shape):
        return self.units

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.linear.build(input_shape)
        self.gate.build(input_shape)

    def call(self, inputs):
        return _gated_linear(inputs, self.linear, self.gate)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "seed": self.seed}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class GatedResidualNetwork(_CompositeLayer):
    """Gated residual network (GRN), the block of Temporal Fusion Transformers.

    The input goes through an ELU dense layer, a linear dense layer, dropout
    and a :class:`GatedLinearUnit`; the result is added to the input (projected
    by a linear dense layer when its width differs from ``units``) and
    layer-normalised.

    Parameters
    ----------
    units : int
        Positive integer, dimensionality of the output space.
    dropout_rate : float, default=0.2
        Fraction of the hidden units dropped during training, in ``[0, 1)``.
    seed : int, default=None
        Seed for the kernel initialisers and the dropout mask. ``None`` draws
        from Keras' global seed generator.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Input shape
        ``(batch_size, ..., input_dim)``.

    Output shape
        ``(batch_size, ..., units)``.

    Attributes
    ----------
    elu_dense, linear_dense, dropout, gated_linear_unit, project, layer_norm
        The sublayers; ``project`` is None when the input width equals
        ``units``. The weights come in this order, as in KerasFactory.

    Examples
    --------
    >>> import keras
    >>> from skgrn.layers import GatedResidualNetwork
    >>> grn = GatedResidualNetwork(units=16, dropout_rate=0.2, seed=0)
    >>> tuple(grn(keras.ops.ones((32, 10))).shape)
    (32, 16)
    """

    def __init__(self, units, dropout_rate=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_positive_int("units", units)
        if (
            isinstance(dropout_rate, bool)
            or not isinstance(dropout_rate, numbers.Real)
            or not 0 <= dropout_rate < 1
        ):
            raise ValueError(f"dropout_rate must be a number in [0, 1), got {dropout_rate!r}.")
        self.dropout_rate = float(dropout_rate)
        self.seed = _check_seed(seed)
        self.elu_dense = _dense(self, self.units, 0, activation="elu", name="elu_dense")
        self.linear_dense = _dense(self, self.units, 1, name="linear_dense")
        self.dropout = keras.layers.Dropout(
            self.dropout_rate,
            seed=_sub_seed(self.seed, 2),
            name="dropout",
            dtype=self.dtype_policy,
        )
        self.gated_linear_unit = GatedLinearUnit(
            self.units,
            seed=_sub_seed(self.seed, 3),
            name="gated_linear_unit",
            dtype=self.dtype_policy,
        )
        # Created before the normalisation so that the weights come in
        # KerasFactory's order ([..., project, layer_norm]) and move between
        # the two with set_weights; build drops it when the widths match.
        self.project = _dense(self, self.units, 5, name="project")
        self.layer_norm = keras.layers.LayerNormalization(
            name="layer_norm", dtype=self.dtype_policy
        )

    def _output_units(self, input_shape):
        return self.units

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        hidden_shape = (*input_shape[:-1], self.units)
        self.elu_dense.build(input_shape)
        self.linear_dense.build(hidden_shape)
        self.gated_linear_unit.build(hidden_shape)
        if input_shape[-1] == self.units:
            # The skip path is the input itself. Untracked, the unused layer
            # stays out of the weights, the saved file and model.quantize().
            self._tracker.untrack(self.project)
            self.project = None
        else:
            self.project.build(input_shape)
        self.layer_norm.build(hidden_shape)

    def call(self, inputs, training=None):
        skip = inputs if self.project is None else self.project(inputs)
        residual = _gated_residual(
            inputs,
            skip,
            self.elu_dense,
            self.linear_dense,
            self.dropout,
            self.gated_linear_unit,
            training,
        )
        return self.layer_norm(residual)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "dropout_rate": self.dropout_rate,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SlowNetwork(_CompositeLayer):
    """A stack of ReLU dense layers projected back to the input width.

    Parameters
    ----------
    input_dim : int
        Positive integer, width of the input features; the output has the same
        width.
    num_layers : int, default=3
        Positive integer, number of hidden ReLU dense layers.
    units : int, default=128
        Positive integer, width of each hidden layer.
    seed : int, default=None
        Seed for the kernel initialisers. ``None`` draws from Keras' global
        seed generator.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Input shape
        ``(batch_size, ..., input_dim)``.

    Output shape
        ``(batch_size, ..., input_dim)``.

    Examples
    --------
    >>> import keras
    >>> from skgrn.layers import SlowNetwork
    >>> slow = SlowNetwork(input_dim=16, num_layers=3, units=64, seed=0)
    >>> tuple(slow(keras.ops.ones((32, 16))).shape)
    (32, 16)
    """

    #: The class of the hidden layers: Keras saves the weights of the layers in
    #: a list under their class's name (``hidden_layers/fixed_order_dense``).
    _hidden_class = FixedOrderDense

    def __init__(self, input_dim, num_layers=3, units=128, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = _check_positive_int("input_dim", input_dim)
        self.num_layers = _check_positive_int("num_layers", num_layers)
        self.units = _check_positive_int("units", units)
        self.seed = _check_seed(seed)
        self.hidden_layers = [
            _dense(
                self,
                self.units,
                i,
                activation="relu",
                name=f"hidden_{i}",
                dense_class=self._hidden_class,
            )
            for i in range(self.num_layers)
        ]
        self.output_layer = _dense(self, self.input_dim, self.num_layers, name="output")

    def _output_units(self, input_shape):
        return self.input_dim

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        if input_shape[-1] != self.input_dim:
            raise ValueError(
                f"SlowNetwork was created with input_dim={self.input_dim} but "
                f"received inputs with {input_shape[-1]} features "
                f"(shape {tuple(input_shape)})."
            )
        shape = input_shape
        for layer in self.hidden_layers:
            layer.build(shape)
            shape = (*shape[:-1], self.units)
        self.output_layer.build(shape)

    def call(self, inputs):
        hidden = inputs
        for layer in self.hidden_layers:
            hidden = layer(hidden)
        return self.output_layer(hidden)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "num_layers": self.num_layers,
            "units": self.units,
            "seed": self.seed,
        }
