"""Numeric feature embeddings: each scaled numeric column becomes a small vector.

A network that reads a numeric column as one number models its effect as a
smooth function of it, built from a few units; trees cut it at thresholds.
Embedding each column in several dimensions first lets the network learn
threshold-like and periodic effects column by column (Gorishniy, Rubachev and
Babenko, "On Embeddings for Numerical Features in Tabular Deep Learning",
NeurIPS 2022). :class:`NumericEmbedding` implements two of their families:

``"piecewise_linear"``
    The column's quantile bins, learned at ``fit`` (see
    :mod:`skgrn._tabular`), encode a value ``x`` as one number per bin
    ``[e_t, e_t+1)``: 1 for bins left of ``x``, 0 for bins right of it and
    ``(x - e_t) / (e_t+1 - e_t)`` inside it (the first bin extends below the
    smallest training value and the last above the largest). A per-column
    linear map takes the encoding to the embedding. Following TabM's
    version "B", the map starts at zero and a per-column linear embedding of
    ``x`` is added, so training starts from the plain linear model of each
    column and adds bins where they help.
``"periodic"``
    ``cos(2 pi f_k x + b_k)`` for trainable frequencies ``f_k`` (starting
    from a normal distribution of scale :data:`FREQUENCY_SCALE`) and phases
    ``b_k``, a per-column linear map, and ``x`` itself beside it: RealMLP's
    "PBLD" embedding (Holzmüller et al., NeurIPS 2024).

Per-column linear maps are grouped dense products (one group per column, as
the ensemble heads have one per member), so their sums run in a fixed order
too (see :mod:`skgrn._fixed_order`).
"""

import math

import keras
import numpy as np
from keras import ops

from skgrn import _fixed_order
from skgrn.layers import _sub_seed

KINDS = ("piecewise_linear", "periodic")
#: Scale of the initial frequencies of periodic embeddings, in cycles per robust
#: standard deviation of the column (RealMLP's default).
FREQUENCY_SCALE = 0.1


@keras.saving.register_keras_serializable(package="skgrn")
class NumericEmbedding(keras.layers.Layer):
    """Embed the first ``n_columns`` columns of a float matrix; pass the rest through.

    Maps ``(batch, n_columns + rest)`` to ``(batch, n_columns * units + rest)``,
    column ``j``'s embedding in positions ``j * units`` to ``(j + 1) * units``.

    Parameters
    ----------
    kind : {"piecewise_linear", "periodic"}
    n_columns : int
        Leading columns to embed: the scaled numeric columns.
    n_terms : int
        Bins per column (piecewise linear; columns with fewer bins leave the
        others empty) or frequencies per column (periodic).
    units : int
        Width of each column's embedding.
    seed : int
        Seed of the initial weights.
    """

    def __init__(self, kind, n_columns, n_terms, units, seed, **kwargs):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
        self.kind = kind
        self.n_columns = int(n_columns)
        self.n_terms = int(n_terms)
        self.units = int(units)
        self.seed = int(seed)

    def build(self, input_shape):
        shape = (self.n_columns, self.n_terms)
        if self.kind == "piecewise_linear":
            # The bins, set from the training table by set_bins; until then every
            # bin is empty (an inverse width of 0 encodes every value as 0).
            self.lower = self._constant("lower", shape)
            self.inverse_width = self._constant("inverse_width", shape)
            self.last = self._constant("last", shape)  # 1 at each column's last bin
            limit = 1.0 / math.sqrt(self.units)
            self.weight = self.add_weight(
                shape=(self.n_columns, self.units),
                initializer=keras.initializers.RandomUniform(
                    -limit, limit, seed=_sub_seed(self.seed, 0)
                ),
                name="weight",
            )
            self.kernel = self.add_weight(
                shape=(self.n_columns, self.n_terms, self.units), initializer="zeros", name="kernel"
            )
            self.bias = self.add_weight(
                shape=(self.n_columns, self.units),
                initializer=keras.initializers.RandomUniform(
                    -limit, limit, seed=_sub_seed(self.seed, 1)
                ),
                name="bias",
            )
        else:
            self.frequencies = self.add_weight(
                shape=shape,
                initializer=keras.initializers.RandomNormal(
                    0.0, FREQUENCY_SCALE, seed=_sub_seed(self.seed, 0)
                ),
                name="frequencies",
            )
            self.phases = self.add_weight(
                shape=shape,
                initializer=keras.initializers.RandomUniform(
                    -math.pi, math.pi, seed=_sub_seed(self.seed, 1)
                ),
                name="phases",
            )
            limit = math.sqrt(6.0 / (self.n_terms + self.units - 1))
            self.kernel = self.add_weight(
                shape=(self.n_columns, self.n_terms, self.units - 1),
                initializer=keras.initializers.RandomUniform(
                    -limit, limit, seed=_sub_seed(self.seed, 2)
                ),
                name="kernel",
            )
            self.bias = self.add_weight(
                shape=(self.n_columns, self.units - 1), initializer="zeros", name="bias"
            )

    def _constant(self, name, shape):
        return self.add_weight(shape=shape, initializer="zeros", trainable=False, name=name)

    def set_bins(self, bin_edges):
        """Set each column's bins from its increasing edges (a sequence of 1-d arrays)."""
        lower, inverse_width, last = (np.zeros((self.n_columns, self.n_terms)) for _ in range(3))
        for column, edges in enumerate(bin_edges):
            edges = np.asarray(edges, dtype=np.float64)
            n_bins = len(edges) - 1
            if n_bins > self.n_terms:
                raise ValueError(f"{n_bins} bins for a layer of {self.n_terms}.")
            if n_bins > 0:
                lower[column, :n_bins] = edges[:-1]
                inverse_width[column, :n_bins] = 1.0 / np.diff(edges)
                last[column, n_bins - 1] = 1.0
        self.lower.assign(lower)
        self.inverse_width.assign(inverse_width)
        self.last.assign(last)

    def call(self, inputs, training=None):
        values = ops.expand_dims(inputs[:, : self.n_columns], -1)  # (batch, columns, 1)
        if self.kind == "piecewise_linear":
            position = (values - self.lower) * self.inverse_width
            # Clipped to [0, 1], except below the first bin and above each
            # column's last: two elementwise passes over (batch, columns, bins),
            # the embedding's widest activation, and no other temporaries.
            floor = np.zeros(self.n_terms)
            floor[0] = -np.inf
            ceiling = ops.where(self.last > 0, np.inf, 1.0)
            encoding = ops.minimum(
                ops.maximum(position, ops.convert_to_tensor(floor, self.compute_dtype)),
                ops.cast(ceiling, self.compute_dtype),
            )
            embedded = values * self.weight + _fixed_order.grouped_dense(
                encoding, self.kernel, self.bias, training
            )
        else:
            waves = ops.cos((2.0 * math.pi) * values * self.frequencies + self.phases)
            linear = _fixed_order.grouped_dense(waves, self.kernel, self.bias, training)
            embedded = ops.concatenate([values, linear], axis=-1)
        embedded = ops.reshape(embedded, (-1, self.n_columns * self.units))
        return ops.concatenate([embedded, inputs[:, self.n_columns :]], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.n_columns * (self.units - 1))

    def get_config(self):
        config = super().get_config()
        config.update(
            kind=self.kind,
            n_columns=self.n_columns,
            n_terms=self.n_terms,
            units=self.units,
            seed=self.seed,
        )
        return config
