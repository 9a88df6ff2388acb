"""README documents every input and output as the code declares them."""
from scripts import docs


def test_readme_tables_match_the_stack(stack, repo_root):
    readme = (repo_root / "README.md").read_text()
    assert docs.render(readme, stack.config) == readme, "README is stale: run .venv/bin/python -m scripts.docs"


def test_every_input_and_output_has_a_description(stack):
    for kind in ("variable", "output"):
        for name, body in stack.config[kind].items():
            assert len(body.get("description", "")) > 15, f"{kind} {name}"
