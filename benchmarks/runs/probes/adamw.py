"""Run benchmarks/tables.py with Keras' AdamW in place of Adam, for a weight-decay probe.

skgrn has no weight-decay parameter; this replaces ``keras.optimizers.Adam`` in this
process only, so that the estimators build AdamW with the given decay instead::

    python benchmarks/runs/probes/adamw.py 0.01 DATA_DIR --first-seed 2 --seeds 1 \\
        --models grn --grn-params '{"alpha": 0}' --tables Default Caravan ...

The first argument is the decay; the rest are tables.py's.
"""

import sys
from pathlib import Path

import keras

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tables  # noqa: E402


def main(argv):
    if not argv:
        sys.exit("usage: adamw.py WEIGHT_DECAY [tables.py arguments]")
    decay = float(argv[0])
    adamw = keras.optimizers.AdamW

    def with_decay(learning_rate=1e-3, **kwargs):
        return adamw(learning_rate=learning_rate, weight_decay=decay, **kwargs)

    keras.optimizers.Adam = with_decay
    tables.main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
