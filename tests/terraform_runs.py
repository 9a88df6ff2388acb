"""Runs of terraform on the synthesized stack against the emulator, for the tests.

Plans here never write state (``-lock=false``, no apply), so several run at
once on the one initialized stack directory.
"""
import fcntl
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, Mapping, Optional, Sequence

from scripts import platform_cmd, terraform_env
from scripts.repo import REPO_ROOT
from scripts.emulator import persistent as emulator_persistent
from scripts.terraform_env.show_provider import ShowProvider

PARALLEL_PLANS = 3


@dataclass(frozen=True)
class PlanRun:
    exit_code: int
    output: str
    """stdout and stderr together."""
    plan: Optional[dict]
    """``terraform show -json`` of the saved plan, when the plan succeeded."""


def workspace_of(var_file: Path) -> str:
    """The Terraform workspace a variable file names (its ``workspace`` value)."""
    return json.loads(Path(var_file).read_text())["workspace"]


def plan(stack_dir: Path, var_file: Path, env: Mapping[str, str], plan_file: Optional[Path] = None,
         workspace: Optional[str] = None) -> PlanRun:
    """Plans ``var_file`` in ``workspace`` (default: the one the file names), which must exist."""
    args = ["plan", "-input=false", "-lock=false", f"-var-file={var_file}"]
    if plan_file is not None:
        args.append(f"-out={plan_file}")
    env = {**env, "TF_WORKSPACE": workspace or workspace_of(var_file)}
    # The show attaches to a provider started while the plan runs, as scripts/platform's shows do
    # (none started for a plan that is not saved: nothing shows it).
    with ShowProvider(stack_dir, env) if plan_file is not None else nullcontext() as show_provider:
        proc = terraform_env.run_terraform(args, stack_dir, env=env, check=False, timeout=600)
        shown = None
        if proc.returncode == 0 and plan_file is not None:
            show = ["show", "-json", str(plan_file)]
            shown = json.loads(show_provider.show(lambda run_env, check: terraform_env.run_terraform(
                show, stack_dir, env=run_env, check=check, timeout=300), env).stdout)
    return PlanRun(proc.returncode, proc.stdout + proc.stderr, shown)


def plan_many(stack_dir: Path, var_files: Mapping[str, Path], env: Mapping[str, str],
              out_dir: Optional[Path] = None, workspace: Optional[str] = None) -> Dict[str, PlanRun]:
    """Plans each named variable file, a few at a time; saves and shows them with ``out_dir``."""
    def one(item):
        name, var_file = item
        plan_file = out_dir / f"{name}.tfplan" if out_dir is not None else None
        return name, plan(stack_dir, var_file, env, plan_file, workspace)

    with ThreadPoolExecutor(max_workers=PARALLEL_PLANS) as pool:
        return dict(pool.map(one, var_files.items()))


def variable_rules(synthesized_stack: Path, folder: Path) -> Path:
    """``folder`` made a root module of only the ``variable`` blocks of ``synthesized_stack``
    (its ``cdk.tf.json``) and its Terraform version constraint: Terraform plans it with no
    provider, no init and no emulator, and evaluates every rule on the inputs (the variables'
    ``validation`` blocks, which read only ``var.*`` and ``terraform.workspace``) exactly as a
    plan of the stack does, in about 0.2 CPU-s where a plan of the stack costs about 5. Rules
    that are conditions of data sources or resources are not in it: those need the stack."""
    config = json.loads((Path(synthesized_stack) / "cdk.tf.json").read_text())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "variables.tf.json").write_text(json.dumps({
        "terraform": {"required_version": config["terraform"]["required_version"]},
        "variable": config["variable"]}, indent=2))
    return folder


def planned_resources(shown: dict) -> Dict[str, dict]:
    """Resource changes of a shown plan by address, creates only."""
    return {c["address"]: c for c in shown["resource_changes"] if c["change"]["actions"] == ["create"]}


def by_type(shown: dict, type_: str) -> Dict[str, dict]:
    """The planned ``after`` values of every resource of ``type_``, by address."""
    return {a: c["change"]["after"] for a, c in planned_resources(shown).items() if c["type"] == type_}


def cli_stack(root: Path, emu, stack: str, region: str) -> platform_cmd.Terraform:
    """Terraform in the copy of ``stack`` that `scripts/platform` keeps beside the persistent emulator
    of ``root`` (initialized, with its state), pointed at ``emu`` in ``region``."""
    return platform_cmd.Terraform(emulator_persistent.persistent_dir(root) / "stacks" / stack,
                                  emu.env(terraform_env.build_env(root), region=region))


