"""The domain guard: no plan replaces or destroys a workspace's SageMaker domain by accident.

Replacing the domain deletes every user profile with its spaces and apps and
starts the users over on a new, empty home EFS (README, "A change that
replaces the domain"). ``scripts/platform plan|apply|pr-plan`` read each plan
(``terraform show -json``) with :func:`find_replacement` and refuse one that
replaces or destroys the domain, or re-creates it in another region, unless
``allow_domain_replacement = true`` (the workspace variable, or the CLI flag
``--allow-domain-replacement``, which sets it for one command).
``scripts/platform destroy`` of a workspace whose state has user profiles
asks for the same switch (:func:`destroy_refusal`). ``scripts/plan_summary/``
shows a guarded replacement at the top of its warning block (:func:`markdown`).

Which input is to blame comes from ``modules/domain_replacement.py`` (the
measured list) and the output ``domain_replacement_inputs``, whose before and
after values the plan carries. Reading and rendering use the standard library
only (``scripts/plan_summary/`` imports them); the CLI's functions at the end
import ``scripts.platform_cmd`` when they run.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from modules.domain_replacement import (
    ALLOW_FLAG, ALLOW_VARIABLE, ATTRIBUTE_WORDS, DOMAIN_TYPE, FORCING_INPUTS, LOSS_SENTENCE, OUTPUT,
    PRECONDITION_MARK, USER_PROFILE_TYPE, inputs_for)
from scripts.errors import CommandError

_ARN_REGION = re.compile(r"^arn:[^:]+:sagemaker:([^:]+):")


@dataclass(frozen=True)
class Cause:
    attribute: str
    """The domain attribute that forces the replacement (a ``replace_paths`` head), or ``region``."""
    inputs: tuple[str, ...]
    """The workspace inputs that changed it (measured), or that can change it when the plan cannot tell."""
    changes: tuple[tuple[str, Any, Any], ...] = ()
    """(input, before, after) for the inputs the previous apply recorded a different value of."""

    def text(self) -> str:
        words = ATTRIBUTE_WORDS.get(self.attribute, self.attribute)
        if self.changes:
            how = "; ".join(f"{name} changed from {_show(before)} to {_show(after)} ({_how(name)})"
                            for name, before, after in self.changes)
        elif len(self.inputs) == 1:
            how = f"{self.inputs[0]} changed"
        elif self.inputs:
            how = "one of the inputs " + ", ".join(self.inputs) + " changed"
        else:
            how = "no workspace input changes it: a change of the code (modules/) does"
        return f"{self.attribute} ({words}): {how}"


@dataclass(frozen=True)
class DomainReplacement:
    """A plan's replacement, destroy or move of the domain, and what it costs the users."""

    action: str
    """replace, destroy or move (re-created in another region; the old one is left running, unmanaged)."""
    address: str
    domain_name: str | None
    domain_id: str | None
    home_efs_id: str | None
    retention: str | None
    causes: tuple[Cause, ...]
    users: tuple[str, ...]
    allowed: bool
    """``allow_domain_replacement`` was true for this plan (variable file or flag)."""
    old_region: str | None = None
    new_region: str | None = None

    @property
    def verb(self) -> str:
        return {"replace": "replaces", "destroy": "destroys"}.get(self.action, "re-creates")

    @property
    def infinitive(self) -> str:
        return {"replace": "replace", "destroy": "destroy"}.get(self.action, "move")


def _show(value: Any) -> str:
    """As Terraform's jsonencode writes it (the precondition's message says the same)."""
    return json.dumps(value, separators=(",", ":"))


def _how(name: str) -> str:
    return next(f.how for f in FORCING_INPUTS if f.name == name)


def _is_true(value: Any) -> bool:
    """A bool variable's value in a plan: true, or "true" when it came from TF_VAR_ (the flag)."""
    return value is True or value == "true"


def _variables(plan: Mapping[str, Any]) -> dict:
    return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (plan.get("variables") or {}).items()}


