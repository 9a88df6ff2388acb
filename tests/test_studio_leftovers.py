"""Users who leave and destroys of workspaces whose users launched things
(scripts/studio_leftovers.py), on the persistent emulator.

Two domains side by side in one emulated region, applied for the module from
a scratch root: `dev` (users alice, bob, carol: carol added to a copy of the
run's one apply of the example dev) and `iso` (another domain_name and VPC,
user dora). Users work in both (apps, private spaces,
an EMR cluster launched from the product as the journey does); then bob
leaves through `scripts/platform apply`, carol through the cdktf flow
(`prepare-apply`, then Terraform), and `dev` is destroyed: each step removes
exactly what belongs to the user or the domain, and `iso` keeps everything.
"""
import json

import pytest
import terraform_runs
from aws_answers import set_transition

from scripts import platform_cmd, studio_leftovers
from scripts.journey import steps
from scripts.journey.studio_user import CallRecord, role_credentials, role_session
from scripts.platform_cmd import PLATFORM_STACK, CommandError, Terraform

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
REGION = "eu-west-1"  # workspaces/dev.tfvars.json
APP_MODEL = "sagemaker::app"  # scripts/moto_ext/sagemaker/studio_resources.py


@pytest.fixture(scope="module")
def root(scratch_root):
    """A scratch root with workspaces dev (alice, bob, carol) and iso (dora, its own domain and VPC)."""
    root = scratch_root("leftovers-root", user_profiles={"alice": {}, "bob": {}, "carol": {}})
    iso = platform_cmd.new_workspace(root, "iso", "dev", "ml-iso", None)
    (iso_values := json.loads(iso.read_text())).update(vpc_cidr="10.40.0.0/16", user_profiles={"dora": {}})
    iso.write_text(json.dumps(iso_values, indent=2))
    return root


@pytest.fixture(scope="module")
def applied(root, synthesized_dir, tmp_path_factory):
    """dev and iso applied on a persistent emulator of the tests' own: a copy of the run's one apply
    of the example dev (alice and bob), then dev with carol and iso applied on it; (emulator, CLI
    arguments)."""
    app = synthesized_dir.parent.parent
    args = ["--root", str(root), "--outdir", str(app), "--no-synth"]
    with terraform_runs.applied_copy(tmp_path_factory, app, ["dev"], REGION, root) as emu:
        for workspace in ("dev", "iso"):
            assert platform_cmd.main(["apply", workspace, "--auto-approve", *args]) == 0, workspace
        yield emu, args


@pytest.fixture(scope="module")
def sm(applied):
    return applied[0].client("sagemaker", REGION)


@pytest.fixture(scope="module")
def domains(sm, applied):
    return {d["DomainName"]: d["DomainId"] for d in sm.list_domains()["Domains"]}


def _work(sm, domain: str, user: str) -> None:
    """What a working user has: a Studio Classic app of the profile, and a
    private JupyterLab space with its app running."""
    sm.create_app(DomainId=domain, UserProfileName=user, AppType="JupyterServer", AppName="default")
    sm.create_space(DomainId=domain, SpaceName=f"{user}-lab", OwnershipSettings={"OwnerUserProfileName": user},
                    SpaceSharingSettings={"SharingType": "Private"}, SpaceSettings={"AppType": "JupyterLab"})
    sm.create_app(DomainId=domain, SpaceName=f"{user}-lab", AppType="JupyterLab", AppName="default",
                  ResourceSpec={"InstanceType": "ml.t3.medium"})


@pytest.fixture(scope="module")
def working(sm, domains):
    for domain, user in ((domains["ml-dev"], "alice"), (domains["ml-dev"], "bob"), (domains["ml-dev"], "carol"),
                         (domains["ml-iso"], "dora")):
        _work(sm, domain, user)
        _untouched(sm, domain, user)  # running (InService) before anything happens
    return domains


def _statuses(sm, domain: str, **owner) -> list[str]:
    return [a["Status"] for a in sm.list_apps(DomainIdEquals=domain, **owner)["Apps"]]


