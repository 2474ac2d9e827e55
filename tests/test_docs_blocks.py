"""Every Python block of the README and the user guide runs, in order, as a reader would run it."""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Blocks that are recipes for a cluster (a Dask scheduler, TF_CONFIG
#: workers, shared storage): they cannot run on one test machine as written.
#: What they do is tested on loopback clusters in test_dask.py,
#: test_distributed.py and test_multi_worker.py.
NEEDS_A_CLUSTER = ("tcp://scheduler:8786", "TF_CONFIG", "/shared/")


def readme_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def rst_blocks(text):
    """The bodies of ``.. code-block:: python`` directives, dedented."""
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: python\n\n((?:[ ]+.*\n|\n)+)", text, flags=re.M):
        lines = match.group(1).rstrip("\n").split("\n")
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        blocks.append("\n".join(line[indent:] for line in lines) + "\n")
    return blocks


def test_the_block_readers_find_every_block():
    text = "a\n\n.. code-block:: python\n\n   x = 1\n\n   y = x\n\nprose\n"
    assert rst_blocks(text) == ["x = 1\n\ny = x\n"]
    assert readme_blocks("```python\nz = 2\n```\n```bash\nls\n```") == ["z = 2\n"]


def _run(blocks, tmp_path, name):
    namespace = {"__name__": f"docs_{name}"}
    cwd = os.getcwd()
    os.chdir(tmp_path)  # files the blocks write (saved models) land here
    try:
        for i, block in enumerate(blocks):
            if any(marker in block for marker in NEEDS_A_CLUSTER):
                continue
            code = compile(block, f"<{name} block {i}>", "exec")
            exec(code, namespace)  # noqa: S102 - the documentation's own code
    finally:
        os.chdir(cwd)
    return namespace


@pytest.mark.slow
def test_every_python_block_of_the_readme_runs(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    blocks = readme_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 2
    ns = _run(blocks, tmp_path, "README")
    assert ns["Z"].shape == (200, 8) and ns["X_back"].shape == (200, 30, 3)
    assert ns["scores"].shape == (3000,)
    assert (tmp_path / "encoder_savedmodel" / "saved_model.pb").exists()


@pytest.mark.slow
def test_every_python_block_of_the_user_guide_runs(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    blocks = rst_blocks((ROOT / "docs" / "user_guide.rst").read_text())
    run = [b for b in blocks if not any(m in b for m in NEEDS_A_CLUSTER)]
    assert len(blocks) >= 10 and len(run) >= 9
    ns = _run(blocks, tmp_path, "user guide")
    assert ns["codes_train"].shape == (50, 128)
    assert ns["codes"].shape == (4, 128)  # the export served without the package's code
    assert ns["sensor_codes"].shape == (30, 8)  # one code per id of the long table
    assert ns["scores"].shape == (len(ns["series"]),)
