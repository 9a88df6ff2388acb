"""The environment for terraform: the CLI configuration (the user's merged with ours), the
plugin cache filled once, and ``terraform init`` against the lock file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from scripts.made_once import made_once
from scripts.repo import REPO_ROOT, TERRAFORM_LOCK_FILE_NAME
from scripts.terraform_env import cli_config, provider_lock, providers
from scripts.terraform_env.providers import (
    AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION, explain_init_failure, platform_id, provider_mirror)
from scripts.terraform_env.run import TerraformError, run_terraform, terraform_binary

# Terraform and the AWS provider are short-lived Go processes that spend much of
# their CPU collecting garbage while they decode the provider's large schema.
# Letting the heap grow to 4x its live size before a collection (Go's default
# is 1x) cut the CPU of one plan of this stack from 7.8 s to 5.4 s and of
# `terraform show -json` from 2.5 s to 1.9 s, for about 150 MiB more peak
# memory per process (scripts/benchmark measures both settings).
GO_GC_PERCENT = "400"


def cache_dir(root: Path | str | None = None) -> Path:
    return Path(root or REPO_ROOT) / ".cache" / "terraform"


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Atomic replace: several processes (pytest workers, scripts/plan) may race here.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_cli_config(root: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Write ``.cache/terraform/cli-<hash>.tfrc`` (the user's CLI configuration merged with ours,
    for mirror or registry mode) and create our plugin cache dir; return its path. One file per
    distinct text, so that runs with other settings at the same time (a test session taking the
    provider from the plugin cache, a plan in registry mode) never rewrite each other's."""
    environ = os.environ if environ is None else environ
    mirror = provider_mirror(environ)
    cdir = cache_dir(root).resolve()
    ours = cli_config.Ours(str(cdir / "plugin-cache"), str(mirror) if mirror else None, AWS_PROVIDER_SOURCE)
    (cdir / "plugin-cache").mkdir(parents=True, exist_ok=True)
    try:
        text = cli_config.render(ours, environ)
    except cli_config.CliConfigError as exc:
        raise TerraformError(f"{exc} ({cli_config.user_config_path(environ)}).\n"
                             "Next: fix that file (`terraform version` shows what Terraform makes of it), "
                             "or point TF_CLI_CONFIG_FILE at another one.") from None
    rc = cdir / f"cli-{hashlib.sha256(text.encode()).hexdigest()[:12]}.tfrc"
    _write_if_changed(rc, text)
    return rc


def plugin_cache(rc: Path, environ: Mapping[str, str]) -> str:
    """The plugin cache Terraform uses with our CLI configuration ``rc``: the user's, else ours."""
    return cli_config.user_plugin_cache(environ) or str(rc.parent / "plugin-cache")


