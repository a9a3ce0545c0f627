"""A glossary example with a wrong expected value must fail the test run."""

import shutil
import subprocess
import sys

from conftest import ROOT


def test_a_wrong_doctest_in_a_docs_page_fails_pytest(tmp_path):
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")  # the project's Sybil setup
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "wrong.md").write_text(
        "# Wrong\n\n```python\n>>> import torch\n>>> torch.ones(2).sum()\ntensor(3.)\n```\n"
    )
    (tmp_path / "docs" / "right.md").write_text("# Right\n\n```python\n>>> 1 + 1\n2\n```\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout
    assert "1 failed, 2 passed" in result.stdout  # the import, 1 + 1, and the wrong sum
    assert "tensor(2.)" in result.stdout  # the report shows what the example really gave
