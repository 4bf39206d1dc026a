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
decay = float(sys.argv.pop(1))
_adamw = keras.optimizers.AdamW


def adamw(learning_rate=1e-3, **kwargs):
    return _adamw(learning_rate=learning_rate, weight_decay=decay, **kwargs)


keras.optimizers.Adam = adamw

import tables  # noqa: E402

if __name__ == "__main__":
    tables.main(sys.argv[1:])
