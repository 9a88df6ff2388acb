"""Commands that change what a workspace has: the emulator loop, destroy with
SageMaker's teardown, and the persistent emulator (``scripts/platform emulator``).

Destroy order (both targets): what the domain's users launched outside
Terraform (clusters from its products, apps, spaces: ``scripts/studio_leftovers.py``),
then the Studio domain and its user profiles, then what SageMaker left in the
VPC for that domain (the home EFS's mount targets, the two NFS security
groups: ``scripts/teardown.py``), then the rest.
Destroying everything at once would stop at the subnets, which AWS refuses to
delete while the EFS mount targets are in them (the provider then retries for
its whole delete timeout, 20 minutes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from scripts import teardown
from scripts.emulator import persistent as emulator_persistent
from scripts.errors import CommandError
from scripts.platform_cmd import (
    Progress, Target, Terraform, plan_args, bootstrap_state, emulator_scope, open_target, say_left_out,
    use_emulator_state_backend)
from scripts.repo import PLATFORM_STACK
from scripts.workspaces import check_workspace, read_region, read_var_file

DOMAIN_TYPE = "aws_sagemaker_domain"
_COUNTS = re.compile(r"(\d+) (added|changed|destroyed|to add|to change|to destroy)")


def counts(terraform_text: str) -> dict[str, int]:
    """Terraform's closing counts ("Apply complete! Resources: 3 added, ..."), by word."""
    found: dict[str, int] = {}
    for line in terraform_text.splitlines():
        if line.startswith(("Plan:", "Apply complete!", "Destroy complete!")):
            found = {word: int(n) for n, word in _COUNTS.findall(line)}
    return found


def closing_line(text: str, what: str) -> str:
    for line in reversed(text.splitlines()):
        if line.startswith(("Plan:", "Apply complete!", "Destroy complete!", "No changes.")):
            return f"{what}: {line.strip()}"
    return f"{what}: done"


def target_clients(target: Target, region: str, services: Sequence[str] = ("ec2", "efs")):
    """boto3 clients of ``services`` (default: ec2, efs) for the target's account and region."""
    if target.emulator is not None:
        return tuple(target.emulator.client(service, region) for service in services)
    import boto3

    session = boto3.session.Session(region_name=region)
    return tuple(session.client(service) for service in services)


@dataclass(frozen=True)
class Teardown:
    """What a destroy did outside Terraform."""

    lines: list[str]
    """One line per thing deleted or kept."""
    kept_home_efs: str | None
    """The home EFS kept by ``home_efs_retention = "Retain"`` (users' files)."""


def destroy_workspace(target: Target, tf: Terraform, workspace: str, var_file: Path, progress: Progress,
                      auto_approve: bool = False, targets: Sequence[str] = (), stream: bool = False,
                      allow_domain_replacement: bool = False) -> Teardown:
    """Destroys the workspace in the order the module docstring gives.
    ``targets``: ``-target`` arguments of the last step (the emulator's scope),
    none for everything. A state with user profiles needs ``allow_domain_replacement``
    (or the variable true in ``var_file``): scripts/domain_guard.py."""
    extra = ["-auto-approve"] if auto_approve else []
    values = read_var_file(var_file)
    region, retention = values.get("region"), values.get("home_efs_retention", "Retain")
    state = [a for a in tf.run(["state", "list"], workspace=workspace).stdout.split() if not a.startswith("data.")]
    domains = [a for a in state if a.split(".")[0] == DOMAIN_TYPE]
    from scripts import domain_guard

    domain_guard.check_destroy(tf, workspace, state, values, allow_domain_replacement)
    done: list[str] = []
    kept = None
    _stop_serverless(target, region, tf.output_values(workspace) if state else {}, progress, auto_approve)
    if domains:
        value = tf.output_values(workspace)
        _remove_launched(target, region, value, progress, auto_approve)
        with progress.step(f"terraform destroy ({workspace}: the Studio domain and its users first)"):
            tf.run(["destroy", "-input=false", f"-var-file={var_file}", *extra,
                    *[f"-target={a}" for a in domains]], workspace=workspace, stream=stream)
        if value.get("vpc_id") and value.get("domain_id"):
            with progress.step("remove what SageMaker left in the VPC (scripts/teardown.py)"):
                ec2, efs = target_clients(target, region)
                done = teardown.remove_sagemaker_leftovers(
                    ec2, efs, value["vpc_id"], value["domain_id"], value.get("home_efs_id"), retention)
            for line in done:
                progress.say(f"teardown: {line}")
            kept = value.get("home_efs_id") if retention == "Retain" else None
    with progress.step(f"terraform destroy ({workspace})"):
        proc = tf.run(["destroy", "-input=false", f"-var-file={var_file}", *extra, *targets], workspace=workspace,
                      stream=stream, check=False)
    if proc.returncode != 0:
        raise CommandError(f"terraform destroy of {workspace} failed (exit {proc.returncode}).\n"
                           f"{(proc.stdout + proc.stderr)[-3000:]}\nNext: read Terraform's error above, fix it "
                           "and re-run.")
    progress.say(closing_line(proc.stdout, "destroy"))
    return Teardown(done, kept)


