"""Training loop: a compiled epoch, reused by every fit of the same architecture.

Tracing TensorFlow functions costs about a second even for a small network,
far more than training one on a small table takes. A :class:`Trainer` is
therefore built once per :class:`~skgrn._network.NetworkSpec` (per thread)
and kept in a small cache. Each fit copies its weights and optimizer state
into the trainer, runs whole epochs in one compiled call each, and copies the
results back. The loop over minibatches runs inside the graph, so an epoch
costs one Python call however many batches it has.

The objective is the one scikit-learn's MLP minimises, with sample weights:
``(sum_i w_i loss_i + alpha / 2 * ||kernels||^2) / sum_i w_i``. Weights are
passed normalised to mean 1 and the penalty pre-divided by ``sum_i w_i``, so
integer weights are exactly equivalent to repeated rows under full-batch
training.
"""

import contextlib
import functools

import keras
import numpy as np
import tensorflow as tf

from skgrn._forward import traced
from skgrn._losses import ensemble_loss, ensemble_output, member_losses
from skgrn._network import (
    build_network,
    cached_per_spec,
    dropout_seed_generators,
    kernels,
    logits_model,
)
from skgrn._state import TrainerState
from skgrn._tabular import ALIGNMENT, aligned_empty
from skgrn._tf_private import adam_slots, call_concrete, shared_tensor


def get_trainer(spec, devices=None):
    """The cached trainer for ``spec`` in this thread, built on first use.

    ``devices``, a tuple of TensorFlow device names, asks for a
    :class:`MirroredTrainer` on those devices.
    """
    if devices is None:
        return cached_per_spec("trainer", spec, Trainer)
    return cached_per_spec("mirrored trainer", (spec, devices), lambda key: MirroredTrainer(*key))


def adam_update(optimizer, gradients, variables):
    """Apply Keras' ``Adam`` ``optimizer`` to ``variables``, bit for bit as its
    ``apply(gradients, variables)`` does.

    Keras traces about twenty operations a variable, recomputing the bias
    corrections for each; here they are computed once, and each variable
    costs its three assignments and the arithmetic between them. Tracing
    and first running a default network's epoch take about a sixth less
    time, most of what a small table's first fit costs beyond a later one.
    """
    dtype = variables[0].dtype
    step = tf.cast(optimizer.iterations + 1, dtype)
    beta_1_power = tf.pow(tf.cast(optimizer.beta_1, dtype), step)
    beta_2_power = tf.pow(tf.cast(optimizer.beta_2, dtype), step)
    learning_rate = tf.cast(optimizer.learning_rate, dtype)
    alpha = learning_rate * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
    slots = adam_slots(optimizer, variables)
    for gradient, variable, (momentum, velocity) in zip(gradients, variables, slots, strict=True):
        if gradient is None:
            # The objective does not reach it (the selection over a table of one
            # column): Keras leaves it and its moments alone too.
            continue
        squared = _square(gradient)
        gradient = tf.convert_to_tensor(gradient)
        momentum.assign_add((gradient - momentum) * (1 - optimizer.beta_1))
        velocity.assign_add((squared - velocity) * (1 - optimizer.beta_2))
        variable.assign_sub(momentum * alpha / (tf.sqrt(velocity) + optimizer.epsilon))
    optimizer.iterations.assign_add(1)


def _square(gradient):
    """The squared gradient, as Keras' Adam squares it.

    An embedding's gradient is ``IndexedSlices``, one slice per row of the
    batch: Keras squares the slices and then adds those of the same code,
    which is not the square of the summed gradient when a code repeats.
    """
    if not isinstance(gradient, tf.IndexedSlices):
        return tf.square(gradient)
    squared = tf.IndexedSlices(tf.square(gradient.values), gradient.indices, gradient.dense_shape)
    return tf.convert_to_tensor(squared)


def _as_tensor(array, dtype):
    """``array`` as a TensorFlow tensor that shares memory with an aligned array.

    ``tf.convert_to_tensor`` copies, briefly holding twice the array, and the
    encoded table can be most of the memory a fit uses. A C-contiguous
    array aligned as :func:`skgrn._tabular.aligned_empty` aligns is handed
    over through DLPack without a copy (the tensor is only ever read); any
    other array is first copied once into such an array.
    """
    array = np.asarray(array, dtype=dtype)
    if array.size == 0:
        return tf.convert_to_tensor(array)
    shareable = (
        array.flags.c_contiguous and array.flags.writeable and array.ctypes.data % ALIGNMENT == 0
    )
    if not shareable:
        aligned = aligned_empty(array.shape, array.dtype)
        aligned[...] = array
        array = aligned
    return shared_tensor(array)


