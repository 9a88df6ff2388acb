"""Tests of the tooling in scripts/ that do not need main.py.

Each terraform run here is offline: providers come from the filesystem mirror,
and HTTP(S)_PROXY point at a closed loopback port so that any attempt to reach
a registry or a real AWS endpoint fails instead of leaving the machine (Go's
proxy logic never proxies loopback, so the emulator stays reachable).
"""

from __future__ import annotations

import json
import shutil
import os
import re
import subprocess
import sys
import time
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from scripts import platform_cmd
from scripts import terraform_env as tfe
from scripts.emulator import ENDPOINT_SERVICES, HOST, OVERRIDE_FILE, Emulator, EmulatorError, free_loopback_port
from scripts.emulator import server as server_module
from scripts.repo import REPO_ROOT

REQUIRED_ENDPOINTS = {
    "ec2", "iam", "s3", "sts", "sagemaker", "servicecatalog", "kms", "efs", "logs", "cloudwatch", "ssm", "dynamodb",
}
BLACKHOLE_PROXY = "http://127.0.0.1:9"  # discard port, nothing listens: any proxied request fails


def tiny_stack(region_var: bool = True, alias: str | None = None) -> dict:
    """A hand-written stand-in for a synthesized cdk.tf.json."""
    providers = [{"region": "${var.region}" if region_var else "us-east-1"}]
    if alias:
        providers.append({"alias": alias, "region": "us-east-1"})
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "variable": {"region": {"type": "string", "description": "AWS region"}},
        "provider": {"aws": providers},
        "data": {
            "aws_caller_identity": {"current": {}},
            "aws_availability_zones": {"available": {"state": "available"}},
        },
        "resource": {
            "aws_vpc": {"main": {"cidr_block": "10.42.0.0/16", "tags": {"Name": "tooling-test"}}},
            "aws_s3_bucket": {"logs": {"bucket_prefix": "tooling-test-"}},
        },
        "output": {
            "account_id": {"value": "${data.aws_caller_identity.current.account_id}"},
            "first_az": {"value": "${data.aws_availability_zones.available.names[0]}"},
        },
    }


def offline(env: dict) -> dict:
    env = dict(env)
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[key] = BLACKHOLE_PROXY
    env.pop("ALL_PROXY", None)
    env.pop("all_proxy", None)
    return env


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses with a LISTEN socket on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr_hex, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(addr_hex)
    return found


def all_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from all_strings(k)
            yield from all_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_strings(v)


# -- emulator -----------------------------------------------------------------------
def test_free_loopback_port_is_bindable():
    import socket

    port = free_loopback_port()
    assert 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind((HOST, port))


def test_emulator_listens_on_loopback_only(emulator):
    url = urlparse(emulator.url)
    # HTTPS, so that bucket policies see aws:SecureTransport as on AWS.
    assert url.scheme == "https" and url.hostname == "127.0.0.1"
    assert url.port == emulator.port and emulator.running
    assert emulator.log_path.name == f"moto-{emulator.port}.log"
    assert emulator.log_path.parent == REPO_ROOT / ".cache" / "emulator"
    # Its certificate verifies (nothing is trusted blindly) and names 127.0.0.1.
    context = ssl.create_default_context(cafile=str(emulator.ca_bundle))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    with opener.open(f"{emulator.url}/moto-api/", timeout=5) as resp:
        assert resp.status == 200
    untrusted = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted.open(f"{emulator.url}/moto-api/", timeout=5)
    if Path("/proc/net/tcp").exists():
        # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex: nothing on 0.0.0.0.
        assert listening_addresses(emulator.port) == {"0100007F"}


def test_emulator_env_never_points_at_a_real_account(emulator):
    base = {
        "PATH": "/usr/bin",
        "HOME": "/nonexistent",
        "AWS_PROFILE": "production",
        "AWS_DEFAULT_PROFILE": "production",
        "AWS_SESSION_TOKEN": "real-token",
        "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
        "AWS_SECRET_ACCESS_KEY": "real-secret",
        "AWS_ENDPOINT_URL_S3": "https://s3.amazonaws.com",
        "AWS_ROLE_ARN": "arn:aws:iam::111111111111:role/x",
    }
    env = emulator.env(base, region="eu-west-1")
    assert env["AWS_ACCESS_KEY_ID"] == "testing" and env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == "eu-west-1"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    for gone in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_ROLE_ARN"):
        assert gone not in env
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert urlparse(env["AWS_ENDPOINT_URL"]).hostname == "127.0.0.1"
    assert "127.0.0.1" in env["NO_PROXY"].split(",")


