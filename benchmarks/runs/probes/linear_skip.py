"""Run benchmarks/tables.py with a linear shortcut added to the ensemble's heads.

Each member's logits become its head on the last block plus a linear map,
starting at zero, of the member's view of the input (the table's encoded
columns after the numeric and categorical embeddings, times the member's
adapter): a wide-and-deep network, which can represent the linear model that
wins some small tables (diabetes, Carseats, BritishElection) without the
blocks' layer norms in the way. skgrn has no such option; this replaces
``build_network`` in this process only::

    python benchmarks/runs/probes/linear_skip.py DATA_DIR --seeds 3 --models grn \\
        --tables Hitters Auto ...

The arguments are tables.py's.
"""

import sys
from pathlib import Path

import keras

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tables  # noqa: E402

import skgrn._base  # noqa: E402
import skgrn._forward  # noqa: E402
import skgrn._network as network  # noqa: E402
import skgrn._portable  # noqa: E402
import skgrn._training  # noqa: E402


class ZeroMemberHeads(network.MemberHeads):
    """MemberHeads whose kernel starts at zero: training starts from the plain network."""

    def build(self, input_shape):
        n_members, width = input_shape[-2], input_shape[-1]
        self.kernel = self.add_weight(
            shape=(n_members, width, self.units), initializer="zeros", name="kernel"
        )
        self.bias = self.add_weight(shape=(n_members, self.units), initializer="zeros", name="bias")


def build_with_skip(spec, seed):
    """skgrn._network.build_network (default parameters only), plus the linear shortcut."""
    if spec.ensemble_size < 2 or spec.slow_layers or spec.variable_selection:
        raise ValueError("the probe covers the default ensemble network only")
    dtype = spec.dtype
    seeds = iter(range(seed, seed + spec.n_blocks + 6))
    inputs = keras.Input(shape=(spec.n_features,), dtype=dtype, name="features")
    hidden = inputs
    if spec.numeric_embedding is not None:
        hidden = network.NumericEmbedding(
            spec.numeric_embedding,
            spec.n_embedded,
            spec.embedding_terms,
            spec.numeric_units,
            seed=next(seeds),
            dtype=dtype,
            name="numeric_embedding",
        )(hidden)
    if spec.embedding_rows:
        hidden = network.ColumnEmbedding(
            spec.embedded_numeric_width,
            spec.embedding_rows,
            spec.embedding_dims,
            dtype=dtype,
            name="columns",
        )(hidden)
    members = network.MemberAdapter(
        spec.ensemble_size, seed=next(seeds), dtype=dtype, name="members"
    )(hidden)
    hidden = members
    for block in range(spec.n_blocks):
        hidden = network.GatedResidualNetwork(
            units=spec.block_units,
            dropout_rate=spec.dropout_rate,
            seed=next(seeds),
            dtype=dtype,
            name=f"grn_{block}",
        )(hidden)
    deep = network.MemberHeads(spec.n_outputs, seed=next(seeds), dtype=dtype, name="heads")(hidden)
    wide = ZeroMemberHeads(spec.n_outputs, seed=0, dtype=dtype, name="linear_skip")(members)
    logits = keras.layers.Add(dtype=dtype, name="logits")([deep, wide])
    outputs = keras.layers.Activation(spec.output_activation, dtype=dtype)(logits)
    outputs = network.MemberMean(dtype=dtype, name="output")(outputs)
    return keras.Model(inputs, outputs, name="grn_network")


def main(argv):
    for module in (network, skgrn._base, skgrn._forward, skgrn._portable, skgrn._training):
        module.build_network = build_with_skip
    tables.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