class Trainer(TrainerState):
    """A network, its optimizer and compiled train/evaluate functions."""

    def __init__(self, spec):
        self.spec = spec
        with self._scope():
            self.model = build_network(spec, seed=0)
            self._logits = logits_model(self.model)
            self._weights = self.model.trainable_variables
            self._kernels = kernels(self.model)
            self._seed_generators = dropout_seed_generators(self.model)
            self.optimizer = keras.optimizers.Adam(learning_rate=1e-3)
            self.optimizer.build(self._weights)
            # Where the best epoch's weights are kept: copying them inside
            # TensorFlow costs far less than get_weights() after every improvement.
            self._kept = [
                tf.Variable(weight.value, trainable=False) for weight in self.model.weights
            ]
        self._fresh_optimizer_state = self.optimizer_state()

        dtype = spec.dtype
        data_signature = [
            tf.TensorSpec((None, spec.n_features), dtype),
            tf.TensorSpec((None, spec.n_outputs), dtype),
            tf.TensorSpec((None,), dtype),
        ]
        epoch_signature = [
            *data_signature,
            tf.TensorSpec((None,), tf.int32),
            tf.TensorSpec((), tf.int32),
            tf.TensorSpec((), dtype),
        ]
        self._functions = {
            "train_epoch": traced(self._train_epoch_graph, epoch_signature),
            "evaluate": traced(self._evaluate_graph, data_signature),
            "keep": traced(self._keep_graph, []),
        }
        self._concrete = {}

    def _scope(self):
        """Where the variables are created: the default device here."""
        return contextlib.nullcontext()

    def _run(self, name, *inputs):
        """Run the traced function ``name`` (traced on first use) on tensors.

        It is called with :func:`~skgrn._tf_private.call_concrete`, skipping
        tf.function's per-call signature matching: about 0.15 ms a call, a
        tenth of an epoch on a small table.
        """
        function = self._concrete.get(name)
        if function is None:
            function = self._concrete[name] = self._functions[name].get_concrete_function()
        return call_concrete(function, inputs)

    @property
    def compiled(self):
        """Whether an epoch has been traced: the first one takes seconds."""
        return "train_epoch" in self._concrete

    # -- state moving in and out ------------------------------------------------
    def keep(self):
        """Remember the current weights; :meth:`kept_weights` returns them."""
        self._run("keep")

    def kept_weights(self):
        return [variable.numpy() for variable in self._kept]

    def tensors(self, X, Y, W):
        """Convert the training arrays once per fit, not once per epoch."""
        return tuple(_as_tensor(array, self.spec.dtype) for array in (X, Y, W))

    # -- compiled work ------------------------------------------------------------
    def train_epoch(self, X, Y, W, order, batch_size, penalty_scale):
        """One pass over the rows in ``order``.

        Returns the mean training objective and the mean loss of the ensemble's
        prediction (with dropout, without the penalty) over the epoch's minibatches.
        """
        means = self._run(
            "train_epoch",
            X,
            Y,
            W,
            tf.constant(order, tf.int32),
            tf.constant(batch_size, tf.int32),
            tf.constant(penalty_scale, self.spec.dtype),
        ).numpy()
        return float(means[0]), float(means[1])

    def evaluate(self, X, Y, W):
        """Weighted mean loss of the ensemble's prediction on held-out rows
        (no penalty, no dropout), and the prediction, computed
        ``spec.chunk_rows`` rows at a time to bound the memory of the activations."""
        n_rows, step = int(X.shape[0]), self.spec.chunk_rows
        total, outputs = 0.0, []
        for start in range(0, n_rows, step):
            rows = slice(start, start + step)
            loss, output = self._run("evaluate", X[rows], Y[rows], W[rows])
            total += float(loss)
            outputs.append(output.numpy())
        return total / n_rows, np.concatenate(outputs)

    def _row_losses(self, X, Y):
        """Each row's loss averaged over the ensemble members, and the loss of the
        members' averaged prediction; with dropout."""
        logits = self._logits(X, training=True)
        activation = self.spec.output_activation
        members = tf.reduce_mean(member_losses(activation, Y, logits), axis=1)
        return members, ensemble_loss(activation, Y, logits)

    def _penalty(self):
        """The squared norm of the kernels, before scaling by ``penalty_scale``."""
        return tf.add_n([tf.reduce_sum(tf.square(k)) for k in self._kernels])

    def _objective(self, X, Y, W, penalty_scale):
        """Training objective (each member's loss, averaged, plus the penalty), and
        the ensemble's loss."""
        members, ensemble = self._row_losses(X, Y)
        objective = tf.reduce_mean(members * W) + penalty_scale * self._penalty()
        return objective, tf.reduce_mean(ensemble * W)

    def _train_epoch_graph(self, X, Y, W, order, batch_size, penalty_scale):
        n_rows = tf.shape(order)[0]
        n_batches = (n_rows + batch_size - 1) // batch_size

        def batch_step(batch, totals):
            rows = order[batch * batch_size : tf.minimum((batch + 1) * batch_size, n_rows)]
            losses = tf.stack(self._train_step(X, Y, W, rows, penalty_scale))
            return batch + 1, totals + losses * tf.cast(tf.shape(rows)[0], X.dtype)

        start = (tf.constant(0), tf.zeros((2,), X.dtype))
        _, totals = tf.while_loop(lambda batch, _: batch < n_batches, batch_step, start)
        return totals / tf.cast(n_rows, X.dtype)

    def _train_step(self, X, Y, W, rows, penalty_scale):
        """One optimizer step on the table's ``rows``; returns their objective and loss."""
        with tf.GradientTape() as tape:
            objective, loss = self._objective(
                tf.gather(X, rows), tf.gather(Y, rows), tf.gather(W, rows), penalty_scale
            )
        self._apply_gradients(tape.gradient(objective, self._weights))
        return objective, loss

    def _apply_gradients(self, gradients):
        """One Adam step of the weights (:func:`adam_update`)."""
        adam_update(self.optimizer, gradients, self._weights)

    def _keep_graph(self):
        for kept, weight in zip(self._kept, self.model.weights, strict=True):
            kept.assign(weight.value)

    def _evaluate_graph(self, X, Y, W):
        logits = self._logits(X, training=False)
        activation = self.spec.output_activation
        loss = tf.reduce_sum(ensemble_loss(activation, Y, logits) * W)
        return loss, ensemble_output(activation, logits)


