"""Users who leave (scripts/studio_leftovers.py), on the persistent emulator: two domains side by
side in one emulated region, dev (alice, bob, carol) and iso (dora), users at work in both
(apps, private spaces: tests/studio_leftovers_setup.py); then bob leaves through
`scripts/platform apply` and carol through the cdktf flow (`prepare-apply`, then Terraform):
each step removes exactly what belongs to the user, and the other users, in both domains, keep
everything. The destroy of dev, from the same start on another worker:
tests/test_studio_leftovers_destroy.py.
"""
import json

import pytest
import terraform_runs
from aws_answers import set_transition
from studio_leftovers_setup import (REGION, applied, domains, root, sm, spaces, statuses,  # noqa: F401 (fixtures)
                                    untouched, working)

from scripts import platform_cmd, studio_leftovers
from scripts.platform_cmd import PLATFORM_STACK, CommandError

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
APP_MODEL = "sagemaker::app"  # scripts/moto_ext/sagemaker/studio_resources.py


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
    assert set(statuses(sm, dev, UserProfileNameEquals="bob")) == {"Deleted"}
    assert "bob-lab" not in spaces(sm, dev)
    # The other users' work, in this domain and the other, is untouched.
    for domain, user in ((dev, "alice"), (dev, "carol"), (iso, "dora")):
        untouched(sm, domain, user)


def test_a_shared_space_of_a_user_who_leaves_is_refused_not_deleted(sm, working):
    dev = working["ml-dev"]
    sm.create_space(DomainId=dev, SpaceName="team-room", OwnershipSettings={"OwnerUserProfileName": "carol"},
                    SpaceSharingSettings={"SharingType": "Shared"}, SpaceSettings={"AppType": "JupyterLab"})
    try:
        with pytest.raises(CommandError, match=r"user profile carol of domain d-\w+ owns the shared space\(s\) "
                                               r"team-room: AWS will not delete the profile"):
            studio_leftovers.user_leftovers(sm, dev, "carol")
        assert "team-room" in spaces(sm, dev)
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
    untouched(sm, dev, "carol")
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
        untouched(sm, domain, user)
