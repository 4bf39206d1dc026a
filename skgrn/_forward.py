"""Prediction: a fitted network's forward pass as one traced TensorFlow graph.

Calling a Keras model eagerly costs milliseconds a call, and ``model.predict``
builds a data pipeline on every call (tens of milliseconds), while users call
``predict`` on single rows in services and thousands of times in
cross-validation. Tracing a graph for each fitted model would instead add about
50 ms to every fit.

A :class:`ForwardPass` is therefore traced once per
:class:`~skgrn._network.NetworkSpec` (per thread), on a template network, and
runs any fitted network of that spec by feeding the graph that network's
variables in place of the template's. Networks of one spec have the same
variables in the same order (see :func:`~skgrn._network.build_network`).

The graph is the one ``model.predict`` runs, ``model(X, training=False)``
under ``tf.function``, so its outputs are bit-identical to ``model.predict``'s
on the same batches. (TensorFlow's kernels may round a row differently
depending on how many rows share its batch, so the batches must be the same.)
One exception is not yet understood: with the periodic numeric embedding some
rows differ from ``model.predict``'s in the last bits (about 1e-7 in float32),
while the traced graph stays deterministic across copies of a network.
"""

import weakref

import numpy as np
import tensorflow as tf

from skgrn._network import build_network, cached_per_spec
from skgrn._tf_private import call_concrete, variable_handles


def traced(function, input_signature):
    """``function`` as a ``tf.function`` of ``input_signature``, without AutoGraph.

    The graphs here are written with TensorFlow's own control flow
    (``tf.while_loop``), so AutoGraph has nothing to convert; it would still
    rewrite the source of every function the trace calls, which cost about
    half a second of a process's first fit (the traced graph is the same).
    """
    return tf.function(function, input_signature=input_signature, autograph=False)


def get_forward_pass(spec):
    """The cached :class:`ForwardPass` for ``spec`` in this thread."""
    return cached_per_spec("forward", spec, ForwardPass)


class ForwardPass:
    """The traced forward pass of every network built from one spec."""

    def __init__(self, spec):
        self.spec = spec
        template = build_network(spec, seed=0)
        function = traced(
            lambda X: template(X, training=False),
            [tf.TensorSpec((None, spec.n_features), spec.dtype)],
        )
        self._function = function.get_concrete_function()
        # Where each tensor the graph captured comes from: a position in a
        # network's weights, for the template's variables.
        handles = variable_handles(template.weights)
        self._positions = []
        for captured in self._function.captured_inputs:
            matches = [i for i, handle in enumerate(handles) if handle is captured]
            if len(matches) != 1:
                raise RuntimeError(
                    "The traced forward pass captured a tensor that is not one of the "
                    "network's variables; it cannot be run with another network's weights."
                )
            self._positions.append(matches[0])
        self._captures = weakref.WeakKeyDictionary()

    def __call__(self, model, X):
        """Outputs of ``model`` (a network of this spec) for the rows of ``X``,
        computed ``spec.chunk_rows`` rows per call of the graph."""
        captures = self._captures.get(model)
        if captures is None:
            handles = variable_handles(model.weights)
            captures = self._captures[model] = [handles[i] for i in self._positions]
        X = np.asarray(X, dtype=self.spec.dtype)
        if X.shape[0] == 0:
            return np.empty((0, self.spec.n_outputs), dtype=self.spec.dtype)
        step = self.spec.chunk_rows
        chunks = [
            call_concrete(self._function, [tf.constant(X[start : start + step])], captures)
            for start in range(0, X.shape[0], step)
        ]
        if len(chunks) == 1:
            return chunks[0].numpy()
        return np.concatenate([chunk.numpy() for chunk in chunks])
