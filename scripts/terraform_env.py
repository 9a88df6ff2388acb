"""Environment for running Terraform: providers from the registry or a mirror, pinned by the lock file.

Standard library only, importable from scripts and tests::

    from scripts import terraform_env
    env = terraform_env.build_env()
    terraform_env.init(stack_dir, env=env)
    result = terraform_env.run_terraform(["plan", "-input=false"], stack_dir, env=env)

What it does:

* picks how hashicorp/aws (``AWS_PROVIDER_VERSION``) is installed: from the filesystem
  mirror ``$TF_PROVIDER_MIRROR`` names, or one found in a few known places (mirror mode);
  else, or with ``TF_PROVIDER_MIRROR=none``, from the registry (registry mode). Both verify
  the package against the committed ``.terraform.lock.hcl`` (``LOCK_FILE``) or this
  machine's extension of it (scripts/provider_lock.py), which :func:`init` copies into the
  stack and uses read-only;
* writes a Terraform CLI config ``.cache/terraform/cli-<hash>.tfrc``: the user's own merged with
  ours (scripts/cli_config.py), with a plugin cache (``.cache/terraform/plugin-cache``
  unless the user has one) that the first install fills once;
* returns an environment with ``TF_CLI_CONFIG_FILE`` pointing at it, Terraform's and jsii's
  quiet settings, and ``GOGC=400`` unless ``GOGC`` is already set (:data:`GO_GC_PERCENT`).

Failures raise :class:`TerraformError` whose message is meant to be printed
as-is (no traceback needed): what failed, the tail of stderr, what to do next.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from scripts import cli_config, provider_lock
from scripts.errors import ScriptError
from scripts.repo import REPO_ROOT, TERRAFORM_LOCK_FILE_NAME

# The dependency lock file: hashicorp/aws's hashes for every platform the registry
# publishes (zh:) and the unpacked package for linux_amd64 (h1:). README "Needs" says
# where they come from and how to add a platform.
LOCK_FILE = REPO_ROOT / TERRAFORM_LOCK_FILE_NAME

AWS_PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
AWS_PROVIDER_VERSION = "5.100.0"

# Searched in this order when $TF_PROVIDER_MIRROR is not set.
KNOWN_MIRRORS = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
)

STDERR_TAIL_LINES = 40

# Terraform and the AWS provider are short-lived Go processes that spend much of
# their CPU collecting garbage while they decode the provider's large schema.
# Letting the heap grow to 4x its live size before a collection (Go's default
# is 1x) cut the CPU of one plan of this stack from 7.8 s to 5.4 s and of
# `terraform show -json` from 2.5 s to 1.9 s, for about 150 MiB more peak
# memory per process (scripts/benchmark measures both settings).
GO_GC_PERCENT = "400"

# Subcommands that accept -no-color right after their name (not e.g. `providers schema`).
_NO_COLOR_COMMANDS = frozenset(
    {"init", "validate", "plan", "apply", "destroy", "show", "refresh", "import", "output", "get", "test",
     "taint", "untaint"}
)


class TerraformError(ScriptError):
    """A Terraform step failed; ``str(err)`` is a complete, user-facing message."""


def platform_id() -> str:
    """Terraform's ``<os>_<arch>`` for this machine, e.g. ``linux_amd64``."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    arch = {
        "x86_64": "amd64",
        "amd64": "amd64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "i386": "386",
        "i686": "386",
        "armv7l": "arm",
    }.get(machine, machine)
    return f"{system}_{arch}"


def _mirror_has_provider(mirror: Path, version: str, plat: str) -> bool:
    base = mirror / AWS_PROVIDER_SOURCE
    # Unpacked layout: HOSTNAME/NAMESPACE/TYPE/VERSION/TARGET/terraform-provider-TYPE_vVERSION*
    unpacked = base / version / plat
    if glob.glob(str(unpacked / f"terraform-provider-aws_v{version}*")):
        return True
    # Packed layout: HOSTNAME/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_TARGET.zip
    return (base / f"terraform-provider-aws_{version}_{plat}.zip").is_file()


def mirror_candidates(environ: Mapping[str, str] | None = None) -> list[Path]:
    environ = os.environ if environ is None else environ
    explicit = environ.get("TF_PROVIDER_MIRROR")
    if explicit:
        return [Path(explicit).expanduser()]
    home = environ.get("HOME")
    out = []
    for place in KNOWN_MIRRORS:
        if place.startswith("~"):
            if not home:
                continue
            place = home + place[1:]
        out.append(Path(place))
    return out


