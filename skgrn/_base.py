"""What GRNClassifier and GRNRegressor share: parameters, fitting (prepare, train
through skgrn._fit_loop, commit), prediction, and the fitted state that pickles
and skgrn.save hold. The subclasses only say how targets are encoded and decoded."""

import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from skgrn._embeddings import KINDS as EMBEDDING_KINDS
from skgrn._engine import check_devices, get_forward_pass, get_trainer, network_dtype
from skgrn._fit_loop import LoopSettings, run_epochs
from skgrn._network import (
    ColumnEmbedding,
    NetworkSpec,
    build_network,
    selection_weights,
    set_network_weights,
    stored_weights,
    weights_of,
)
from skgrn._tabular import TARGET_FOLDS, TableLayout, as_table, learn_layout, take_rows
from skgrn._version import __version__, check_version

# The "auto" settings treat tables from this many rows on as large: they hold
# out a validation set for early stopping, stack two blocks, average fewer
# ensemble members, embed the numeric columns in more bins without a plain
# branch beside the embedding, and add target means.
_LARGE_TABLE_ROWS = 2000
# n_blocks="auto": blocks on small and on large tables. A second block over-fitted
# the small development tables and was more accurate on the large ones.
_AUTO_BLOCKS_SMALL, _AUTO_BLOCKS_LARGE = 1, 2
# ensemble_size="auto": members on small tables, whose short steps cost about the
# same however many members share them, and on large tables, where each member
# adds arithmetic to every row and averaging removes less variance.
_AUTO_MEMBERS_SMALL, _AUTO_MEMBERS_LARGE = 8, 4
# batch_size="auto": minibatches of this many rows (all rows when fewer). On the
# 38 development tables 128 beat the earlier n // 10 within [128, 512].
_AUTO_BATCH = 128
# numeric_embedding: bins of a piecewise-linear embedding (on small and on large
# tables) and frequencies of a periodic one, per numeric column, and the width
# of each column's embedding. On the 23 development tables of 2,000 rows or
# more, 48 bins beat 16 by 0.0016 (5 seeds) and 64 were no better than 48; on
# the small ones, beside the plain branch, 16 beat 48 by 0.0023 (3 seeds).
_EMBEDDING_BINS_SMALL, _EMBEDDING_BINS_LARGE = 16, 48
_EMBEDDING_FREQUENCIES = 16
_EMBEDDING_UNITS = 4
# numeric_embedding="auto": piecewise-linear, which beat periodic by 0.002 on the
# large tables (5 seeds) in 0.94 times the time. Small tables also get a plain
# branch that reads each scaled value as one number: the embedding alone lost
# to the plain reading there, and the pair beat both (10 seeds).
_AUTO_NUMERIC_EMBEDDING = "piecewise_linear"
# Each category's embedding is scaled by n / (n + this), n its training rows: a
# prior that shrinks categories seen in a few rows (see ColumnEmbedding).
_CATEGORY_PRIOR_ROWS = 40
# Largest seed handed to the network builder, leaving room for the seeds it derives.
_MAX_SEED = 2**30


def _check_target_complete(y, name="y"):
    """Refuse a target with missing values (NaN, None, ``pd.NA``, ``NaT``) by name.

    scikit-learn's own check misses ``pd.NA`` in a pandas string or integer
    column (a ``TypeError`` from deep inside it) and reports None as "Input
    contains NaN" without saying which input.
    """
    if sp.issparse(y):
        missing = np.zeros(y.shape[0], bool)
        if y.dtype.kind in "fc":
            entries = y.tocoo()
            missing[entries.row[np.isnan(entries.data)]] = True
    else:
        try:
            values = y if isinstance(y, pd.DataFrame | pd.Series) else np.asarray(y)
        except ValueError:
            return  # ragged: the checks that follow say what is wrong
        missing = np.asarray(pd.isna(values))
        if missing.ndim == 0:
            return  # not an array: the same
        if missing.ndim > 1:
            missing = missing.reshape(missing.shape[0], -1).any(axis=1)
    n_missing = int(missing.sum())
    if n_missing:
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"The target {name} has missing values (NaN, None or pd.NA) in {n_missing} of "
            f"{missing.shape[0]} rows, the first at position {first}. Drop those rows, "
            "or fill the target in, before fitting."
        )


def _fitted_with_selection(estimator):
    """Whether the estimator's network selects variables: the fitted one's, or
    the parameter's before a fit (the method then raises NotFittedError)."""
    spec = getattr(estimator, "_spec", None)
    selects = estimator.variable_selection if spec is None else spec.variable_selection
    if not selects:
        raise AttributeError(
            "selection_weights needs a network fitted with variable_selection=True."
        )
    return True


