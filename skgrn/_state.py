"""What the TensorFlow and the portable trainers share: a fit's state moving in and out."""

import numpy as np

from skgrn._network import to_numpy, weights_of


class TrainerState:
    """Loads and reads back a fit's weights, optimizer state, learning rate and
    dropout seeds. Subclasses set ``model``, ``optimizer``, ``_seed_generators``
    and ``_fresh_optimizer_state`` (the optimizer's state before any step)."""

    def load(self, weights, optimizer_state, learning_rate, dropout_seed):
        """Start from ``weights``; a fresh optimizer when ``optimizer_state`` is None."""
        self.model.set_weights(weights)
        state = self._fresh_optimizer_state if optimizer_state is None else optimizer_state
        for variable, value in zip(self.optimizer.variables, state, strict=True):
            variable.assign(value)
        self.optimizer.learning_rate = learning_rate
        for offset, generator in enumerate(self._seed_generators):
            generator.state.assign(np.array([dropout_seed + offset, 0], dtype="uint32"))

    def set_learning_rate(self, learning_rate):
        self.optimizer.learning_rate = learning_rate

    def weights(self):
        return weights_of(self.model)

    def optimizer_state(self):
        return [to_numpy(variable) for variable in self.optimizer.variables]
