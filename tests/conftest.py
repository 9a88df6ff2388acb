"""Session fixtures shared by all tests.

* ``terraform_env``: environment for running terraform offline (CLI config
  pointing at the provider mirror, plugin cache, checkpoint disabled).
* ``emulator``: one local AWS emulator (moto server on 127.0.0.1) per session.
* ``synthesized_dir`` / ``stack``: the platform stack, synthesized once per run
  (read-only: copy it to change it).
* ``variable_rules_dir``: its ``variable`` blocks alone, planned with no provider (bad input).
* ``initialized_stack``: a copy of it after one ``terraform init``.
* ``emulator_stack``: that copy pointed at the emulator, and the env to use.

The suite runs on parallel workers (pytest-xdist, ``-n`` in pytest.ini; each
test file stays on one worker, so a module's fixtures are set up once). What
no worker changes is made once for all of them (``once_per_run``): the
synthesis and the example plans; and what several files apply (prod for the
journeys, dev for the domain guard) is applied once, each file getting a copy
of the applied emulator (``terraform_runs.applied_copy``). Each worker has its own emulator, its own
persistent-emulator home and its own initialized copy of the stack.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # make `scripts.*` (and main.py) importable
    sys.path.insert(0, str(REPO_ROOT))

from scripts.emulator import persistent as emulator_persistent  # noqa: E402
from scripts import terraform_env as _terraform_env  # noqa: E402
from scripts.emulator import Emulator  # noqa: E402
from scripts.platform_cmd import PLATFORM_STACK, Terraform, available_workspaces  # noqa: E402
from synthesized import SynthesizedStack  # noqa: E402
from terraform_runs import (applied_copy, new_root, once_per_run, stop_templates, variable_rules,  # noqa: E402
                            write_dev)


EMULATOR_HOME = pytest.StashKey[str]()  # the persistent-emulator home of this pytest process


def pytest_configure(config):
    """The tests never use (or stop) a developer's persistent emulator: theirs lives in a folder of their own.
    In registry mode they take the provider from the plugin cache (use_the_plugin_cache_as_mirror)."""
    import tempfile

    config.stash[EMULATOR_HOME] = tempfile.mkdtemp(prefix="platform-emulator-home-")
    os.environ[emulator_persistent.HOME_VARIABLE] = config.stash[EMULATOR_HOME]
    try:
        use_the_plugin_cache_as_mirror(os.environ)
    except _terraform_env.TerraformError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_unconfigure(config):
    """Removes the persistent-emulator home pytest_configure made (each worker and the controller
    make one), stopping a server still recorded in it."""
    if EMULATOR_HOME in config.stash:
        emulator_persistent.down_home(Path(config.stash[EMULATOR_HOME]))


def use_the_plugin_cache_as_mirror(environ) -> None:
    """Registry mode (no mirror, or TF_PROVIDER_MIRROR=none): after the first install, online
    and once per machine (build_env: the provider in the plugin cache, this platform's h1: in
    the machine's lock file), the session sets TF_PROVIDER_MIRROR to the plugin cache, whose
    layout is a mirror's unpacked one; so the tests run offline (test_tooling's offline()
    sends HTTP nowhere) on any platform, and the processes they start do too. Terraform's
    plugin cache must not be one of its mirrors: the session gets a cache of its own. Tests of
    registry mode itself set TF_PROVIDER_MIRROR=none in their own environment."""
    if _terraform_env.provider_mirror(environ) is not None:
        return  # mirror mode: nothing to do
    # The first install, when it has not happened.
    rc = Path(_terraform_env.build_env(REPO_ROOT, base=environ)["TF_CLI_CONFIG_FILE"])
    environ["TF_PROVIDER_MIRROR"] = _terraform_env.plugin_cache(rc, environ)
    environ["TF_PLUGIN_CACHE_DIR"] = str(rc.parent / "plugin-cache-tests")
    Path(environ["TF_PLUGIN_CACHE_DIR"]).mkdir(exist_ok=True)


# The order the files start in, with each file's wall seconds (setup, calls, teardown) in a full run on
# two cores and six workers (--durations=0). Each of the six workers gets one of the first six at once
# (pytest.ini: --dist loadfile; a file of one or two tests gets the next one too), then the next file
# whenever it runs low. Two rules:
# - the first six never wait for another worker: two apply the run's templates (the first to ask for
#   one applies it: terraform_runs.template), two apply their own workspaces, and two only plan, on the
#   CPU that the applies leave idle while the provider waits on S3 (a minute per apply); two more plan
#   files come next, before the files that copy the dev template. Before (LONGEST_FIRST), the guard's
#   files were among the first six and waited for the dev template: 0.16 of the 2 cores were busy at
#   60-90 s, and the run took 589 s (2fbfa05); in this order, 1.78 or more in every 30 s but the first
#   and the last, 536 s (8c9e443);
# - then the longest first, so that no long file starts last and runs alone at the end; the leftovers'
#   destroy after the longer ones, since its template is ready only after about 240 s.
FIRST = (
    "test_studio_leftovers.py",  # 383 s: applies the dev template, then the leftovers template on a copy
    "test_remote_state.py",  # 321 s: the state backend, dev and prod applied through it, locked, destroyed
    "test_bad_input.py",  # 75 s: 8 plans of the stack, 18 of its variables alone
    "test_loop.py",  # 290 s: one test, the whole loop (so the next file is queued behind it at once)
    "test_journey_serverless.py",  # 263 s: applies the prod template
    "test_emr_assumable_roles.py",  # 53 s: plans
    "test_domain_guard.py",  # 95 s: behind the loop, on a copy of the dev template
    "test_input_limits.py",  # 48 s: plans, while the dev template is still being applied
    "test_pr_plan.py",  # 38 s: plans, the same
    "test_domain_guard_switches.py",  # 300 s
    "test_domain_guard_network.py",  # 268 s
    "test_journey_emr_account.py",  # 211 s
    "test_product_versions.py",  # 172 s
    "test_studio_leftovers_destroy.py",  # 87 s, on a copy of the leftovers template (ready after about 240 s)
    "test_tooling.py",  # 130 s
    "test_journey.py",  # 69 s
    "test_emr_account.py",  # 45 s
)


# Fixtures that use the emulator without naming it as a parameter: ``plans`` asks for it with
# request.getfixturevalue, in the one worker that makes the run's plans (the others only read them).
USES_EMULATOR = frozenset({"emulator", "plans"})


# What no test file may import when it is collected, since every worker collects every file: a jsii assembly
# (the AWS bindings': about 4 CPU seconds and a Node process of 1 GB in each worker, for the whole run) or
# cfn-lint (1.4 s). The tests that build constructs or lint templates import them where they use them.
HEAVY_AT_COLLECTION = pytest.StashKey[dict]()  # test file name => the heavy modules its import loaded


def _heavy_modules() -> set:
    return {name for name in sys.modules if name.endswith("._jsii") or name == "cfnlint"}


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Records, per test file, the heavy modules (HEAVY_AT_COLLECTION) that importing it loaded."""
    before = _heavy_modules()
    yield
    if isinstance(collector, pytest.Module):
        loaded = _heavy_modules() - before
        if loaded:
            collector.config.stash.setdefault(HEAVY_AT_COLLECTION, {})[collector.path.name] = sorted(loaded)


