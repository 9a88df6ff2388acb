"""Regenerates the input and output tables of README.md from the synthesized stack.

    .venv/bin/python -m scripts.docs

The tables come from the variables' and outputs' own types, defaults and
descriptions, so README cannot drift from the code (tests/test_docs.py
fails when it has).
"""
import json
import re
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
BEGIN, END = "<!-- BEGIN GENERATED: {} -->", "<!-- END GENERATED: {} -->"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _default(variable: dict) -> str:
    if "default" not in variable:
        return "required"
    return f"`{json.dumps(variable['default'])}`"


def inputs_table(config: dict) -> str:
    rows = ["| name | type | default | description |", "| --- | --- | --- | --- |"]
    for name, variable in config["variable"].items():
        rows.append(f"| `{name}` | `{_cell(variable['type'])}` | {_cell(_default(variable))} | "
                    f"{_cell(variable['description'])} |")
    return "\n".join(rows)


def outputs_table(config: dict) -> str:
    rows = ["| name | description |", "| --- | --- |"]
    for name, output in config["output"].items():
        rows.append(f"| `{name}` | {_cell(output['description'])} |")
    return "\n".join(rows)


TABLES = {"inputs": inputs_table, "outputs": outputs_table}


def render(readme: str, config: dict) -> str:
    """``readme`` with every generated section replaced by its current table."""
    for section, table in TABLES.items():
        begin, end = BEGIN.format(section), END.format(section)
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no '{begin}' ... '{end}' section")
        readme = pattern.sub(lambda _: f"{begin}\n{table(config)}\n{end}", readme)
    return readme


def main() -> int:
    sys.path.insert(0, str(REPO_ROOT))
    import main as app

    with tempfile.TemporaryDirectory() as outdir:
        app.build_app(outdir).synth()
        config = json.loads((Path(outdir) / "stacks" / app.PLATFORM_STACK / "cdk.tf.json").read_text())
    README.write_text(render(README.read_text(), config))
    print(f"updated {README.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
