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

_build_network = network.build_network


class ZeroMemberHeads(network.MemberHeads):
    """MemberHeads whose kernel starts at zero: training starts from the plain network."""

    def build(self, input_shape):
        n_members, width = input_shape[-2], input_shape[-1]
        self.kernel = self.add_weight(
            shape=(n_members, width, self.units), initializer="zeros", name="kernel"
        )
        self.bias = self.add_weight(shape=(n_members, self.units), initializer="zeros", name="bias")


def build_with_skip(spec, seed):
    """skgrn's own network, with the linear shortcut added to its heads.

    The plain network is built by skgrn._network.build_network from the same
    seed; its heads keep their weights but give up the name ``"logits"`` to
    the sum of heads and shortcut, which is what the trainer's loss reads.
    """
    if spec.ensemble_size < 2:
        raise ValueError("the probe covers ensembles only: it adds to each member's head")
    plain = _build_network(spec, seed)
    heads = plain.get_layer("logits")
    heads.name = "heads"
    dtype = spec.dtype
    wide = ZeroMemberHeads(spec.n_outputs, seed=0, dtype=dtype, name="linear_skip")(
        plain.get_layer("members").output
    )
    logits = keras.layers.Add(dtype=dtype, name="logits")([heads.output, wide])
    outputs = keras.layers.Activation(spec.output_activation, dtype=dtype)(logits)
    outputs = network.MemberMean(dtype=dtype, name="output")(outputs)
    return keras.Model(plain.input, outputs, name="grn_network")


def main(argv):
    for module in (network, skgrn._base, skgrn._forward, skgrn._portable, skgrn._training):
        module.build_network = build_with_skip
    tables.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
