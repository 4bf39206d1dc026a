"""Run benchmarks/tables.py with some of skgrn's private default constants changed.

The defaults that no parameter reaches (the bins of the piecewise-linear
embedding, the row count from which "auto" embeds numeric columns and adds
target means) are module constants of ``skgrn._base``; this sets them in its
own process only::

    python benchmarks/runs/probes/constants.py _EMBEDDING_BINS_LARGE=16 -- \\
        DATA_DIR --seeds 3 --models grn --tables ComputerPrices Wage

``_AUTO_ROWS=N`` is not a constant but moves the 2,000-row threshold of
``numeric_embedding="auto"`` and ``target_encoding="auto"`` to N rows (the
ninth round's mid-size probe). Arguments after ``--`` are tables.py's.
"""

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tables  # noqa: E402

import skgrn._base  # noqa: E402

AUTO_BY_ROWS_PARAMETERS = ("numeric_embedding", "target_encoding")


def move_auto_threshold(n_rows):
    """Make the "auto" embedding and target means start at ``n_rows`` rows."""
    original = skgrn._base.BaseGRN._auto_by_rows

    def auto_by_rows(self, name, rows, first_call, small, large):
        if name in AUTO_BY_ROWS_PARAMETERS and getattr(self, name) == "auto" and first_call:
            return large if rows >= n_rows else small
        return original(self, name, rows, first_call, small, large)

    skgrn._base.BaseGRN._auto_by_rows = auto_by_rows

    # The embedding (plain branch, bins) reads the rows through these two.
    def as_if(rows):
        return skgrn._base._LARGE_TABLE_ROWS if rows >= n_rows else 0

    reading = skgrn._base.BaseGRN._numeric_reading
    terms = skgrn._base.BaseGRN._embedding_terms
    skgrn._base.BaseGRN._numeric_reading = lambda self, rows, first_call: reading(
        self, as_if(rows), first_call
    )
    skgrn._base.BaseGRN._embedding_terms = lambda self, kind, rows, first_call: terms(
        self, kind, as_if(rows), first_call
    )


def main(argv):
    if "--" not in argv:
        sys.exit("usage: constants.py NAME=VALUE ... -- [tables.py arguments]")
    split = argv.index("--")
    for assignment in argv[:split]:
        name, _, value = assignment.partition("=")
        if name == "_AUTO_ROWS":
            move_auto_threshold(int(value))
            continue
        if not hasattr(skgrn._base, name):
            sys.exit(f"skgrn._base has no constant {name}")
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass  # a bare string such as piecewise_linear
        setattr(skgrn._base, name, value)
    tables.main(argv[split + 1 :])


if __name__ == "__main__":
    main(sys.argv[1:])
