import os
import tensorflow as tf
import skgrn._training as tr
F = float(os.environ.get("PLE_PENALTY", "100"))
def _penalty(self):
    return tf.add_n([tf.reduce_sum(tf.square(k)) * (F if "numeric_embedding" in k.path else 1.0) for k in self._kernels])
tr.Trainer._penalty = _penalty
