"""Every example runs as a user would run it."""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs(example):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "an example should print what it shows"


README = Path(__file__).parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
#: The README's snippets that are whole programs; the others continue the text
#: around them (X_train, a search, a Dask cluster, several GPUs).
WHOLE = [snippet for snippet in SNIPPETS if "load_iris" in snippet or "table = " in snippet]


@pytest.mark.parametrize("snippet", WHOLE, ids=["iris", "table"])
def test_readme_snippets_run_without_warnings(snippet, tmp_path, monkeypatch):
    assert len(WHOLE) == 2
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(snippet, str(README), "exec"), {})