def _changed_inputs(plan: Mapping[str, Any]) -> dict[str, tuple[Any, Any]] | None:
    """input => (before, after) of the forcing inputs the previous apply recorded differently;
    None when it recorded none (a state applied before the output existed)."""
    change = (plan.get("output_changes") or {}).get(OUTPUT) or {}
    before = change.get("before")
    if not isinstance(before, dict):
        return None
    now = _variables(plan)
    after = change.get("after") if isinstance(change.get("after"), dict) else {}
    return {name: (before.get(name), after.get(name, now.get(name)))
            for name in before if before.get(name) != after.get(name, now.get(name))}


def _causes(attributes: Sequence[str], changed: dict | None) -> tuple[Cause, ...]:
    causes = []
    for attribute in attributes:
        candidates = inputs_for(attribute)
        if attribute == "domain_id":  # a user profile's: its domain is replaced
            continue
        found = tuple((n, *changed[n]) for n in candidates if changed and n in changed)
        causes.append(Cause(attribute, tuple(n for n, _, _ in found) or candidates, found))
    return tuple(causes)


def find_replacement(plan: Mapping[str, Any]) -> DomainReplacement | None:
    """The domain's replacement, destroy or move to another region in ``plan``, or None."""
    changes = [rc for rc in plan.get("resource_changes") or [] if rc.get("mode", "managed") == "managed"]
    drift = {rc.get("address"): rc for rc in plan.get("resource_drift") or []
             if "delete" in ((rc.get("change") or {}).get("actions") or [])}
    variables = _variables(plan)
    for rc in changes:
        if rc.get("type") != DOMAIN_TYPE:
            continue
        actions = (rc.get("change") or {}).get("actions") or []
        moved = actions == ["create"] and rc.get("address") in drift
        if "delete" not in actions and not moved:
            continue
        before = ((drift[rc["address"]] if moved else rc).get("change") or {}).get("before") or {}
        old_region = (_ARN_REGION.match(before.get("arn") or "") or [None, None])[1]
        if moved and (old_region is None or old_region == variables.get("region")):
            continue  # deleted outside Terraform: nothing left to lose, the plan re-creates it
        changed = _changed_inputs(plan)
        if moved:
            causes = _causes(["region"], changed or {"region": (old_region, variables.get("region"))})
        else:
            paths = (rc.get("change") or {}).get("replace_paths") or []
            causes = _causes(sorted({str(p[0]) for p in paths if p}), changed)
        retention = ((before.get("retention_policy") or [{}])[0] or {}).get("home_efs_file_system")
        users = sorted({((r.get("change") or {}).get("before") or {}).get("user_profile_name") or r["address"]
                        for r in [*changes, *drift.values()] if r.get("type") == USER_PROFILE_TYPE
                        and ("delete" in ((r.get("change") or {}).get("actions") or []))})
        return DomainReplacement(
            action="move" if moved else ("replace" if "create" in actions else "destroy"),
            address=rc["address"], domain_name=before.get("domain_name") or variables.get("domain_name"),
            domain_id=before.get("id"), home_efs_id=before.get("home_efs_file_system_id"),
            retention=retention or variables.get("home_efs_retention"), causes=causes, users=tuple(users),
            allowed=_is_true(variables.get(ALLOW_VARIABLE)), old_region=old_region,
            new_region=variables.get("region") if moved else None)
    return None


def _domain(r: DomainReplacement) -> str:
    ids = ", ".join(x for x in (r.domain_id, r.old_region if r.action == "move" else None) if x)
    where = f" in {r.new_region}" if r.action == "move" else ""
    return f"the SageMaker domain {r.domain_name or r.address}" + (f" ({ids})" if ids else "") + where


def losses(r: DomainReplacement) -> str:
    """What the domain's users lose, in one paragraph."""
    users = (f"{len(r.users)} user profile(s) ({', '.join(r.users)})" if r.users else "every user profile")
    efs = f" {r.home_efs_id}" if r.home_efs_id else ""
    if r.action == "move":
        return (f"{users} and the domain stay behind in {r.old_region}, running and unmanaged (Terraform forgets "
                f"them), with the users' home directories on its EFS{efs}; in {r.new_region} the users start over in "
                "a new domain with no spaces, no apps and an empty home EFS.")
    if r.retention == "Delete":
        home = f"their home directories are deleted with the home EFS{efs} (home_efs_retention = Delete)."
    else:
        home = (f"their home directories stay on the old home EFS{efs} (home_efs_retention = Retain) but orphaned: "
                "nobody reaches them from Studio any more (copy out what is needed, then delete the EFS).")
    return f"{users}: {LOSS_SENTENCE}; {home}"