@pytest.mark.emulator
def test_emulator_stops_its_server(tmp_path):
    # Logs of earlier servers: one nothing wrote to for longer than LOG_KEPT_FOR goes when a server starts.
    old, recent, other = tmp_path / "moto-1111.log", tmp_path / "moto-2222.log", tmp_path / "notes.log"
    for path in (old, recent, other):
        path.write_text("127.0.0.1 - - GET /\n")
    stale = time.time() - server_module.LOG_KEPT_FOR - 60
    for path in (old, other):
        os.utime(path, (stale, stale))
    emu = Emulator(log_dir=tmp_path)
    with emu:
        proc = emu._proc
        assert proc.poll() is None
        assert not old.exists() and recent.exists() and other.exists() and emu.log_path.exists()
    assert proc.poll() is not None
    assert not emu.running


def _server_python(tmp_path, server: str) -> str:
    """An interpreter that makes the certificate (the real one does) and runs ``server`` (sh) as the server."""
    fake_python = tmp_path / "python"
    fake_python.write_text(f"#!/bin/sh\ncase \"$*\" in\n  *scripts.moto_ext.tls*) exec {sys.executable} \"$@\" ;;\n"
                           f"  *) {server} ;;\nesac\n")
    fake_python.chmod(0o755)
    return str(fake_python)


def test_emulator_start_failure_points_at_the_log(tmp_path):
    # A server that dies at once.
    emu = Emulator(python=_server_python(tmp_path, "echo 'no moto here' >&2; exit 3"), log_dir=tmp_path,
                   start_timeout=10)
    with pytest.raises(Exception) as info:
        emu.start()
    msg = str(info.value)
    assert "exited with code 3" in msg and str(emu.log_path) in msg and "no moto here" in msg


def test_emulator_that_never_answers_is_tried_again_on_new_ports(tmp_path):
    # A server that starts and never answers; asked for its threads (SIGUSR1), it writes them into its log.
    server = ("trap 'echo \"Thread 0x01 MainThread (most recent call last): accept\"' USR1; "
              "echo ' * Running on nothing'; while :; do sleep 0.1; done")
    emu = Emulator(python=_server_python(tmp_path, server), log_dir=tmp_path, start_timeout=1)
    with pytest.raises(EmulatorError) as info:
        emu.start()
    assert "did not answer" in str(info.value) and "Running on nothing" in str(info.value)
    assert "Thread 0x01 MainThread (most recent call last): accept" in str(info.value)  # what the server was doing
    assert len(list(tmp_path.glob("moto-*.log"))) == 3  # three tries, each on its own port
    assert not emu.running


def test_emulator_with_another_certificate_is_tried_again_at_once(tmp_path):
    # A server that answers with a certificate that the one on disk is not: refused at its first
    # answer and tried again on a new port, not waited for until the start times out.
    from scripts.moto_ext import tls

    cert, key = tls.ensure_certificate(tmp_path / "another")
    serve = tmp_path / "serve.py"
    serve.write_text("import http.server, ssl, sys\n"
                     "server = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])),\n"
                     "                                http.server.BaseHTTPRequestHandler)\n"
                     "context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
                     f"context.load_cert_chain('{cert}', '{key}')\n"
                     "server.socket = context.wrap_socket(server.socket, server_side=True)\n"
                     "print(' * Running on another certificate', flush=True)\n"
                     "server.serve_forever()\n")
    # "$@" is: -m scripts.moto_ext -H HOST -p PORT --ssl -c CERT -k KEY
    emu = Emulator(python=_server_python(tmp_path, f'exec {sys.executable} {serve} "$6"'), log_dir=tmp_path,
                   start_timeout=60)
    started = time.monotonic()
    with pytest.raises(EmulatorError) as info:
        emu.start()
    assert "presents a certificate that" in str(info.value) and str(emu.ca_bundle) in str(info.value)
    assert len(list(tmp_path.glob("moto-*.log"))) == 3  # three tries, each on its own port
    assert time.monotonic() - started < 30, "waited for the start to time out"


