"""Two domains side by side on the persistent emulator, with users at work in both, for the
tests of users who leave and of destroys (tests/test_studio_leftovers*.py,
scripts/studio_leftovers.py).

`dev` (users alice, bob, carol: carol added to a copy of the run's one apply of the
example dev) and `iso` (another domain_name and VPC, user dora) are applied once per run:
the template `leftovers` (terraform_runs.template). Each file gets a copy of it, so that
the destroy's file runs on another worker beside the users' file, from the same start.
"""
import json

import pytest

import terraform_runs
from scripts import platform_cmd
from scripts.emulator import persistent as emulator_persistent

REGION = "eu-west-1"  # workspaces/dev.tfvars.json
USERS = {"dev": ("alice", "bob", "carol"), "iso": ("dora",)}


def write_workspaces(root) -> None:
    """``root``'s workspaces: dev (the example, with USERS["dev"]) and iso (its own domain and VPC)."""
    terraform_runs.write_dev(root, user_profiles={user: {} for user in USERS["dev"]})
    iso = platform_cmd.new_workspace(root, "iso", "dev", "ml-iso", None)
    (iso_values := json.loads(iso.read_text())).update(vpc_cidr="10.40.0.0/16",
                                                       user_profiles={user: {} for user in USERS["iso"]})
    iso.write_text(json.dumps(iso_values, indent=2))


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A scratch root with the workspaces dev and iso (:func:`write_workspaces`), for the tests to change."""
    root = terraform_runs.new_root(tmp_path_factory.mktemp("leftovers-root"))
    write_workspaces(root)
    return root


@pytest.fixture(scope="module")
def applied(root, synthesized_dir, tmp_path_factory):
    """dev and iso applied: a copy of the run's template `leftovers` as the persistent emulator of
    ``root``; (emulator, CLI arguments)."""
    app = synthesized_dir.parent.parent

    def make(template_root):
        write_workspaces(template_root)
        dev = terraform_runs.example_template(tmp_path_factory, app, ["dev"], REGION)
        emulator_persistent.copy(dev, template_root)  # alice and bob, applied once for the run
        terraform_runs.apply_workspaces(template_root, app, ["dev", "iso"])  # carol, then iso

    home = terraform_runs.template(tmp_path_factory, "leftovers", make)
    args = ["--root", str(root), "--outdir", str(app), "--no-synth"]
    with terraform_runs.template_copy(home, root) as emu:
        # The CLI's copy of the stack, initialized, as any command leaves it: the tests' own Terraform
        # runs there (terraform_runs.cli_stack: the cdktf flow, the outputs), whichever test runs first.
        assert platform_cmd.main(["output", "dev", *args]) == 0
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
    """Every user of both domains at work (:func:`_work`); domain name => id."""
    for workspace, users in USERS.items():
        for user in users:
            _work(sm, domains[f"ml-{workspace}"], user)
            untouched(sm, domains[f"ml-{workspace}"], user)  # running (InService) before anything happens
    return domains


def statuses(sm, domain: str, **owner) -> list[str]:
    return [a["Status"] for a in sm.list_apps(DomainIdEquals=domain, **owner)["Apps"]]


def spaces(sm, domain: str) -> set[str]:
    return {s["SpaceName"] for s in sm.list_spaces(DomainIdEquals=domain)["Spaces"]}


def untouched(sm, domain: str, user: str) -> None:
    assert statuses(sm, domain, UserProfileNameEquals=user) == ["InService"]
    assert statuses(sm, domain, SpaceNameEquals=f"{user}-lab") == ["InService"]
    assert f"{user}-lab" in spaces(sm, domain)
