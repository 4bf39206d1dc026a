"""Variable selection, as in Temporal Fusion Transformers (Lim et al., 2021, section 4.2).

Every column of the table is one *variable*. :class:`VariableSelection`

1. embeds each variable in ``units`` dimensions with its own linear map (a
   numeric column and its missing-value indicator together, a categorical
   column from its embedding);
2. passes each variable's embedding through its own gated residual network
   (:class:`VariableGRN`, whose weights differ between variables);
3. computes selection weights with a :class:`~skgrn.layers.GatedResidualNetwork`
   over all the embeddings together, followed by a softmax over variables;
4. returns the selection-weighted sum of the transformed variables, and the
   weights themselves.

The weights are non-negative and sum to 1 in every row; averaged over a
table they say how much the network draws on each column
(``feature_importances_``).
"""

import keras
import numpy as np
from keras import ops

from skgrn import _fixed_order
from skgrn.layers import (
    GatedResidualNetwork,
    GroupedDense,
    _gated_linear,
    _gated_residual,
    _sub_seed,
)

#: Initial gain of the selection GRN's layer normalisation (1 in a plain GRN).
_SELECTION_GAIN = 0.1


@keras.saving.register_keras_serializable(package="skgrn")
class VariableGRN(keras.layers.Layer):
    """A gated residual network per variable: ``(batch, variables, units)`` to the same shape.

    The computation of :class:`~skgrn.layers.GatedResidualNetwork` (ELU dense,
    linear dense, dropout, gated linear unit, residual, layer normalisation),
    with grouped dense layers (:class:`~skgrn.layers.GroupedDense`), so
    separate weights for each variable, and a gain and offset per variable
    and unit after the normalisation.

    The layer normalisation is what makes the selection weights readable as
    importances: every variable reaches the weighted sum at the same scale,
    so its weight is its share. Without it the network scales variables up
    or down inside their own GRNs instead, and on synthetic tables linear
    informative columns ranked among the noise.
    """

    def __init__(self, units, dropout_rate, seed, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.dropout_rate = float(dropout_rate)
        self.seed = int(seed)
        policy = self.dtype_policy

        def dense(offset, name, activation=None):
            seed = _sub_seed(self.seed, offset)
            return GroupedDense(self.units, seed, activation, dtype=policy, name=name)

        self.elu_dense = dense(0, "elu_dense", "elu")
        self.linear_dense = dense(1, "linear_dense")
        self.dropout = keras.layers.Dropout(
            self.dropout_rate, seed=_sub_seed(self.seed, 2), dtype=policy, name="dropout"
        )
        self.glu_linear = dense(3, "glu_linear")
        self.glu_gate = dense(4, "glu_gate", "sigmoid")
        # Normalised over each variable's units; the gain and offset, one per
        # variable and unit, are this layer's own weights.
        self.layer_norm = keras.layers.LayerNormalization(
            center=False, scale=False, dtype=policy, name="layer_norm"
        )

    def build(self, input_shape):
        if input_shape[-1] != self.units:
            raise ValueError(
                f"VariableGRN expects inputs {self.units} wide, got shape {tuple(input_shape)}."
            )
        for layer in (self.elu_dense, self.linear_dense, self.glu_linear, self.glu_gate):
            layer.build(input_shape)
        self.layer_norm.build(input_shape)
        shape = (input_shape[-2], self.units)
        self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta")

    def call(self, inputs, training=None):
        outputs = _gated_residual(
            inputs,
            inputs,
            self.elu_dense,
            self.linear_dense,
            self.dropout,
            self._gated_linear,
            training,
        )
        return self.layer_norm(outputs) * self.gamma + self.beta

    def _gated_linear(self, inputs):
        return _gated_linear(inputs, self.glu_linear, self.glu_gate)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="skgrn")
