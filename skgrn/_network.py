"""Build the Keras model of an estimator from a plain description of it.

The estimator turns its parameters and what ``fit`` learned about the data
into a :class:`NetworkSpec`; :func:`build_network` is the only place that
turns a spec into layers. Rebuilding from the same spec (after unpickling,
or for the trainer's cached copy) gives the same architecture and the same
weight order, so weights move between copies with ``set_weights``.
"""

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass

import keras
import numpy as np
from keras import ops

from skgrn._embeddings import NumericEmbedding
from skgrn._selection import VariableSelection
from skgrn._tabular import CHUNK_ROWS
from skgrn.layers import GatedResidualNetwork, GroupedDense, SlowNetwork

#: Width of each column's embedding in the variable selection network.
VARIABLE_UNITS = 16


@keras.saving.register_keras_serializable(package="skgrn")
class ColumnEmbedding(keras.layers.Layer):
    """Embed the integer codes in the last columns of a float matrix.

    The first ``n_numeric`` columns pass through; each of the remaining
    columns holds the integer codes of one categorical column, replaced by
    its learned embedding. Embeddings start at zero: the network's random
    kernels break the symmetry, and a code that training never sees (such as
    "unknown" when every category had several rows) keeps the neutral zero
    vector.

    Each code's embedding is multiplied by a fixed factor in (0, 1], set
    from the training table by :meth:`set_shrinkage` (1 until then). Adam
    moves every weight by about the same step, so a factor slows what its
    code learns by as much: the estimators use ``n / (n + m)`` for a code
    seen in ``n`` training rows (``m`` is ``_CATEGORY_PRIOR_ROWS`` in
    skgrn/_base.py), which keeps the embeddings of categories seen
    in a few rows near zero unless those rows keep agreeing, and leaves
    frequent ones almost untouched.

    Parameters
    ----------
    n_numeric : int
        Number of leading columns passed through unchanged.
    cardinalities : sequence of int
        Rows of each categorical column's embedding table: at least its
        number of codes.
    embedding_dims : sequence of int
        Embedding width of each categorical column.
    """

    def __init__(self, n_numeric, cardinalities, embedding_dims, **kwargs):
        super().__init__(**kwargs)
        self.n_numeric = int(n_numeric)
        self.cardinalities = tuple(int(n) for n in cardinalities)
        self.embedding_dims = tuple(int(n) for n in embedding_dims)
        self.embeddings = [
            keras.layers.Embedding(
                n_codes,
                width,
                embeddings_initializer="zeros",
                dtype=self.dtype_policy,
                name=f"embedding_{index}",
            )
            for index, (n_codes, width) in enumerate(
                zip(self.cardinalities, self.embedding_dims, strict=True)
            )
        ]

    def build(self, input_shape):
        for embedding in self.embeddings:
            embedding.build((input_shape[0],))
        self.shrinkage = [
            self.add_weight(
                shape=(n_codes, 1), initializer="ones", trainable=False, name=f"shrinkage_{index}"
            )
            for index, n_codes in enumerate(self.cardinalities)
        ]

    def set_shrinkage(self, factors):
        """Set each column's factor per code (a sequence of 1-d arrays, one per
        column, of at most its rows); the spare rows keep 1."""
        for variable, column_factors in zip(self.shrinkage, factors, strict=True):
            values = np.ones(variable.shape)
            values[: len(column_factors), 0] = column_factors
            variable.assign(values)

    def call(self, inputs):
        parts = [inputs[:, : self.n_numeric]]
        for index, embedding in enumerate(self.embeddings):
            codes = ops.cast(inputs[:, self.n_numeric + index], "int32")
            factors = ops.take(self.shrinkage[index], codes, axis=0)
            parts.append(embedding(codes) * factors)
        return ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_numeric + sum(self.embedding_dims))

    def get_config(self):
        config = super().get_config()
        config.update(
            n_numeric=self.n_numeric,
            cardinalities=list(self.cardinalities),
            embedding_dims=list(self.embedding_dims),
        )
        return config