def find_provider_mirror(
    environ: Mapping[str, str] | None = None,
    version: str = AWS_PROVIDER_VERSION,
) -> Path:
    """Return the mirror directory that holds hashicorp/aws ``version`` for this platform."""
    plat = platform_id()
    candidates = mirror_candidates(environ)
    for mirror in candidates:
        if _mirror_has_provider(mirror, version, plat):
            return mirror.resolve()
    searched = "\n".join(f"  - {c}" for c in candidates)
    where = (
        "$TF_PROVIDER_MIRROR"
        if (environ if environ is not None else os.environ).get("TF_PROVIDER_MIRROR")
        else "the known places"
    )
    raise TerraformError(
        f"No Terraform provider mirror with hashicorp/aws {version} for {plat} found in {where}:\n"
        f"{searched}\n"
        f"(looked for {AWS_PROVIDER_SOURCE}/{version}/{plat}/terraform-provider-aws_v{version}*"
        f" or {AWS_PROVIDER_SOURCE}/terraform-provider-aws_{version}_{plat}.zip)\n"
        f"Next: set TF_PROVIDER_MIRROR to a directory containing {AWS_PROVIDER_SOURCE}/{version}/{plat}/."
    )


def provider_mirror(environ: Mapping[str, str] | None = None) -> Path | None:
    """The mirror of mirror mode, or None for registry mode: ``TF_PROVIDER_MIRROR=none``,
    or no ``TF_PROVIDER_MIRROR`` and no known place holding the provider."""
    environ = os.environ if environ is None else environ
    if environ.get("TF_PROVIDER_MIRROR") == "none":
        return None
    try:
        return find_provider_mirror(environ)
    except TerraformError:
        if environ.get("TF_PROVIDER_MIRROR"):
            raise  # asked for, so its absence is an error
        return None


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
    and the h1: Terraform records for this platform into the machine's lock (scripts/provider_lock.py
    says why). The lock because Terraform's plugin cache is not safe for concurrent writers (its
    documentation says so; two inits on a cold cache failed here with "failed to create directory
    ... file exists"); once the provider is in it, inits only read it."""
    cached = Path(plugin_cache(rc, environ)) / AWS_PROVIDER_SOURCE / AWS_PROVIDER_VERSION / platform_id()
    local = rc.with_name(provider_lock.LOCAL_LOCK_NAME)

    def done() -> bool:
        return cached.is_dir() and any(cached.iterdir()) and provider_lock.lock_to_use(LOCK_FILE, local) == local

    if done():
        return
    with open(rc.parent / "plugin-cache.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done():
            return  # another process did it while this one waited
        source = AWS_PROVIDER_SOURCE.split("/", 1)[1]
        config = {"terraform": {"required_providers": {"aws": {"source": source, "version": AWS_PROVIDER_VERSION}}}}
        with tempfile.TemporaryDirectory(prefix="first-install-") as work:
            (Path(work) / "main.tf.json").write_text(json.dumps(config))
            init(work, env={**environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1"}, backend=False,
                 record_hashes=True)
            try:
                written = (Path(work) / TERRAFORM_LOCK_FILE_NAME).read_text()
                derived = provider_lock.derive(LOCK_FILE.read_text(), written)
            except provider_lock.LockError as exc:
                raise TerraformError(f"{exc}.\nNext: check that {LOCK_FILE} pins hashicorp/aws "
                                     f"{AWS_PROVIDER_VERSION}, then re-run.") from None
        _write_if_changed(local, derived)


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


def terraform_binary(env: Mapping[str, str] | None = None) -> str:
    path = (env or os.environ).get("PATH")
    exe = shutil.which("terraform", path=path)
    if not exe:
        raise TerraformError(
            "terraform not found on PATH.\n"
            "Next: install Terraform >= 1.10 and make sure `terraform` is on PATH, then re-run."
        )
    return exe


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    parts = [ln for ln in (text or "").rstrip().splitlines()]
    if len(parts) > lines:
        parts = ["  [...]"] + parts[-lines:]
    return "\n".join(parts)


def describe(args: Sequence[str]) -> str:
    """A command line for messages: long runs of ``-target=`` shown as a count."""
    targets = [a for a in args if a.startswith("-target=")]
    shown = [a for a in args if not a.startswith("-target=")]
    if len(targets) > 3:
        shown.append(f"-target=... ({len(targets)} targets)")
    else:
        shown += targets
    return " ".join(shown)


def run_terraform(
    args: Sequence[str],
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
    color: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``terraform <args>`` in ``cwd``, capturing output (text).

    ``env`` defaults to :func:`build_env`. Unless ``color`` is true, ``-no-color``
    is added right after the subcommand (for those that take it). On a non-zero exit with ``check`` true,
    raises :class:`TerraformError` carrying the tail of stderr (or stdout).
    """
    env = dict(build_env() if env is None else env)
    args = [str(a) for a in args]
    if not color and args and args[0] in _NO_COLOR_COMMANDS and "-no-color" not in args:
        args = [args[0], "-no-color", *args[1:]]
    cmd = [terraform_binary(env), *args]
    try:
        proc = subprocess.run(
            cmd,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise TerraformError(
            f"`terraform {describe(args)}` in {cwd} did not finish within {timeout:.0f}s.\n"
            f"{_tail(stderr)}\n"
            "Next: look for a hung provider call (is the emulator up?) and re-run."
        ) from None
    except FileNotFoundError as exc:
        raise TerraformError(f"cannot run terraform in {cwd}: {exc}\nNext: check the directory exists.") from None
    if check and proc.returncode != 0:
        detail = _tail(proc.stderr) or _tail(proc.stdout) or "(no output)"
        raise TerraformError(
            f"`terraform {describe(args)}` failed in {cwd} (exit {proc.returncode}):\n"
            f"{detail}\n"
            "Next: fix the error above and re-run."
        )
    return proc


def init(
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    backend: bool = True,
    backend_config: Mapping[str, str] | Iterable[str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float | None = 600,
    record_hashes: bool = False,
) -> subprocess.CompletedProcess:
    """``terraform init -input=false -lockfile=readonly`` in ``cwd`` with a lock file copied in
    first (the machine's while it extends the committed one, else the committed one: see
    scripts/provider_lock.py): whatever it installs from (registry, mirror, plugin cache), the
    package must match its hashes. ``record_hashes`` (the first install) drops ``-lockfile=readonly``:
    Terraform adds the hashes of what it installed to the copy in ``cwd``, never to the committed file.

    ``backend=False`` adds ``-backend=false`` (enough for ``validate``); ``backend_config``
    (mapping or list of ``key=value``/file paths) becomes ``-backend-config=...`` arguments.
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
    shutil.copyfile(provider_lock.lock_to_use(LOCK_FILE, rc.with_name(provider_lock.LOCAL_LOCK_NAME)),
                    Path(cwd) / TERRAFORM_LOCK_FILE_NAME)
    proc = run_terraform(args, cwd, env=env, check=False, timeout=timeout)
    if proc.returncode != 0:
        raise TerraformError(explain_init_failure(proc.stderr or proc.stdout, cwd, args, env or os.environ))
    return proc


_NETWORK_SIGNS = ("could not connect to", "dial tcp", "no such host", "connection refused", "i/o timeout",
                  "network is unreachable", "TLS handshake timeout", "proxyconnect")


def explain_init_failure(output: str, cwd: Path | str, args: Sequence[str], env: Mapping[str, str]) -> str:
    """The message for a failed init: Terraform's own words, and what they mean here."""
    flat = " ".join((output or "").split())
    plat = platform_id()
    add_platform = (f"add it to {LOCK_FILE} from a synthesized stack on a machine that reaches the registry: "
                    f"`cd cdktf.out/stacks/platform && terraform providers lock -platform={plat} "
                    "-platform=linux_amd64` (keep the platforms already listed), then copy its "
                    f"{TERRAFORM_LOCK_FILE_NAME} over the repository's and commit it (README, \"Needs\")")
    if re.search(r"(doesn't|does not) match any of the checksums", flat):
        meaning = (f"hashicorp/aws {AWS_PROVIDER_VERSION} for {plat} matches none of the hashes in the lock file "
                   f"{LOCK_FILE}.\nEither {plat} is not among the platforms the lock file covers, or the package "
                   "(in the mirror or the plugin cache) is not the one HashiCorp published.\n"
                   f"Next: if {plat} is missing, {add_platform}; if it is listed, replace the package in the mirror "
                   "(or empty the plugin cache) with HashiCorp's release.")
    elif "Provider dependency changes detected" in flat:
        meaning = (f"the stack requires a provider or version that the lock file {LOCK_FILE} does not list.\n"
                   "Next: refresh the lock file (README, \"Needs\": `terraform providers lock` with every platform "
                   "listed there), review the new hashes and commit it.")
    elif any(sign in flat for sign in _NETWORK_SIGNS):
        proxy = env.get("HTTPS_PROXY") or env.get("https_proxy")
        meaning = ("Terraform could not reach the provider registry to install hashicorp/aws "
                   f"{AWS_PROVIDER_VERSION}: this machine has no network access to it"
                   + (f" (through the proxy {proxy})" if proxy else "") + ".\n"
                   "Next: connect to the network (or set HTTPS_PROXY), or use a filesystem mirror: on a machine "
                   "with access run `terraform providers mirror -platform="
                   f"{plat} DIR` in a synthesized stack, copy DIR here and set TF_PROVIDER_MIRROR=DIR.")
    else:
        meaning = "Next: fix the error above and re-run."
    return (f"`terraform {describe(args)}` failed in {cwd}:\n{_tail(output) or '(no output)'}\n{meaning}")