def _first_install(rc: Path, environ: Mapping[str, str]) -> None:
    """The first install on this machine, once, under a lock: hashicorp/aws into the plugin cache,
    and the h1: Terraform records for this platform into the machine's lock (provider_lock.py
    says why). The lock because Terraform's plugin cache is not safe for concurrent writers (its
    documentation says so; two inits on a cold cache failed here with "failed to create directory
    ... file exists"); once the provider is in it, inits only read it."""
    cached = Path(plugin_cache(rc, environ)) / AWS_PROVIDER_SOURCE / AWS_PROVIDER_VERSION / platform_id()
    local = rc.with_name(provider_lock.LOCAL_LOCK_NAME)

    def done() -> bool:
        return (cached.is_dir() and any(cached.iterdir())
                and provider_lock.lock_to_use(providers.LOCK_FILE, local) == local)

    def make() -> None:
        source = AWS_PROVIDER_SOURCE.split("/", 1)[1]
        config = {"terraform": {"required_providers": {"aws": {"source": source, "version": AWS_PROVIDER_VERSION}}}}
        with tempfile.TemporaryDirectory(prefix="first-install-") as work:
            (Path(work) / "main.tf.json").write_text(json.dumps(config))
            init(work, env={**environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1"}, backend=False,
                 record_hashes=True)
            try:
                written = (Path(work) / TERRAFORM_LOCK_FILE_NAME).read_text()
                derived = provider_lock.derive(providers.LOCK_FILE.read_text(), written)
            except provider_lock.LockError as exc:
                raise TerraformError(f"{exc}.\nNext: check that {providers.LOCK_FILE} pins hashicorp/aws "
                                     f"{AWS_PROVIDER_VERSION}, then re-run.") from None
        _write_if_changed(local, derived)

    made_once(rc.parent / "plugin-cache.lock", done, make)


def build_env(
    root: Path | str | None = None,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for terraform (and for synthesis): ``base`` (default os.environ) plus our settings."""
    env = dict(os.environ if base is None else base)
    rc = write_cli_config(root, env)
    _first_install(rc, env)
    env["TF_CLI_CONFIG_FILE"] = str(rc)
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1"
    # Since Node 20's end of life (2026-10-30) jsii prints a different banner, silenced
    # only by this variable, whose value lists Node major versions.
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    env.setdefault("GOGC", GO_GC_PERCENT)
    return env


def init(
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    backend: bool = True,
    backend_config: Mapping[str, str] | Iterable[str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float | None = 600,
    record_hashes: bool = False,
    reuse: bool = False,
) -> subprocess.CompletedProcess | None:
    """``terraform init -input=false -lockfile=readonly`` in ``cwd`` with a lock file copied in
    first (the machine's while it extends the committed one, else the committed one: see
    provider_lock.py): whatever it installs from (registry, mirror, plugin cache), the
    package must match its hashes. ``record_hashes`` (the first install) drops ``-lockfile=readonly``:
    Terraform adds the hashes of what it installed to the copy in ``cwd``, never to the committed file.

    ``backend=False`` adds ``-backend=false`` (enough for ``validate``); ``backend_config``
    (mapping or list of ``key=value``/file paths) becomes ``-backend-config=...`` arguments.

    ``reuse``: skip the init (and return None) when the directory's last successful init read
    exactly what this one would (``init_fingerprint``): an init costs 1.5 s of every command.
    """
    args = ["init", "-input=false"] + ([] if record_hashes else ["-lockfile=readonly"])
    if not backend:
        args.append("-backend=false")
    else:
        items: Iterable[str]
        if backend_config is None:
            items = []
        elif isinstance(backend_config, Mapping):
            items = [f"{k}={v}" for k, v in backend_config.items()]
        else:
            items = list(backend_config)
        args += [f"-backend-config={item}" for item in items]
        if backend_config:
            args.append("-reconfigure")
    args += list(extra_args)
    rc = Path((env or {}).get("TF_CLI_CONFIG_FILE") or cache_dir() / "cli.tfrc")  # the machine lock is beside it
    lock = provider_lock.lock_to_use(providers.LOCK_FILE, rc.with_name(provider_lock.LOCAL_LOCK_NAME))
    # Copied whether or not init runs: plan and apply read it too (a fresh copy of the stack has none).
    shutil.copyfile(lock, Path(cwd) / TERRAFORM_LOCK_FILE_NAME)
    fingerprint = init_fingerprint(cwd, args, lock, env or os.environ) if reuse else None
    stamp = Path(cwd) / ".terraform" / INIT_STAMP
    if fingerprint is not None and stamp.is_file() and stamp.read_text() == fingerprint:
        return None
    stamp.unlink(missing_ok=True)  # an init that fails leaves no stamp behind
    proc = run_terraform(args, cwd, env=env, check=False, timeout=timeout)
    if proc.returncode != 0:
        raise TerraformError(explain_init_failure(proc.stderr or proc.stdout, cwd, args, env or os.environ))
    if reuse and (fingerprint := init_fingerprint(cwd, args, lock, env or os.environ)) is not None:
        stamp.write_text(fingerprint)
    return proc


# What `terraform init` read when it last succeeded in a directory (init(reuse=True)).
INIT_STAMP = "platform-init.sha256"
# Of a configuration file, what init acts on: the providers it installs, the backend it
# configures, the modules it fetches. Resources, variables and the provider blocks (the
# emulator's endpoints and port) are read by plan and apply, not by init.
_INIT_BLOCKS = ("terraform", "module")


def init_fingerprint(cwd: Path | str, args: Sequence[str], lock: Path, env: Mapping[str, str]) -> str | None:
    """A digest of everything ``terraform init args`` in ``cwd`` depends on: the arguments, the
    Terraform binary, the lock file it gets, the CLI configuration (mirror, plugin cache), what
    the last init left in ``.terraform`` (providers, backend), and the ``terraform`` and
    ``module`` blocks of every configuration file (the synthesized stack and the overrides that
    switch its backend). None when the directory was never initialized
    (no installed providers): then init runs."""
    cwd = Path(cwd)
    if not (cwd / ".terraform" / "providers").is_dir():
        return None
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("args", json.dumps(list(args)).encode())
    binary = Path(terraform_binary(env))
    add("terraform", f"{binary}:{binary.stat().st_mtime_ns}".encode())
    add("lock", lock.read_bytes())
    for variable in ("TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR", "TF_PROVIDER_MIRROR"):
        value = env.get(variable, "")
        add(variable, value.encode())
        if variable == "TF_CLI_CONFIG_FILE" and value and Path(value).is_file():
            add("cli config", Path(value).read_bytes())
    # What the last init left: the installed providers and the backend it configured. A provider
    # removed or upgraded by hand, or a backend changed by another init, runs init again.
    data_dir = cwd / ".terraform"
    for path in sorted((data_dir / "providers").rglob("*")):
        if path.is_file():
            stat = path.stat()
            add(f"provider {path.relative_to(data_dir)}", f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    if (data_dir / "terraform.tfstate").is_file():
        add("backend", (data_dir / "terraform.tfstate").read_bytes())
    for path in sorted(cwd.iterdir()):
        if path.name.endswith(".tf.json"):
            try:
                blocks = {key: value for key, value in json.loads(path.read_text()).items() if key in _INIT_BLOCKS}
            except ValueError:
                return None  # unreadable: let terraform say what is wrong
            if blocks:  # a file of provider blocks only (the emulator's override) is not init's business
                add(path.name, json.dumps(blocks, sort_keys=True).encode())
        elif path.name.endswith(".tf"):
            add(path.name, path.read_bytes())  # HCL: not parsed here, so all of it
    return digest.hexdigest()
