"""The fit loop: epochs of a trainer, and what decides when they stop.

:func:`run_epochs` trains a loaded trainer (see :mod:`skgrn._engine`) for up to
``n_epochs`` epochs: early stopping on the validation loss (or, without
validation rows, on the training objective), the adaptive learning rate's
plateaus, the history, divergence, Ctrl-C and the progress bar. It changes
nothing outside the trainer and the random stream it is given, and returns a
:class:`TrainingResult` that the estimator commits as a whole, so that a fit
that fails before the commit leaves the estimator as it was.

Epochs are numbered from 0, as the rows of ``pd.DataFrame(history_)``: the
best epoch, the progress bar's "best" and the warnings name epochs by that
number; counts of epochs run (``n_iter_``, the bar's ``47/200``) count from 1.
"""

from dataclasses import dataclass

import numpy as np

from skgrn._progress import EpochProgress

#: learning_rate="adaptive" divides the learning rate by this after a plateau.
ADAPTIVE_LR_DIVISOR = 5


@dataclass(frozen=True)
class LoopSettings:
    """How the epochs run: the estimator's parameters that the loop reads."""

    n_epochs: int
    incremental: bool  # partial_fit: one epoch, nothing monitored
    tol: float
    n_iter_no_change: int
    adaptive: bool  # learning_rate="adaptive"
    learning_rate: float
    verbose: int
    name: str  # the progress bar's description
    batch_size: int
    penalty_scale: float


@dataclass
class TrainingResult:
    """What a run of epochs produced, for the estimator to commit."""

    weights: list | None  # the network's new weights; None keeps the old (a diverged run)
    optimizer_state: list | None  # None after divergence: it is as broken as the weights
    history: dict  # "loss", "val_loss", "val_score", "objective": per epoch, all epochs so far
    n_iter: int
    t: int
    best_epoch: int | None  # the row of history whose weights were kept, if any was monitored
    best_loss: float
    stopped: str | None  # "diverged" or "interrupted" when training ended abnormally
    converged: bool


def run_epochs(trainer, data, validation, train_rows, rng, settings, history, n_iter, t):
    """Train ``trainer`` on ``data`` (its tensors of the table, targets and
    weights), visiting ``train_rows`` in an order drawn from ``rng`` each epoch.

    ``validation``, None or a pair of the validation rows' tensors and a
    function that scores the network's outputs for them (the estimator's
    ``score``), is what early stopping monitors. ``history``, ``n_iter`` and
    ``t`` are the counts so far (a warm_start or partial_fit continues them);
    ``history`` is extended in place.
    """
    loop = _Loop(trainer, data, validation, train_rows, rng, settings, history, n_iter, t)
    loop.run()
    if loop.best_epoch is not None:
        weights = trainer.kept_weights()
    elif loop.stopped != "diverged":
        weights = trainer.weights()
    else:
        weights = None
    return TrainingResult(
        weights=weights,
        optimizer_state=None if loop.stopped == "diverged" else trainer.optimizer_state(),
        history=history,
        n_iter=loop.n_iter,
        t=loop.t,
        best_epoch=loop.best_epoch,
        best_loss=loop.best_loss,
        stopped=loop.stopped,
        converged=loop.converged,
    )


