"""Session fixtures shared by all tests.

* ``terraform_env``: environment for running terraform offline (CLI config
  pointing at the provider mirror, plugin cache, checkpoint disabled).
* ``emulator``: one local AWS emulator (moto server on 127.0.0.1) per session.
* ``synthesized_dir`` / ``stack``: the platform stack, synthesized once per session.
* ``initialized_stack``: that stack after one ``terraform init``.
* ``emulator_stack``: that stack pointed at the emulator, and the env to use.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # make `scripts.*` (and main.py) importable
    sys.path.insert(0, str(REPO_ROOT))

from scripts import emulator_persistent  # noqa: E402
from scripts import terraform_env as _terraform_env  # noqa: E402
from scripts.emulator import Emulator  # noqa: E402
from scripts.platform_cmd import Terraform, available_workspaces  # noqa: E402
from synthesized import SynthesizedStack  # noqa: E402


def pytest_configure(config):
    """The tests never use (or stop) a developer's persistent emulator: theirs lives in a folder of their own."""
    import tempfile

    os.environ[emulator_persistent.HOME_VARIABLE] = tempfile.mkdtemp(prefix="platform-emulator-home-")


def pytest_collection_modifyitems(items):
    """Marks `emulator` every test whose fixtures (however indirectly) include
    the emulator; tests that start one themselves carry the mark in their file."""
    for item in items:
        if "emulator" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def terraform_env() -> dict:
    """Env for terraform: os.environ + TF_CLI_CONFIG_FILE (mirror, plugin cache) etc."""
    try:
        return _terraform_env.build_env(REPO_ROOT)
    except _terraform_env.TerraformError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def emulator():
    """One moto server on 127.0.0.1:<free port> for the whole session; stopped at the end."""
    emu = Emulator(region="us-east-1", log_dir=REPO_ROOT / ".cache" / "emulator")
    try:
        emu.start()
    except Exception as exc:  # EmulatorError carries the log tail and what to do
        pytest.fail(str(exc), pytrace=False)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def synthesized_dir(tmp_path_factory) -> Path:
    """The platform stack, synthesized once for the whole session."""
    import main

    outdir = tmp_path_factory.mktemp("cdktf.out")
    main.build_app(str(outdir)).synth()
    return outdir / "stacks" / main.PLATFORM_STACK


@pytest.fixture(scope="session")
def stack(synthesized_dir: Path) -> SynthesizedStack:
    return SynthesizedStack(synthesized_dir)


@pytest.fixture(scope="session")
def initialized_stack(synthesized_dir: Path, terraform_env: dict) -> Path:
    """The synthesized stack after one ``terraform init`` (providers from the mirror),
    with a Terraform workspace for each example variable file."""
    terraform = Terraform(synthesized_dir, terraform_env)
    terraform.init()
    terraform.ensure_workspace(*available_workspaces(REPO_ROOT))
    return synthesized_dir


@pytest.fixture(scope="session")
def emulator_stack(initialized_stack: Path, emulator, terraform_env: dict):
    """(stack dir, env) for terraform against the session's emulator: the stack
    gets the provider override, the env fake credentials and no AWS profile."""
    emulator.write_provider_override(initialized_stack)
    return initialized_stack, emulator.env(terraform_env)


# The example workspaces, planned once per session; and variants of them:
# name => (workspace file, changes). dev-boundary: every role must carry the boundary.
PLANNED_WORKSPACES = ("dev", "prod")
PLAN_VARIANTS = {
    "dev-boundary": ("dev", {"permissions_boundary_arn": "arn:aws:iam::123456789012:policy/platform-boundary"}),
}


@pytest.fixture(scope="session")
def plans(emulator_stack, repo_root, tmp_path_factory) -> dict:
    """``terraform show -json`` of each planned workspace and variant, by name:
    planned once per session, in parallel, against the session's emulator (each
    in the Terraform workspace its variable file names)."""
    import json

    from terraform_runs import plan_many

    stack_dir, env = emulator_stack
    out = tmp_path_factory.mktemp("plans")
    var_files = {w: repo_root / "workspaces" / f"{w}.tfvars.json" for w in PLANNED_WORKSPACES}
    for name, (base, changes) in PLAN_VARIANTS.items():
        var_files[name] = out / f"{name}.tfvars.json"
        var_files[name].write_text(json.dumps({**json.loads(var_files[base].read_text()), **changes}))
    runs = plan_many(stack_dir, var_files, env, out)
    for name, run in runs.items():
        assert run.exit_code == 0, f"plan of {name} failed:\n{run.output[-4000:]}"
    return {name: run.plan for name, run in runs.items()}


@pytest.fixture(scope="session")
def scratch_root(tmp_path_factory, repo_root):
    """A factory of temporary ``--root`` folders for tests that rewrite workspace files:
    ``scratch_root(name, **changes)`` holds ``workspaces/dev.tfvars.json`` (dev with
    ``changes``) and this repository's Terraform CLI config and plugin cache."""
    dev = json.loads((repo_root / "workspaces" / "dev.tfvars.json").read_text())

    def make(name: str, **changes) -> Path:
        root = tmp_path_factory.mktemp(name)
        (root / "workspaces").mkdir()
        (root / ".cache").mkdir()
        (root / ".cache" / "terraform").symlink_to(_terraform_env.cache_dir(repo_root).resolve())
        (root / "workspaces" / "dev.tfvars.json").write_text(json.dumps({**dev, **changes}, indent=2))
        return root

    return make
