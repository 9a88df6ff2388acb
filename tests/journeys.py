"""What the journey tests share (tests/test_journey*.py): `scripts/platform journey prod` on
a copy of the run's one apply of prod (the ``applied_prod`` fixture, tests/conftest.py), with
the Studio role's policies changed for a run and put back; prod's names.

prod has EMR runtime roles, an EMR Serverless application and an EMR account; dev is the
blog post's setup. A journey takes about 20 s, an apply a minute or more: the files apply
nothing themselves, each gets its own copy of the applied emulator, so they run on
separate workers and may change what they like."""
import json

from scripts import platform_cmd

REGION = "eu-west-1"  # workspaces/prod.tfvars.json
WORKSPACE = "prod"
ROLE = "ml-prod-eu-west-1-studio-execution"


def journey(outdir, capsys, *stack):
    """`scripts/platform journey prod`; ``stack``: ``"--stack", "emr-account"`` for the cross-account one."""
    code = platform_cmd.main(["journey", WORKSPACE, *stack, *outdir])
    out, err = capsys.readouterr()
    return code, out, err


def journey_with_policy(emu, outdir, capsys, policy: str, change):
    """The journey with the Studio role's policy ``policy`` changed by ``change`` (a function of each
    statement), put back afterwards: an inline policy by its name, or a managed policy attached to the role
    (the runtime roles' grants, ``ml-prod-<region>-studio-rt-<name>``) by a new default version."""
    iam = emu.client("iam", REGION)
    attached = {p["PolicyName"]: p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]}
    if policy in attached:
        arn = attached[policy]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        original = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    else:
        original = iam.get_role_policy(RoleName=ROLE, PolicyName=policy)["PolicyDocument"]
    changed = json.loads(json.dumps(original))
    for statement in changed["Statement"]:
        change(statement)
    if policy in attached:
        new = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(changed), SetAsDefault=True)
    else:
        iam.put_role_policy(RoleName=ROLE, PolicyName=policy, PolicyDocument=json.dumps(changed))
    try:
        return journey(outdir, capsys)
    finally:
        if policy in attached:
            iam.set_default_policy_version(PolicyArn=arn, VersionId=version)
            iam.delete_policy_version(PolicyArn=arn, VersionId=new["PolicyVersion"]["VersionId"])
        else:
            iam.put_role_policy(RoleName=ROLE, PolicyName=policy, PolicyDocument=json.dumps(original))


def without(action: str):
    def change(statement):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != action]
    return change


def without_source_identity(users: list, sids=None):
    """Drops the users' condition from each statement (of those whose Sid is in ``sids``: default, all)."""
    def change(statement):
        if sids is None or statement["Sid"] in sids:
            assert statement["Condition"]["StringEquals"].pop("aws:SourceIdentity") == users
    return change


def no_cluster_left(emu):
    emr = emu.client("emr", REGION)
    assert [c["Id"] for c in emr.list_clusters(ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"])[
        "Clusters"]] == []


def runtime_role(repo_root) -> str:
    """The ARN of the runtime role of prod's application, as the workspace file names it."""
    (app,) = json.loads((repo_root / "workspaces" / "prod.tfvars.json").read_text())[
        "emr_serverless_applications"].values()
    return f"arn:aws:iam::123456789012:role/ml-prod-{REGION}-rt-{app['runtime_role']}"


def application(emu) -> dict:
    (app,) = [a for a in emu.client("emr-serverless", REGION).list_applications()["applications"]
              if a["name"] == "ml-prod-spark" and a["state"] != "TERMINATED"]
    return app
