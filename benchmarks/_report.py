"""What every benchmark script reports the same way: the machine, the versions,
the command that was run, and its section of docs/benchmarks.md.

Each script owns one section of that file, between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->``; writing a section replaces it and leaves the rest alone.
"""

import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import sklearn

import skgrn


def run_fresh(code, env=None):
    """Run ``code`` in a fresh Python interpreter; return its last line of output,
    parsed as JSON. A failure raises, with the child's error output."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=None if env is None else {**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"The benchmark's child process failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def cpu_model():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return None


def tensorflow_version():
    try:
        import tensorflow
    except ImportError:
        return "not installed"
    return tensorflow.__version__


def environment_lines():
    cpu = ", ".join(
        part for part in (platform.processor(), f"{os.cpu_count()} CPUs", cpu_model()) if part
    )
    versions = {
        "python": platform.python_version(),
        "skgrn": skgrn.__version__,
        "scikit-learn": sklearn.__version__,
        "keras": keras.__version__,
        "tensorflow": tensorflow_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
    return [
        f"Machine: {platform.platform()}; {cpu}.",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()) + ".",
    ]


def command_line(data_dir=None):
    """The command that is running, with ``data_dir`` shown as DATA_DIR.

    The data directory is the reader's own: record where it goes, not where it was.
    """
    data_dir = None if data_dir is None else str(data_dir)
    argv = ["DATA_DIR" if arg.rstrip("/") == data_dir else arg for arg in sys.argv]
    return shlex.join(["python", *argv])


def header_blocks(title, data_dir=None):
    """The first blocks of every section: its title, the command, the machine."""
    return [f"## {title}", f"```\n{command_line(data_dir)}\n```", "  \n".join(environment_lines())]


def bullets(lines):
    return "\n".join(f"- {line}" for line in lines)


def publish(name, title, description, tables, lines, path, data_dir=None):
    """Print ``tables`` and the verdict ``lines``; with a ``path``, also write them there
    as section ``name``, after the title, the command (``data_dir`` shown as DATA_DIR),
    the machine and ``description``."""
    print()
    print("\n\n".join(tables))
    print()
    print("\n".join(lines))
    if path is not None:
        blocks = [*header_blocks(title, data_dir), description, *tables, bullets(lines)]
        write_section(path, name, section(name, blocks))
        print(f"\nWrote {path}")


def markers(name):
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def section(name, blocks):
    """The markdown section ``name``: its blocks, separated by blank lines, within markers."""
    start, end = markers(name)
    return f"{start}\n" + "\n\n".join(blocks) + f"\n{end}\n"


def write_section(path, name, text_of_section):
    """Replace section ``name`` of the markdown file at ``path`` (or append it)."""
    start_marker, end_marker = markers(name)
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start, end = text.find(start_marker), text.find(end_marker)
    if start != -1 and end > start:
        text = text[:start] + text_of_section + text[end + len(end_marker) :].removeprefix("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + text_of_section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