def _spaces(sm, domain: str) -> set[str]:
    return {s["SpaceName"] for s in sm.list_spaces(DomainIdEquals=domain)["Spaces"]}


def _untouched(sm, domain: str, user: str) -> None:
    assert _statuses(sm, domain, UserProfileNameEquals=user) == ["InService"]
    assert _statuses(sm, domain, SpaceNameEquals=f"{user}-lab") == ["InService"]
    assert f"{user}-lab" in _spaces(sm, domain)


def _remove_user(root, user: str) -> None:
    path = root / "workspaces" / "dev.tfvars.json"
    values = json.loads(path.read_text())
    del values["user_profiles"][user]
    path.write_text(json.dumps(values, indent=2))


def test_removed_user_profiles_are_the_deletes_and_replacements_of_the_plan():
    def change(name, actions):
        return {"address": f'aws_sagemaker_user_profile.users["{name}"]', "type": "aws_sagemaker_user_profile",
                "change": {"actions": actions, "before": {"domain_id": "d-1", "user_profile_name": name}}}
    plan = {"resource_changes": [change("gone", ["delete"]), change("replaced", ["delete", "create"]),
                                 change("replaced-first", ["create", "delete"]), change("kept", ["update"]),
                                 {**change("x", ["delete"]), "type": "aws_sagemaker_space"}]}
    assert [user for _, _, user in studio_leftovers.removed_user_profiles(plan)] == [
        "gone", "replaced", "replaced-first"]


def test_apply_removes_the_apps_and_spaces_of_a_user_who_leaves(applied, root, sm, working, capsys):
    emu, args = applied
    dev, iso = working["ml-dev"], working["ml-iso"]
    _remove_user(root, "bob")
    set_transition(emu, APP_MODEL, {"progression": "manual", "times": 2})  # deletions take a while, as on AWS
    try:
        code = platform_cmd.main(["apply", "dev", "--auto-approve", *args])
    finally:
        set_transition(emu, APP_MODEL, None)
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    assert "the apply deletes user profile(s) bob" in err
    assert "  - user bob (domain " in err and "app JupyterServer/default of user bob" in err
    assert "leftovers: deleted app JupyterServer/default of user bob (was InService)" in err
    assert "leftovers: deleted app JupyterLab/default of space bob-lab" in err
    assert "leftovers: deleted private space bob-lab of bob and its storage" in err
    assert "leftovers: files of bob: stay on the home EFS fs-" in err and "in its directory /2000" in err
    assert "Apply complete!" in out
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_user_profile(DomainId=dev, UserProfileName="bob")
    assert set(_statuses(sm, dev, UserProfileNameEquals="bob")) == {"Deleted"}
    assert "bob-lab" not in _spaces(sm, dev)
    # The other users' work, in this domain and the other, is untouched.
    for domain, user in ((dev, "alice"), (dev, "carol"), (iso, "dora")):
        _untouched(sm, domain, user)


def test_a_shared_space_of_a_user_who_leaves_is_refused_not_deleted(sm, working):
    dev = working["ml-dev"]
    sm.create_space(DomainId=dev, SpaceName="team-room", OwnershipSettings={"OwnerUserProfileName": "carol"},
                    SpaceSharingSettings={"SharingType": "Shared"}, SpaceSettings={"AppType": "JupyterLab"})
    try:
        with pytest.raises(CommandError, match=r"user profile carol of domain d-\w+ owns the shared space\(s\) "
                                               r"team-room: AWS will not delete the profile"):
            studio_leftovers.user_leftovers(sm, dev, "carol")
        assert "team-room" in _spaces(sm, dev)
    finally:
        sm.delete_space(DomainId=dev, SpaceName="team-room")


