"""Regenerates the input, output and security-exception tables of README.md from the synthesized stack.

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

from modules.emr_account_inputs import EMR_ACCOUNT_SPECS
from modules.inputs import INPUT_SPECS
from scripts.errors import ScriptError, run_main
from scripts.repo import EMR_ACCOUNT_STACK, PLATFORM_STACK, README, REPO_ROOT

BEGIN, END = "<!-- BEGIN GENERATED: {} -->", "<!-- END GENERATED: {} -->"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _default(name: str, variable: dict, specs=INPUT_SPECS) -> str:
    # Required inputs are declared with a null default (modules/input_variables.py): the marker
    # says which they are.
    if specs[name].required:
        return "required"
    return f"`{json.dumps(variable['default'])}`"


def inputs_table(config: dict, specs=INPUT_SPECS) -> str:
    rows = ["| name | type | default | description |", "| --- | --- | --- | --- |"]
    for name, variable in config["variable"].items():
        rows.append(f"| `{name}` | `{_cell(variable['type'])}` | {_cell(_default(name, variable, specs))} | "
                    f"{_cell(variable['description'])} |")
    return "\n".join(rows)


def outputs_table(config: dict) -> str:
    rows = ["| name | description |", "| --- | --- |"]
    for name, output in config["output"].items():
        rows.append(f"| `{name}` | {_cell(output['description'])} |")
    return "\n".join(rows)


def security_exceptions_table(config: dict) -> str:
    """Every checkov check the platform deliberately does not meet, with the reason:
    the skips declared on resources (``modules.tf.skip_checks``, carried in
    ``cdk.tf.json``) and ``Metadata: checkov: skip`` in the product templates."""
    from scripts.security_scan import declared_skips

    rows = ["| check | resource | scan | reason |", "| --- | --- | --- | --- |"]
    entries = [(s.check, f"`{s.path}`", s.only or "all", s.reason)
               for skips in declared_skips(config).values() for s in skips.values()]
    entries += template_skips(REPO_ROOT / "emr_templates")
    for check, resource, scan, reason in sorted(entries):
        rows.append(f"| {check} | {_cell(resource)} | {scan} | {_cell(reason)} |")
    return "\n".join(rows)


def template_skips(templates_dir: Path) -> list:
    """(check, resource, scan, reason) of each ``Metadata: checkov: skip`` in the product templates."""
    import yaml

    found = []
    for path in sorted(templates_dir.glob("*.yaml")):
        template = yaml.safe_load(path.read_text()) or {}
        for name, resource in (template.get("Resources") or {}).items():
            for skip in (((resource or {}).get("Metadata") or {}).get("checkov") or {}).get("skip") or []:
                found.append((skip["id"], f"`emr_templates/{path.name}`: {name}", "emr_templates",
                              skip.get("comment", "")))
    return found


TABLES = {"inputs": inputs_table, "outputs": outputs_table, "security_exceptions": security_exceptions_table}
# The emr-account stack's (modules/emr_account.py); its checkov skips are the platform's constructs' own.
EMR_ACCOUNT_TABLES = {"emr_account_inputs": lambda config: inputs_table(config, EMR_ACCOUNT_SPECS),
                      "emr_account_outputs": outputs_table}


def render(readme: str, config: dict, tables=TABLES) -> str:
    """``readme`` with every generated section of ``tables`` (default: the platform stack's) replaced
    by its current table of ``config``."""
    for section, table in tables.items():
        begin, end = BEGIN.format(section), END.format(section)
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pattern.search(readme):
            raise ScriptError(f"README.md has no '{begin}' ... '{end}' section",
                              f"put the two marker lines back where the {section} table belongs, then re-run.")
        section_text = f"{begin}\n{table(config)}\n{end}"
        readme = pattern.sub(lambda _, text=section_text: text, readme)
    return readme


def main() -> int:
    return run_main("scripts.docs", _regenerate)


def _regenerate() -> int:
    sys.path.insert(0, str(REPO_ROOT))
    import main as app

    with tempfile.TemporaryDirectory() as outdir:
        app.build_app(outdir).synth()
        config = json.loads((Path(outdir) / "stacks" / PLATFORM_STACK / "cdk.tf.json").read_text())
        emr_config = json.loads((Path(outdir) / "stacks" / EMR_ACCOUNT_STACK / "cdk.tf.json").read_text())
    README.write_text(render(render(README.read_text(), config), emr_config, EMR_ACCOUNT_TABLES))
    print(f"updated {README.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
