"""The progress bar of ``verbose=1``: one bar for a whole fit, advanced once an epoch.

tqdm draws it: a widget in Jupyter with ipywidgets, text on stderr in a terminal
or in a notebook without ipywidgets, and nothing at all when stderr is neither a
terminal nor a notebook's, so that the logs of scripts and CI jobs stay short.
tqdm is imported only when a bar is asked for: ``import skgrn`` does not import it.
"""

import math
import sys
from functools import cache


def in_jupyter_kernel():
    """Whether this process is a Jupyter kernel (notebook, JupyterLab, VS Code, Colab...).

    The detection of ``tqdm.autonotebook``, plus a check that IPython runs a kernel's
    shell. A kernel's stderr is not a terminal, yet shows what is written to it, so
    the bar is drawn there although tqdm would hide it (``disable=None``).
    """
    if "IPython.utils._process_emscripten" in sys.modules:  # JupyterLite
        return True
    zmqshell = sys.modules.get("ipykernel.zmqshell")
    ipython = sys.modules.get("IPython")
    if zmqshell is None or ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    kernel_shell = getattr(zmqshell, "ZMQInteractiveShell", None)
    return kernel_shell is not None and isinstance(shell, kernel_shell)


@cache
def _bar_class(notebook):
    """The tqdm class ``tqdm.auto`` would pick, without its import-time warning.

    In a kernel without ipywidgets ``tqdm.auto`` warns (TqdmWarning) and falls back
    to the text bar; here the fallback is silent.
    """
    from tqdm.std import tqdm as base

    if notebook:
        from tqdm import notebook as tqdm_notebook

        if tqdm_notebook.IProgress is not None:
            base = tqdm_notebook.tqdm

    class EpochBar(base):
        # No monitor thread: it would outlive the fit (tqdm starts one per process).
        monitor_interval = 0
        # Set before close: training ended as planned, maybe early (converged).
        finished = False

        def close(self):
            super().close()
            container = getattr(self, "container", None)
            if self.finished and container is not None:
                # The widget turns red when n < total; an early stop is a success.
                container.children[1].bar_style = "success"

    return EpochBar


#: The text of the bar: short enough for an 80-column terminal to keep the
#: count, the bar and the losses (tqdm's rate and ETA would say little: the
#: first epoch compiles, and early stopping ends a fit before its total).
BAR_FORMAT = "{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed}{postfix}"


def _number(value):
    return f"{value:.4g}"


class EpochProgress:
    """One progress bar for a fit of at most ``total`` epochs; a context manager.

    Parameters
    ----------
    total : int
        Epochs the fit runs unless it stops early: ``max_iter``, 1 for ``partial_fit``.
    desc : str, default=None
        The bar's label.
    patience : int, default=None
        ``n_iter_no_change``, shown beside the epochs without improvement; None where
        training does not stop early (``partial_fit``).
    show : bool, default=True
        False: no bar, and tqdm is not imported.
    file : file-like, default=None
        Where the text bar goes; None is ``sys.stderr``.
    initial : int, default=0
        Epochs run before this fit (``warm_start``, ``partial_fit``): the bar counts
        on from there, so that its count is ``n_iter_`` and the epochs it names
        (``best_epoch``) are the rows of ``history_``.
    compiling : bool, default=False
        Whether the first epoch traces the network, which takes seconds: the bar
        says so until that epoch ends.

    The bar closes when the ``with`` block ends, however it ends, saying how the fit
    ended when :meth:`finish` was called. It stays on screen where training stopped
    (for example 12/200 after early stopping).
    """

    def __init__(
        self, total, *, desc=None, patience=None, show=True, file=None, initial=0, compiling=False
    ):
        self.total = total
        self.desc = desc
        self.patience = patience
        self.show = show
        self.file = file
        self.initial = initial
        self.compiling = compiling
        self._bar = None
        self._finite = True
        self._success = True

    def __enter__(self):
        if self.show:
            notebook = in_jupyter_kernel()
            self._bar = _bar_class(notebook)(
                total=self.initial + self.total,
                initial=self.initial,
                desc=self.desc,
                unit="epoch",
                file=self.file,
                miniters=1,
                dynamic_ncols=True,
                bar_format=BAR_FORMAT,
                postfix="compiling the network (once per shape)" if self.compiling else None,
                # None hides the text bar unless file is a terminal; a kernel's is not.
                disable=False if notebook else None,
            )
        return self

    def update(self, loss, val_loss=None, best_epoch=None, stalled=0):
        """Advance one epoch, showing its losses and the early-stopping state."""
        self._finite = self._finite and math.isfinite(loss)
        if val_loss is not None:
            self._finite = self._finite and math.isfinite(val_loss)
        if self._bar is None:
            return
        postfix = [f"loss {_number(loss)}"]
        if val_loss is not None:
            postfix.append(f"val {_number(val_loss)}")
        if self.patience is not None:
            if best_epoch is not None:
                postfix.append(f"best {best_epoch}")
            postfix.append(f"wait {stalled}/{self.patience}")
        self._bar.set_postfix_str(" ".join(postfix), refresh=False)
        self._bar.update()

    def finish(self, ending, success=True):
        """Show ``ending``, how the fit ended, in place of the last epoch's figures;
        ``success``: whether it ended as planned (a notebook's bar turns green)."""
        self._success = success
        if self._bar is not None:
            self._bar.set_postfix_str(ending, refresh=False)

    def __exit__(self, exc_type, exc, traceback):
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.finished = exc_type is None and self._finite and self._success
            bar.close()
        return False