@keras.saving.register_keras_serializable(package="skgrn")
class MemberAdapter(keras.layers.Layer):
    """Give each ensemble member its own view of the input.

    Maps ``(batch, features)`` to ``(batch, members, features)``: member
    ``k`` sees the input multiplied elementwise by its own trainable vector,
    which starts as random signs (the "mini" variant of TabM's parameter-
    efficient ensembles, Gorishniy et al., 2024). Everything after the
    adapter is shared, except the heads.

    Parameters
    ----------
    n_members : int
        Number of ensemble members.
    seed : int
        Seed of the random signs.
    scaled : bool, default=True
        Whether the members see the input through their scale vectors. A
        network of a single member has nothing to tell apart: it sees the
        input as it is, and the layer only adds the member axis.
    """

    def __init__(self, n_members, seed, scaled=True, **kwargs):
        super().__init__(**kwargs)
        self.n_members = int(n_members)
        self.seed = int(seed)
        self.scaled = bool(scaled)

    def build(self, input_shape):
        if not self.scaled:
            self.scale = None
            return
        signs = np.random.default_rng(self.seed).choice(
            [-1.0, 1.0], (self.n_members, input_shape[-1])
        )
        self.scale = self.add_weight(
            shape=(self.n_members, input_shape[-1]),
            initializer=keras.initializers.Constant(signs),
            name="scale",
        )

    def call(self, inputs):
        inputs = ops.expand_dims(inputs, 1)
        return inputs if self.scale is None else inputs * self.scale

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_members, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(n_members=self.n_members, seed=self.seed, scaled=self.scaled)
        return config