class VariableSelection(keras.layers.Layer):
    """Embed, transform and select the variables of a table.

    Maps ``(batch, width)`` to ``(combined, weights)``: the selection-weighted
    sum of the transformed variables, ``(batch, units)``, and the selection
    weights, ``(batch, n_variables)``.

    Parameters
    ----------
    variable_of_input : sequence of int
        For each input column, the variable it belongs to (``0`` to
        ``n_variables - 1``; every variable has at least one input column).
    units : int
        Width of each variable's embedding, and of the output.
    dropout_rate : float
        Dropout of the gated residual networks.
    seed : int
        Seed of the initialisers and dropout masks.
    """

    def __init__(self, variable_of_input, units, dropout_rate, seed, **kwargs):
        super().__init__(**kwargs)
        self.variable_of_input = tuple(int(v) for v in variable_of_input)
        self.n_variables = max(self.variable_of_input) + 1
        self.units = int(units)
        self.dropout_rate = float(dropout_rate)
        self.seed = int(seed)
        policy = self.dtype_policy
        self.variable_grn = VariableGRN(
            self.units,
            self.dropout_rate,
            seed=_sub_seed(self.seed, 1),
            dtype=policy,
            name="variable_grn",
        )
        self.selection_grn = GatedResidualNetwork(
            self.n_variables,
            dropout_rate=self.dropout_rate,
            seed=_sub_seed(self.seed, 2),
            dtype=policy,
            name="selection_grn",
        )

    def build(self, input_shape):
        width = input_shape[-1]
        if width != len(self.variable_of_input):
            raise ValueError(
                f"VariableSelection expects inputs {len(self.variable_of_input)} wide, "
                f"got shape {tuple(input_shape)}."
            )
        # Input column i feeds only its own variable's units: the kernel is
        # block-structured, its other entries start at zero and, as the mask
        # stops their gradients, stay there.
        variables = np.array(self.variable_of_input)
        mask = np.zeros((width, self.n_variables, self.units))
        mask[np.arange(width), variables] = 1.0
        self._mask = mask.reshape(width, self.n_variables * self.units)
        # Glorot-uniform within each variable's block. The bias is random too:
        # a numeric variable's embedding x * w + b is then a line through a
        # random point, which the layer normalisation of its GRN bends into a
        # curve that still tells values apart; through the origin, it would
        # keep only the sign of x. (R² +0.02 to +0.1 on the small development
        # tables.)
        fan_in = np.bincount(variables, minlength=self.n_variables)
        limits = np.sqrt(6.0 / (fan_in + self.units))
        rng = np.random.default_rng(_sub_seed(self.seed, 0))
        kernel = rng.uniform(-1, 1, self._mask.shape) * limits[variables][:, None] * self._mask
        bias = rng.uniform(-1, 1, (self.n_variables, self.units)) * limits[:, None]
        self.kernel = self.add_weight(
            shape=kernel.shape, initializer=keras.initializers.Constant(kernel), name="kernel"
        )
        self.bias = self.add_weight(
            shape=(bias.size,), initializer=keras.initializers.Constant(bias.ravel()), name="bias"
        )
        embedded_shape = (input_shape[0], self.n_variables, self.units)
        self.variable_grn.build(embedded_shape)
        self.selection_grn.build((input_shape[0], self.n_variables * self.units))
        # The selection logits start small, so every variable starts with about
        # the same weight in every row, rather than the random row-by-row
        # weights of a GRN's unit-variance output, which dominated the averages
        # (informative columns ranked among the noise). Not zero: nothing
        # upstream of a zero gain gets a gradient, and the first steps' tiny
        # ones made training chaotic (refits on equivalent data drifted apart).
        gamma = self.selection_grn.layer_norm.gamma
        gamma.assign(ops.full(gamma.shape, _SELECTION_GAIN, gamma.dtype))

    def call(self, inputs, training=None):
        mask = ops.convert_to_tensor(self._mask, dtype=self.kernel.dtype)
        flat = _fixed_order.dense(inputs, self.kernel * mask, self.bias, training)
        embedded = ops.reshape(flat, (-1, self.n_variables, self.units))
        logits = self.selection_grn(flat, training=training)
        # A single variable is always selected (and Keras warns of a softmax over one value).
        weights = ops.softmax(logits, axis=-1) if self.n_variables > 1 else ops.ones_like(logits)
        transformed = self.variable_grn(embedded, training=training)
        # Elementwise products and a sum over variables: no long contraction
        # whose rounding would depend on the thread count (see skgrn._fixed_order).
        combined = ops.sum(ops.expand_dims(weights, -1) * transformed, axis=1)
        return combined, weights

    def dropout_layers(self):
        """The dropout layers inside, in a fixed order."""
        return [self.variable_grn.dropout, self.selection_grn.dropout]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units), (input_shape[0], self.n_variables)

    def get_config(self):
        config = super().get_config()
        config.update(
            variable_of_input=list(self.variable_of_input),
            units=self.units,
            dropout_rate=self.dropout_rate,
            seed=self.seed,
        )
        return config
