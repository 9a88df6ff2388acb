"""Terraform string templates as Python text, without cdktf.

The input rules (modules/inputs.py, modules/input_rules.py, ...) and the
scripts that read them (scripts/docs.py, scripts/plan_summary.py, the
emulator) must not start cdktf's runtime, so the text-only helper lives here
rather than in modules/tf.py, which builds tokens. Together the two are the
only modules that write ``${``.
"""


def text(template: str, **parts: str) -> str:
    """``template`` (an error message, a value Terraform reads as a string template) with its
    ``{name}`` fields written as interpolations of ``parts``, bare Terraform expressions:
    ``text("region = {region}", region="var.region")`` is ``region = ${var.region}``. Literal
    braces are doubled."""
    return template.format(**{name: "${" + part + "}" for name, part in parts.items()})


def interpolated(expression: str) -> str:
    """``expression`` interpolated in a string template: ``${expression}``."""
    return text("{value}", value=expression)


def shown(expression: str) -> str:
    """How an error message shows ``expression``'s value: as JSON, interpolated."""
    return interpolated(f"jsonencode({expression})")