def _stop_serverless(target: Target, region: str, outputs: dict, progress: Progress, auto_approve: bool) -> None:
    """The workspace's EMR Serverless applications that users started, stopped before the destroy
    deletes them (``scripts/serverless_apps.py``)."""
    from scripts import serverless_apps

    if not outputs.get("emr_serverless_application_ids"):
        return
    (client,) = target_clients(target, region, ("emr-serverless",))
    with progress.step("stop the started EMR Serverless applications (scripts/serverless_apps.py)"):
        lines = serverless_apps.stop_for_destroy(client, outputs, auto_approve, progress.say)
    for line in lines or ["none is started"]:
        progress.say(f"emr serverless: {line}")


def _remove_launched(target: Target, region: str, outputs: dict, progress: Progress, auto_approve: bool) -> None:
    """What the domain's users launched outside Terraform: clusters, apps, spaces
    (``scripts/studio_leftovers.py``), removed before the domain goes."""
    from scripts import studio_leftovers

    sagemaker, catalog = target_clients(target, region, ("sagemaker", "servicecatalog"))
    found = studio_leftovers.find_launched(sagemaker, catalog, outputs)
    if not any(found):
        progress.say("launched: nothing launched by Studio users is left")
        return
    studio_leftovers.confirm(studio_leftovers.describe_launched(*found), auto_approve,
                             "Terminate and delete these before the destroy?", progress.say)
    with progress.step("remove what Studio users launched (clusters, apps, spaces; scripts/studio_leftovers.py)"):
        lines = studio_leftovers.remove_launched(sagemaker, catalog, outputs.get("domain_id"), *found)
    for line in lines:
        progress.say(f"launched: {line}")


