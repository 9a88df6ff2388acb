"""Summaries of Terraform plans for review: one Markdown comment per pull request.

Standard library only; importable (``scripts/platform pr-plan`` uses it) and a CLI::

    python -m scripts.plan_summary --out DIR WS=PLAN_JSON... [--failed WS=ERROR_TEXT_FILE...]
                                   [--base WS=PATH...] [--artifact-hint TEXT]

``PLAN_JSON`` is ``terraform show -json <planfile>`` of workspace ``WS``. The
CLI writes ``DIR/<ws>.summary.md`` for every workspace (failed ones too) and
``DIR/comment.md``, the single pull-request comment covering all of them. It
exits 1 when any workspace failed (given with ``--failed``, or a plan JSON
that cannot be read or says it errored), 2 on bad arguments, else 0.

What a summary holds (:func:`summarize`):

* counts by resource type of add / change / replace / destroy (a replacement
  counts once, as replace, where Terraform's own "Plan:" line counts it as one
  add and one destroy); reads and no-ops are ignored; imports, moves and
  forgets are listed when there are any;
* every replacement and destroy individually, with why (the attributes that
  force a replacement, from ``replace_paths``; Terraform's ``action_reason``);
  the ones that lose data (the SageMaker domain, user profiles, buckets, the
  VPC, KMS keys, EFS) carry an explanation of what is lost;
* variables: the values of this workspace that differ from the variable's
  default (required variables always count), so a reviewer sees what makes
  the workspace what it is; and, when a base is given (``--base WS=PATH``, a
  plan JSON of the base branch or a ``.tfvars.json``), the variables whose
  value changed versus that base. Sensitive variables show no value;
* outputs whose value changes.

:func:`render_workspace` turns a summary into Markdown with a GitHub alert
block (``> [!CAUTION]`` when data is lost, ``> [!WARNING]`` otherwise) at the
top whenever anything is replaced or destroyed; :func:`render_comment` joins
all workspaces into one comment that starts with :data:`MARKER` (so CI finds
and updates it), lists failures first, and fits GitHub's 65,536-character
limit by cutting per-workspace details, never the failures or the warning
blocks, pointing at the artifact that has everything.
"""

# The package's interface (scripts/platform_cmd/, the tests), from where each is defined:
#   model.py    the data and summarize()      hazards.py  what a replacement or destroy loses
#   render.py   Markdown, the PR comment      cli.py      the command line, write_summaries()
#   values.py   how values show in a table (known after apply, sensitive)
from scripts.plan_summary.cli import (
    _pairs, base_variables_from, default_artifact_hint, load_json, main, parse_args, write_summaries)
from scripts.plan_summary.model import (
    ACTIONS, DESTRUCTIVE, ERROR_MAX_CHARS, GITHUB_COMMENT_LIMIT, MARKER, Failure, Hazard, OutputChange,
    ResourceChange, SummaryError, VariableChange, VariableValue, WorkspaceSummary, summarize)
from scripts.plan_summary.render import (
    headline_counts, render_comment, render_details, render_failure, render_workspace, trim_error, utf16_len,
    warning_block)

__all__ = [
    "ACTIONS", "DESTRUCTIVE", "ERROR_MAX_CHARS", "GITHUB_COMMENT_LIMIT", "MARKER", "Failure", "Hazard",
    "OutputChange", "ResourceChange", "SummaryError", "VariableChange", "VariableValue", "WorkspaceSummary",
    "_pairs", "base_variables_from", "default_artifact_hint", "headline_counts", "load_json", "main", "parse_args",
    "render_comment", "render_details", "render_failure", "render_workspace", "summarize", "trim_error",
    "utf16_len", "warning_block", "write_summaries",
]