@pytest.fixture
def heavy_at_collection(request) -> dict:
    """Test file name => the heavy modules its import loaded when this process collected it."""
    return request.config.stash.get(HEAVY_AT_COLLECTION, {})


def pytest_collection_modifyitems(items):
    """Marks `emulator` every test whose fixtures (however indirectly) include
    the emulator (USES_EMULATOR); tests that start one themselves carry the mark.
    Then orders the files: FIRST, then the others marked `applies`, then
    the rest, each in file order. pytest.ini's --no-loadscope-reorder keeps that
    order for the workers (xdist would otherwise start the files with the most
    tests first, and the one-test loop last)."""
    for item in items:
        if USES_EMULATOR.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.emulator)

    def rank(item) -> int:
        name = item.path.name
        if name in FIRST:
            return FIRST.index(name)
        return len(FIRST) + (item.get_closest_marker("applies") is None)

    items.sort(key=rank)


def pytest_sessionfinish(session):
    """Stops the emulators applied once for the run (terraform_runs.template) when the run
    ends: in the controller with workers (they share them), else in the one process."""
    if not hasattr(session.config, "workerinput"):
        stop_templates(session.config._tmp_path_factory.getbasetemp())


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
    except Exception as exc:  # noqa: BLE001 (EmulatorError or an OSError: either fails the session with its message)
        pytest.fail(str(exc), pytrace=False)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def synthesized_dir(tmp_path_factory) -> Path:
    """The platform stack, synthesized once for the whole run (all workers)."""
    with once_per_run(tmp_path_factory, "cdktf.out") as (outdir, done):
        if not done:
            import main  # imports the AWS bindings: only the worker that synthesizes pays for it

            main.build_app(str(outdir)).synth()
    return outdir / "stacks" / PLATFORM_STACK


