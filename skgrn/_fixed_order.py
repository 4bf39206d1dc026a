"""Dense products whose rounding does not depend on the size of TensorFlow's thread pool.

TensorFlow's CPU kernels split a long sum between the threads of the intra-op
pool, and add the partial sums, in ways that depend on the pool's size.
Eigen's contraction (MatMul, BatchMatMul and Einsum in float64, and in float32
when oneDNN is off or the product is a matrix-vector one) picks its blocking
along the summed dimension by the number of threads, and shards that
dimension between threads when it is long and an output dimension is short;
BiasAddGrad cuts the rows into one block per thread on large batches
(from 2**17 elements here).
A fit therefore rounds differently in a joblib worker (``OMP_NUM_THREADS=1``,
which skgrn passes on to TensorFlow) than in the parent process, and so does
a prediction through a wide layer with few outputs.

Every sum here runs in a fixed order whatever the pool's size:

* a product summing over more than :data:`CHUNK` terms (a layer more than
  :data:`CHUNK` wide, or the rows of a batch in a kernel's gradient) is cut
  into chunks of at most :data:`CHUNK` terms, each multiplied out on its own:
  a sum this short is never blocked nor sharded;
* the chunks' partial products are added elementwise in order, or by an
  axis-0 ``reduce_sum``, which Eigen computes one output element at a time,
  sequentially along the axis; a bias' gradient is such a ``reduce_sum``.

Products over at most :data:`CHUNK` terms are left to ``keras.ops.matmul`` and
``keras.ops.einsum``, so a network whose layers are at most that wide computes
exactly what Keras' ``Dense`` computes. Nothing global is set.
"""

import keras
from keras import ops

#: Most terms one product sums over. Eigen shards a contraction along its
#: summed dimension only when each shard keeps more than 8 * nr terms (nr, the
#: register block's width, is at least 4), and blocks it beyond about 250.
CHUNK = 64


def _spans(size):
    return [(start, min(start + CHUNK, size)) for start in range(0, size, CHUNK)]


def _ordered_sum(parts):
    total = parts[0]
    for part in parts[1:]:
        total = ops.add(total, part)
    return total


def matmul(a, b):
    """``a @ b`` for ``a`` (..., k) and ``b`` (k, n), summed over ``k`` in a fixed order."""
    size = b.shape[0]
    if size <= CHUNK:
        return ops.matmul(a, b)
    return _ordered_sum(
        [ops.matmul(a[..., start:stop], b[start:stop]) for start, stop in _spans(size)]
    )


def grouped_matmul(a, b):
    """``einsum("bmf,mfu->bmu", a, b)``, summed over ``f`` in a fixed order: one
    product per group ``m`` (an ensemble member, a table column)."""
    size = b.shape[1]
    if size <= CHUNK:
        return ops.einsum("bmf,mfu->bmu", a, b)
    return _ordered_sum(
        [
            ops.einsum("bmf,mfu->bmu", a[..., start:stop], b[:, start:stop])
            for start, stop in _spans(size)
        ]
    )


def dense(inputs, kernel, bias, training):
    """``inputs @ kernel + bias`` (``bias`` may be None) with fixed-order sums.

    With ``training`` on the TensorFlow backend, the gradients sum in a fixed
    order too (see :func:`_tf_dense`); other backends differentiate the
    forward pass as it is.
    """
    if training and keras.backend.backend() == "tensorflow":
        return _tf_dense(inputs, kernel, bias)
    outputs = matmul(inputs, kernel)
    return outputs if bias is None else ops.add(outputs, bias)


def grouped_dense(inputs, kernel, bias, training):
    """One dense layer per group: ``(batch, groups, f) -> (batch, groups, u)``."""
    if training and keras.backend.backend() == "tensorflow":
        return _tf_grouped_dense(inputs, kernel, bias)
    return grouped_matmul(inputs, kernel) + bias


# -- TensorFlow gradients -----------------------------------------------------------------
def _row_chunks(tensor):
    """``tensor`` (n, ...) zero-padded to whole chunks of rows: (n / CHUNK, CHUNK, ...)."""
    import tensorflow as tf

    pad = -tf.shape(tensor)[0] % CHUNK
    tensor = tf.pad(tensor, [[0, pad]] + [[0, 0]] * (tensor.shape.rank - 1))
    return tf.reshape(tensor, [-1, CHUNK, *tensor.shape[1:]])


def _row_products(a, b):
    """``a^T @ b`` for ``a`` (n, p) and ``b`` (n, q): the sum over rows, in a fixed order."""
    import tensorflow as tf

    return tf.reduce_sum(tf.matmul(_row_chunks(a), _row_chunks(b), transpose_a=True), axis=0)


def _tf_dense(inputs, kernel, bias):
    import tensorflow as tf

    def backward(x, kernel, upstream):
        rows = tf.reshape(upstream, [-1, upstream.shape[-1]])
        d_inputs = matmul(upstream, tf.transpose(kernel))
        d_kernel = _row_products(tf.reshape(x, [-1, x.shape[-1]]), rows)
        return d_inputs, d_kernel, rows

    if bias is None:

        @tf.custom_gradient
        def affine(x, kernel):
            def grad(upstream):
                d_inputs, d_kernel, _ = backward(x, kernel, upstream)
                return d_inputs, d_kernel

            return matmul(x, kernel), grad

        return affine(inputs, tf.convert_to_tensor(kernel))

    @tf.custom_gradient
    def affine(x, kernel, bias):
        def grad(upstream):
            d_inputs, d_kernel, rows = backward(x, kernel, upstream)
            return d_inputs, d_kernel, tf.reduce_sum(rows, axis=0)

        return ops.add(matmul(x, kernel), bias), grad

    return affine(inputs, tf.convert_to_tensor(kernel), tf.convert_to_tensor(bias))


def _tf_grouped_dense(inputs, kernel, bias):
    import tensorflow as tf

    @tf.custom_gradient
    def heads(x, kernel, bias):
        def grad(upstream):
            d_inputs = grouped_matmul(upstream, tf.transpose(kernel, [0, 2, 1]))
            # Each chunk of rows and group multiplied out, then summed over the chunks.
            products = tf.einsum("gcmf,gcmu->gmfu", _row_chunks(x), _row_chunks(upstream))
            return d_inputs, tf.reduce_sum(products, axis=0), tf.reduce_sum(upstream, axis=0)

        return grouped_matmul(x, kernel) + bias, grad

    return heads(inputs, tf.convert_to_tensor(kernel), tf.convert_to_tensor(bias))
