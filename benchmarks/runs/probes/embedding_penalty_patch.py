"""The eleventh round's trainer patch (imported before fitting): the numeric
embedding's kernel counts PLE_PENALTY times in the L2 penalty (default 100; the
runs set 30 or 300). Written for commit 58ea195's skgrn._training.Trainer."""

import os

import tensorflow as tf

import skgrn._training as tr

F = float(os.environ.get("PLE_PENALTY", "100"))


def _penalty(self):
    return tf.add_n(
        [
            tf.reduce_sum(tf.square(k)) * (F if "numeric_embedding" in k.path else 1.0)
            for k in self._kernels
        ]
    )


tr.Trainer._penalty = _penalty