@pytest.fixture(scope="session")
def stack(synthesized_dir: Path) -> SynthesizedStack:
    return SynthesizedStack(synthesized_dir)


@pytest.fixture(scope="session")
def variable_rules_dir(synthesized_dir: Path, tmp_path_factory) -> Path:
    """The platform stack's variables alone (terraform_runs.variable_rules), for the bad-input tests
    whose rule is a variable's validation: planned with no provider and no emulator."""
    return variable_rules(synthesized_dir, tmp_path_factory.mktemp("variable-rules"))


@pytest.fixture(scope="session")
def initialized_stack(synthesized_dir: Path, terraform_env: dict, tmp_path_factory) -> Path:
    """This worker's copy of the synthesized stack after one ``terraform init``
    (providers from the mirror, through the plugin cache), with a Terraform
    workspace for each example variable file."""
    # The same depth as in cdktf.out: the backend's local state (../../../.state) stays in this worker's folder.
    copy = tmp_path_factory.mktemp("initialized") / "cdktf.out" / "stacks" / PLATFORM_STACK
    shutil.copytree(synthesized_dir, copy)
    terraform = Terraform(copy, terraform_env)
    terraform.init()
    terraform.ensure_workspace(*available_workspaces(REPO_ROOT))
    return copy


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
def plans(request, tmp_path_factory, repo_root) -> dict:
    """``terraform show -json`` of each planned workspace and variant, by name:
    planned once per run (by the first worker that needs them), in parallel,
    against that worker's emulator (each in the Terraform workspace its
    variable file names)."""
    from terraform_runs import plan_many

    with once_per_run(tmp_path_factory, "plans") as (out, done):
        if not done:
            stack_dir, env = request.getfixturevalue("emulator_stack")  # only the worker that plans
            var_files = {w: repo_root / "workspaces" / f"{w}.tfvars.json" for w in PLANNED_WORKSPACES}
            for name, (base, changes) in PLAN_VARIANTS.items():
                var_files[name] = out / f"{name}.tfvars.json"
                var_files[name].write_text(json.dumps({**json.loads(var_files[base].read_text()), **changes}))
            runs = plan_many(stack_dir, var_files, env, out)
            for name, run in runs.items():
                assert run.exit_code == 0, f"plan of {name} failed:\n{run.output[-4000:]}"
                (out / f"{name}.json").write_text(json.dumps(run.plan))
    return {name: json.loads((out / f"{name}.json").read_text()) for name in (*PLANNED_WORKSPACES, *PLAN_VARIANTS)}


JOURNEY_REGION = "eu-west-1"  # workspaces/prod.tfvars.json


@pytest.fixture(scope="module")
def applied_prod(repo_root, synthesized_dir, tmp_path_factory):
    """(emulator, CLI arguments to reuse): prod applied on the persistent emulator (the tests' own:
    see pytest_configure), a copy of the run's one apply for each module of the journeys
    (tests/journeys.py)."""
    app = synthesized_dir.parent.parent
    with applied_copy(tmp_path_factory, app, ["prod"], JOURNEY_REGION, repo_root) as emu:
        yield emu, ["--outdir", str(app), "--no-synth"]


@pytest.fixture(scope="session")
def scratch_root(tmp_path_factory):
    """A factory of temporary ``--root`` folders for tests that rewrite workspace files:
    ``scratch_root(name, **changes)`` holds ``workspaces/dev.tfvars.json`` (dev with
    ``changes``) and this repository's Terraform CLI config and plugin cache."""
    def make(name: str, **changes) -> Path:
        root = new_root(tmp_path_factory.mktemp(name))
        write_dev(root, **changes)
        return root

    return make