def emulator_leftovers(emu, region: str | None = None, keep_buckets: Sequence[str] = (),
                       keep_file_systems: Sequence[str] = ()) -> list[str]:
    """What the emulator still holds of the kinds our stacks (and Studio) create,
    apart from ``keep_buckets`` (e.g. the state bucket) and ``keep_file_systems``
    (a retained home EFS): empty after a complete destroy."""
    ec2, iam = emu.client("ec2", region), emu.client("iam", region)
    s3, kms, logs = emu.client("s3", region), emu.client("kms", region), emu.client("logs", region)
    efs, sagemaker = emu.client("efs", region), emu.client("sagemaker", region)
    catalog, emr = emu.client("servicecatalog", region), emu.client("emr", region)
    cloudformation = emu.client("cloudformation", region)
    found = [f"vpc {v['VpcId']}" for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    default_vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}
    found += [f"security group {g['GroupName']} ({g['GroupId']})"
              for g in ec2.describe_security_groups()["SecurityGroups"]
              if g["GroupName"] != "default" and g.get("VpcId") not in default_vpcs]
    found += [f"efs {f['FileSystemId']}" for f in efs.describe_file_systems()["FileSystems"]
              if f["FileSystemId"] not in keep_file_systems]
    found += [f"sagemaker domain {d['DomainId']}" for d in sagemaker.list_domains()["Domains"]]
    found += [f"service catalog portfolio {p['Id']}" for p in catalog.list_portfolios()["PortfolioDetails"]]
    found += [f"emr cluster {c['Id']}" for c in emr.list_clusters()["Clusters"]
              if not c["Status"]["State"].startswith("TERMINATED")]
    found += [f"cloudformation stack {s['StackName']}" for s in cloudformation.list_stacks()["StackSummaries"]
              if s["StackStatus"] != "DELETE_COMPLETE"]
    found += [f"nat gateway {n['NatGatewayId']}" for n in ec2.describe_nat_gateways()["NatGateways"]
              if n["State"] not in ("deleted", "deleting")]
    found += [f"elastic ip {a['AllocationId']}" for a in ec2.describe_addresses()["Addresses"]]
    found += [f"vpc endpoint {e['VpcEndpointId']}" for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
              if e["State"].lower() not in ("deleted", "deleting")]
    found += [f"emr serverless application {a['name']} ({a['id']})"
              for a in emu.client("emr-serverless", region).list_applications()["applications"]
              if a["state"] != "TERMINATED"]
    found += [f"iam role {r['RoleName']}" for r in iam.list_roles()["Roles"]
              if not r["Path"].startswith("/aws-service-role/")]
    found += [f"instance profile {p['InstanceProfileName']}"
              for p in iam.list_instance_profiles()["InstanceProfiles"]]
    found += [f"bucket {b['Name']}" for b in s3.list_buckets()["Buckets"] if b["Name"] not in keep_buckets]
    found += [f"kms key {k['KeyId']}" for k in kms.list_keys()["Keys"]
              if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"]
    found += [f"log group {g['logGroupName']}" for g in logs.describe_log_groups()["logGroups"]]
    return found


def cmd_loop(args, progress: Progress) -> int:
    """On the emulator: bootstrap state, plan, apply, [journey], plan again, destroy, check nothing is left."""
    if args.target != "emulator":
        raise CommandError("`loop` runs on the emulator only.\nNext: leave out --target aws.")
    root = Path(args.root).resolve()
    ws = args.workspace
    var_file = check_workspace(root, ws)
    region = read_region(var_file)
    with open_target(args, progress, region) as target:
        settings = bootstrap_state(target, region, progress)
        use_emulator_state_backend(target, settings)
        tf = target.terraform(PLATFORM_STACK)
        with progress.step("terraform init (S3 backend in the emulator)"):
            tf.init()
        with progress.step(f"terraform plan ({ws}, everything)"):
            proc = tf.run(plan_args(var_file), workspace=ws)
        planned = counts(proc.stdout).get("to add", 0)
        print(closing_line(proc.stdout, "plan"))
        targets, left_out = emulator_scope(tf.dir)
        say_left_out(left_out, progress)
        with progress.step(f"terraform apply ({ws})"):
            proc = tf.run(["apply", "-input=false", "-auto-approve", f"-var-file={var_file}", *targets],
                          workspace=ws)
        applied = counts(proc.stdout).get("added", 0)
        print(closing_line(proc.stdout, "apply"))
        if getattr(args, "journey", False):
            from scripts.journey import JourneyFailure, run_journey

            try:
                result = run_journey(target, tf, ws, var_file, progress)
            except JourneyFailure as failure:
                raise CommandError(f"{failure}\n(The loop stopped before its re-plan and destroy.)") from None
            print(result.summary_line())
        with progress.step(f"terraform plan again ({ws}, -detailed-exitcode)"):
            proc = tf.run([*plan_args(var_file, targets=targets), "-detailed-exitcode"], workspace=ws, check=False)
        if proc.returncode != 0:
            raise CommandError(f"the plan after apply is not empty (exit {proc.returncode}): a perpetual diff.\n"
                               f"{proc.stdout[-4000:]}{proc.stderr[-2000:]}\n"
                               "Next: make the drifting argument match what AWS returns (see the diff above).")
        print("replan: no changes")
        # The loop's workspace is a throwaway by definition: its destroy needs no guard.
        teardown_done = destroy_workspace(target, tf, ws, var_file, progress, auto_approve=True, targets=targets,
                                          allow_domain_replacement=True)
        left = [a for a in tf.run(["state", "list"], workspace=ws).stdout.split() if not a.startswith("data.")]
        if left:
            raise CommandError(f"destroy left {len(left)} resources in state: {left}\n"
                               "Next: run the loop again with TF_LOG=DEBUG to see why they were kept.")
        kept_efs = [teardown_done.kept_home_efs] if teardown_done.kept_home_efs else []
        left = emulator_leftovers(target.emulator, region, keep_buckets=[settings.bucket],
                                  keep_file_systems=kept_efs)
        if left:
            raise CommandError(f"destroy left {len(left)} things in the emulator: {left}\n"
                               "Next: find which resource owns them (terraform state was empty) and why "
                               "destroy did not remove them.")
        kept = ["the state bucket"] + [f"the home EFS {fs} (home_efs_retention = Retain: users' files)"
                                       for fs in kept_efs]
        print(f"destroy: nothing left in state or in the emulator but {' and '.join(kept)}")
        print(f"loop {ws}: applied {applied} of {planned} planned resources"
              + (f" ({len(left_out)} left out)" if left_out else
                 " (everything)")
              + ", re-planned with no changes, destroyed everything")
    return 0


def cmd_emulator(args, progress: Progress) -> int:
    """``emulator up|down|status``: the persistent emulator (scripts/emulator/persistent.py)."""
    root = Path(args.root).resolve()
    if args.action == "up":
        region = args.region or read_region(check_workspace(root, "dev"))
        with progress.step("start the persistent emulator"):
            emu, started = emulator_persistent.up(root, region)
        progress.say(("started" if started else "already up") + f": {emu.url}")
        print(emulator_persistent.status(root))
        progress.say("Next: scripts/platform apply dev (on the emulator), then scripts/platform journey dev")
    elif args.action == "down":
        record = emulator_persistent.down(root)
        print(f"stopped the persistent emulator (pid {record.pid}) and removed its state" if record
              else "the persistent emulator was not running")
    else:
        print(emulator_persistent.status(root))
    return 0