def test_cdktf_flow_prepare_apply_first_then_terraform_removes_the_user(applied, root, sm, working, capsys,
                                                                       monkeypatch):
    emu, args = applied
    dev, iso = working["ml-dev"], working["ml-iso"]
    _remove_user(root, "carol")
    tf = terraform_runs.cli_stack(root, emu, PLATFORM_STACK, REGION)
    apply = ["apply", "-input=false", "-auto-approve", f"-var-file={root / 'workspaces' / 'dev.tfvars.json'}"]
    # What `cdktf deploy` does without the step: AWS refuses to delete a profile that has apps.
    failed = tf.run(apply, workspace="dev", check=False)
    assert failed.returncode != 0
    assert "because App(s) are associated with it" in failed.stderr, failed.stderr[-3000:]
    # prepare-apply asks first; anything but yes deletes nothing.
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert platform_cmd.main(["prepare-apply", "dev", *args]) == 1
    assert "stopped: you answered 'no', nothing was deleted" in capsys.readouterr().err
    _untouched(sm, dev, "carol")
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert platform_cmd.main(["prepare-apply", "dev", *args]) == 0
    err = capsys.readouterr().err
    assert "leftovers: deleted private space carol-lab of carol and its storage" in err
    assert "Next: deploy dev (cdktf deploy, or scripts/platform apply dev)" in err
    done = tf.run(apply, workspace="dev", check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_user_profile(DomainId=dev, UserProfileName="carol")
    for domain, user in ((dev, "alice"), (iso, "dora")):
        _untouched(sm, domain, user)


def _launch_cluster(emu, tf: Terraform, workspace: str) -> dict:
    """A cluster launched from the workspace's product as Studio does (the journey's steps 1 and 2)."""
    outputs = {name: o.get("value") for name, o in tf.output(workspace).items()}
    record = CallRecord()
    credentials = role_credentials(emu, outputs["studio_execution_role_arn"], REGION)
    journey = steps.Journey(emu, REGION, outputs, role_session(credentials, REGION, record), credentials, record)
    steps.find_products(journey)
    steps.launch_cluster(journey)
    return {**journey.found, "outputs": outputs}


def test_destroy_removes_what_studio_launched_in_its_domain_only(applied, root, sm, working, capsys):
    emu, args = applied
    iso = working["ml-iso"]
    tf = terraform_runs.cli_stack(root, emu, PLATFORM_STACK, REGION)
    launched = {ws: _launch_cluster(emu, tf, ws) for ws in ("dev", "iso")}
    emr, catalog, efs = (emu.client(s, REGION) for s in ("emr", "servicecatalog", "efs"))

    code = platform_cmd.main(["destroy", "dev", "--auto-approve", "--allow-domain-replacement", *args])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    assert (f"launched: terminated provisioned product {launched['dev']['project']} "
            f"({launched['dev']['provisioned_product_id']}, product ") in err
    assert "launched: deleted app JupyterServer/default of user alice (was InService)" in err
    assert "launched: deleted app JupyterLab/default of space alice-lab (was InService)" in err
    assert "launched: deleted private space alice-lab of alice and its storage" in err
    assert "[platform] destroy: Destroy complete!" in err
    assert emr.describe_cluster(ClusterId=launched["dev"]["cluster_id"])["Cluster"]["Status"]["State"] == "TERMINATED"
    # Nothing of iso: its cluster, provisioned product, apps, space, domain and home EFS.
    assert launched["iso"]["provisioned_product_id"] not in err
    assert emr.describe_cluster(ClusterId=launched["iso"]["cluster_id"])["Cluster"]["Status"]["State"] in (
        "STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
    kept = catalog.scan_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})[
        "ProvisionedProducts"]
    assert [(pp["Id"], pp["Status"]) for pp in kept] == [(launched["iso"]["provisioned_product_id"], "AVAILABLE")]
    _untouched(sm, iso, "dora")
    assert [d["DomainName"] for d in sm.list_domains()["Domains"]] == ["ml-iso"]
    home = launched["iso"]["outputs"]["home_efs_id"]
    assert len(efs.describe_mount_targets(FileSystemId=home)["MountTargets"]) == 2
