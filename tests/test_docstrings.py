"""Every public function and class of learntorch has a summary line and a >>> example.

pytest runs those examples (--doctest-modules), and the API reference renders them."""

import ast

import pytest
from conftest import ROOT

PUBLIC = [
    (path.name, node)
    for path in sorted((ROOT / "src" / "learntorch").glob("*.py"))
    for node in ast.parse(path.read_text()).body
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
]


@pytest.mark.parametrize("module, node", PUBLIC, ids=[f"{m}:{n.name}" for m, n in PUBLIC])
def test_public_api_is_documented_with_an_example(module, node):
    doc = ast.get_docstring(node) or ""
    assert doc.strip(), f"{module}: {node.name} has no docstring"
    assert ">>>" in doc, f"{module}: {node.name} has no >>> example"