def test_emulator_without_its_certificate_says_what_to_install(tmp_path):
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'no moto here' >&2\nexit 3\n")
    fake_python.chmod(0o755)
    with pytest.raises(EmulatorError) as info:
        Emulator(python=str(fake_python), log_dir=tmp_path, start_timeout=10).start()
    msg = str(info.value)
    assert "cannot make the emulator's TLS certificate" in msg and "no moto here" in msg
    assert "Next: run scripts/bootstrap.sh" in msg


# -- override file ----------------------------------------------------------------
def test_override_is_valid_json_with_loopback_endpoints_only(emulator, tmp_path):
    (tmp_path / "cdk.tf.json").write_text(json.dumps(tiny_stack(alias="use1")))
    path = emulator.write_provider_override(tmp_path, "eu-central-1")
    assert path == tmp_path / OVERRIDE_FILE
    doc = json.loads(path.read_text())
    blocks = doc["provider"]["aws"]
    assert [b.get("alias") for b in blocks] == [None, "use1"]
    assert blocks[0]["region"] == "eu-central-1" and "region" not in blocks[1]
    for block in blocks:
        assert block["access_key"] == block["secret_key"] == "testing"
        for flag in ("skip_credentials_validation", "skip_metadata_api_check", "skip_region_validation",
                     "s3_use_path_style"):
            assert block[flag] is True
        (endpoints,) = block["endpoints"]
        assert REQUIRED_ENDPOINTS <= set(endpoints)
        assert set(endpoints) == set(ENDPOINT_SERVICES)
    urls = [s for s in all_strings(doc) if "://" in s]
    assert urls, "no endpoint URL written"
    for url in urls:
        parsed = urlparse(url)
        assert parsed.hostname == "127.0.0.1" and parsed.port == emulator.port, url
    Emulator.remove_provider_override(tmp_path)
    assert not path.exists()