def switch_text(command: str, workspace: str, quote: str = "") -> str:
    """The exact switch for one apply (``quote``: "`" for Markdown code spans)."""
    q = quote
    return (f"{q}scripts/platform {command} {workspace} {ALLOW_FLAG}{q} (or {q}\"{ALLOW_VARIABLE}\": true{q} in "
            f"{q}workspaces/{workspace}.tfvars.json{q} for this one apply, removed afterwards; with cdktf: "
            f"{q}--var {ALLOW_VARIABLE}=true{q})")


def refusal(r: DomainReplacement, workspace: str, command: str) -> str:
    """The CommandError text for a refused plan (ends with what to do next)."""
    causes = "\n".join(f"  - {c.text()}" for c in r.causes) or (
        "  - the plan destroys the domain (removed from the configuration, or a destroy)" if r.action == "destroy"
        else "  - the plan names no attribute")
    return (f"this plan {r.verb} {_domain(r)} of workspace {workspace}, and the domain guard refuses it.\n"
            f"Forced by:\n{causes}\n"
            f"Users lose: {losses(r)}\n"
            f"Next: undo that change in workspaces/{workspace}.tfvars.json; or, to {r.infinitive} "
            f"the domain in this one apply: {switch_text(command if command != 'plan' else 'apply', workspace)}.")


def markdown(r: DomainReplacement, workspace: str) -> str:
    """The guard's entry of the PR summary's warning block (one ``> - `` line)."""
    causes = "; ".join(c.text() for c in r.causes) or "the plan names no attribute"
    if r.allowed:
        state = (f"**Domain guard: allowed** by `{ALLOW_VARIABLE} = true`: applying this plan "
                 f"{r.verb} {_domain(r)}.")
    else:
        state = (f"**Domain guard: REFUSED.** `scripts/platform plan|apply` stop on this plan: it {r.verb} "
                 f"{_domain(r)}. To allow it for one apply: {switch_text('apply', workspace, '`')}.")
    return f"> - {state} Forced by: {causes}. Users lose: {losses(r)}"


def destroy_refusal(workspace: str, users: Sequence[str], outputs: Mapping[str, Any], retention: str) -> str:
    """The CommandError text of ``destroy`` of a workspace with user profiles, without the switch."""
    domain = outputs.get("domain_id") or "(id unknown)"
    efs = outputs.get("home_efs_id") or ""
    home = (f"their home directories are deleted with the home EFS {efs} (home_efs_retention = Delete)"
            if retention == "Delete" else
            f"their home directories stay on the home EFS {efs} (home_efs_retention = Retain), reachable by no "
            "Studio user")
    return (f"destroy of workspace {workspace} destroys the SageMaker domain {domain} and its {len(users)} user "
            f"profile(s) ({', '.join(users)}): their spaces, apps and running Studio sessions are deleted, and "
            f"{home}.\nNext: if that is meant, scripts/platform destroy {workspace} {ALLOW_FLAG} (or "
            f"\"{ALLOW_VARIABLE}\": true in workspaces/{workspace}.tfvars.json).")


def destroy_allowed(var_values: Mapping[str, Any], flag: bool) -> bool:
    return flag or var_values.get(ALLOW_VARIABLE) is True


# -- the CLI's side (scripts/platform_cmd/, scripts/lifecycle.py) -----------------------
def use_flag(tf, flag: bool) -> None:
    """``--allow-domain-replacement``: every terraform run of this command sees the
    variable true (through the environment, so runs made by other steps see it too;
    a variable file that sets it false explicitly still wins, as Terraform orders them)."""
    if flag:
        tf.env[f"TF_VAR_{ALLOW_VARIABLE}"] = "true"