def _check_rng(random_state):
    """A RandomState for this fit; ``None`` draws fresh entropy from the OS.

    Unlike ``check_random_state(None)``, this never touches NumPy's global
    random state, which ``fit`` must leave as it found it.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    return check_random_state(random_state)


@dataclass
class _Fit:
    """One call of fit or partial_fit, prepared: what training reads and the
    commit sets."""

    X: np.ndarray  # the encoded table
    targets: np.ndarray  # the encoded targets, in the table's dtype
    row_weight: np.ndarray  # the sample weights as given (without class weights)
    layout: object  # skgrn._tabular.TableLayout
    spec: NetworkSpec
    rng: np.random.RandomState  # the run's stream: new on a first fit, continued after
    model: object  # the network trained: new on a first fit, model_ when continuing
    optimizer_state: list | None
    history: dict  # the history so far, which training extends
    n_iter: int
    t: int
    incremental: bool
    devices: tuple | None
    train_rows: np.ndarray
    train_weight: np.ndarray  # the training rows' weights, zero on the others
    validation: tuple | None  # (X, targets, y, sample_weight) of early stopping's rows


def _continued_history(previous):
    """The history a fit extends: empty, or a copy of ``previous`` with one value
    of each kind per epoch (NaN where there is none, such as a validation loss
    without a validation split), so that ``pd.DataFrame(history_)`` has a row
    per epoch."""
    history = {"loss": [], "val_loss": [], "val_score": [], "objective": []}
    if previous is not None:
        history.update({name: list(values) for name, values in previous.items()})
    for values in history.values():
        values += [np.nan] * (len(history["loss"]) - len(values))
    return history


def _stop_message(stopped, n_iter, best_epoch):
    """The warning for a training run that ``stopped`` ("diverged" or "interrupted")
    after ``n_iter`` epochs in all. Epochs are named as the rows of ``history_``."""
    if best_epoch is not None:
        kept = f"the weights of epoch {best_epoch}, the best before it"
    elif stopped == "diverged":
        kept = "the weights training started from"
    else:
        kept = "the weights of the last completed epoch"
    if stopped == "diverged":
        return (
            f"Training diverged in epoch {n_iter - 1} (epochs count from 0, as the rows "
            f"of history_): the loss is no longer finite. The estimator keeps {kept}. "
            "Lower learning_rate_init."
        )
    return (
        f"Training was interrupted (KeyboardInterrupt) after {n_iter} epochs; "
        f"the estimator keeps {kept} (epochs count from 0, as the rows of history_)."
    )


def _lowest(losses):
    """The lowest finite loss of ``losses`` (NaN if none: training diverged at once)."""
    return min((loss for loss in losses if np.isfinite(loss)), default=np.nan)


def _mlp_curves(history, validated):
    """``MLPClassifier``'s names for parts of ``history``: ``loss_curve_``,
    ``validation_scores_`` and ``best_loss_``, for a fit that early-stopped on
    validation rows (``validated``) or not."""
    loss_curve = list(history["objective"])
    return {
        "loss_curve_": loss_curve,
        "validation_scores_": list(history["val_score"]) if validated else None,
        "best_loss_": None if validated else _lowest(loss_curve),
    }


def _state_counting_epochs_from_0(state):
    """A fitted state as this skgrn exports it, from one exported before epochs
    were numbered from 0 (as the rows of ``history_``): that one has no
    ``loss_curve_``, and its ``best_epoch_`` counted from 1."""
    if "loss_curve_" in state or "history_" not in state:
        return state  # today's, or not a fitted state (_import_state says so)
    state = dict(state)
    history = state["history_"] = {**state["history_"]}
    history.setdefault("val_score", [np.nan] * len(history["loss"]))
    state.update(_mlp_curves(history, validated="best_validation_loss_" in state))
    # The scores of the epochs were not kept; best_validation_score_ was.
    state["validation_scores_"] = None
    if "best_epoch_" in state:
        state["best_epoch_"] -= 1
    return state


class BaseGRN(BaseEstimator, metaclass=ABCMeta):
    """Base class of the GRN estimators; not for direct use."""

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "n_blocks": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "block_units": [Interval(Integral, 1, None, closed="left")],
        "slow_layers": [Interval(Integral, 0, None, closed="left")],
        "slow_units": [Interval(Integral, 1, None, closed="left")],
        "slow_position": [StrOptions({"before", "after"})],
        "dropout_rate": [Interval(Real, 0, 1, closed="left")],
        "variable_selection": ["boolean"],
        "numeric_embedding": [
            StrOptions({"auto", "piecewise_linear", "periodic"}),
            None,
            list,
            tuple,
        ],
        "target_encoding": [StrOptions({"auto"}), "boolean"],
        "ensemble_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "devices": [list, tuple, None],
    }

    @abstractmethod
    def __init__(
        self,
        *,
        categorical_features,
        n_blocks,
        block_units,
        slow_layers,
        slow_units,
        slow_position,
        dropout_rate,
        variable_selection,
        numeric_embedding,
        target_encoding,
        ensemble_size,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        random_state,
        verbose,
        warm_start,
        devices,
    ):
        self.categorical_features = categorical_features
        self.n_blocks = n_blocks
        self.block_units = block_units
        self.slow_layers = slow_layers
        self.slow_units = slow_units
        self.slow_position = slow_position
        self.dropout_rate = dropout_rate
        self.variable_selection = variable_selection
        self.numeric_embedding = numeric_embedding
        self.target_encoding = target_encoding
        self.ensemble_size = ensemble_size
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.devices = devices

    # -- what the subclasses provide ------------------------------------------------
    @abstractmethod
    def _validate_targets(self, y, first_call, classes):
        """Check ``y``, learn its encoding on the first call; return the cleaned ``y``."""

    @abstractmethod
    def _encode_targets(self, y, sample_weight, first_call):
        """The 2-D float array the network is trained to output."""

    @abstractmethod
    def _output_activation(self):
        """``"softmax"``, ``"sigmoid"`` or ``"linear"``."""

    def _target_sample_weight(self, y, sample_weight, incremental):
        """Hook for per-target weights (class weights); identity by default."""
        return sample_weight

    @abstractmethod
    def _score_outputs(self, outputs, y, sample_weight):
        """The estimator's ``score`` on rows of targets ``y`` for which the network
        output ``outputs``."""

    # -- fitting ----------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, *, incremental, classes=None, validation=None):
        # A call that fails, at any point and for any reason, leaves a fitted
        # estimator as it was: its attributes (checking the input sets some as
        # it goes), its network's weights (the end of training writes them in
        # place) and its random streams (a later fit gives what it would have).
        saved = dict(self.__dict__)
        weights = weights_of(self.model_) if "model_" in saved else None
        streams = [(stream, stream.get_state()) for stream in self._random_streams()]
        try:
            return self._fit_checked(X, y, sample_weight, incremental, classes, validation)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if weights is not None:
                self.model_.set_weights(weights)
            for stream, state in streams:
                stream.set_state(state)
            raise

    def _random_streams(self):
        """The RandomState objects a fit draws from: the running stream of
        warm_start and partial_fit, and a RandomState given as ``random_state``."""
        streams = (self.__dict__.get("_rng"), self.random_state)
        unique = {id(stream): stream for stream in streams}
        return [stream for stream in unique.values() if isinstance(stream, np.random.RandomState)]

    def _fit_checked(self, X, y, sample_weight, incremental, classes, validation):
        fit = self._prepare(X, y, sample_weight, incremental, classes, validation)
        result = self._train(fit)
        self._commit(fit, result)
        return self

    def _train(self, fit):
        """Train ``fit``'s network on a trainer (see skgrn._fit_loop.run_epochs)."""
        trainer = get_trainer(fit.spec, fit.devices)
        trainer.load(
            weights_of(fit.model),
            fit.optimizer_state,
            learning_rate=float(self.learning_rate_init),
            dropout_seed=int(fit.rng.randint(_MAX_SEED)),
        )
        n_rows = fit.train_rows.shape[0]
        # Normalised to mean 1 over the training rows; the others are never read.
        data = trainer.tensors(
            fit.X, fit.targets, fit.train_weight * (n_rows / fit.train_weight.sum())
        )
        validation = None
        if fit.validation is not None:
            X_val, targets_val, y_val, sw_val = fit.validation
            validation = (
                trainer.tensors(X_val, targets_val, sw_val / sw_val.mean()),
                lambda outputs: self._score_outputs(outputs, y_val, sw_val),
            )
        settings = LoopSettings(
            n_epochs=1 if fit.incremental else self.max_iter,
            incremental=fit.incremental,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            adaptive=self.learning_rate == "adaptive",
            learning_rate=float(self.learning_rate_init),
            verbose=self.verbose,
            name=type(self).__name__,
            batch_size=self._batch_size(n_rows),
            # A plain branch doubles the members the objective averages over: its
            # penalty is halved too, so that each branch trains as it would alone.
            penalty_scale=0.5 * self.alpha / fit.train_weight.sum() / fit.spec.n_branches,
        )
        return run_epochs(
            trainer,
            data,
            validation,
            fit.train_rows,
            fit.rng,
            settings,
            fit.history,
            fit.n_iter,
            fit.t,
        )

    def _prepare(self, X, y, sample_weight, incremental, classes, validation=None):
        """Check and encode the input and describe the network: a :class:`_Fit`.

        ``validation``, ``(X_val, y_val, sample_weight_val)`` as ``fit`` got
        them (or None), is the set early stopping monitors when ``X_val`` is
        given. Checking sets the attributes of the input (``n_features_in_``,
        ``classes_``, ...) as scikit-learn's checks do; nothing else of the
        estimator changes before the commit.
        """
        continuing = hasattr(self, "model_") and (incremental or self.warm_start)
        first_call = not continuing
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        validation = self._validation_given(validation)
        devices = check_devices(self.devices)
        X = self._check_table(X, reset=first_call)
        y, row_weight = self._checked_rows(X, y, sample_weight, first_call, classes)
        reading = self._numeric_reading(X.shape[0], first_call)
        terms = self._embedding_terms(reading[0], X.shape[0], first_call)
        sample_weight = self._target_sample_weight(y, row_weight, incremental)
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must not be all zero: there is nothing to learn from.")
        targets = self._encode_targets(y, sample_weight, first_call)
        # One random stream per training run, continued by warm_start and
        # partial_fit so that successive calls do not repeat shuffles.
        rng = _check_rng(self.random_state) if first_call else self._rng
        layout = (
            self._layout
            if continuing
            else self._learn_layout(X, row_weight, targets, reading, terms)
        )
        cross_fit = None
        if layout.target_means:
            # Drawn only here, so that tables without target means train as before.
            cross_fit = (targets, row_weight, rng.randint(TARGET_FOLDS, size=X.shape[0]))
        X = layout.encode(X, cross_fit=cross_fit)
        sample_weight = sample_weight.astype(X.dtype, copy=False)
        targets = targets.astype(X.dtype, copy=False)
        spec = self._network_spec(layout, X.shape[0], targets.shape[1], reading, terms, first_call)
        if validation is not None:
            validation = self._encoded_validation(layout, *validation)
            train_rows = np.arange(X.shape[0], dtype=np.int32)
            train_weight = sample_weight
        else:
            train_rows, train_weight, validation = self._split(
                X, y, targets, sample_weight, rng, incremental
            )
        if continuing:
            model, optimizer_state = self.model_, self._optimizer_state
            history, n_iter, t = _continued_history(self.history_), self.n_iter_, self.t_
        else:
            model, optimizer_state = self._new_network(spec, layout, X, row_weight, rng), None
            history, n_iter, t = _continued_history(None), 0, 0
        return _Fit(
            X=X,
            targets=targets,
            row_weight=row_weight,
            layout=layout,
            spec=spec,
            rng=rng,
            model=model,
            optimizer_state=optimizer_state,
            history=history,
            n_iter=n_iter,
            t=t,
            incremental=incremental,
            devices=devices,
            train_rows=train_rows,
            train_weight=train_weight,
            validation=validation,
        )

    def _learn_layout(self, X, row_weight, targets, reading, terms):
        """The table layout of a first fit (see skgrn._tabular.learn_layout)."""
        target_encoding = self._auto_by_rows("target_encoding", X.shape[0], True, False, True)
        return learn_layout(
            X,
            row_weight,
            self.categorical_features,
            n_bins=terms if reading[0] == "piecewise_linear" else 0,
            targets=targets if target_encoding else None,
        )

    def _network_spec(self, layout, n_rows, n_outputs, reading, terms, first_call):
        """The NetworkSpec of this fit; a continued fit must keep the previous one."""
        numeric_embedding, plain_branch = reading
        embedding = self._embedding_spec(
            numeric_embedding, terms, len(layout.numeric) + layout.n_target_columns
        )
        spec = NetworkSpec(
            n_features=layout.n_encoded,
            n_numeric=layout.n_numeric,
            embedding_rows=layout.embedding_rows,
            embedding_dims=layout.embedding_dims,
            n_outputs=n_outputs,
            output_activation=self._output_activation(),
            n_blocks=self._auto_by_rows(
                "n_blocks", n_rows, first_call, _AUTO_BLOCKS_SMALL, _AUTO_BLOCKS_LARGE
            ),
            block_units=self.block_units,
            slow_layers=self.slow_layers,
            slow_units=self.slow_units,
            slow_position=self.slow_position,
            dropout_rate=float(self.dropout_rate),
            ensemble_size=self._auto_by_rows(
                "ensemble_size", n_rows, first_call, _AUTO_MEMBERS_SMALL, _AUTO_MEMBERS_LARGE
            ),
            dtype=network_dtype(layout.dtype),
            variable_selection=bool(self.variable_selection),
            indicator_columns=layout.indicator_columns if self.variable_selection else (),
            target_columns=layout.target_columns if self.variable_selection else (),
            **embedding,
            # Without an embedded column both branches would read the same input.
            plain_branch=plain_branch and bool(embedding),
        )
        if not first_call and spec != self._spec:
            previous = self._spec.to_dict()
            changed = sorted(
                name for name, value in spec.to_dict().items() if previous[name] != value
            )
            raise ValueError(
                "warm_start and partial_fit continue training the same network, but "
                f"{', '.join(changed)} changed since the last fit. Set warm_start=False "
                "or restore the previous values."
            )
        return spec

    def _checked_rows(self, X, y, sample_weight, first_call, classes, name="y"):
        """``y`` and the rows' weights, checked against the checked table ``X``: no
        missing target (named ``name`` if there is), one per row, of a kind the
        estimator fits (learned on a first call)."""
        _check_target_complete(y, name=name)
        y = _check_y(y, multi_output=True, y_numeric=is_regressor(self), estimator=self)
        check_consistent_length(X, y)
        y = self._validate_targets(y, first_call, classes)
        return y, _check_sample_weight(sample_weight, X, ensure_non_negative=True)

    def _validation_given(self, validation):
        """``(X_val, y_val, sample_weight_val)`` when ``fit`` was given a validation
        set, None when not; the arguments that go together are checked here."""
        if validation is None or all(part is None for part in validation):
            return None
        X_val, y_val, _ = validation
        if X_val is None or y_val is None:
            if X_val is None and y_val is None:
                given, missing = "sample_weight_val", "X_val and y_val"
            else:
                given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{given} was given without {missing}: pass both X_val and y_val.")
        if self.early_stopping != "auto" and not self.early_stopping:
            raise ValueError(
                "X_val and y_val are the set early stopping monitors, but "
                "early_stopping=False. Set early_stopping=True or 'auto', or do not "
                "pass them."
            )
        return validation

    def _encoded_validation(self, layout, X_val, y_val, sample_weight_val):
        """The validation set ``fit`` was given, checked against the training data and
        encoded as the internal split's: ``(X, targets, y, sample_weight)``."""
        try:
            table = self._check_table(X_val, reset=False)
            y_val, weight = self._checked_rows(
                table, y_val, sample_weight_val, first_call=False, classes=None, name="y_val"
            )
            X_encoded = layout.encode(table)
        except (ValueError, TypeError) as error:
            # A column of the wrong type (a date column given text) is a TypeError.
            kind = ValueError if isinstance(error, ValueError) else TypeError
            raise kind(f"The validation set (X_val, y_val) is not usable: {error}") from error
        # Class weights apply to the validation rows as to the internal split's; the
        # rule that training needs two classes does not (incremental=True skips it).
        weight = self._target_sample_weight(y_val, weight, incremental=True)
        if not weight.sum() > 0:
            raise ValueError("sample_weight_val must not be all zero: there is nothing to monitor.")
        targets = self._encode_targets(y_val, weight, first_call=False).astype(X_encoded.dtype)
        return X_encoded, targets, y_val, weight.astype(X_encoded.dtype, copy=False)

    def _split(self, X, y, targets, sample_weight, rng, incremental):
        """The training rows, their weights (zero elsewhere) and the validation
        part ``(X, targets, y, sample_weight)`` of early stopping, or None."""
        if self.early_stopping == "auto":
            early_stopping = X.shape[0] >= _LARGE_TABLE_ROWS
        else:
            early_stopping = bool(self.early_stopping)
        # Training visits the rows in train_rows; the encoded table itself is
        # never copied, as it can be most of the memory a large fit uses.
        train_rows = np.arange(X.shape[0], dtype=np.int32)
        if not early_stopping or incremental:
            return train_rows, sample_weight, None
        stratify = y if self._stratify_validation(y) else None
        train_rows, val_rows = train_test_split(
            train_rows, test_size=self.validation_fraction, random_state=rng, stratify=stratify
        )
        train_weight = np.zeros_like(sample_weight)
        train_weight[train_rows] = sample_weight[train_rows]
        sw_val = sample_weight[val_rows]
        for part, weights in (("validation", sw_val), ("training", train_weight)):
            if not weights.sum() > 0:
                raise ValueError(
                    f"The {part} part of the early-stopping split has zero total "
                    "sample_weight; change validation_fraction or the weights."
                )
        return (
            train_rows,
            train_weight,
            (take_rows(X, val_rows), targets[val_rows], y[val_rows], sw_val),
        )

    @staticmethod
    def _new_network(spec, layout, X, row_weight, rng):
        """A first fit's network, initialised from ``rng``, with the layout's bins
        and its categories' shrinkage (from the encoded rows ``X``)."""
        model = build_network(spec, seed=int(rng.randint(_MAX_SEED)))
        if spec.numeric_embedding == "piecewise_linear":
            model.get_layer("numeric_embedding").set_bins(
                [column.bin_edges for column in layout.numeric]
            )
        if layout.categorical:
            factors = [
                rows / (rows + _CATEGORY_PRIOR_ROWS) for rows in layout.code_rows(X, row_weight)
            ]
            for layer in model.layers:
                if isinstance(layer, ColumnEmbedding):
                    layer.set_shrinkage(factors)
        return model

    def _commit(self, fit, result):
        """Set the estimator's fitted state from a prepared fit and its training."""
        self._rng, self._layout, self._spec, self.model_ = fit.rng, fit.layout, fit.spec, fit.model
        if result.weights is not None:
            self.model_.set_weights(result.weights)
        self._optimizer_state = result.optimizer_state
        self.history_ = result.history
        self.n_iter_, self.t_ = result.n_iter, result.t
        vars(self).update(_mlp_curves(result.history, validated=fit.validation is not None))
        if fit.spec.variable_selection:
            self.feature_importances_ = self._feature_importances(fit.X, fit.row_weight)
        else:
            self.__dict__.pop("feature_importances_", None)
        # Attributes of a previous fit would describe another model.
        for name in ("best_epoch_", "best_validation_loss_", "best_validation_score_"):
            self.__dict__.pop(name, None)
        if result.best_epoch is not None:
            self.best_epoch_ = result.best_epoch
            if fit.validation is not None:
                self.best_validation_loss_ = result.best_loss
                self.best_validation_score_ = result.history["val_score"][result.best_epoch]
        if result.stopped is not None:
            category = RuntimeWarning if result.stopped == "diverged" else UserWarning
            message = _stop_message(result.stopped, self.n_iter_, result.best_epoch)
            warnings.warn(message, category, stacklevel=6)
        elif not fit.incremental and not result.converged:
            warnings.warn(
                f"Maximum iterations ({self.max_iter}) reached and the optimization "
                "hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=6,
            )

    def _feature_importances(self, X, sample_weight):
        """The mean selection weight of each table column over the encoded rows ``X``."""
        weights = selection_weights(self.model_, X, self._spec.chunk_rows)
        importances = np.zeros(self.n_features_in_)
        # A date column is several variables: its importance is their sum.
        np.add.at(
            importances,
            self._layout.variable_positions,
            np.average(weights.astype(np.float64), axis=0, weights=sample_weight),
        )
        # Each row's weights sum to 1 up to rounding; so does their average.
        return importances / importances.sum()

    def _auto_by_rows(self, name, n_rows, first_call, small, large):
        """Parameter ``name`` as set or, for "auto", ``small`` under
        ``_LARGE_TABLE_ROWS`` rows and ``large`` from there. The first fit's
        rows decide: warm_start and partial_fit continue that network."""
        value = getattr(self, name)
        if value != "auto":
            return value
        if not first_call:
            return getattr(self._spec, name)
        return large if n_rows >= _LARGE_TABLE_ROWS else small

    def _numeric_reading(self, n_rows, first_call):
        """The numeric embedding of the network and whether a plain branch joins it.

        ``numeric_embedding`` as a pair of an embedding and None asks for both
        branches; "auto" is piecewise-linear, with a plain branch under
        ``_LARGE_TABLE_ROWS`` rows. The first fit decides, as for
        :meth:`_auto_by_rows`.
        """
        value = self.numeric_embedding
        if value == "auto":
            if not first_call:
                return self._spec.numeric_embedding, self._spec.plain_branch
            return _AUTO_NUMERIC_EMBEDDING, n_rows < _LARGE_TABLE_ROWS
        if isinstance(value, (list, tuple)):
            readings = list(value)
            embeddings = [reading for reading in readings if reading is not None]
            if (
                len(readings) != 2
                or len(embeddings) != 1
                or not isinstance(embeddings[0], str)
                or embeddings[0] not in EMBEDDING_KINDS
            ):
                raise ValueError(
                    "numeric_embedding as a list must pair one embedding "
                    f"({' or '.join(map(repr, EMBEDDING_KINDS))}) with None, such as "
                    f"['piecewise_linear', None]; got {value!r}."
                )
            return embeddings[0], True
        return value, False

    def _embedding_terms(self, numeric_embedding, n_rows, first_call):
        """Bins (piecewise-linear) or frequencies (periodic) per embedded column.

        Bins are fewer under ``_LARGE_TABLE_ROWS`` rows, where the quantiles of
        a few hundred rows are noisy; the first fit's rows decide.
        """
        if numeric_embedding == "periodic":
            return _EMBEDDING_FREQUENCIES
        if numeric_embedding is None:
            return 0
        if not first_call:
            return self._spec.embedding_terms
        return _EMBEDDING_BINS_LARGE if n_rows >= _LARGE_TABLE_ROWS else _EMBEDDING_BINS_SMALL

    @staticmethod
    def _embedding_spec(numeric_embedding, terms, n_numeric):
        """The NetworkSpec fields of the numeric embedding of ``n_numeric`` columns."""
        if numeric_embedding is None or n_numeric == 0:
            return {}
        return {
            "numeric_embedding": numeric_embedding,
            "n_embedded": n_numeric,
            "embedding_terms": terms,
            "numeric_units": _EMBEDDING_UNITS,
        }

    def _stratify_validation(self, y):
        return False

    def _batch_size(self, n_rows):
        if self.batch_size == "auto":
            return min(n_rows, _AUTO_BATCH)
        if self.batch_size > n_rows:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_rows} training rows; "
                "using full-batch steps.",
                stacklevel=6,
            )
        return min(self.batch_size, n_rows)

    # -- prediction -------------------------------------------------------------------
    def _check_table(self, X, reset):
        """``X`` checked as a table, with its column names and count checked against fit."""
        X = as_table(X)
        names = getattr(self, "feature_names_in_", None)
        if not reset and names is not None and isinstance(X, pd.DataFrame):
            # The fitted table's names, in order: all validate_data checks here, in
            # 5 us instead of its 0.2 ms (one record scored at a time).
            if np.array_equal(np.asarray(X.columns, dtype=object), names):
                return X
        # Only the names and the count: as_table has checked the values.
        validate_data(self, X, reset=reset, skip_check_array=True)
        return X

    def _forward(self, X):
        """Validate and encode ``X``; return the network's outputs for it."""
        check_is_fitted(self)
        X = self._layout.encode(self._check_table(X, reset=False))
        return self._network_outputs(X)

    def _network_outputs(self, X):
        """The network's outputs (probabilities or scaled values) for a validated ``X``."""
        outputs = get_forward_pass(self._spec)(self.model_, X)
        # Outside TensorFlow a float64 table runs through a float32 network.
        return outputs.astype(self._layout.dtype, copy=False)

    @available_if(_fitted_with_selection)
    def selection_weights(self, X):
        """How much the network reads each column of ``X``, row by row.

        With ``variable_selection=True`` the network weighs the table's
        columns for each row (the softmax of the variable selection network
        of Temporal Fusion Transformers); these are those weights.
        ``feature_importances_`` is their average over the training rows.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features_in_)
            Rows of a table like the one ``fit`` saw.

        Returns
        -------
        weights : pandas.DataFrame of shape (n_samples, n_features_in_)
            One column per column of ``X``, named as in the fitted table
            (``x0``, ``x1``, ... without names), and ``X``'s index when it
            is a DataFrame. Non-negative; each row sums to 1. A categorical
            column or a column with missing values counts once, a date
            column once (the sum of its features' weights); a column the
            network does not read gets 0.
        """
        check_is_fitted(self)
        table = self._check_table(X, reset=False)
        encoded = self._layout.encode(table)
        weights = np.zeros((encoded.shape[0], self.n_features_in_))
        variables = selection_weights(self.model_, encoded, self._spec.chunk_rows)
        np.add.at(weights.T, self._layout.variable_positions, variables.T)  # dates: a sum
        weights /= weights.sum(axis=1, keepdims=True)  # 1 up to the network's rounding
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{column}" for column in range(self.n_features_in_)]
        index = table.index if isinstance(table, pd.DataFrame) else None
        return pd.DataFrame(weights, index=index, columns=names)

    def summary(self, print_fn=None):
        """Print the layers of the fitted network, their output shapes and weight counts.

        Keras' ``model_.summary()``, for a fitted estimator.

        Parameters
        ----------
        print_fn : callable, default=None
            Called with each line of the summary instead of printing it
            (for example ``lines.append``).
        """
        check_is_fitted(self)
        self.model_.summary(print_fn=print_fn)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Missing values are encoded (see skgrn._tabular); infinity is refused.
        tags.input_tags.allow_nan = True
        return tags

    # -- fitted state: what pickles and skgrn.save hold ------------------------------
    #: Fitted attributes of every fitted estimator, exported under their own names
    #: by _export_state. Subclasses add those of their targets.
    _FITTED = (
        "n_features_in_",
        "_layout",
        "_spec",
        "_rng",
        "history_",
        "n_iter_",
        "t_",
        "loss_curve_",
        "validation_scores_",
        "best_loss_",
    )
    #: ...and fitted attributes only some fits set.
    _FITTED_IF_SET = (
        "feature_names_in_",
        "feature_importances_",
        "best_epoch_",
        "best_validation_loss_",
        "best_validation_score_",
    )

    def _export_state(self):
        """The fitted state, as pickles and :func:`skgrn.save` store it: ``(state, weights)``.

        ``state`` maps the names of ``_FITTED`` (and those of ``_FITTED_IF_SET``
        that the fit set) to their values; its values are JSON values, NumPy
        arrays and scalars, pandas indexes, a RandomState, a TableLayout (with
        its column dataclasses) and a NetworkSpec, and nothing else, so that
        :func:`skgrn.save` can write them as JSON. ``weights`` are the
        network's weights in the order files store them
        (:func:`skgrn._network.stored_weights`); the spec builds the network
        they fit. An unfitted estimator exports ``({}, None)``.

        The parameters are not part of it (``get_params`` gives them), nor are
        Adam's moments, which a reloaded estimator restarts. :meth:`_import_state`
        sets what this returns; subclasses that extend one extend the other.
        """
        if "model_" not in vars(self):
            return {}, None
        state = {name: getattr(self, name) for name in self._FITTED}
        state.update((name, vars(self)[name]) for name in self._FITTED_IF_SET if name in vars(self))
        return state, stored_weights(self.model_)

    def _import_state(self, state, weights):
        """Set the fitted state :meth:`_export_state` exported on an estimator whose
        parameters are set and that holds no fitted state.

        Builds the network once, from the spec, and sets ``weights`` on it
        (through :func:`skgrn._network.set_network_weights`, which reads the
        weight shapes of older versions). A state that is not one
        :meth:`_export_state` could have exported raises ``ValueError``.
        """
        if not state and weights is None:
            return  # unfitted
        state = _state_counting_epochs_from_0(state)
        missing = sorted(set(self._FITTED) - set(state))
        unknown = sorted(set(state) - set(self._FITTED) - set(self._FITTED_IF_SET))
        if missing or unknown or weights is None:
            raise ValueError(
                f"Not a fitted state of {type(self).__name__}: missing {missing}, unknown "
                f"{unknown}, {'no' if weights is None else len(weights)} network weights."
            )
        if not isinstance(state["_spec"], NetworkSpec) or not isinstance(
            state["_layout"], TableLayout
        ):
            raise ValueError(
                f"Not a fitted state of {type(self).__name__}: its network spec or table "
                "layout is of the wrong type."
            )
        model = build_network(state["_spec"], seed=0)
        set_network_weights(model, weights)
        vars(self).update(state)
        self.model_, self._optimizer_state = model, None

    @classmethod
    def _from_whole_dict(cls, attributes):
        """A pickle of the layout :meth:`__getstate__` writes, from the layout an
        older skgrn pickled (and ``skgrn.save`` wrote as format 1): the whole
        ``__dict__``, with ``_model_weights`` for ``model_``. Subclasses add the
        state of their targets."""
        attributes = dict(attributes)
        # Estimators pickled before numeric_embedding existed read columns as numbers...
        attributes.setdefault("numeric_embedding", None)
        # ...and before target_encoding existed, without target means.
        attributes.setdefault("target_encoding", False)
        fitted = (*cls._FITTED, *cls._FITTED_IF_SET)
        pickled = {
            "params": {
                name: attributes[name] for name in cls._get_param_names() if name in attributes
            },
            "state": {name: attributes[name] for name in fitted if name in attributes},
            "weights": attributes.get("_model_weights"),
        }
        if "_metadata_request" in attributes:
            pickled["_metadata_request"] = attributes["_metadata_request"]
        return pickled

    # -- pickling: parameters, fitted state and weights, never a TensorFlow object ----
    def __getstate__(self):
        state, weights = self._export_state()
        pickled = {
            "_skgrn_version": __version__,
            "params": self.get_params(deep=False),
            "state": state,
            "weights": weights,
        }
        # scikit-learn's metadata routing requests (set_fit_request and the like).
        if "_metadata_request" in vars(self):
            pickled["_metadata_request"] = self._metadata_request
        return pickled

    def __setstate__(self, pickled):
        pickled = dict(pickled)
        check_version(type(self).__name__, pickled.pop("_skgrn_version", "before 0.1.0"))
        if "params" not in pickled:  # pickled before the state was explicit
            pickled = self._from_whole_dict(pickled)
        vars(self).update(pickled["params"])
        if "_metadata_request" in pickled:
            self._metadata_request = pickled["_metadata_request"]
        self._import_state(pickled["state"], pickled["weights"])