def test_endpoint_names_exist_in_the_pinned_provider(terraform_env, tmp_path):
    """Every endpoint we set is an argument of hashicorp/aws 5.100.0 (read from its schema)."""
    (tmp_path / "main.tf.json").write_text(json.dumps({"terraform": tiny_stack()["terraform"]}))
    env = offline(terraform_env)
    tfe.init(tmp_path, env=env, backend=False)
    proc = tfe.run_terraform(["providers", "schema", "-json"], tmp_path, env=env)
    schema = json.loads(proc.stdout)
    provider = schema["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["provider"]["block"]
    known = set(provider["block_types"]["endpoints"]["block"]["attributes"])
    assert set(ENDPOINT_SERVICES) <= known, set(ENDPOINT_SERVICES) - known
    for arg in ("access_key", "secret_key", "skip_credentials_validation", "skip_metadata_api_check",
                "skip_region_validation", "s3_use_path_style"):
        assert arg in provider["attributes"]


# -- terraform_env -----------------------------------------------------------------
def test_cli_config_uses_mirror_and_plugin_cache(terraform_env):
    rc = Path(terraform_env["TF_CLI_CONFIG_FILE"])
    assert rc.parent == REPO_ROOT / ".cache" / "terraform" and re.fullmatch(r"cli-[0-9a-f]{12}\.tfrc", rc.name)
    text = rc.read_text()
    assert "filesystem_mirror" in text and 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
    assert str(REPO_ROOT / ".cache" / "terraform" / "plugin-cache") in text
    for key, value in {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
                       "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}.items():
        assert terraform_env[key] == value
    assert "20" in terraform_env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"].split(",")
    assert terraform_env["GOGC"] == tfe.GO_GC_PERCENT


def test_gogc_set_by_the_user_wins():
    env = tfe.build_env(REPO_ROOT, base={**os.environ, "GOGC": "150"})
    assert env["GOGC"] == "150"


# -- AWS bindings loaded per resource module -----------------------------------------
def test_synthesis_loads_only_the_binding_modules_it_uses(synthesized_dir):
    """modules/__init__.py keeps the bindings' package root from importing all
    2,135 resource modules; the run's synthesis went through it (in this worker
    or another one: importing main imports every construct, as synthesis does)."""
    import main  # noqa: F401
    import modules

    package = sys.modules[modules.AWS_BINDINGS]
    loaded = [name for name in sys.modules if name.startswith(modules.AWS_BINDINGS + ".")]
    assert not hasattr(package, "__all__"), "the package root's __init__ ran: everything was imported"
    assert 20 < len(loaded) < 200, f"{len(loaded)} binding modules loaded"
    assert modules.import_bindings_by_resource() is False, "a second call must change nothing"


def test_bindings_package_missing_leaves_the_normal_import_error(tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import importlib.util as u; "
            "u.find_spec = lambda name, *a: None; import modules; "
            "print(modules.import_bindings_by_resource(), modules.AWS_BINDINGS in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, str(REPO_ROOT)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


def test_missing_mirror_names_what_was_searched(tmp_path):
    empty = tmp_path / "no-mirror-here"
    empty.mkdir()
    with pytest.raises(tfe.TerraformError) as info:
        tfe.find_provider_mirror({"TF_PROVIDER_MIRROR": str(empty)})
    msg = str(info.value)
    assert str(empty) in msg and "5.100.0" in msg and "TF_PROVIDER_MIRROR" in msg


def test_known_mirror_places_are_searched(tmp_path):
    home = tmp_path / "home"
    plat = tfe.platform_id()
    d = home / ".terraform.d/plugins/registry.terraform.io/hashicorp/aws/5.100.0" / plat
    d.mkdir(parents=True)
    # Only used if /opt/tf-plugins (searched first) lacks the provider.
    (d / "terraform-provider-aws_v5.100.0_x5").write_text("")
    found = tfe.find_provider_mirror({"HOME": str(home)})
    assert found in {Path("/opt/tf-plugins").resolve(), (home / ".terraform.d/plugins").resolve()}


def test_run_terraform_failure_is_a_clear_message(terraform_env, tmp_path):
    (tmp_path / "broken.tf.json").write_text('{"resource": {"aws_vpc": {"x": {"cidr_block": }}}}')
    with pytest.raises(tfe.TerraformError) as info:
        tfe.run_terraform(["validate"], tmp_path, env=offline(terraform_env))
    msg = str(info.value)
    assert "terraform validate" in msg and "failed" in msg and "Error" in msg and "Next:" in msg
    assert "Traceback" not in msg
    proc = tfe.run_terraform(["validate"], tmp_path, env=offline(terraform_env), check=False)
    assert proc.returncode != 0


# -- init + plan of a tiny stack against the emulator, offline ----------------------
def test_init_and_plan_tiny_stack_against_emulator_offline(emulator, terraform_env, tmp_path):
    stack = tmp_path / "stacks" / "platform"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(tiny_stack()))
    var_file = tmp_path / "dev.tfvars.json"
    var_file.write_text(json.dumps({"region": "eu-west-1"}))
    env = offline(emulator.env(terraform_env, region="eu-west-1"))

    tfe.init(stack, env=env)
    assert (stack / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0").exists()

    emulator.write_provider_override(stack, "eu-west-1")
    try:
        proc = tfe.run_terraform(
            ["plan", "-input=false", f"-var-file={var_file}", f"-out={tmp_path / 'dev.tfplan'}"],
            stack, env=env, timeout=300,
        )
    finally:
        Emulator.remove_provider_override(stack)
    out = proc.stdout
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in out, out
    assert "aws_vpc.main will be created" in out and "aws_s3_bucket.logs will be created" in out
    # Data sources were read from the emulator: moto's account and an AZ of the var's region.
    assert '"123456789012"' in out, out
    assert '"eu-west-1a"' in out, out
    assert (tmp_path / "dev.tfplan").is_file()

    # Second init is fast and still offline (plugin cache + mirror).
    tfe.init(stack, env=env)


def test_init_is_reused_until_what_it_reads_changes(terraform_env, tmp_path):
    """init(reuse=True), what every scripts/platform command runs: a second init of an unchanged
    directory is skipped; another backend (configured or recorded), a stamp of another configuration
    or missing providers run it again; a changed provider block (the emulator's endpoints) or resource does not."""
    stack = tmp_path / "stack"
    stack.mkdir()
    config = tiny_stack()
    (stack / "cdk.tf.json").write_text(json.dumps(config))
    env = offline(terraform_env)

    def init():
        return tfe.init(stack, env=env, extra_args=["-reconfigure"], reuse=True)

    assert init() is not None  # never initialized: runs
    assert (stack / ".terraform" / tfe.INIT_STAMP).is_file()
    assert init() is None  # nothing changed: skipped
    (stack / "provider_override.tf.json").write_text(json.dumps(
        {"provider": {"aws": {"endpoints": [{"s3": "https://127.0.0.1:1"}]}}}))
    config["resource"]["aws_vpc"]["other"] = {"cidr_block": "10.1.0.0/16"}
    (stack / "cdk.tf.json").write_text(json.dumps(config))
    assert init() is None  # what plan reads changed, not what init reads
    (stack / "backend_override.tf.json").write_text(json.dumps(
        {"terraform": {"backend": {"local": {"path": str(tmp_path / "other.tfstate")}}}}))
    assert init() is not None  # another backend: runs
    assert init() is None
    (stack / ".terraform" / tfe.INIT_STAMP).write_text("from an init of another configuration")
    assert init() is not None
    backend = stack / ".terraform" / "terraform.tfstate"  # what init recorded of the backend
    recorded = json.loads(backend.read_text())
    backend.write_text(json.dumps({**recorded, "serial": recorded.get("serial", 0) + 1}))  # as another init would
    assert init() is not None
    assert init() is None
    shutil.rmtree(stack / ".terraform")
    assert init() is not None  # providers gone: runs



def test_emulator_copies_keep_what_init_installed(tmp_path):
    """Each command of the persistent emulator copies the synthesized stacks again (scripts/platform_cmd/
    targets.py); each copy keeps its .terraform, so that its init can be skipped, and nothing else."""
    from scripts.platform_cmd import emulator_copies

    class Emu:  # the two overrides emulator_copies writes, without a server
        def write_provider_override(self, stack):
            (stack / "emulator_override.tf.json").write_text("{}")

        def write_drift_override(self, stack):
            (stack / "emulator_drift_override.tf.json").write_text("{}")

    synthesized = tmp_path / "cdktf.out" / "stacks"
    (synthesized / "platform").mkdir(parents=True)
    (synthesized / "platform" / "cdk.tf.json").write_text("{}")
    scratch = tmp_path / "scratch"
    copy = emulator_copies(synthesized, scratch, Emu())["platform"]
    assert not (copy / ".terraform").exists()
    (copy / ".terraform" / "providers").mkdir(parents=True)
    (copy / ".terraform" / "providers" / "installed").write_text("by init")
    (copy / "dev.tfplan").write_text("a plan of the earlier command")
    (synthesized / "platform" / "cdk.tf.json").write_text('{"resource": {}}')  # synthesized again
    copy = emulator_copies(synthesized, scratch, Emu())["platform"]
    assert (copy / ".terraform" / "providers" / "installed").read_text() == "by init"
    assert (copy / "cdk.tf.json").read_text() == '{"resource": {}}'
    assert not (copy / "dev.tfplan").exists()
    assert not (scratch / "initialized").exists()
    # The local backend's paths are relative to the stack: the same text in every scratch, so
    # that a copy of one (persistent.copy) needs no init; they lead to this scratch's state.
    override = json.loads((copy / "emulator_backend_override.tf.json").read_text())
    local = override["terraform"]["backend"]["local"]
    assert local == {"path": "../../state/platform.tfstate", "workspace_dir": "../../state/platform-workspaces"}
    assert (copy / local["path"]).resolve() == (scratch / "state" / "platform.tfstate").resolve()
    other = emulator_copies(synthesized, tmp_path / "other-scratch", Emu())["platform"]
    assert (other / "emulator_backend_override.tf.json").read_text() == \
        (copy / "emulator_backend_override.tf.json").read_text()


# -- platform_cmd ----------------------------------------------------------------------
@pytest.fixture()
def fake_root(tmp_path):
    root = tmp_path / "repo"
    (root / "workspaces").mkdir(parents=True)
    (root / "workspaces" / "dev.tfvars.json").write_text(json.dumps({"region": "eu-west-1"}))
    (root / "workspaces" / "prod.tfvars.json").write_text(json.dumps({"region": "eu-west-1"}))
    # This repository's Terraform cache (as scratch_root's): its machine lock confirms the
    # provider the session takes from the plugin cache in registry mode, on any platform.
    (root / ".cache").mkdir()
    (root / ".cache" / "terraform").symlink_to(tfe.cache_dir(REPO_ROOT).resolve())
    return root


def test_check_workspace_accepts_known(fake_root):
    path = platform_cmd.check_workspace(fake_root, "dev")
    assert path.is_absolute() and path.name == "dev.tfvars.json"


def test_check_workspace_refuses_unknown_with_the_list(fake_root):
    with pytest.raises(platform_cmd.CommandError) as info:
        platform_cmd.check_workspace(fake_root, "staging")
    msg = str(info.value)
    assert "unknown workspace 'staging'" in msg and "Available workspaces: dev, prod" in msg
    with pytest.raises(platform_cmd.CommandError):
        platform_cmd.check_workspace(fake_root, "../dev")


def run_plan_cmd(args, env=None, cwd=REPO_ROOT, timeout=120):
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "scripts.platform_cmd", "plan", *args],
        cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
    )


def test_plan_cli_refuses_unknown_workspace(fake_root):
    proc = run_plan_cmd(["staging", "--root", str(fake_root)])
    assert proc.returncode == 1
    assert "unknown workspace 'staging'" in proc.stderr and "dev, prod" in proc.stderr
    assert "Traceback" not in proc.stderr


def scrubbed_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    return env


def test_plan_cli_aws_target_without_credentials(fake_root, tmp_path):
    home = tmp_path / "empty-home"
    home.mkdir()
    proc = run_plan_cmd(["dev", "--target", "aws", "--root", str(fake_root)], env=scrubbed_env(home))
    assert proc.returncode == 1, proc.stderr
    assert "no AWS credentials found for --target aws" in proc.stderr
    assert "AWS_PROFILE" in proc.stderr and "leave out --target aws" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_credentials_are_found_locally(tmp_path):
    home = tmp_path / "home"
    assert platform_cmd.find_aws_credentials({"HOME": str(home)}) is None
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_access_key_id = x\naws_secret_access_key = y\n")
    assert platform_cmd.find_aws_credentials({"HOME": str(home)}).endswith("credentials")
    assert platform_cmd.find_aws_credentials({"AWS_PROFILE": "dev"}) == "AWS_PROFILE=dev"
    assert platform_cmd.find_aws_credentials({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})


FAKE_MAIN = '''
"""Stand-in for main.py: writes a hand-made cdk.tf.json, no cdktf."""
import json, os
from pathlib import Path

STACK = {stack}


class _App:
    def __init__(self, outdir):
        self.outdir = Path(outdir)

    def synth(self):
        d = self.outdir / "stacks" / "platform"
        d.mkdir(parents=True, exist_ok=True)
        (d / "cdk.tf.json").write_text(json.dumps(STACK, indent=2))


def build_app(outdir=None):
    return _App(outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out"))


if __name__ == "__main__":
    build_app().synth()
'''


@pytest.mark.emulator
def test_plan_cli_end_to_end_against_emulator(fake_root, tmp_path):
    (fake_root / "main.py").write_text(FAKE_MAIN.format(stack=repr(tiny_stack())))
    home = tmp_path / "empty-home"
    home.mkdir()
    env = offline(scrubbed_env(home))
    env["AWS_PROFILE"] = "must-not-be-used"  # the emulator path must ignore it
    env.pop("CDKTF_OUTDIR", None)
    proc = run_plan_cmd(["prod", "--root", str(fake_root)], env=env, cwd=fake_root, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in proc.stdout
    assert '"123456789012"' in proc.stdout
    for step in ("synth", "start emulator", "terraform init", "terraform plan (prod, emulator)"):
        assert f"[platform] {step} done in " in proc.stderr, proc.stderr
    stack = fake_root / "cdktf.out" / "stacks" / "platform"
    assert (stack / "cdk.tf.json").is_file() and not (stack / OVERRIDE_FILE).exists(), "override in cdktf.out"
    assert not list((fake_root / ".cache" / "emulator").glob("run-*")), "scratch copy left behind"


# -- scripts/test -------------------------------------------------------------------
def test_scripts_test_treats_no_tests_as_failure():
    proc = subprocess.run(
        ["scripts/test", "-q", "-p", "no:cacheprovider", "tests/test_tooling.py", "-k", "no_such_test_name_xyz"],
        cwd=str(REPO_ROOT), env={**os.environ, "BOOTSTRAP_QUIET": "1"}, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "collected no tests" in proc.stderr


def test_ci_run_is_exactly_the_test_command():
    text = (REPO_ROOT / ".ci" / "run").read_text()
    assert text.splitlines() == [
        "#!/usr/bin/env bash", "set -euo pipefail", 'cd "$(dirname "$0")/.."', "exec scripts/test",
    ]
    for exe in (".ci/run", "scripts/test", "scripts/plan", "scripts/platform", "scripts/bootstrap.sh"):
        assert os.access(REPO_ROOT / exe, os.X_OK), exe


# -- scripts/bootstrap.sh and scripts/lock_env.py -------------------------------------
from scripts import lock_env  # noqa: E402

H1, H2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def write_lock(path: Path, default: dict, develop: dict | None = None) -> Path:
    path.write_text(json.dumps({"_meta": {"sources": [{"url": "https://pypi.org/simple"}]},
                                "default": default, "develop": develop or {}}))
    return path


def test_lock_requirements_pin_every_package_with_its_hashes_and_markers(tmp_path):
    lock = write_lock(tmp_path / "Pipfile.lock",
                      {"six": {"version": "==1.17.0", "hashes": [H1, H2], "markers": "python_version >= '2.7'"}},
                      {"moto": {"version": "==5.2.1", "hashes": [H1], "extras": ["server"]},
                       "six": {"version": "==1.17.0", "hashes": [H1, H2], "markers": "python_version >= '2.7'"}})
    assert lock_env.requirement_lines(lock, ["default", "develop"]) == [
        f"moto==5.2.1 --hash={H1}",  # --no-deps: moto's extras are packages of the lock themselves
        f"six==1.17.0 ; python_version >= '2.7' --hash={H1} --hash={H2}",
    ]
    assert lock_env.requirement_lines(lock, ["default"]) == [
        f"six==1.17.0 ; python_version >= '2.7' --hash={H1} --hash={H2}"]


@pytest.mark.parametrize("entry, message", [
    ({"version": ">=1.0", "hashes": [H1]}, "not pinned"),
    ({"version": "==1.0", "hashes": []}, "not pinned"),
    ({"git": "https://example.invalid/x.git", "ref": "abc"}, "not pinned"),
])
def test_lock_requirements_refuse_what_is_not_pinned_and_hashed(tmp_path, entry, message):
    lock = write_lock(tmp_path / "Pipfile.lock", {"x": entry})
    with pytest.raises(lock_env.LockError, match=message):
        lock_env.requirement_lines(lock, ["default"])


def test_lock_requirements_refuse_a_package_locked_twice_differently(tmp_path):
    lock = write_lock(tmp_path / "Pipfile.lock", {"six": {"version": "==1.17.0", "hashes": [H1]}},
                      {"six": {"version": "==1.16.0", "hashes": [H2]}})
    with pytest.raises(lock_env.LockError, match="six is locked differently"):
        lock_env.requirement_lines(lock, ["default", "develop"])
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "lock_env.py"), "requirements", str(lock),
                           "default", "develop"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "bootstrap: " in proc.stderr and "re-lock" in proc.stderr


@pytest.mark.parametrize("lock_file", ["Pipfile.lock", "studio-clients/Pipfile.lock"])
def test_the_repositorys_locks_install_as_they_are(lock_file):
    lock = json.loads((REPO_ROOT / lock_file).read_text())
    lines = lock_env.requirement_lines(REPO_ROOT / lock_file, ["default", "develop"])
    assert len(lines) == len(set(lock["default"]) | set(lock["develop"]))
    assert all(" --hash=sha256:" in line and "==" in line.split()[0] for line in lines)


def bootstrap_platform_roots() -> list[str]:
    text = (REPO_ROOT / "scripts" / "bootstrap.sh").read_text()
    (line,) = [ln for ln in text.splitlines() if ln.startswith("PLATFORM_ROOTS=(")]
    return line.split("(", 1)[1].rstrip(")").replace('"', "").split()


def test_compile_set_of_scripts_platform_is_what_the_emulator_and_synthesis_need():
    lock = json.loads((REPO_ROOT / "Pipfile.lock").read_text())
    roots = bootstrap_platform_roots()
    assert roots and set(roots) <= set(lock["develop"]), "bootstrap's PLATFORM_ROOTS are packages of the lock"
    names = lock_env.closure(sorted(lock["default"]) + roots)
    assert {"cdktf", "jsii", "moto", "boto3", "botocore", "flask", "werkzeug", "cryptography"} <= names
    assert names <= lock_env.closure(sorted(lock["default"]) + ["moto[server]"]), "the emulator's packages only"
    assert not names & {"checkov", "pytest", "parliament", "principalmapper", "cfn-lint", "sympy"}
    assert "flask" not in lock_env.closure(["moto"]), "an extra's packages only with the extra"


def test_bindings_compiled_are_those_the_code_imports():
    used = lock_env.used_binding_modules(REPO_ROOT)
    assert {"sagemaker_domain", "vpc", "provider"} <= used
    assert 20 < len(used) < 200


def run_bootstrap(*args, env=None):
    return subprocess.run([str(REPO_ROOT / "scripts" / "bootstrap.sh"), *args], cwd=str(REPO_ROOT),
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)


def test_bootstrap_refuses_an_unknown_argument_and_says_what_it_takes():
    proc = run_bootstrap("--studio-client")
    assert proc.returncode == 2
    assert "unknown argument '--studio-client'" in proc.stderr
    assert "next: run scripts/bootstrap.sh [--platform-only] [--studio-clients]" in proc.stderr


def test_bootstrap_when_nothing_changed_is_quiet_and_quick():
    stamp = REPO_ROOT / ".venv" / ".bootstrap-pipfile-lock.sha256"
    import hashlib

    if not (REPO_ROOT / ".tools" / "bin" / "uv").exists() or not stamp.is_file() or stamp.read_text().strip() \
            != hashlib.sha256((REPO_ROOT / "Pipfile.lock").read_bytes()).hexdigest():
        pytest.skip("not bootstrapped by this bootstrap.sh from this Pipfile.lock (a test must not install)")
    proc = run_bootstrap("--platform-only", env={"BOOTSTRAP_QUIET": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""


def test_platform_sets_up_only_what_it_needs_and_test_all():
    platform = (REPO_ROOT / "scripts" / "platform").read_text()
    assert "scripts/bootstrap.sh --platform-only" in platform
    test = (REPO_ROOT / "scripts" / "test").read_text()
    assert "scripts/bootstrap.sh --studio-clients" in test and "--platform-only" not in test


# -- ruff: pyproject.toml's lint rules over the tree ------------------------------------
def run_ruff(*args: str) -> subprocess.CompletedProcess:
    """ruff of this environment (Pipfile [dev-packages] pins it), with pyproject.toml's configuration."""
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
                           "--config", str(REPO_ROOT / "pyproject.toml"), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    if "No module named ruff" in proc.stderr:
        pytest.fail("ruff is not installed in this environment: run scripts/bootstrap.sh (Pipfile.lock pins it)",
                    pytrace=False)
    return proc


def test_ruff_finds_nothing_in_the_tree():
    proc = run_ruff(".")
    assert proc.returncode == 0, f"ruff check (fix these, or say why beside them with noqa):\n{proc.stdout}"


def test_ruff_rules_catch_the_mistakes_they_are_chosen_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n"
                   "callbacks = [lambda: i for i in range(3)]\n"
                   "pairs = list(zip([1, 2], [3]))\n"
                   "try:\n    pass\nexcept Exception:\n    pass\n")
    proc = run_ruff(str(bad))
    found = set(re.findall(r": ([A-Z]+\d+) ", proc.stdout))
    assert proc.returncode == 1 and {"F401", "B023", "B905", "BLE001"} <= found, proc.stdout
