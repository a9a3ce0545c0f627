"""The GitHub Pages workflow is valid YAML and runs the same make targets as a local build."""

import re

import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def test_pages_workflow_uses_the_make_targets():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert triggers["push"]["branches"] == ["main"]
    steps = workflow["jobs"]["build-and-publish"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    make_targets = [t for c in commands for t in re.findall(r"\bmake (\w+)", c)]
    assert make_targets == ["setup", "test", "deploy"]
    makefile = (ROOT / "Makefile").read_text()
    for target in make_targets:
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no '{target}' target"
    assert not any("mkdocs " in c for c in commands), "call make, not mkdocs directly, so CI cannot drift"