@functools.cache
def _mirrored_strategy(devices):
    """One strategy per tuple of devices, shared by all trainers in the process.

    Each strategy numbers its collective operations from the same start, and
    TensorFlow's runtime matches collectives by those numbers: trainers of
    two strategies on the same devices would mix up their all-reduces.
    """
    return tf.distribute.MirroredStrategy(list(devices))


class MirroredTrainer(Trainer):
    """Data-parallel training with TensorFlow's ``MirroredStrategy``.

    Every device holds a copy of the network. Each minibatch is cut into one
    contiguous share per device; each device computes the gradient of its
    share's part of the objective (its rows' weighted losses over the whole
    batch's row count, plus its share of the penalty), and the optimizer sums
    the gradients across devices before one update applied on every copy. The
    result is the single-device step up to the order of floating-point sums.
    With dropout, the devices read the same seed state, so row ``i`` of each
    device's share gets the same mask (tests/test_devices.py).
    """

    def __init__(self, spec, devices):
        self._strategy = _mirrored_strategy(devices)
        super().__init__(spec)

    def _scope(self):
        return self._strategy.scope()

    def _train_step(self, X, Y, W, rows, penalty_scale):
        losses = self._strategy.run(self._replica_step, args=(X, Y, W, rows, penalty_scale))
        return tuple(
            self._strategy.reduce(tf.distribute.ReduceOp.SUM, part, axis=None) for part in losses
        )

    def _replica_step(self, X, Y, W, rows, penalty_scale):
        replica = tf.distribute.get_replica_context()
        n_replicas = replica.num_replicas_in_sync
        n_rows = tf.shape(rows)[0]
        share = (n_rows + n_replicas - 1) // n_replicas
        first = tf.minimum(replica.replica_id_in_sync_group * share, n_rows)
        mine = rows[first : tf.minimum(first + share, n_rows)]
        weights = tf.gather(W, mine) / tf.cast(n_rows, X.dtype)
        with tf.GradientTape() as tape:
            members, ensemble = self._row_losses(tf.gather(X, mine), tf.gather(Y, mine))
            objective = tf.reduce_sum(members * weights)
            objective += penalty_scale * self._penalty() / n_replicas
        # Keras' optimizer sums the gradients over the replicas before applying them.
        self.optimizer.apply(tape.gradient(objective, self._weights), self._weights)
        return objective, tf.reduce_sum(ensemble * weights)
