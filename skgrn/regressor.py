"""GRNRegressor: scaled single- and multi-output targets on top of BaseGRN."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score

from skgrn._base import BaseGRN


class GRNRegressor(RegressorMixin, BaseGRN):
    """Gated residual network regressor.

    A stack of :class:`~skgrn.layers.GatedResidualNetwork` blocks, optionally
    combined with a :class:`~skgrn.layers.SlowNetwork`, trained with Adam on
    the squared error. Targets are standardised inside the estimator (with
    the sample weights) and predictions come back in their original units.
    A 1-d ``y`` gives 1-d predictions, a 2-d ``y`` 2-d predictions.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of str, int or bool, or None, \
            default="from_dtype"
        Which columns of ``X`` are categorical. ``"from_dtype"`` takes the
        DataFrame columns of dtype ``category``, ``bool``, ``string`` and
        ``object`` columns holding strings or booleans, and the columns of an
        object array that hold strings; other columns are numeric, or dates.
        Column names, indices or a boolean mask declare the categorical
        columns explicitly (the others must then be numeric or dates);
        ``None`` makes every column numeric or a date. Categorical columns get
        a learned embedding of ``min(16, round(1.6 * n ** 0.56))`` values,
        ``n`` being the number of categories plus two codes for "unknown"
        (categories not seen at fit, or seen in a single training row) and
        "missing". There is no limit on the number of categories. Numeric
        columns are scaled by their median and interquartile range learned at
        fit, with values beyond three robust deviations compressed
        logarithmically; their missing values become the median plus a
        missing-value indicator. A DataFrame's datetime column (naive or
        aware) becomes numeric columns: its days since 1970 and its calendar
        parts that vary at fit (year, month, day, weekday, day of year, hour);
        a timedelta column its seconds.
    n_blocks : int or "auto", default="auto"
        Number of stacked gated residual network blocks. ``"auto"`` is 1
        under 2,000 training rows, where a second block over-fitted the
        development tables, and 2 from 2,000 rows on, where it was more
        accurate (see docs/defaults.md); ``partial_fit``'s first chunk decides.
    block_units : int, default=32
        Width of each block.
    slow_layers : int, default=0
        Number of hidden ReLU layers of the SlowNetwork; ``0`` leaves it out.
    slow_units : int, default=64
        Width of the SlowNetwork's hidden layers.
    slow_position : {"before", "after"}, default="after"
        Whether the SlowNetwork transforms the raw features before the GRN
        blocks or the blocks' output after them.
    dropout_rate : float, default=0.0
        Dropout rate inside each GRN block, in ``[0, 1)``. The ensemble and
        the L2 penalty already regularise the default network; dropout made
        it slower without making it more accurate (see docs/defaults.md).
    variable_selection : bool, default=False
        Start the network with a variable selection network, as in Temporal
        Fusion Transformers (Lim et al., 2021): each column (a numeric column
        with its missing-value indicator, or a categorical column's
        embedding) is embedded in 16 dimensions and transformed by its own
        gated residual network; a gated residual network over all of them
        gives softmax selection weights, and the blocks read the weighted sum.
        The average weights are ``feature_importances_``. Off by default:
        on the development tables it was less accurate on 4 of 10 and took
        about 3 times as long to fit (see docs/benchmarks.md).
    numeric_embedding : {"auto", "piecewise_linear", "periodic"}, None or a pair, \
            default="auto"
        How the network reads each numeric column. ``"piecewise_linear"``
        embeds a column through its quantile bins (up to 48 when the first
        fit has 2,000 rows or more, up to 16 below), learned at ``fit`` with
        the sample weights (Gorishniy et al., 2022), so that the network can
        learn threshold-like effects as trees do; ``"periodic"`` through
        learned frequencies (RealMLP's embedding); ``None`` reads the scaled
        value as one number. A pair of an embedding and ``None``, such as
        ``["piecewise_linear", None]``, trains both readings side by side:
        ``ensemble_size`` members read the embedding and as many others, with
        blocks of their own, the plain numbers, and the prediction averages
        all of them. ``"auto"`` is ``"piecewise_linear"`` from 2,000 rows on
        and ``["piecewise_linear", None]`` below, where the tables that trees
        win and those that linear models win pull apart and the pair was more
        accurate than either reading (see docs/defaults.md); ``partial_fit``'s
        first chunk decides.
    target_encoding : bool or "auto", default="auto"
        Give each numeric column whose values repeat (at least 10 distinct
        values, 5 training rows per value on average: codes, counts, a
        household's income in panel data) a second input: the mean target of
        each of its values, learned at ``fit`` with the sample weights and
        shrunk towards the overall mean where a value has few rows or
        scattered targets (as :class:`~sklearn.preprocessing.TargetEncoder`
        with ``smooth="auto"``). An occupation code or a school's number then
        reaches the network as its effect, which a tree finds by splitting
        on each value. In training, each call cuts its rows into 5 random
        folds and a row sees the means of the other folds' rows, so that the
        network learns how far to trust them; predictions use the means of
        all the first fit's rows. ``"auto"`` is ``True`` from 2,000 rows on,
        where it was more accurate on the development tables, and ``False``
        below (see docs/defaults.md); ``partial_fit``'s first chunk decides.
    ensemble_size : int or "auto", default="auto"
        Number of networks trained together and averaged. They share the
        blocks; each has its own trainable view of the input (initially
        random signs) and its own output layer, the "mini" parameter-efficient
        ensemble of TabM (Gorishniy et al., 2024). Averaging lowers the
        variance of the predictions at the price of ``ensemble_size`` times
        the arithmetic per row. ``"auto"`` averages 8 under 2000 training
        rows, where the predictions varied most between initialisations,
        and 4 from 2000 rows on. ``1`` trains a single network. A plain
        branch (see ``numeric_embedding``) doubles the members.
    alpha : float, default=1.0
        Strength of the L2 penalty on the dense kernels, as in
        :class:`~sklearn.neural_network.MLPRegressor`.
    batch_size : int or "auto", default="auto"
        Rows per minibatch. ``"auto"`` is 128 rows (all rows when fewer): on
        large tables more, smaller steps per epoch were more accurate than
        steps of 512 rows (see docs/defaults.md).
    learning_rate : {"constant", "adaptive"}, default="adaptive"
        Learning rate schedule of the Adam optimizer. ``"adaptive"`` divides
        the rate by 5 each time the monitored loss (validation loss with early
        stopping, training loss without) has not improved for
        ``n_iter_no_change // 2`` epochs; ``"constant"`` keeps
        ``learning_rate_init`` throughout.
    learning_rate_init : float, default=3e-3
        Initial learning rate of the Adam optimizer.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Minimum improvement of the monitored loss (training objective, or
        validation loss with ``early_stopping``) over the best epoch's that
        makes an epoch the new best.
    n_iter_no_change : int, default=10
        Training stops when this many epochs (plus one) have passed since the
        best epoch. The fit keeps the best epoch's weights (``best_epoch_``),
        not the last epoch's.
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the training rows, stop
        when their loss stops improving, and restore the weights of the best
        epoch. ``"auto"`` does so from 2000 training rows on; smaller tables
        train on every row, stopping when the training loss stops improving.
    validation_fraction : float, default=0.1
        Fraction of rows held out when early stopping is enabled.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. An int gives bit-identical refits; None gives a different
        network each fit. Global random state is never used or changed.
    verbose : int or bool, default=0
        0: silent. 1 (or True): one progress bar for the whole fit, with the
        epoch count (as in ``history_``), the training and validation loss
        and the early-stopping state (best epoch, epochs waited), saying when
        the first epoch compiles the network and, at the end, how the fit
        ended (early stop, converged, max_iter reached, interrupted,
        diverged) and which epoch's weights it kept; fits an 80-column
        terminal; hidden when stderr is neither a terminal nor a notebook's,
        so logs stay short. 2: a line per epoch on stdout, with its losses.
    warm_start : bool, default=False
        Continue training the previous network (and optimizer state) on
        ``fit`` instead of starting afresh.
    devices : list of str or None, default=None
        Train data-parallel on these TensorFlow devices (for example
        ``["/gpu:0", "/gpu:1"]``) with ``tf.distribute.MirroredStrategy``:
        each minibatch is split between the devices and their gradients are
        summed, which gives the single-device result up to floating-point
        rounding (with dropout, each device draws the same masks for its
        rows). ``None`` trains on TensorFlow's default device. Needs Keras'
        TensorFlow backend. See README, "Scaling out".

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when ``X`` has string column names.
    model_ : keras.Model
        The trained network; it outputs standardised targets (see
        ``target_mean_`` and ``target_scale_``).
    target_mean_ : ndarray of shape (n_outputs,)
        Weighted mean of each target, learned on the first call to fit.
    target_scale_ : ndarray of shape (n_outputs,)
        Weighted standard deviation of each target (1 where it is 0).
    history_ : dict
        ``{"loss": [...], "val_loss": [...], "val_score": [...], "objective":
        [...]}``, one value per epoch of every fit so far (``warm_start`` and
        ``partial_fit`` extend it). ``loss`` is the loss of the network's
        (ensemble-averaged) prediction on the training rows, averaged over the
        epoch's minibatches (with dropout); ``val_loss`` the same loss on the
        validation rows after the epoch and ``val_score`` the R² there,
        both NaN for epochs trained without early stopping; ``objective``
        what training minimises: the ensemble members' mean loss plus the L2
        penalty. ``pd.DataFrame(history_)`` makes it a table whose row ``i``
        is epoch ``i`` (epochs are numbered from 0 everywhere: ``best_epoch_``,
        the progress bar, the warnings), and :class:`~skgrn.HistoryDisplay`
        plots it.
    loss_curve_ : list of float
        ``history_["objective"]``: as ``MLPClassifier``'s, the loss training
        minimises (with the L2 penalty) at each epoch.
    validation_scores_ : list of float or None
        ``history_["val_score"]`` when the last fit early-stopped on validation
        rows (NaN for epochs of earlier fits without them), else None; as
        ``MLPClassifier``'s.
    best_loss_ : float or None
        The lowest value of ``loss_curve_``, None when the last fit
        early-stopped on validation rows; as ``MLPClassifier``'s.
    feature_importances_ : ndarray of shape (n_features_in_,)
        With ``variable_selection=True``: the network's selection weight of
        each column, averaged over the rows of the last ``fit`` or
        ``partial_fit`` call (with their sample weights). Non-negative, one
        value per column of ``X`` (a categorical column, a column with
        missing values or a date column counts once), summing to 1.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training rows seen, summed over epochs.
    best_epoch_ : int
        The epoch whose weights the network kept, numbered from 0 as the rows of
        ``pd.DataFrame(history_)``: the one of lowest validation loss with early
        stopping, of lowest ``objective`` without; an epoch counts as better
        only when it improves on the best by more than ``tol``. Not set by
        ``partial_fit``, which keeps its last weights.
    best_validation_loss_ : float
        With early stopping, the validation loss of that epoch.
    best_validation_score_ : float
        With early stopping, the R² of the restored network on the validation
        rows.

    See Also
    --------
    GRNClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : A plain multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skgrn import GRNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = GRNRegressor(random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> bool(reg.score(X, y) > 0.4)
    True
    """

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        n_blocks="auto",
        block_units=32,
        slow_layers=0,
        slow_units=64,
        slow_position="after",
        dropout_rate=0.0,
        variable_selection=False,
        numeric_embedding="auto",
        target_encoding="auto",
        ensemble_size="auto",
        alpha=1.0,
        batch_size="auto",
        learning_rate="adaptive",
        learning_rate_init=3e-3,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping="auto",
        validation_fraction=0.1,
        random_state=None,
        verbose=0,
        warm_start=False,
        devices=None,
    ):
        super().__init__(
            categorical_features=categorical_features,
            n_blocks=n_blocks,
            block_units=block_units,
            slow_layers=slow_layers,
            slow_units=slow_units,
            slow_position=slow_position,
            dropout_rate=dropout_rate,
            variable_selection=variable_selection,
            numeric_embedding=numeric_embedding,
            target_encoding=target_encoding,
            ensemble_size=ensemble_size,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            devices=devices,
        )

    # The target scaling and whether y was 1-d (see _export_state).
    _FITTED = (*BaseGRN._FITTED, "target_mean_", "target_scale_", "_y_ndim")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows; integer weights are equivalent to
            repeating rows.
        X_val : array-like of shape (n_val_samples, n_features), default=None
            Rows to early-stop on instead of a share of ``X`` (a later period,
            another shop): every row of ``X`` trains. A table like ``X`` (the
            same columns). Early stopping is then on unless
            ``early_stopping=False``, which refuses it. In a Pipeline, route it
            with ``set_fit_request(X_val=True, y_val=True)`` and let the steps
            before transform it with ``Pipeline(..., transform_input=["X_val"])``.
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), default=None
            Targets of the validation rows, as ``y``. Required with ``X_val``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Non-negative weights of the validation rows.

        Returns
        -------
        self : GRNRegressor
            The fitted estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing from the current state.

        The target scaling is learned on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self : GRNRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_targets(self, y, first_call, classes):
        if first_call:
            self._y_ndim = y.ndim
        elif y.ndim != self._y_ndim or (y.ndim == 2 and y.shape[1] != len(self.target_mean_)):
            raise ValueError(
                f"y has shape {y.shape}, but the network was fitted on "
                f"{'a 1-d y' if self._y_ndim == 1 else f'{len(self.target_mean_)} targets'}."
            )
        return y

    def _encode_targets(self, y, sample_weight, first_call):
        targets = y.reshape(y.shape[0], -1)
        if first_call:
            with np.errstate(over="ignore", invalid="ignore"):
                mean = np.average(targets, axis=0, weights=sample_weight)
                scale = np.sqrt(np.average((targets - mean) ** 2, axis=0, weights=sample_weight))
            if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
                raise ValueError(
                    "y is too large to standardise: the mean or spread of its values "
                    f"overflows float64 (largest |y| is {np.abs(targets).max():.3g}). "
                    "Rescale y, for example to other units."
                )
            self.target_mean_ = mean
            self.target_scale_ = np.where(scale > 0, scale, 1.0)
        return (targets - self.target_mean_) / self.target_scale_

    def _output_activation(self):
        return "linear"

    def _decode(self, outputs):
        with np.errstate(over="ignore"):
            scale, mean = (
                self.target_scale_.astype(outputs.dtype),
                self.target_mean_.astype(outputs.dtype),
            )
            values = outputs * scale + mean
        if not np.isfinite(values).all() and np.isfinite(outputs).all():
            # Targets near float32's limit (3.4e38) overflow it: return float64.
            values = outputs.astype(np.float64) * self.target_scale_ + self.target_mean_
        return values.ravel() if self._y_ndim == 1 else values

    def _score_outputs(self, outputs, y, sample_weight):
        return r2_score(y, self._decode(outputs), sample_weight=sample_weight)

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values, 1-d when the network was fitted on a 1-d ``y``.
        """
        return self._decode(self._forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
