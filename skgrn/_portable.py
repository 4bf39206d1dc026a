"""Training and prediction through Keras' own API, for backends other than TensorFlow.

With TensorFlow, skgrn trains whole epochs in one traced graph and predicts
through a graph traced once per network shape (:mod:`skgrn._training`,
:mod:`skgrn._forward`). Those rely on TensorFlow. On JAX and torch the same
objective is minimised, on the same minibatches in the same order, through
Keras' backend-independent API: ``train_on_batch`` of a model whose
``compute_loss`` is the objective, and ``stateless_call`` to predict. Keras
compiles what the backend can (``jax.jit`` on JAX) once per
:class:`~skgrn._network.NetworkSpec`, as on TensorFlow.

Keras computes 64-bit floats in 32 bits on these backends (its type
promotion maps float64 to float32 outside TensorFlow), so the networks
compute in float32 there (see :func:`skgrn._engine.network_dtype`).
"""

import contextlib

import keras
import numpy as np
from keras import ops

from skgrn._losses import ensemble_loss, ensemble_output, member_losses
from skgrn._network import (
    build_network,
    cached_per_spec,
    dropout_seed_generators,
    kernels,
    to_numpy,
    weights_of,
)
from skgrn._state import TrainerState

#: Rows of every forward call when predicting: each chunk is padded to this
#: many rows, so the compiled function sees one shape (one compilation per
#: spec instead of one per number of rows) and a row's outputs do not depend
#: on how many rows are predicted with it or where it lies among them (XLA
#: chooses kernels, and their float32 rounding, by shape).
PREDICT_ROWS = 256


def get_trainer(spec):
    """The cached :class:`Trainer` for ``spec`` in this thread."""
    return cached_per_spec("portable trainer", spec, Trainer)


def get_forward_pass(spec):
    """The cached :class:`ForwardPass` for ``spec`` in this thread."""
    return cached_per_spec("portable forward", spec, ForwardPass)


def _no_grad():
    """Torch records every operation for autograd unless told not to."""
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


class _Objective(keras.Model):
    """A network's logits, trained on skgrn's objective (see :mod:`skgrn._training`)."""

    def __init__(self, network, spec):
        super().__init__()
        self.network = network
        self.logits = keras.Model(network.input, network.get_layer("logits").output)
        self.spec = spec
        self.kernels = kernels(network)
        # Set by every fit: alpha / 2 / (the training rows' total weight).
        self.penalty_scale = self.add_weight(
            shape=(), initializer="zeros", trainable=False, dtype=spec.dtype, name="penalty"
        )

    def call(self, X, training=False):
        return self.logits(X, training=training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras' logs, plus the loss of the members' averaged prediction (no penalty)."""
        logs = dict(super().compute_metrics(x, y, y_pred, sample_weight))
        losses = ensemble_loss(self.spec.output_activation, y, y_pred)
        logs["ensemble_loss"] = ops.mean(ops.multiply(losses, sample_weight))
        return logs

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        losses = ops.mean(member_losses(self.spec.output_activation, y, y_pred), axis=1)
        penalty = sum(ops.sum(ops.square(kernel)) for kernel in self.kernels)
        return ops.add(
            ops.mean(ops.multiply(losses, sample_weight)),
            ops.multiply(self.penalty_scale.value, penalty),
        )


class Trainer(TrainerState):
    """A network and its optimizer, trained with ``train_on_batch``.

    The interface is that of :class:`skgrn._training.Trainer`.
    """

    def __init__(self, spec):
        self.spec = spec
        self.model = build_network(spec, seed=0)
        self._objective = _Objective(self.model, spec)
        self.optimizer = keras.optimizers.Adam(learning_rate=1e-3)
        self._objective.compile(optimizer=self.optimizer)
        self.optimizer.build(self._objective.trainable_variables)
        self._seed_generators = dropout_seed_generators(self.model)
        self._fresh_optimizer_state = self.optimizer_state()
        self._kept = None
        # Whether train_on_batch has run: its first call compiles the step.
        self.compiled = False

    def keep(self):
        """Remember the current weights; :meth:`kept_weights` returns them."""
        self._kept = weights_of(self.model)

    def kept_weights(self):
        return self._kept

    def tensors(self, X, Y, W):
        """The training arrays in the network's dtype, converted once per fit."""
        return tuple(np.asarray(array, dtype=self.spec.dtype) for array in (X, Y, W))

    def train_epoch(self, X, Y, W, order, batch_size, penalty_scale):
        """One pass over the rows in ``order``; returns the mean training objective
        and the mean loss of the ensemble's prediction (see skgrn._training)."""
        self._objective.penalty_scale.assign(penalty_scale)
        objective = loss = 0.0
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            logs = self._objective.train_on_batch(
                X[rows], Y[rows], sample_weight=W[rows], return_dict=True
            )
            objective += float(logs["loss"]) * len(rows)
            loss += float(logs["ensemble_loss"]) * len(rows)
        self.compiled = True
        return objective / len(order), loss / len(order)

    def evaluate(self, X, Y, W):
        """Weighted mean loss of the ensemble's prediction on held-out rows, and
        the prediction."""
        total, outputs = 0.0, []
        activation = self.spec.output_activation
        with _no_grad():
            step = self.spec.chunk_rows  # bounds the memory of the activations
            for start in range(0, X.shape[0], step):
                rows = slice(start, start + step)
                X_rows, Y_rows, W_rows = (ops.convert_to_tensor(a[rows]) for a in (X, Y, W))
                if keras.backend.backend() == "jax":
                    logits = self._objective.predict_on_batch(X_rows)  # compiled once
                else:
                    logits = self._objective(X_rows, training=False)
                losses = ensemble_loss(activation, Y_rows, logits)
                total += float(ops.sum(ops.multiply(losses, W_rows)))
                outputs.append(ops.convert_to_numpy(ensemble_output(activation, logits)))
        return total / X.shape[0], np.concatenate(outputs)


class ForwardPass:
    """The forward pass of every network built from one spec.

    It runs a template network's ``stateless_call`` with the fitted network's
    weights, compiled once per spec with ``jax.jit`` on JAX.
    """

    def __init__(self, spec):
        self.spec = spec
        template = build_network(spec, seed=0)

        def forward(trainable, non_trainable, X):
            return template.stateless_call(trainable, non_trainable, X, training=False)[0]

        if keras.backend.backend() == "jax":
            import jax

            forward = jax.jit(forward)
        self._forward = forward

    def __call__(self, model, X):
        """Outputs of ``model`` (a network of this spec) for the rows of ``X``."""
        X = np.asarray(X, dtype=self.spec.dtype)
        trainable = [variable.value for variable in model.trainable_variables]
        non_trainable = [variable.value for variable in model.non_trainable_variables]
        outputs = np.empty((X.shape[0], self.spec.n_outputs), dtype=self.spec.dtype)
        chunk = np.zeros((PREDICT_ROWS, X.shape[1]), dtype=self.spec.dtype)
        with _no_grad():
            for start in range(0, X.shape[0], PREDICT_ROWS):
                rows = X[start : start + PREDICT_ROWS]
                chunk[: len(rows)] = rows
                result = to_numpy(self._forward(trainable, non_trainable, chunk))
                outputs[start : start + len(rows)] = result[: len(rows)]
        return outputs
