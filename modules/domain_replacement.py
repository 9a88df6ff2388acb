"""Which workspace inputs replace the SageMaker domain: the one list the guards use.

Replacing ``aws_sagemaker_domain`` destroys every user's profile, spaces and
apps and gives the new domain a new, empty home EFS. Measured with
hashicorp/aws 5.100.0 (Terraform 1.11.4) against an applied ``dev`` on the
emulator: ``terraform plan`` of each input change, ``replace_paths`` of the
domain in ``terraform show -json`` (README, "A change that replaces the
domain"). Attributes the provider marks as forcing replacement that no input
reaches (``auth_mode``, fixed to IAM; ``kms_key_id``, the domain's own key)
are still guarded: the guard reads the plan, not this list; the list names
the input to blame.

Standard library only: ``main.py`` records these inputs as the output
``domain_replacement_inputs`` (and a precondition compares them with the
previous apply's), and ``scripts/domain_guard.py`` reads plans with it,
without loading the AWS bindings.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Tuple

from modules.hcl import text

DOMAIN_TYPE = "aws_sagemaker_domain"
USER_PROFILE_TYPE = "aws_sagemaker_user_profile"
ALLOW_VARIABLE = "allow_domain_replacement"
ALLOW_FLAG = "--allow-domain-replacement"
OUTPUT = "domain_replacement_inputs"


@dataclass(frozen=True)
class ForcingInput:
    name: str
    attributes: Tuple[str, ...]
    """Attributes of aws_sagemaker_domain (replace_paths) a change of the input forces."""
    how: str
    """What the change does on its way to the domain."""


# In the order the README's table lists them.
FORCING_INPUTS: Tuple[ForcingInput, ...] = (
    ForcingInput("domain_name", ("domain_name",), "the domain's name cannot change in place"),
    ForcingInput("vpc_cidr", ("vpc_id", "subnet_ids"),
                 "the VPC and its subnets are replaced; a domain cannot move to another VPC"),
    ForcingInput("az_count", ("subnet_ids",), "a private subnet is added or removed; the domain's subnets "
                                              "cannot change in place"),
    ForcingInput("private_subnet_cidrs", ("subnet_ids",), "the private subnets are replaced"),
    ForcingInput("existing_vpc_id", ("vpc_id", "subnet_ids"), "the domain moves to another VPC"),
    ForcingInput("existing_private_subnet_ids", ("subnet_ids",), "the domain's subnets change"),
    ForcingInput("region", ("region",), "Terraform looks for the domain in the new region, finds none, forgets "
                                        "the old one (it keeps running there, unmanaged) and creates a new one"),
)
FORCING_INPUT_NAMES = tuple(f.name for f in FORCING_INPUTS)

ATTRIBUTE_WORDS: Dict[str, str] = {
    "domain_name": "the domain's name",
    "vpc_id": "the domain's VPC",
    "subnet_ids": "the domain's subnets",
    "region": "the domain's region",
    "kms_key_id": "the domain's KMS key",
    "auth_mode": "the domain's auth mode",
    "domain_id": "the domain it belongs to",
}


def inputs_for(attribute: str) -> Tuple[str, ...]:
    """The inputs whose change forces ``attribute`` of the domain to change."""
    return tuple(f.name for f in FORCING_INPUTS if attribute in f.attributes)


def recorded_inputs_expression() -> str:
    """A Terraform object of the forcing inputs' current values (the output ``domain_replacement_inputs``)."""
    return "{" + ", ".join(f"{name} = var.{name}" for name in FORCING_INPUT_NAMES) + "}"


LOSS_SENTENCE = ("every user profile, with its spaces, its apps and any running Studio session, is deleted; the new "
                 "domain gets a new, empty home EFS")

# The first word of the precondition's message: scripts/domain_guard.py recognizes it in
# Terraform's output (which wraps lines, but never inside a word).
PRECONDITION_MARK = "refused-by-domain-guard:"


def _hcl_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def precondition(previous_output: Callable[[str, str], str]) -> Tuple[str, str]:
    """(condition, error message) of the domain's precondition, for ``cdktf deploy`` and plain
    Terraform: a forcing input whose value differs from the one the previous apply recorded
    (the output ``domain_replacement_inputs``, read through ``previous_output(name, default)``)
    fails the plan unless ``var.allow_domain_replacement``. The message says what the CLI's
    refusal says (scripts/domain_guard.py): which input changed, what users lose, the switch."""
    before = previous_output(OUTPUT, "null")
    now = recorded_inputs_expression()
    changed = f"[for k, v in {now} : k if jsonencode(v) != jsonencode(try({before}[k], v))]"
    blame = "{" + ", ".join(
        f"{f.name} = " + _hcl_string(f"{', '.join(f.attributes)} "
                                     f"({', '.join(ATTRIBUTE_WORDS[a] for a in f.attributes)})")
        for f in FORCING_INPUTS) + "}"
    how = "{" + ", ".join(f"{f.name} = {_hcl_string(f.how)}" for f in FORCING_INPUTS) + "}"
    users = previous_output("user_profile_names", "[]")
    efs = previous_output("home_efs_id", '""')
    lines = (f'join("\\n", [for k in {changed} : '
             + text('"  - {blame}: {k} changed from {before} to {now} ({how})"])', blame=f" {blame}[k]", k="k",
                    before=f"jsonencode({before}[k])", now=f"jsonencode({now}[k])", how=f" {how}[k]"))
    home = text('var.home_efs_retention == "Delete" ? "their home directories are deleted with the home EFS '
                '{efs} (home_efs_retention = Delete)." : "their home directories stay on the old home EFS '
                "{efs} (home_efs_retention = Retain) but orphaned: nobody reaches them from Studio any more "
                '(copy out what is needed, then delete the EFS)."', efs=efs)
    moved = f'contains({changed}, "region")'
    domain_id = previous_output("domain_id", '"?"')
    workspace = "terraform.workspace"
    message = (
        PRECONDITION_MARK + text(
            " this plan {verb} the SageMaker domain {name} ({domain_id}) of workspace {workspace}, and the domain "
            "guard refuses it.\nForced by:\n{lines}\nUsers lose: {count} user profile(s) ({names}): ",
            verb=f'{moved} ? "re-creates" : "replaces"', name=f"try({before}.domain_name, var.domain_name)",
            domain_id=domain_id, workspace=workspace, lines=lines, count=f"length({users})",
            names=f'join(", ", {users})')
        + LOSS_SENTENCE + "; " + text(
            "{home}\nNext: undo that change in workspaces/{workspace}.tfvars.json; or, to {action} the domain in "
            "this one apply: scripts/platform apply {workspace} ", home=home, workspace=workspace,
            action=f'{moved} ? "move" : "replace"')
        + ALLOW_FLAG + f' (or "{ALLOW_VARIABLE}": true in '
        + text("workspaces/{workspace}.tfvars.json for this one apply, removed afterwards; with cdktf: ",
               workspace=workspace)
        + f"--var {ALLOW_VARIABLE}=true).")
    return f"var.{ALLOW_VARIABLE} || length({changed}) == 0", message
