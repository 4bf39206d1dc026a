"""Run benchmarks/tables.py with a warm-up and cosine learning-rate schedule.

The learning rate of epoch ``e`` (counted from 0 in each fit) rises linearly
from ``learning_rate_init / WARMUP`` to ``learning_rate_init`` over the first
``WARMUP`` epochs, then follows a cosine from ``learning_rate_init`` down to
zero at epoch ``BUDGET``. skgrn has no schedule parameter; this wraps the
trainer in this process only, so pass ``learning_rate="constant"`` (else the
plateau rule divides the rate too, until the next epoch's schedule resets it)::

    python benchmarks/runs/probes/schedule.py 5 200 DATA_DIR --seeds 3 --models grn \\
        --grn-params '{"learning_rate": "constant"}' --tables Hitters Auto ...

The first two arguments are WARMUP and BUDGET (epochs); the rest are tables.py's.
"""

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tables  # noqa: E402

import skgrn._base  # noqa: E402


def rate_factor(epoch, warmup, budget):
    """The schedule's multiple of ``learning_rate_init`` for ``epoch`` (from 0)."""
    if epoch < warmup:
        return (epoch + 1) / warmup
    progress = min(1.0, (epoch - warmup) / max(1, budget - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


class ScheduledTrainer:
    """A trainer that sets its learning rate before each epoch."""

    def __init__(self, trainer, warmup, budget):
        self._trainer, self._warmup, self._budget = trainer, warmup, budget
        self._epoch, self._base = 0, None

    def load(self, weights, optimizer_state, learning_rate, dropout_seed):
        self._base = learning_rate
        self._trainer.load(weights, optimizer_state, learning_rate, dropout_seed)

    def train_epoch(self, *args):
        factor = rate_factor(self._epoch, self._warmup, self._budget)
        self._trainer.set_learning_rate(max(self._base * factor, 1e-3 * self._base))
        self._epoch += 1
        return self._trainer.train_epoch(*args)

    def __getattr__(self, name):
        return getattr(self._trainer, name)


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: schedule.py WARMUP BUDGET [tables.py arguments]")
    warmup, budget = int(argv[0]), int(argv[1])
    get_trainer = skgrn._base.get_trainer

    def scheduled(spec, devices=None):
        return ScheduledTrainer(get_trainer(spec, devices), warmup, budget)

    skgrn._base.get_trainer = scheduled
    tables.main(argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
