"""TensorFlow's thread pools in joblib's worker processes; imported first by skgrn."""

import os


def follow_thread_limit():
    """Limit TensorFlow's thread pools as ``OMP_NUM_THREADS`` limits other libraries.

    joblib's worker processes (``n_jobs`` in a search) set ``OMP_NUM_THREADS``
    to their share of the cores; TensorFlow ignores it and would start a pool
    as large as the machine in every worker. Explicit ``TF_NUM_INTRAOP_THREADS``
    and ``TF_NUM_INTEROP_THREADS`` win. This must run before TensorFlow starts
    its runtime, so it runs when skgrn is imported.
    """
    limit = os.environ.get("OMP_NUM_THREADS", "")
    if limit.isdigit() and int(limit) > 0:
        for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
            os.environ.setdefault(name, limit)


follow_thread_limit()
