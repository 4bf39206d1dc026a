"""What ``fit`` learns about the columns of ``X``, and the encoding it implies.

:func:`learn_layout` looks at the training table once and returns a
:class:`TableLayout`: which columns are numeric and which categorical, the
center and spread that scale each numeric column, and the categories of each
categorical one. ``fit`` and ``predict`` both encode tables with
:meth:`TableLayout.encode`, and the network builder reads the layout's
:attr:`~TableLayout.n_numeric`, :attr:`~TableLayout.cardinalities` and
:attr:`~TableLayout.embedding_dims`; nothing is re-derived at predict time.

The encoded table is one float matrix: first the scaled numeric columns, then
one missing-value indicator per numeric column that had missing values at
fit, then one integer code per categorical column. Code 0 is "unknown"
(a category not seen at fit, or seen in a single row), code 1 is "missing",
codes 2 and up are the categories seen at fit.

Numeric columns are scaled robustly: minus their median, over their
interquartile range (as :class:`~sklearn.preprocessing.RobustScaler` with
``unit_variance=True``), then compressed logarithmically beyond three robust
standard deviations, so heavy tails and outliers cannot dominate the network
while linear relations in the bulk of the data stay linear. (A quantile
transform to a normal, tried first, lost 0.02 to 0.05 R-squared on the small
near-linear development tables.) Medians, quartiles and categories are learned
with the sample weights, so integer weights are exactly equivalent to repeated
rows. Missing numeric values become the median (0 after scaling) plus the
indicator.

Numeric columns whose values repeat like codes, counts or a household's
income in a panel (at least :data:`TARGET_MIN_VALUES` distinct values and
:data:`TARGET_ROWS_PER_VALUE` training rows per value) can also get their
*target means*: for each value,
the mean encoded target of its training rows, shrunk towards the mean of all
rows (empirical Bayes, as scikit-learn's ``TargetEncoder(smooth="auto")``).
A network reading a school's number or an occupation code as one scaled
number would need many units to carve its effect value by value; a tree
splits on it, and the mean gives the network that effect as one input. The
means a training row sees are cross-fitted: each training call cuts its rows
into :data:`TARGET_FOLDS` random folds, and a row sees the means of the other
folds' rows, so that the network cannot learn to trust a mean that contains
its own target. Predictions use the means of all the first fit's rows. The
columns follow the scaled numeric ones in the encoding.

For the network's numeric embeddings (see :mod:`skgrn._embeddings`), each
numeric column also keeps the edges of its quantile bins, in the scaled
units the network reads: weighted quantiles at evenly spaced levels, so that
integer weights give the edges of repeated rows, with repeated values merged.

Datetime columns (naive or time-zone aware) and timedelta columns of a
DataFrame become a few numeric columns each, learned at fit (a
:class:`DateColumn`): a datetime its days since 1970 (from the UTC instant
where it has a zone) and those of its calendar parts (:data:`CALENDAR_PARTS`,
read in the column's own zone) that vary in the training rows, a timedelta its
seconds. From there they are numeric columns like the others: scaled, binned,
given an indicator where values are missing (``NaT``), and target means. They
follow one another in :attr:`TableLayout.numeric` where their column stands
in the table.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as pdtypes
from sklearn.utils.validation import check_array

#: Robust z-scores beyond this magnitude are compressed logarithmically.
SOFT_CLIP = 3.0
#: Codes 0 and 1 of every categorical column.
UNKNOWN_CODE, MISSING_CODE = 0, 1
_FIRST_CATEGORY_CODE = 2
#: DataFrames of at most this many rows are encoded by TableLayout._encode_few_rows.
FEW_ROWS = 64
#: Categories seen in fewer training rows (of positive weight) share the
#: "unknown" code: one row cannot teach an embedding, and pooling them trains
#: the code that unseen categories get at predict time.
MIN_CATEGORY_ROWS = 2
#: Widest embedding of one categorical column.
MAX_EMBEDDING_DIM = 16
#: Target means (see the module docstring) are learned for numeric columns with
#: at least this many distinct values...
TARGET_MIN_VALUES = 10
#: ...and at least this many training rows per value on average.
TARGET_ROWS_PER_VALUE = 5
#: Folds of the cross-fitted target means.
TARGET_FOLDS = 5
#: The calendar parts a datetime column may give besides its days since 1970,
#: each kept where it varies in the training rows, the weekday only where the
#: day of the month varies too (see :func:`date_features`).
CALENDAR_PARTS = ("year", "month", "day", "weekday", "day of year", "hour")
#: Most rows handled at once wherever a table is taken in pieces: encoding its
#: numeric columns (bounding the float64 working copies) and running a network
#: over it (skgrn._network.MAX_CHUNK_ROWS).
CHUNK_ROWS = 16384
#: Alignment of the encoded table, in bytes: what TensorFlow needs to use an
#: array's memory without copying it (Eigen's widest vector alignment).
ALIGNMENT = 64


def embedding_rows(n_codes):
    """Rows of the embedding table of a column with ``n_codes`` codes
    (categories + unknown + missing): ``n_codes`` rounded up to a power of two, at least 8.

    The network's shape, and so the key of the cache of traced trainers, then
    stays the same when another split of the same table (a cross-validation
    fold, a new seed) keeps a few more or fewer categories: the fit reuses the
    traced training step instead of spending a second or more tracing a new
    one. The spare rows are never looked up, as codes stop at ``n_codes``.
    """
    return max(8, 1 << (int(n_codes) - 1).bit_length())


def embedding_dim(n_rows):
    """Embedding width for an embedding table of ``n_rows`` rows.

    fast.ai's rule of thumb, ``1.6 * n ** 0.56``, capped at
    :data:`MAX_EMBEDDING_DIM`: 5 for up to 6 categories, 8 for up to 14,
    11 for up to 30, 16 from 31 categories on.
    """
    return int(min(MAX_EMBEDDING_DIM, max(2, round(1.6 * n_rows**0.56))))


@dataclass
class NumericColumn:
    label: str  # how messages name the column
    center: float  # weighted median
    spread: float  # robust standard deviation: IQR / 1.349, or a fallback
    has_indicator: bool  # missing values were seen at fit
    # Increasing edges of the column's quantile bins, in scaled units (one
    # more than its bins); empty when no bins were asked for.
    bin_edges: tuple = ()

    def scale(self, values):
        """``values`` (float64, no NaN) in the units the network reads."""
        return _soft_clip((np.asarray(values, dtype=np.float64) - self.center) / self.spread)


@dataclass
class TargetMeans:
    """The target means of one numeric column (see the module docstring).

    ``means`` has a row per value in ``values``, then a row of zeros for
    values not seen at fit and missing values, and a column per encoded
    target: each value's shrunk mean minus the mean of all rows, divided by
    ``spread``, the target's robust standard deviation of these means over
    the training rows.
    """

    column: int  # position among the layout's numeric columns
    values: np.ndarray  # the column's distinct training values, increasing
    means: np.ndarray  # (len(values) + 1, outputs), scaled as the network reads them
    spread: np.ndarray  # (outputs,)

    @property
    def width(self):
        return self.means.shape[1]

    def index(self, values):
        """The row of ``means`` of each of ``values`` (float64, NaN for missing)."""
        index = np.minimum(np.searchsorted(self.values, values), len(self.values) - 1)
        index[self.values[index] != values] = len(self.values)
        return index

    def cross_fitted(self, index, targets, weights, folds):
        """The means each row sees in training: its value's, learned from the rows
        of the other folds, scaled as :attr:`means`.

        ``index`` is each row's value (:meth:`index`), ``folds`` its fold.
        """
        n_values = len(self.values)
        # Weighted sums per fold and value; the spare value n_values collects the
        # rows that count for nothing (missing or unseen value).
        cell = folds * (n_values + 1) + index
        weights = np.where(index < n_values, weights, 0.0)

        def sums_of_other_folds(per_row):
            sums = np.bincount(cell, weights * per_row, minlength=TARGET_FOLDS * (n_values + 1))
            sums = sums.reshape(TARGET_FOLDS, n_values + 1)
            return sums.sum(axis=0) - sums

        counts = sums_of_other_folds(1.0)
        seen = np.empty((index.size, self.width))
        for output in range(self.width):
            target = targets[:, output].astype(np.float64)
            means = _shrunk_means(
                counts, sums_of_other_folds(target), sums_of_other_folds(target**2)
            )
            means[:, n_values] = 0.0
            seen[:, output] = _soft_clip(means[folds, index] / self.spread[output])
        return seen


@dataclass
class CategoricalColumn:
    label: str
    categories: pd.Index  # the categories seen at fit, in code order from 2

    @property
    def n_codes(self):
        return len(self.categories) + _FIRST_CATEGORY_CODE

    @property
    def codes_by_value(self):
        """``{category: code}`` of text or boolean categories, built on first use
        (None for others, whose equality a dict may not share with pandas'): for
        a few rows, a dict finds codes about fifty times faster than
        ``categories.get_indexer``."""
        if "_codes_by_value" not in self.__dict__:  # None is cached too
            kinds = {type(category) for category in self.categories}
            codes = None
            if kinds <= {str} or kinds <= {bool, np.bool_}:
                codes = {
                    category: code
                    for code, category in enumerate(self.categories, start=_FIRST_CATEGORY_CODE)
                }
            self.__dict__["_codes_by_value"] = codes
        return self.__dict__["_codes_by_value"]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_codes_by_value", None)  # a cache, rebuilt on first use
        return state


#: What a date column is at fit, as messages name it, by its kind and whether it
#: has a time zone.
_DATE_DESCRIPTIONS = {
    ("datetime", False): "naive datetimes (dtype datetime64 without a time zone)",
    ("datetime", True): "time-zone aware datetimes (dtype datetime64 with a time zone)",
    ("timedelta", False): "timedeltas (dtype timedelta64)",
}


@dataclass
class DateColumn:
    """A datetime or timedelta column and the numeric features it gives: its
    entries of :attr:`TableLayout.numeric`, in the order of ``features``."""

    label: str
    kind: str  # "datetime" or "timedelta"
    timezone: object  # an aware column's zone (its name, as str gives it), else None
    features: tuple  # the names of its features, e.g. ("days since 1970", "month")

    def feature_label(self, feature):
        """How messages name one of its features: ``column 'when' (month)``."""
        return f"{self.label} ({feature})"

    def check(self, values):
        """Refuse ``values``, the column at predict, unless it holds what was fitted."""
        if _date_kind(values) != self.kind or (
            self.kind == "datetime" and (values.dt.tz is None) != (self.timezone is None)
        ):
            convert = (
                "pd.to_timedelta"
                if self.kind == "timedelta"
                else "pd.to_datetime, Series.dt.tz_localize or Series.dt.tz_convert"
            )
            raise TypeError(
                f"{self.label.capitalize()} held "
                f"{_DATE_DESCRIPTIONS[self.kind, self.timezone is not None]} at fit, but now "
                f"has dtype {values.dtype}; convert it as at fit ({convert})."
            )

    def encode(self, values):
        """Its features of ``values`` (checked by :meth:`check`): a float64 matrix."""
        return date_features(values, self.features, self.timezone)


def _date_kind(values):
    """``"datetime"`` or ``"timedelta"`` for a Series of that dtype, else None."""
    if not isinstance(values, pd.Series):
        return None
    if pdtypes.is_datetime64_any_dtype(values.dtype):
        return "datetime"
    if pdtypes.is_timedelta64_dtype(values.dtype):
        return "timedelta"
    return None


def _days_since_1970(values):
    """Days since 1970-01-01 as a float; an aware column's from its UTC instant."""
    if values.dt.tz is not None:
        values = values.dt.tz_convert(None)
    return (values.to_numpy() - np.datetime64(0, "s")) / np.timedelta64(1, "D")


def _time_of_day(values):
    """Hours since midnight, minutes and seconds as fractions."""
    return values.dt.hour + values.dt.minute / 60 + values.dt.second / 3600


#: How each feature of a date column is read from the Series (a datetime one in its
#: own zone).
_DATE_FEATURES = {
    "days since 1970": _days_since_1970,
    "seconds": lambda values: values.to_numpy() / np.timedelta64(1, "s"),
    "year": lambda values: values.dt.year,
    "month": lambda values: values.dt.month,
    "day": lambda values: values.dt.day,
    "weekday": lambda values: values.dt.day_of_week,  # Monday 0
    "day of year": lambda values: values.dt.day_of_year,
    "hour": _time_of_day,
}


def date_features(values, features, timezone=None):
    """The float64 matrix of ``features`` (names of :data:`_DATE_FEATURES`) of the
    datetime or timedelta Series ``values``, a column per feature, NaN where a
    value is missing (``NaT``). Calendar parts of an aware column are read in
    ``timezone``, the fitted zone, whatever the zone of ``values``."""
    if timezone is not None:
        values = values.dt.tz_convert(timezone)
    matrix = np.empty((len(values), len(features)))
    for out, feature in enumerate(features):
        column = _DATE_FEATURES[feature](values)
        if isinstance(column, pd.Series):
            column = column.to_numpy(dtype=np.float64, na_value=np.nan)
        matrix[:, out] = column
    return matrix


def _learn_date_column(values, label, kind, positive):
    """The :class:`DateColumn` of a training column: its elapsed time, and the
    calendar parts that vary over the rows of positive weight."""
    if kind == "timedelta":
        return DateColumn(label=label, kind=kind, timezone=None, features=("seconds",))
    timezone = None if values.dt.tz is None else str(values.dt.tz)
    parts = date_features(values[positive], CALENDAR_PARTS, timezone)
    varies = np.nanmin(parts, axis=0, initial=np.inf) < np.nanmax(parts, axis=0, initial=-np.inf)
    kept = [part for part, keep in zip(CALENDAR_PARTS, varies, strict=True) if keep]
    if "day" not in kept and "weekday" in kept:
        # Dates to the month: their weekdays are those of the months' first days.
        kept.remove("weekday")
    return DateColumn(
        label=label, kind=kind, timezone=timezone, features=("days since 1970", *kept)
    )


@dataclass
class TableLayout:
    """The columns of the training table and how to encode them.

    ``kinds[i]`` is ``"numeric"``, ``"categorical"``, ``"datetime"`` or
    ``"timedelta"`` for column ``i``. ``numeric`` holds a NumericColumn for
    each numeric column and for each feature of each date column, in column
    order.
    """

    kinds: list
    numeric: list = field(default_factory=list)  # NumericColumn, in column order
    categorical: list = field(default_factory=list)  # CategoricalColumn, in column order
    dtype: str = "float64"  # what the network computes in
    target_means: list = field(default_factory=list)  # TargetMeans, in column order
    dates: list = field(default_factory=list)  # DateColumn, in column order

    def __setstate__(self, state):
        # Layouts pickled before target means and date columns existed have none.
        self.__dict__.update({"target_means": [], "dates": [], **state})

    @property
    def n_target_columns(self):
        """Width of the target means in the encoding."""
        return sum(means.width for means in self.target_means)

    @property
    def target_columns(self):
        """For each column of target means, its column's index among the numeric columns."""
        return tuple(means.column for means in self.target_means for _ in range(means.width))

    @property
    def n_indicators(self):
        return sum(column.has_indicator for column in self.numeric)

    @property
    def n_numeric(self):
        """Width of the float part of the encoding (scaled values, target means, indicators)."""
        return len(self.numeric) + self.n_target_columns + self.n_indicators

    @property
    def cardinalities(self):
        return tuple(column.n_codes for column in self.categorical)

    @property
    def embedding_rows(self):
        return tuple(embedding_rows(n) for n in self.cardinalities)

    @property
    def embedding_dims(self):
        return tuple(embedding_dim(n) for n in self.embedding_rows)

    @property
    def indicator_columns(self):
        """For each missing-value indicator, its column's index among the numeric columns."""
        return tuple(i for i, column in enumerate(self.numeric) if column.has_indicator)

    @property
    def variable_positions(self):
        """For each variable of the network (numeric columns and the features of
        date columns, then categorical columns), the position of its column in
        the table: a date column's once per feature."""
        return np.array(
            [position for position, _, features in self._numeric_sources() for _ in features]
            + self._positions("categorical"),
            dtype=np.intp,
        )

    def _numeric_sources(self):
        """``(position, date, features)`` for each numeric or date column, in table
        order: its position in the table, its DateColumn (None for a numeric
        column) and the slice of :attr:`numeric` that it fills."""
        dates = iter(self.dates)
        sources, start = [], 0
        for position, kind in enumerate(self.kinds):
            if kind == "categorical":
                continue
            date = None if kind == "numeric" else next(dates)
            width = 1 if date is None else len(date.features)
            sources.append((position, date, range(start, start + width)))
            start += width
        return sources

    def _numeric_features(self, X, features=None):
        """The numeric features of the rows of ``X`` (all, or those at the indices
        ``features`` of :attr:`numeric`) as a float64 matrix, NaN for missing.

        Numeric columns are read together (:func:`_numeric_matrix`); each date
        column gives its features by :meth:`DateColumn.encode`.
        """
        if features is None:
            features = range(len(self.numeric))
        if not self.dates:
            positions = self._positions("numeric")
            labels = [self.numeric[index].label for index in features]
            return _numeric_matrix(X, [positions[index] for index in features], labels)
        # Only the columns that give the features asked for are read.
        wanted = set(features)
        sources = [source for source in self._numeric_sources() if wanted.intersection(source[2])]
        matrix = np.empty((X.shape[0], len(self.numeric)))
        plain = [(position, out[0]) for position, date, out in sources if date is None]
        if plain:
            positions, outs = zip(*plain, strict=True)
            matrix[:, list(outs)] = _numeric_matrix(
                X, list(positions), [self.numeric[out].label for out in outs]
            )
        for position, date, out in sources:
            if date is not None:
                matrix[:, out.start : out.stop] = date.encode(_column(X, position))
        return matrix[:, list(features)]

    def _check_dates(self, X):
        """Refuse ``X`` unless each date column holds what it held at fit."""
        if not self.dates:
            return  # the common case, on every predict: no walk over the columns
        for position, date, _ in self._numeric_sources():
            if date is not None:
                date.check(_column(X, position))

    @property
    def n_encoded(self):
        return self.n_numeric + len(self.categorical)

    def encode(self, X, cross_fit=None):
        """The float matrix the network reads, for a table checked by :func:`as_table`.

        The numeric columns are scaled together, :data:`CHUNK_ROWS` rows at a
        time, so the only full-size array made is the result. Target means are
        those learned at fit, or with ``cross_fit=(targets, weights, folds)``
        (training rows: their encoded targets, weights and folds) each row's
        value's mean over the rows of ``X`` in the other folds.
        """
        few_rows = isinstance(X, pd.DataFrame) and X.shape[0] <= FEW_ROWS
        if few_rows and cross_fit is None and not self.dates:
            encoded = self._encode_few_rows(X)
            if encoded is not None:
                return encoded
        self._check_dates(X)
        encoded = aligned_empty((X.shape[0], self.n_encoded), self.dtype)
        categorical_positions = self._positions("categorical")
        if self.numeric:
            for start in range(0, X.shape[0], CHUNK_ROWS):
                rows = slice(start, start + CHUNK_ROWS)
                self._scale_numbers(self._numeric_features(_rows(X, rows)), encoded, rows)
        for out, (position, column) in enumerate(
            zip(categorical_positions, self.categorical, strict=True), start=self.n_numeric
        ):
            values = np.asarray(_column(X, position), dtype=object)
            codes = column.categories.get_indexer(values) + _FIRST_CATEGORY_CODE
            codes[codes < _FIRST_CATEGORY_CODE] = UNKNOWN_CODE
            codes[pd.isna(values)] = MISSING_CODE
            encoded[:, out] = codes
        if self.target_means:
            self._encode_target_means(X, encoded, cross_fit)
        return encoded

    def _positions(self, kind):
        """The positions in the table of the columns of ``kind``."""
        return [position for position, each in enumerate(self.kinds) if each == kind]

    def _encode_few_rows(self, X):
        """:meth:`encode` for a DataFrame of a few rows (one record scored by a
        service), bit for bit, or None where it does not apply.

        Pandas' per-column selection and index lookups cost tens of
        microseconds each, several times the network's forward pass on one
        row; here the frame becomes one object array, numbers convert in one
        step and text categories are found in a dict. It applies when every
        numeric column has a numeric dtype and holds no ``pd.NA``, and every
        categorical column was fitted on text or booleans; other frames take
        the general path, which also says what is wrong with bad values. Tables
        with date columns take the general path, whose reading of a date column
        costs little more than this one's would.
        """
        numeric_positions = self._positions("numeric")
        categorical_positions = self._positions("categorical")
        dtypes = list(X.dtypes)  # indexing the Series costs 10 us a column
        if not all(pdtypes.is_numeric_dtype(dtypes[p]) for p in numeric_positions):
            return None
        if any(column.codes_by_value is None for column in self.categorical):
            return None
        values = X.to_numpy(dtype=object)
        try:
            numbers = values[:, numeric_positions].astype(np.float64)
        except (TypeError, ValueError):  # pd.NA in a nullable column
            return None
        encoded = aligned_empty((X.shape[0], self.n_encoded), self.dtype)
        if self.numeric:
            numbers = _refuse_infinity(numbers, [column.label for column in self.numeric])
            self._scale_numbers(numbers, encoded, slice(None))
        for out, (position, column) in enumerate(
            zip(categorical_positions, self.categorical, strict=True), start=self.n_numeric
        ):
            column_values = values[:, position]
            codes = column.codes_by_value
            try:
                found = [codes.get(value, UNKNOWN_CODE) for value in column_values]
            except TypeError:  # an unhashable value: the general path decides
                return None
            missing = pd.isna(column_values)
            encoded[:, out] = np.where(missing, MISSING_CODE, found)
        if self.target_means:
            self._encode_target_means(X, encoded, None, numbers=numbers)
        return encoded

    def _scale_numbers(self, values, encoded, rows):
        """Write the scaled numeric ``values`` and their missing-value indicators
        into ``encoded[rows]``."""
        centers = np.array([column.center for column in self.numeric])
        spreads = np.array([column.spread for column in self.numeric])
        indicators = np.array([column.has_indicator for column in self.numeric])
        n_scaled = len(self.numeric)
        first_indicator = n_scaled + self.n_target_columns
        missing = np.isnan(values)
        scaled = _soft_clip((values - centers) / spreads)
        scaled[missing] = 0.0
        encoded[rows, :n_scaled] = scaled
        encoded[rows, first_indicator : self.n_numeric] = missing[:, indicators]

    def _encode_target_means(self, X, encoded, cross_fit, numbers=None):
        """Fill the target means' columns of ``encoded`` (see :meth:`encode`);
        ``numbers``, the numeric columns already read, where there are."""
        out = len(self.numeric)
        for means in self.target_means:
            if numbers is not None:
                index = means.index(numbers[:, means.column])
            else:
                index = np.concatenate(
                    [
                        means.index(self._numeric_features(_rows(X, rows), [means.column])[:, 0])
                        for rows in (
                            slice(start, start + CHUNK_ROWS)
                            for start in range(0, X.shape[0], CHUNK_ROWS)
                        )
                    ]
                )
            columns = slice(out, out + means.width)
            if cross_fit is None:
                encoded[:, columns] = means.means[index]
            else:
                encoded[:, columns] = means.cross_fitted(index, *cross_fit)
            out += means.width

    def code_rows(self, encoded, sample_weight):
        """Rows of each code of each categorical column in ``encoded`` (what
        :meth:`encode` returned), counted by sample weight as repeated rows would be:
        one array per column, indexed by code."""
        return [
            np.bincount(
                encoded[:, self.n_numeric + index].astype(np.intp),
                weights=sample_weight,
                minlength=column.n_codes,
            )
            for index, column in enumerate(self.categorical)
        ]


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array whose data starts on an :data:`ALIGNMENT` boundary."""
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(n_bytes + ALIGNMENT, dtype=np.uint8)
    offset = -buffer.ctypes.data % ALIGNMENT
    return buffer[offset : offset + n_bytes].view(dtype).reshape(shape)


def take_rows(array, rows):
    """``array[rows]`` for a 2-d array, in an array aligned as :func:`aligned_empty` aligns."""
    taken = aligned_empty((len(rows), array.shape[1]), array.dtype)
    np.take(array, rows, axis=0, out=taken)
    return taken


# -- reading tables ---------------------------------------------------------------------
def as_table(X):
    """``X`` as a DataFrame or a 2-d ndarray, with the usual checks on shape and type.

    DataFrames keep their column dtypes. Other input goes through
    :func:`~sklearn.utils.check_array` without a dtype conversion, so object
    arrays keep their strings and NaN passes through.
    """
    if isinstance(X, pd.DataFrame):
        if X.ndim != 2 or X.shape[1] == 0:
            raise ValueError(f"X has {X.shape[1]} columns; at least one is required.")
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
            )
        return X
    X = check_array(X, dtype=None, ensure_all_finite=False)
    if X.dtype.kind in "mM":
        raise TypeError(
            f"X is a NumPy array of dtype {X.dtype}; pass its dates as a column of a "
            "pandas DataFrame, where datetime and timedelta columns become numeric features."
        )
    if X.dtype.kind not in "biufO":
        # Fixed-width strings (dtype "<U..."): let columns be inferred as from objects.
        X = X.astype(object)
    return X


def _column(X, position):
    if isinstance(X, pd.DataFrame):
        return X.iloc[:, position]
    return X[:, position]


def _rows(X, rows):
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows]
    return X[rows]


def _column_label(X, position):
    """How error messages name a column: ``column 'age'`` or ``column 3``."""
    if isinstance(X, pd.DataFrame):
        return f"column {str(X.columns[position])!r}"
    return f"column {position}"


def _numeric_values(values, label):
    """``values`` as a float64 array with NaN for missing; inf and non-numbers refused."""
    if isinstance(values, pd.Series):
        is_object = pdtypes.is_object_dtype(values.dtype)
        if _date_kind(values) is not None:  # at predict: date columns are dates at fit
            raise TypeError(
                f"{label.capitalize()} has dtype {values.dtype}, but held numbers at fit."
            )
        if isinstance(values.dtype, pd.PeriodDtype):
            raise TypeError(
                f"{label.capitalize()} has dtype {values.dtype}; convert it with "
                "Series.dt.to_timestamp(), and its dates become numeric features."
            )
        if not is_object and not pdtypes.is_numeric_dtype(values.dtype):
            raise TypeError(
                f"{label.capitalize()} has dtype {values.dtype}, which is not numeric; "
                "declare it in categorical_features (or leave categorical_features as "
                "'from_dtype') to treat it as categorical."
            )
        if is_object:
            values = values.to_numpy(dtype=object)
        else:
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if values.dtype == object:
        # None and pd.NA mean missing; anything else must convert to a number.
        values = np.where(pd.isna(values), np.nan, values)
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError) as error:
            if pd.api.types.infer_dtype(values, skipna=True) in _DATE_OBJECT_KINDS:
                raise TypeError(
                    f"{label.capitalize()} holds dates or durations as Python objects; "
                    "convert it with pd.to_datetime (or pd.to_timedelta), and its values "
                    "become numeric features."
                ) from error
            raise type(error)(
                f"{label.capitalize()} holds values that are not numbers ({error}); declare it in "
                "categorical_features to treat it as categorical."
            ) from error
    else:
        values = np.asarray(values, dtype=np.float64)
    if np.isinf(values).any():
        raise _infinity_error(label)
    return values


#: What pandas infers for an object column of dates, times or durations.
_DATE_OBJECT_KINDS = {
    "datetime",
    "datetime64",
    "date",
    "time",
    "timedelta",
    "timedelta64",
    "period",
}


def _infinity_error(label):
    return ValueError(
        f"Input X contains infinity in {label}; replace it with a finite value or NaN (missing)."
    )


def _numeric_matrix(X, positions, labels):
    """The columns of ``X`` at ``positions`` as one float64 matrix, NaN for missing.

    Arrays and DataFrames of numbers convert in one step; other columns go
    through :func:`_numeric_values` one by one, which names a column that
    cannot convert.
    """
    if isinstance(X, pd.DataFrame):
        if all(pdtypes.is_numeric_dtype(X.dtypes.iloc[p]) for p in positions):
            values = X.iloc[:, positions].to_numpy(dtype=np.float64, na_value=np.nan)
            return _refuse_infinity(values, labels)
    elif X.dtype.kind in "biuf":
        values = X[:, positions] if len(positions) < X.shape[1] else X
        return _refuse_infinity(values.astype(np.float64), labels)
    values = np.empty((X.shape[0], len(positions)))
    for out, (position, label) in enumerate(zip(positions, labels, strict=True)):
        values[:, out] = _numeric_values(_column(X, position), label)
    return values


def _refuse_infinity(values, labels):
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        raise _infinity_error(labels[np.argmax(infinite)])
    return values


_NUMBER_KINDS = {"empty", "integer", "floating", "mixed-integer-float", "decimal"}
_TEXT_KINDS = {"string", "bytes", "boolean", "categorical", "mixed-integer"}


def _holds_text(values):
    """Whether an object column holds strings or booleans, making it categorical.

    Other objects (a dict, say) leave the column numeric, so that converting it
    fails with a clear error instead of creating a category per object.
    """
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in _NUMBER_KINDS or kind in _TEXT_KINDS:
        return kind in _TEXT_KINDS
    return any(isinstance(value, (str, bytes, bool, np.bool_)) for value in values)


def _kind_from_dtype(values):
    date_kind = _date_kind(values)
    if date_kind is not None:
        return date_kind
    if isinstance(values, pd.Series):
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype) or pdtypes.is_bool_dtype(dtype):
            return "categorical"
        if pdtypes.is_object_dtype(dtype):
            return "categorical" if _holds_text(values.to_numpy()) else "numeric"
        if pdtypes.is_string_dtype(dtype):
            return "categorical"
        return "numeric"
    if values.dtype == object:
        return "categorical" if _holds_text(values) else "numeric"
    if values.dtype.kind == "b":
        return "categorical"
    return "numeric"


def _column_kinds(X, categorical_features):
    """``"numeric"``, ``"categorical"``, ``"datetime"`` or ``"timedelta"`` for each
    column of ``X``. Columns not declared categorical are numeric, or dates where
    their dtype says so."""
    n_columns = X.shape[1]
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        return [_kind_from_dtype(_column(X, i)) for i in range(n_columns)]
    undeclared = [
        _date_kind(_column(X, i)) or "numeric" if isinstance(X, pd.DataFrame) else "numeric"
        for i in range(n_columns)
    ]
    if categorical_features is None:
        return undeclared

    declared = np.asarray(categorical_features)
    if declared.ndim != 1:
        raise ValueError("categorical_features must be a 1-d array-like.")
    if declared.dtype.kind == "b":
        if declared.shape[0] != n_columns:
            raise ValueError(
                f"categorical_features is a boolean mask of {declared.shape[0]} values, but "
                f"X has {n_columns} columns."
            )
        positions = np.flatnonzero(declared)
    elif declared.dtype.kind in "iu":
        bad = declared[(declared < -n_columns) | (declared >= n_columns)]
        if bad.size:
            raise ValueError(
                f"categorical_features has indices {bad.tolist()} out of range for X with "
                f"{n_columns} columns."
            )
        positions = declared % n_columns
    elif declared.size == 0:
        positions = np.array([], dtype=int)
    elif declared.dtype.kind in "UO":
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                "categorical_features names columns, but X has no column names; pass a "
                "DataFrame or give column indices."
            )
        names = [str(name) for name in X.columns]
        missing = [name for name in declared.tolist() if name not in names]
        if missing:
            raise ValueError(f"categorical_features names columns {missing} that X lacks.")
        positions = [names.index(name) for name in declared.tolist()]
    else:
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or an array of column names, "
            f"indices or a boolean mask; got dtype {declared.dtype}."
        )
    kinds = undeclared
    for position in positions:
        kinds[int(position)] = "categorical"
    return kinds


# -- learning ---------------------------------------------------------------------------
def learn_layout(X, sample_weight, categorical_features, n_bins=0, targets=None):
    """Describe the columns of the training table ``X`` (from :func:`as_table`).

    With ``n_bins > 0``, each numeric column also gets the edges of up to
    ``n_bins`` quantile bins. With ``targets`` (the encoded targets, one row
    per row of ``X``), the numeric columns whose values repeat get their
    target means.
    """
    kinds = _column_kinds(X, categorical_features)
    positive = sample_weight > 0
    layout = TableLayout(kinds=kinds, dtype=_float_dtype(X))
    repeating = {}  # numeric column -> its values, for the target means

    def add_numeric(values, label):
        present = positive & ~np.isnan(values)
        center, spread = _robust_location_scale(values[present], sample_weight[present])
        column = NumericColumn(
            label=label,
            center=center,
            spread=spread,
            has_indicator=bool(np.isnan(values[positive]).any()),
        )
        if n_bins:
            column.bin_edges = _bin_edges(column, values[present], sample_weight[present], n_bins)
        if targets is not None and _values_repeat(values[present], sample_weight[present]):
            repeating[len(layout.numeric)] = values
        layout.numeric.append(column)

    for position, kind in enumerate(kinds):
        label = _column_label(X, position)
        values = _column(X, position)
        if kind == "numeric":
            add_numeric(_numeric_values(values, label), label)
        elif kind in ("datetime", "timedelta"):
            date = _learn_date_column(values, label, kind, positive)
            layout.dates.append(date)
            for feature, feature_values in zip(date.features, date.encode(values).T, strict=True):
                add_numeric(feature_values, date.feature_label(feature))
        else:
            values = pd.Series(np.asarray(values, dtype=object))
            present = positive & ~values.isna().to_numpy()
            counts = values[present].value_counts(sort=False)
            categories = counts.index[counts.to_numpy() >= MIN_CATEGORY_ROWS].to_numpy()
            try:
                categories = np.sort(categories)
            except TypeError:  # mixed types, e.g. strings and numbers: keep first-seen order
                pass
            layout.categorical.append(
                CategoricalColumn(label=label, categories=pd.Index(categories, dtype=object))
            )
    layout.target_means = [
        _learn_target_means(column, values, targets, sample_weight)
        for column, values in repeating.items()
    ]
    return layout


def _values_repeat(values, weights):
    """Whether a numeric column's training values (no NaN) get target means: at
    least :data:`TARGET_MIN_VALUES` distinct values, each in
    :data:`TARGET_ROWS_PER_VALUE` rows on average (counted by weight)."""
    n_values = np.unique(values).size
    return n_values >= TARGET_MIN_VALUES and weights.sum() >= TARGET_ROWS_PER_VALUE * n_values


def _learn_target_means(column, values, targets, weights):
    """The :class:`TargetMeans` of numeric column ``column``, whose training values
    (NaN for missing) are ``values``: sums of weights, as repeated rows would
    give them."""
    present = (weights > 0) & ~np.isnan(values)
    distinct = np.unique(values[present])
    index = np.searchsorted(distinct, values[present])
    weights = weights[present]
    counts = np.bincount(index, weights, minlength=distinct.size)[None]
    means = np.zeros((distinct.size + 1, targets.shape[1]))
    spread = np.ones(targets.shape[1])
    for output in range(targets.shape[1]):
        target = targets[present, output].astype(np.float64)
        sums, squares = (
            np.bincount(index, weights * power, minlength=distinct.size)[None]
            for power in (target, target**2)
        )
        shrunk = _shrunk_means(counts, sums, squares)[0]
        _, spread[output] = _robust_location_scale(shrunk[index], weights)
        means[:-1, output] = _soft_clip(shrunk / spread[output])
    return TargetMeans(column=column, values=distinct, means=means, spread=spread)


def _shrunk_means(counts, sums, squares):
    """Each value's mean target minus the mean of all rows, shrunk towards 0.

    ``counts``, ``sums`` and ``squares`` are the weighted sums of 1, the
    target and its square per (table, value). A value's mean is shrunk by
    ``n / (n + s2 / S2)``, ``n`` its rows, ``s2`` the variance of their
    targets and ``S2`` that of all the table's rows: empirical Bayes, as
    scikit-learn's ``TargetEncoder(smooth="auto")``. A value without rows
    gets 0, the mean of all rows.
    """
    # A table can lack rows (all weight in one fold): its values all get 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        total = counts.sum(axis=1, keepdims=True)
        prior = sums.sum(axis=1, keepdims=True) / total
        variance = np.maximum(squares.sum(axis=1, keepdims=True) / total - prior**2, 0.0)
        mean = sums / counts
        within = np.maximum(squares / counts - mean**2, 0.0)
        shrunk = counts * variance / (counts * variance + within) * (mean - prior)
    return np.where((counts > 0) & (variance > 0), shrunk, 0.0)


def _float_dtype(X):
    """The precision the network computes in: the input's, where it has one.

    A float64 array, or a DataFrame whose columns are all float64, trains in
    float64, so that the two give the same model (scikit-learn's
    check_regressor_data_not_an_array compares them). Everything else trains
    in float32, Keras' default and about twice as fast a step: float32
    arrays, and tables with integer, boolean, categorical or text columns,
    whose values carry no float64 precision to keep.
    """
    if isinstance(X, pd.DataFrame):
        float64 = len(X.columns) > 0 and all(dtype == np.float64 for dtype in X.dtypes)
    else:
        float64 = X.dtype == np.float64
    return "float64" if float64 else "float32"


def _weighted_quantiles(values, weights, levels):
    """Quantiles by the inverted weighted CDF.

    Cumulative weights are compared to ``level * total`` rather than
    normalised, so integer weights give bit-identical quantiles to repeated
    rows.
    """
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    positions = np.searchsorted(cumulative, np.asarray(levels) * cumulative[-1], side="left")
    return values[np.minimum(positions, values.size - 1)]


def _robust_location_scale(values, weights):
    """Weighted median and a robust standard deviation of a numeric column.

    The spread is the interquartile range over 1.349 (the standard deviation
    for normal data). Where more than half the rows share one value and the
    IQR is 0, it falls back to 1.2533 times the mean absolute deviation from
    the median (again the standard deviation for normal data), then to 1.
    """
    if values.size == 0:
        return 0.0, 1.0
    lower, center, upper = _weighted_quantiles(values, weights, [0.25, 0.5, 0.75])
    spread = (upper - lower) / 1.349
    if not spread > 0:
        spread = 1.2533 * np.average(np.abs(values - center), weights=weights)
    if not spread > 0:
        spread = 1.0
    return float(center), float(spread)


def _bin_edges(column, values, weights, n_bins):
    """Edges of up to ``n_bins`` quantile bins of one column, in scaled units.

    The edges are the weighted quantiles at levels 0, 1/n_bins, ..., 1 (the
    smallest and largest values included), scaled as the network sees them;
    equal edges (a value that fills more than one bin) are merged, so a
    column with k distinct values has at most k - 1 bins, and a constant
    column none.
    """
    if values.size == 0:
        return (0.0,)
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.unique(column.scale(_weighted_quantiles(values, weights, levels)))
    return tuple(edges.tolist())


def _soft_clip(z):
    """Identity within :data:`SOFT_CLIP` robust deviations, logarithmic beyond.

    Linear relations in the bulk of the data reach the network unchanged,
    while an outlier of 1e12 becomes about 30 instead of 1e12.

    Works in place on the float array ``z`` and returns it.
    """
    outside = np.abs(z) > SOFT_CLIP
    if outside.any():
        tail = z[outside]
        z[outside] = np.sign(tail) * (SOFT_CLIP + np.log1p(np.abs(tail) - SOFT_CLIP))
    return z