@keras.saving.register_keras_serializable(package="skgrn")
class MemberMean(keras.layers.Layer):
    """Average the ensemble members' outputs: ``(batch, members, units)`` to ``(batch, units)``."""

    def call(self, inputs):
        return ops.mean(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


#: When a network runs over many rows (the validation loss, predictions,
#: selection weights), it takes them in chunks of at most this many rows...
MAX_CHUNK_ROWS = CHUNK_ROWS
#: ...and of fewer where a row's widest activation is wide, so that this
#: activation holds at most this many numbers per chunk (4 MB in float32). A
#: numeric embedding computes several (rows, columns, terms) tensors: for 50
#: columns of 16 terms, 52 MB each at 16,384 rows, which a fit on a million
#: rows paid on top of its table (3.8x the table's size instead of 2.9x).
CHUNK_NUMBERS = 2**20
#: Fewest rows a chunk is cut to by CHUNK_NUMBERS (each call costs overhead).
MIN_CHUNK_ROWS = 256


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to build one network, and nothing else.

    Being hashable, a spec is also the key of the trainer's cache.
    """

    n_features: int  # width of the encoded input: numeric part, then category codes
    n_numeric: int  # leading float columns (scaled values, target means, missing indicators)
    embedding_rows: tuple  # embedding table size of each categorical column (>= its codes)
    embedding_dims: tuple  # embedding width of each categorical column
    n_outputs: int
    output_activation: str  # "softmax", "sigmoid" or "linear"
    n_blocks: int
    block_units: int
    slow_layers: int
    slow_units: int
    slow_position: str  # "before" or "after" the GRN blocks
    dropout_rate: float
    ensemble_size: int  # members sharing the blocks of a branch
    dtype: str  # "float32" or "float64"
    # Variable selection over the table's columns (see skgrn._selection). The
    # defaults keep specs pickled before these fields existed usable.
    variable_selection: bool = False
    indicator_columns: tuple = ()  # the numeric column of each missing-value indicator
    target_columns: tuple = ()  # the numeric column of each column of target means
    # Numeric embeddings (see skgrn._embeddings) of the n_embedded columns that
    # lead the input (scaled numeric values, then target means): None,
    # "piecewise_linear" or "periodic".
    numeric_embedding: str | None = None
    n_embedded: int = 0
    embedding_terms: int = 0  # bins or frequencies per column
    numeric_units: int = 1  # width of each embedded column
    # A second sub-ensemble of ensemble_size members, with its own blocks, that
    # reads the numeric columns as plain numbers; the network averages both.
    plain_branch: bool = False

    @property
    def n_branches(self):
        """Sub-ensembles of ``ensemble_size`` members: 2 with a plain branch, else 1."""
        return 2 if self.plain_branch else 1

    @property
    def n_members(self):
        """Members whose predictions the network averages, over all its branches."""
        return self.ensemble_size * self.n_branches

    @property
    def embedded_numeric_width(self):
        """Width of the float part of the input once the numeric columns are embedded."""
        return self.n_numeric + self.n_embedded * (self.numeric_units - 1)

    @property
    def chunk_rows(self):
        """Rows per call when a network of this spec runs over many rows: at most
        :data:`MAX_CHUNK_ROWS`, fewer where its widest activation of a row
        (the input, the ensemble's blocks, a numeric embedding's terms)
        would hold more than :data:`CHUNK_NUMBERS` numbers."""
        widest = max(
            self.n_features,
            self.embedded_numeric_width,
            self.n_members * max(self.block_units, self.slow_units if self.slow_layers else 0),
            self.n_embedded * self.embedding_terms,
        )
        return min(MAX_CHUNK_ROWS, max(MIN_CHUNK_ROWS, CHUNK_NUMBERS // widest))

    def to_dict(self):
        return asdict(self)

    def variable_of_input(self, numeric_units=None):
        """For each column of the embedded input, the variable (table column) it belongs to.

        Variables are numbered as the encoding orders them: the numeric columns,
        then the categorical ones. Target means and a missing-value indicator
        belong to their numeric column, every unit of an embedding to its
        column. ``numeric_units=1`` describes the input of the plain branch.
        """
        units = self.numeric_units if numeric_units is None else numeric_units
        n_scaled = self.n_numeric - len(self.indicator_columns) - len(self.target_columns)
        variables = [column for column in range(n_scaled) for _ in range(units)]
        variables += [column for column in self.target_columns for _ in range(units)]
        variables += list(self.indicator_columns)
        for index, width in enumerate(self.embedding_dims):
            variables += [n_scaled + index] * width
        return tuple(variables)


#: Objects of each kind (trainers, forward passes) kept per thread by cached_per_spec.
_CACHE_SIZE = 8
_local = threading.local()


def cached_per_spec(kind, spec, build):
    """The object of ``kind`` built by ``build(spec)``, cached per thread.

    Building one traces TensorFlow functions, which costs far more than a fit
    on a small table; the last :data:`_CACHE_SIZE` specs of each kind are kept.
    """
    caches = getattr(_local, "caches", None)
    if caches is None:
        caches = _local.caches = {}
    cache = caches.setdefault(kind, OrderedDict())
    built = cache.pop(spec, None)
    if built is None:
        built = build(spec)
    cache[spec] = built
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return built


def build_network(spec, seed):
    """Return the Keras model described by ``spec``, initialised from ``seed``.

    The model maps ``(batch, n_features)`` inputs to probabilities
    (``softmax``/``sigmoid`` heads) or values (``linear`` head). Its layer
    named ``"logits"`` gives the pre-activation outputs the trainer's loss
    uses, for numerical stability: ``(batch, n_members, n_outputs)``; the
    output is the mean of the members' activations (``ensemble_size=1`` is
    a one-member ensemble). With
    ``spec.plain_branch``, a second branch of ``ensemble_size`` members with
    layers of its own (named with a ``"_plain"`` suffix) reads the numeric
    columns without the numeric embedding, and its members follow the first
    branch's in ``"logits"``.
    """
    dtype = spec.dtype
    # The layers derive distinct sublayer seeds from consecutive ones.
    seeds = iter(range(seed, seed + 2 * (spec.n_blocks + 6)))
    inputs = keras.Input(shape=(spec.n_features,), dtype=dtype, name="features")
    logits = _branch(spec, inputs, seeds, embedded=True, suffix="")
    if spec.plain_branch:
        plain = _branch(spec, inputs, seeds, embedded=False, suffix="_plain")
        logits = keras.layers.Concatenate(axis=1, dtype=dtype, name="logits")([logits, plain])
    outputs = keras.layers.Activation(spec.output_activation, dtype=dtype)(logits)
    outputs = MemberMean(dtype=dtype, name="output")(outputs)
    return keras.Model(inputs, outputs, name="grn_network")


def _branch(spec, inputs, seeds, embedded, suffix):
    """The logits of one branch of the network: ``(batch, ensemble_size, n_outputs)``.

    ``embedded`` says whether the branch reads the numeric columns through
    ``spec.numeric_embedding``; its layers' names end in ``suffix``.
    """
    dtype = spec.dtype

    def slow_network(width):
        return SlowNetwork(
            input_dim=width,
            num_layers=spec.slow_layers,
            units=spec.slow_units,
            seed=next(seeds),
            dtype=dtype,
            name="slow_network" + suffix,
        )

    hidden = inputs
    numeric_width, numeric_units = spec.n_numeric, 1
    if embedded and spec.numeric_embedding is not None:
        hidden = NumericEmbedding(
            spec.numeric_embedding,
            spec.n_embedded,
            spec.embedding_terms,
            spec.numeric_units,
            seed=next(seeds),
            dtype=dtype,
            name="numeric_embedding" + suffix,
        )(hidden)
        numeric_width, numeric_units = spec.embedded_numeric_width, spec.numeric_units
    width = numeric_width + len(spec.embedding_rows)
    if spec.embedding_rows:
        hidden = ColumnEmbedding(
            numeric_width,
            spec.embedding_rows,
            spec.embedding_dims,
            dtype=dtype,
            name="columns" + suffix,
        )(hidden)
        width = numeric_width + sum(spec.embedding_dims)
    if spec.variable_selection:
        hidden, _ = VariableSelection(
            spec.variable_of_input(numeric_units),
            VARIABLE_UNITS,
            spec.dropout_rate,
            seed=next(seeds),
            dtype=dtype,
            name="variable_selection" + suffix,
        )(hidden)
        width = VARIABLE_UNITS
    hidden = MemberAdapter(
        spec.ensemble_size,
        seed=next(seeds),
        scaled=spec.n_members > 1,
        dtype=dtype,
        name="members" + suffix,
    )(hidden)
    if spec.slow_layers and spec.slow_position == "before":
        hidden = slow_network(width)(hidden)
    for block in range(spec.n_blocks):
        hidden = GatedResidualNetwork(
            units=spec.block_units,
            dropout_rate=spec.dropout_rate,
            seed=next(seeds),
            dtype=dtype,
            name=f"grn_{block}{suffix}",
        )(hidden)
    if spec.slow_layers and spec.slow_position == "after":
        hidden = slow_network(spec.block_units)(hidden)
    # The first branch's heads are "logits" unless a plain branch follows.
    name = "logits" if not spec.plain_branch else "heads" + (suffix or "_embedded")
    return GroupedDense(spec.n_outputs, seed=next(seeds), dtype=dtype, name=name)(hidden)


def to_numpy(tensor):
    """A NumPy copy of a backend tensor, or of a Keras variable's value.

    Keras' own ``variable.numpy()`` and ``ops.convert_to_numpy`` go through
    ``np.array(...)`` of backend objects whose ``__array__`` NumPy 2
    deprecates, which warns on every call on some backends.
    """
    value = tensor.value if isinstance(tensor, keras.Variable) else tensor
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return np.array(value.numpy())
    if backend == "torch":
        return value.detach().cpu().numpy().copy()
    return np.array(value)


def weights_of(model):
    """``model.get_weights()``, without its deprecation warnings (see :func:`to_numpy`)."""
    return [to_numpy(weight) for weight in model.weights]


def _stored_order(model):
    """``model.weights`` in the order skgrn stores a network's weights.

    A gated residual network that projects its skip path lists its weights
    ``[..., project, layer_norm]``, as KerasFactory's does; before skgrn
    matched that order it listed them ``[..., layer_norm, project]``, and its
    pickles and files (``skgrn.save``) hold them so. They keep that order, so
    that the files of every skgrn version load, and load into older ones.
    """
    variables = list(model.weights)
    position = {id(variable): index for index, variable in enumerate(variables)}
    grns = [layer for layer in model.layers if isinstance(layer, GatedResidualNetwork)]
    grns += [layer.selection_grn for layer in model.layers if isinstance(layer, VariableSelection)]
    for grn in grns:
        if grn.project is None:
            continue
        stored = [*grn.layer_norm.weights, *grn.project.weights]
        slots = sorted(position[id(variable)] for variable in stored)
        for slot, variable in zip(slots, stored, strict=True):
            variables[slot] = variable
    return variables


def stored_weights(model):
    """The weights of an estimator's network as pickles and files store them: in
    the order :func:`set_network_weights` reads."""
    return [to_numpy(weight) for weight in _stored_order(model)]


def set_network_weights(model, weights):
    """Set on ``model`` the weights an skgrn network stored (:func:`stored_weights`).

    Weights stored by an older skgrn may have another shape of the same size
    (the heads of a one-member network before every network had a member
    axis: ``(features, outputs)`` for ``(1, features, outputs)``); they are
    reshaped. Anything else that does not fit raises ``ValueError``.
    """
    variables = _stored_order(model)
    if len(weights) != len(variables):
        raise ValueError(f"The network has {len(variables)} weights; {len(weights)} were given.")
    values = []
    for variable, value in zip(variables, weights, strict=True):
        value = np.asarray(value)
        if value.shape != tuple(variable.shape) and value.size == np.prod(variable.shape):
            value = value.reshape(variable.shape)
        if value.shape != tuple(variable.shape):
            raise ValueError(
                f"Weight {variable.path} has shape {tuple(variable.shape)}; the "
                f"stored one has shape {value.shape}."
            )
        values.append(value)
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def logits_model(model):
    """A model sharing ``model``'s layers that stops before the output activation."""
    return keras.Model(model.input, model.get_layer("logits").output)


