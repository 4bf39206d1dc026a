"""A plot of a fitted estimator's training history, in scikit-learn's Display style."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted


class HistoryDisplay:
    """Training and validation loss per epoch, with the restored epoch marked.

    Build it with :meth:`from_estimator`, or from the losses themselves, and
    call :meth:`plot`. Needs matplotlib (``pip install "skgrn[plot]"``).

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss of each epoch (``history_["loss"]``).
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss of each epoch, NaN where there was none
        (``history_["val_loss"]``).
    best_epoch : int, default=None
        The epoch whose weights the estimator kept (``best_epoch_``). Epochs
        are numbered from 0, as the rows of ``pd.DataFrame(history_)``.
    estimator_name : str, default=None
        Shown in the title.

    Attributes
    ----------
    loss_line_ : matplotlib Line2D
        The training loss.
    val_loss_line_ : matplotlib Line2D or None
        The validation loss, when any epoch had one.
    best_epoch_line_ : matplotlib Line2D or None
        The vertical line at ``best_epoch``.
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure of ``ax_``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from skgrn import GRNRegressor, HistoryDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = GRNRegressor(early_stopping=True, random_state=0).fit(X, y)
    >>> display = HistoryDisplay.from_estimator(reg)
    >>> [line.get_label() for line in display.ax_.get_lines()][:2]
    ['training loss', 'validation loss']
    """

    def __init__(self, *, loss, val_loss=None, best_epoch=None, estimator_name=None):
        self.loss = loss
        self.val_loss = val_loss
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Plot the history of a fitted GRNClassifier or GRNRegressor.

        Parameters
        ----------
        estimator : GRNClassifier or GRNRegressor
            A fitted estimator.
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.
        name : str, default=None
            Title; the estimator's class name when None.

        Returns
        -------
        display : HistoryDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator, "history_")
        display = cls(
            loss=estimator.history_["loss"],
            val_loss=estimator.history_["val_loss"],
            best_epoch=getattr(estimator, "best_epoch_", None),
            estimator_name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None, *, name=None):
        """Draw the losses against the epoch.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.
        name : str, default=None
            Title; ``estimator_name`` when None.

        Returns
        -------
        display : HistoryDisplay
            ``self``, with the plotted objects as attributes.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        loss = np.asarray(self.loss, dtype=float)
        epochs = np.arange(len(loss))  # numbered from 0, as the rows of history_
        (self.loss_line_,) = ax.plot(epochs, loss, label="training loss")
        self.val_loss_line_ = None
        if self.val_loss is not None and not np.isnan(self.val_loss).all():
            val_loss = np.asarray(self.val_loss, dtype=float)
            (self.val_loss_line_,) = ax.plot(epochs, val_loss, label="validation loss")
        self.best_epoch_line_ = None
        if self.best_epoch is not None:
            self.best_epoch_line_ = ax.axvline(
                self.best_epoch,
                color="grey",
                linestyle="--",
                label=f"best epoch ({self.best_epoch})",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        title = self.estimator_name if name is None else name
        if title:
            ax.set_title(title)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