@contextmanager
def once_per_run(tmp_path_factory, name: str) -> Iterator[tuple[Path, bool]]:
    """(folder ``name`` that every worker of this run sees, whether it is ready):
    the first worker to get here makes it, the others wait for it and reuse it.
    The caller writes its contents and ``ready`` on success; a failed maker
    leaves it unready, so the next worker tries again (and fails the same way)."""
    folder = shared_folder(tmp_path_factory) / name
    with open(folder.with_name(f"{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = (folder / ".ready").exists()
        if not done:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
        yield folder, done
        if not done:
            (folder / ".ready").touch()


def shared_folder(tmp_path_factory) -> Path:
    """The folder every worker of this run sees (the run's base temporary folder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


APPLIED_PREFIX = "applied-"


def write_dev(root: Path, **changes) -> Path:
    """``root``'s ``workspaces/dev.tfvars.json``: this repository's example dev with ``changes``."""
    dev = json.loads((REPO_ROOT / "workspaces" / "dev.tfvars.json").read_text())
    target = root / "workspaces" / "dev.tfvars.json"
    target.write_text(json.dumps({**dev, **changes}, indent=2))
    return target


def new_root(path: Path) -> Path:
    """An empty ``--root`` at ``path``: a ``workspaces`` folder, and this repository's Terraform
    CLI config and plugin cache (``.cache/terraform``)."""
    (path / "workspaces").mkdir(parents=True)
    (path / ".cache").mkdir()
    (path / ".cache" / "terraform").symlink_to(terraform_env.cache_dir(REPO_ROOT).resolve())
    return path


def example_template(tmp_path_factory, synthesized_app: Path, workspaces: Sequence[str], region: str) -> Path:
    """The home of the run's template emulator on which the repository's example ``workspaces``
    (``workspaces/<name>.tfvars.json``) are applied from ``synthesized_app`` (the run's synthesis,
    ``cdktf.out``; ``scripts/platform apply``): the first worker that asks applies, the others wait."""
    def make(template_root: Path) -> None:
        shutil.copytree(REPO_ROOT / "workspaces", template_root / "workspaces", dirs_exist_ok=True)
        emulator_persistent.up(template_root, region)
        apply_workspaces(template_root, synthesized_app, workspaces)

    return template(tmp_path_factory, "-".join(workspaces), make)


def template(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """The home of the run's template emulator ``name``: the first worker that asks makes it,
    ``make(template_root)`` with the persistent emulator's home set to it (``make`` starts or copies
    the emulator of ``template_root``, then applies on it); the others wait for it. A template is
    never changed: callers get copies (:func:`template_copy`). Templates are stopped when the run
    ends (conftest's pytest_sessionfinish: :func:`stop_templates`)."""
    with once_per_run(tmp_path_factory, APPLIED_PREFIX + name) as (folder, done):
        home = folder / "home"
        if not done:
            with _emulator_home(home):
                try:
                    make(new_root(folder / "root"))
                except BaseException:
                    emulator_persistent.down_home(home)
                    raise
    return home


def apply_workspaces(root: Path, synthesized_app: Path, workspaces: Sequence[str]) -> None:
    """``scripts/platform apply`` of each of ``workspaces`` of ``root``, in turn, on its persistent emulator."""
    args = ["--root", str(root), "--outdir", str(synthesized_app), "--no-synth"]
    for workspace in workspaces:
        assert platform_cmd.main(["apply", workspace, "--auto-approve", *args]) == 0, workspace


@contextmanager
def template_copy(template_home: Path, root: Path) -> Iterator:
    """A copy of the template emulator at ``template_home`` as the persistent emulator of ``root``,
    for the caller (a test module) to change as it likes: a copy of its server, of its Terraform
    state and of its initialized stacks (``persistent.copy``: no ``terraform init`` again), a second
    or two where an apply takes a minute or more; yields it, stopped on exit."""
    emu = emulator_persistent.copy(template_home, root)
    try:
        yield emu
    finally:
        emulator_persistent.down(root)


def applied_copy(tmp_path_factory, synthesized_app: Path, workspaces: Sequence[str], region: str, root: Path):
    """A copy (:func:`template_copy`) of the run's one apply of the example ``workspaces``
    (:func:`example_template`) as the persistent emulator of ``root``."""
    return template_copy(example_template(tmp_path_factory, synthesized_app, workspaces, region), root)


def stop_templates(shared: Path) -> None:
    """Stops the template emulators (:func:`template`) under ``shared``."""
    for home in shared.glob(f"{APPLIED_PREFIX}*/home"):
        emulator_persistent.down_home(home)


@contextmanager
def _emulator_home(home: Path) -> Iterator[None]:
    """The persistent emulator's home is ``home`` meanwhile (PLATFORM_EMULATOR_HOME)."""
    earlier = os.environ.get(emulator_persistent.HOME_VARIABLE)
    os.environ[emulator_persistent.HOME_VARIABLE] = str(home)
    try:
        yield
    finally:
        if earlier is None:
            del os.environ[emulator_persistent.HOME_VARIABLE]
        else:
            os.environ[emulator_persistent.HOME_VARIABLE] = earlier