def dropout_seed_generators(model):
    """The seed generators of every active dropout layer in ``model``, in a fixed order.

    Keras only gives a dropout layer a seed generator when its rate is positive.
    """
    dropouts = []
    for layer in model.layers:
        if isinstance(layer, GatedResidualNetwork):
            dropouts.append(layer.dropout)
        elif isinstance(layer, VariableSelection):
            dropouts += layer.dropout_layers()
    return [dropout.seed_generator for dropout in dropouts if dropout.rate > 0]


def selection_weights(model, X, batch_size):
    """The variable selection weights of ``model`` for the encoded rows ``X``:
    (rows, variables), computed ``batch_size`` rows at a time; averaged over
    the branches of a network with a plain branch."""
    selectors = [layer.output[1] for layer in model.layers if isinstance(layer, VariableSelection)]
    selected = selectors[0] if len(selectors) == 1 else ops.mean(ops.stack(selectors), axis=0)
    selector = keras.Model(model.input, selected)
    parts = [
        to_numpy(selector(X[start : start + batch_size], training=False))
        for start in range(0, X.shape[0], batch_size)
    ]
    return np.concatenate(parts)


def kernels(model):
    """The kernels of ``model``'s dense layers: what the L2 penalty applies to."""
    return [weight for weight in model.trainable_weights if weight.path.endswith("/kernel")]