def refusal_of(plan: Mapping[str, Any], workspace: str, command: str) -> str | None:
    """The refusal of ``plan`` when it replaces, destroys or moves the domain without the switch, else None."""
    found = find_replacement(plan)
    return refusal(found, workspace, command) if found is not None and not found.allowed else None


def refuse(plan: Mapping[str, Any], workspace: str, command: str) -> None:
    """Raises the CLI's CommandError with :func:`refusal_of`, if any."""
    text = refusal_of(plan, workspace, command)
    if text is not None:
        raise CommandError(text)


def run_plan(tf, workspace: str, plan_args: Sequence[str], plan_file, check: bool = True):
    """``terraform plan`` (``plan_args`` save it to ``plan_file``) and its ``show -json``:
    (the plan's process, the plan or None when it failed and not ``check``).

    When the domain's precondition refuses the plan (the stack's own guard, for cdktf
    users: modules/domain_replacement.py), it plans again with the switch, only to show
    what the plan would do: that plan says ``allow_domain_replacement = false`` again (so
    the guard refuses it with its full message) and its file is deleted (nobody applies it)."""
    from scripts.terraform_env.show_provider import ShowProvider

    with ShowProvider(tf.dir, tf.env) as show_provider:  # the show's provider, started while the plan runs
        proc = tf.run(list(plan_args), workspace=workspace, check=False)
        refused = proc.returncode != 0 and PRECONDITION_MARK in proc.stdout + proc.stderr
        if refused:
            proc = tf.run([*plan_args, f"-var={ALLOW_VARIABLE}=true"], workspace=workspace, check=False)
        if proc.returncode != 0:
            if check:
                raise CommandError(f"`terraform plan` of {workspace} failed (exit {proc.returncode}):\n"
                                   f"{(proc.stderr or proc.stdout)[-4000:]}\nNext: fix the error above and re-run.")
            return proc, None
        try:
            show = ["show", "-json", str(plan_file)]
            shown = show_provider.show(lambda env, check: tf.run(show, workspace=workspace, check=check, env=env),
                                       tf.env)
            plan = json.loads(shown.stdout)
        finally:
            if refused:
                plan_file.unlink(missing_ok=True)
    if refused:
        plan.setdefault("variables", {})[ALLOW_VARIABLE] = {"value": False}
    return proc, plan


def check_plan(tf, workspace: str, var_file, command: str, progress, targets: Sequence[str] = (),
               plan_file=None) -> dict:
    """Plans ``workspace`` and refuses (CommandError) a plan the guard stops: before an apply.
    Returns the plan (``terraform show -json``) for the apply's other checks. The
    saved plan stays in ``plan_file`` (for the apply to apply) only when given and not refused."""
    from scripts.platform_cmd.terraform import plan_args

    keep, plan_file = plan_file is not None, plan_file or tf.dir / f"{workspace}.guard.tfplan"
    try:
        with progress.step(f"terraform plan ({workspace}: the domain guard)"):
            _, plan = run_plan(tf, workspace, plan_args(var_file, plan_file, targets=list(targets)), plan_file)
        refuse(plan, workspace, command)
    except BaseException:
        plan_file.unlink(missing_ok=True)
        raise
    if not keep:
        plan_file.unlink(missing_ok=True)
    found = find_replacement(plan)
    if found is not None:
        progress.say(f"domain guard: {ALLOW_VARIABLE} = true: this apply {found.verb} {_domain(found)}")
    return plan


def check_destroy(tf, workspace: str, state: Sequence[str], var_values: Mapping[str, Any], flag: bool) -> None:
    """Refuses (CommandError) ``destroy`` of a workspace whose ``state`` (addresses) has
    user profiles, without the switch."""
    users = sorted(m.group(1) for a in state if a.split(".")[0] == USER_PROFILE_TYPE
                   for m in [re.search(r'\["([^"]+)"\]$', a)] if m)
    if not users or destroy_allowed(var_values, flag or tf.env.get(f"TF_VAR_{ALLOW_VARIABLE}") == "true"):
        return
    outputs = tf.output_values(workspace)
    raise CommandError(destroy_refusal(workspace, users, outputs, var_values.get("home_efs_retention", "Retain")))