class _Loop:
    """The state of one run of epochs."""

    def __init__(self, trainer, data, validation, train_rows, rng, settings, history, n_iter, t):
        self.trainer, self.data = trainer, data
        self.val_data, self.val_score = validation if validation is not None else (None, None)
        self.train_rows, self.rng, self.settings = train_rows, rng, settings
        self.history, self.n_iter, self.t = history, n_iter, t
        self.best_loss, self.best_epoch, self.stalled = np.inf, None, 0
        self.learning_rate = settings.learning_rate
        self.converged, self.stopped = False, None

    def run(self):
        settings = self.settings
        first_iter, first_t, first_recorded = self.n_iter, self.t, len(self.history["loss"])
        progress = EpochProgress(
            settings.n_epochs,
            desc=settings.name,
            patience=None if settings.incremental else settings.n_iter_no_change,
            show=settings.verbose == 1,
            initial=first_iter,
            compiling=not self.trainer.compiled,
        )
        with progress:
            try:
                for _ in range(settings.n_epochs):
                    if self._epoch(progress):
                        break
            except KeyboardInterrupt:
                self.stopped = "interrupted"
                # Ctrl-C can land between an epoch's updates: keep the epochs fully recorded.
                recorded = min(len(values) for values in self.history.values())
                for values in self.history.values():
                    del values[recorded:]
                self.n_iter = first_iter + recorded - first_recorded
                self.t = first_t + (self.n_iter - first_iter) * self.train_rows.shape[0]
            if not settings.incremental or self.stopped:
                progress.finish(self._ending(), success=self.stopped is None)

    def _ending(self):
        """How the epochs ended, for the progress bar: the warnings' words, shorter."""
        if self.best_epoch is not None:
            kept = f"epoch {self.best_epoch}'s weights kept"
        elif self.stopped == "diverged":
            kept = "the starting weights kept"
        else:
            kept = "the last epoch's weights kept"
        if self.stopped == "diverged":
            return f"diverged in epoch {self.n_iter - 1}; {kept}"
        if self.stopped == "interrupted":
            return f"interrupted after {self.n_iter} epochs; {kept}"
        if self.converged:
            stop = "early stop" if self.val_data is not None else "converged"
            return f"{stop} after {self.n_iter} epochs; {kept}"
        return f"max_iter reached; {kept}"

    def _epoch(self, progress):
        """Run one epoch and record it; return whether training should stop."""
        settings, history, n_rows = self.settings, self.history, self.train_rows.shape[0]
        order = self.train_rows[self.rng.permutation(n_rows)]
        objective, loss = self.trainer.train_epoch(
            *self.data, order, settings.batch_size, settings.penalty_scale
        )
        self.n_iter += 1
        self.t += n_rows
        history["loss"].append(loss)
        history["objective"].append(objective)
        # Without validation rows, what training minimises decides.
        monitored, score = objective, np.nan
        if self.val_data is not None:
            monitored, outputs = self.trainer.evaluate(*self.val_data)
            if np.isfinite(outputs).all():  # else training diverged: no score to give
                score = float(self.val_score(outputs))
        history["val_loss"].append(monitored if self.val_data is not None else np.nan)
        history["val_score"].append(score)
        if settings.verbose >= 2:
            message = f"Epoch {self.n_iter - 1}, loss = {loss:.8f}"
            if self.val_data is not None:
                message += f", validation loss = {monitored:.8f}"
            print(message)
        if not np.isfinite([loss, objective, monitored]).all():
            self.stopped = "diverged"
        elif not settings.incremental:
            self._monitor(monitored)
        val_loss = None if self.val_data is None else monitored
        progress.update(loss, val_loss, self.best_epoch, self.stalled)
        if self.stopped or self.converged or settings.incremental:
            return True
        if settings.adaptive and self.stalled and self.stalled % self._plateau == 0:
            self.learning_rate /= ADAPTIVE_LR_DIVISOR
            self.trainer.set_learning_rate(self.learning_rate)
        return False

    @property
    def _plateau(self):
        """Epochs without improvement after which the adaptive rate drops."""
        return max(1, self.settings.n_iter_no_change // 2)

    def _monitor(self, monitored):
        """Early stopping's bookkeeping: keep the best epoch's weights, count stalls.

        An epoch is the new best only when it improves on the best by more than
        ``tol``, as Keras' ``EarlyStopping(min_delta=tol)`` decides, so that the
        epochs without improvement are those since the best epoch.
        """
        settings = self.settings
        if monitored < self.best_loss - settings.tol:
            self.trainer.keep()
            self.best_loss, self.best_epoch, self.stalled = monitored, self.n_iter - 1, 0
        else:
            self.stalled += 1
        self.converged = self.stalled > settings.n_iter_no_change
