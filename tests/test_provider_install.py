"""How hashicorp/aws is installed: registry mode (the default) and mirror mode, both pinned
by the repository's .terraform.lock.hcl, with the user's own Terraform CLI configuration
merged in (scripts/terraform_env/, its cli_config.py).

Nothing here leaves the machine: registry mode's init goes through HTTPS_PROXY to a closed
loopback port, and Terraform's own error names that port.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from scripts.terraform_env import cli_config, provider_lock, providers
from scripts import terraform_env as tfe
from scripts.emulator import free_loopback_port
from scripts.repo import REPO_ROOT, TERRAFORM_LOCK_FILE_NAME

AWS = tfe.AWS_PROVIDER_SOURCE
STACK = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws",
                                                       "version": tfe.AWS_PROVIDER_VERSION}}}}

USER_RC = """# a platform engineer's own ~/.terraformrc
credentials "app.terraform.io" {
  token = "not-a-real-token.atlasv1.example"
}
plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"
host "registry.example.com" {
  services = {
    "providers.v1" = "https://registry.example.com/v1/providers/"
  }
}
provider_installation {
  network_mirror {
    url     = "https://127.0.0.1:%(port)d/providers/"
    exclude = ["example.com/*/*"]
  }
  direct {
  }
}
"""


@pytest.fixture(scope="module")
def mirror() -> Path:
    return tfe.find_provider_mirror()


def closed_port_proxy(environ: dict) -> tuple[dict, int]:
    """``environ`` with every HTTP(S) request sent to a loopback port nobody listens on."""
    port = free_loopback_port()
    env = {k: v for k, v in environ.items() if k.lower() not in ("all_proxy", "no_proxy")}
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[key] = f"http://127.0.0.1:{port}"
    return env, port


def user_home(tmp_path: Path, rc: str | None = None) -> dict:
    """An environment whose user has ``rc`` as ~/.terraformrc (and TF_CLI_CONFIG_FILE naming no file)."""
    home = tmp_path / "home"
    (home / ".terraform.d" / "plugin-cache").mkdir(parents=True)
    if rc is not None:
        (home / ".terraformrc").write_text(rc)
    return {"PATH": os.environ["PATH"], "HOME": str(home), "TF_CLI_CONFIG_FILE": str(tmp_path / "absent.tfrc")}


def problems(rc: Path, environ: dict) -> str:
    """What Terraform itself says about a CLI configuration ("" when it accepts it)."""
    proc = subprocess.run(["terraform", "version"], env={"PATH": os.environ["PATH"], "TF_CLI_CONFIG_FILE": str(rc),
                                                         "CHECKPOINT_DISABLE": "1", "HOME": environ["HOME"]},
                          capture_output=True, text=True, check=True)
    return proc.stderr


def stack(tmp_path: Path) -> Path:
    d = tmp_path / "stack"
    d.mkdir()
    (d / "main.tf.json").write_text(json.dumps(STACK))
    return d


# -- the CLI configuration we write --------------------------------------------------------
def test_registry_mode_config_leaves_installation_to_terraform(tmp_path):
    environ = {**user_home(tmp_path), "TF_PROVIDER_MIRROR": "none"}
    assert tfe.provider_mirror(environ) is None
    rc = tfe.write_cli_config(tmp_path / "root", environ)
    text = rc.read_text()
    assert rc.parent == (tmp_path / "root" / ".cache" / "terraform").resolve() and rc.suffix == ".tfrc"
    assert "provider_installation" not in text  # Terraform's default: the registry
    assert f'plugin_cache_dir = "{rc.parent / "plugin-cache"}"' in text and (rc.parent / "plugin-cache").is_dir()
    assert problems(rc, environ) == ""


def test_mirror_mode_config_takes_the_provider_from_the_mirror_only(tmp_path, mirror):
    environ = {**user_home(tmp_path), "TF_PROVIDER_MIRROR": str(mirror)}
    rc = tfe.write_cli_config(tmp_path / "root", environ)
    text = rc.read_text()
    assert text.count("provider_installation {") == 1
    assert re.search(r'filesystem_mirror \{\s*path\s*= "%s"\s*include = \["%s"\]' % (mirror, AWS), text)
    assert re.search(r'direct \{\s*exclude = \["%s"\]' % AWS, text)
    assert problems(rc, environ) == ""


def test_a_users_config_is_merged_not_replaced(tmp_path, mirror):
    user_rc = USER_RC % {"port": free_loopback_port()}
    environ = user_home(tmp_path, user_rc)
    users_file = Path(environ["HOME"]) / ".terraformrc"

    registry = tfe.write_cli_config(tmp_path / "registry", {**environ, "TF_PROVIDER_MIRROR": "none"}).read_text()
    # Everything of the user's stays, their provider_installation as it is; we add no second one.
    assert user_rc in registry and registry.count("provider_installation {") == 1
    # Their plugin cache is kept (Terraform keeps one; ours would be a duplicate attribute).
    assert registry.count("plugin_cache_dir") == 1
    assert cli_config.user_plugin_cache(environ) == f"{environ['HOME']}/.terraform.d/plugin-cache"

    rc = tfe.write_cli_config(tmp_path / "mirror", {**environ, "TF_PROVIDER_MIRROR": str(mirror)})
    merged = rc.read_text()
    assert 'credentials "app.terraform.io"' in merged and 'host "registry.example.com"' in merged
    assert merged.count("provider_installation {") == 1 and merged.count("plugin_cache_dir") == 1
    # Ours first, then theirs, each of theirs excluding the provider the mirror serves.
    methods = re.findall(r"^  (\w+) \{", merged, re.M)
    assert methods == ["filesystem_mirror", "network_mirror", "direct"]
    assert f'exclude = ["{AWS}", "example.com/*/*"]' in merged
    assert re.search(r'direct \{\s*exclude = \["%s"\]' % AWS, merged)
    assert users_file.read_text() == user_rc  # never modified
    assert problems(rc, environ) == ""
    # Terraform reads it so: the provider comes from our mirror, not from their (closed) network mirror.
    env, _ = closed_port_proxy({**environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1"})
    tfe.init(stack(tmp_path), env=env, backend=False)


def test_a_users_json_config_is_merged_as_json(tmp_path, mirror):
    environ = user_home(tmp_path)
    users_file = tmp_path / "user.tfrc.json"
    users_file.write_text(json.dumps({"credentials": {"app.terraform.io": {"token": "t"}},
                                      "provider_installation": {"network_mirror": [{"url": "https://127.0.0.1:9/"}]}}))
    environ["TF_CLI_CONFIG_FILE"] = str(users_file)
    rc = tfe.write_cli_config(tmp_path / "root", {**environ, "TF_PROVIDER_MIRROR": str(mirror)})
    merged = json.loads(rc.read_text())
    assert merged["credentials"] == {"app.terraform.io": {"token": "t"}}
    assert merged["provider_installation"]["network_mirror"] == [{"url": "https://127.0.0.1:9/", "exclude": [AWS]}]
    assert merged["provider_installation"]["filesystem_mirror"] == [{"path": str(mirror), "include": [AWS]}]
    assert problems(rc, environ) == ""


def test_a_nested_call_merges_the_users_file_again_not_ours(tmp_path, mirror):
    environ = {**user_home(tmp_path, USER_RC % {"port": 9}), "TF_PROVIDER_MIRROR": str(mirror)}
    rc = tfe.write_cli_config(tmp_path / "root", environ)
    # A script started by a script sees TF_CLI_CONFIG_FILE pointing at our file.
    nested = {**environ, "TF_CLI_CONFIG_FILE": str(rc)}
    assert cli_config.user_config_path(nested) == Path(environ["HOME"]) / ".terraformrc"
    assert tfe.write_cli_config(tmp_path / "root", nested).read_text() == rc.read_text()
    # And with no user file at all (this machine's TF_CLI_CONFIG_FILE names a missing file).
    bare = {**user_home(tmp_path / "bare"), "TF_PROVIDER_MIRROR": str(mirror)}
    assert cli_config.user_config_path(bare) is None
    rc = tfe.write_cli_config(tmp_path / "bare-root", bare)
    assert cli_config.user_config_path({**bare, "TF_CLI_CONFIG_FILE": str(rc)}) is None


def test_terraform_login_tokens_are_kept(tmp_path, mirror):
    """Terraform skips ~/.terraform.d/*.tfrc(.json) once TF_CLI_CONFIG_FILE is set, as it is
    for our file: the tokens `terraform login` keeps there are merged in."""
    environ = {**user_home(tmp_path, 'plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"\n'),
               "TF_PROVIDER_MIRROR": str(mirror)}
    login = Path(environ["HOME"]) / ".terraform.d" / "credentials.tfrc.json"
    login.write_text(json.dumps({"credentials": {"app.terraform.io": {"token": "from-terraform-login"}}}))
    rc = tfe.write_cli_config(tmp_path / "root", environ)
    assert re.search(r'credentials "app.terraform.io" \{\s*token = "from-terraform-login"', rc.read_text())
    assert problems(rc, environ) == ""
    # A file of the user's own choosing (TF_CLI_CONFIG_FILE) is taken alone, as Terraform does.
    own = tmp_path / "own.tfrc"
    own.write_text("disable_checkpoint = true\n")
    assert "from-terraform-login" not in tfe.write_cli_config(
        tmp_path / "root", {**environ, "TF_CLI_CONFIG_FILE": str(own)}).read_text()


def test_an_unreadable_user_config_is_a_clear_error(tmp_path):
    environ = {**user_home(tmp_path, 'provider_installation {\n  direct {\n'), "TF_PROVIDER_MIRROR": "none"}
    with pytest.raises(tfe.TerraformError) as err:
        tfe.write_cli_config(tmp_path / "root", environ)
    msg = str(err.value)
    assert ".terraformrc" in msg and "not closed" in msg and "Next:" in msg and "Traceback" not in msg
    (tmp_path / "home" / ".terraformrc").write_text('{"plugin_cache_dir": ')
    with pytest.raises(tfe.TerraformError) as err:
        tfe.write_cli_config(tmp_path / "root", environ)
    assert "is not valid JSON" in str(err.value) and ".terraformrc" in str(err.value)


# -- the lock file, copied and used ------------------------------------------------------------
def test_the_lock_file_pins_the_provider_and_the_stack_pins_terraform():
    lock = tfe.LOCK_FILE.read_text()
    assert f'provider "{AWS}" {{\n  version     = "{tfe.AWS_PROVIDER_VERSION}"' in lock
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', lock)) == 15  # 14 platforms and the release manifest
    assert len(re.findall(r'"h1:[A-Za-z0-9+/]{43}="', lock)) >= 1
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", TERRAFORM_LOCK_FILE_NAME], cwd=REPO_ROOT,
                             capture_output=True, text=True)
    assert tracked.returncode == 0, "the lock file must be committed"
    main = (REPO_ROOT / "main.py").read_text()
    assert re.search(r'^TERRAFORM_VERSION = ">= 1\.10, < 2\.0\.0"$', main, re.M)


def test_mirror_mode_init_verifies_against_the_lock_file(terraform_env, tmp_path):
    """The repo's own environment (mirror mode here, the plugin cache filled)."""
    d = stack(tmp_path)
    env, _ = closed_port_proxy(terraform_env)
    committed = tfe.LOCK_FILE.read_text()
    tfe.init(d, env=env, backend=False)
    # The committed lock or, on a platform it has no h1: for, this machine's extension of it; not rewritten.
    machine_lock = Path(env["TF_CLI_CONFIG_FILE"]).with_name(provider_lock.LOCAL_LOCK_NAME)
    expected = provider_lock.lock_to_use(tfe.LOCK_FILE, machine_lock).read_text()
    assert (d / TERRAFORM_LOCK_FILE_NAME).read_text() == expected
    assert provider_lock.extends((d / TERRAFORM_LOCK_FILE_NAME).read_text(), committed)
    assert tfe.LOCK_FILE.read_text() == committed
    assert (d / ".terraform" / "providers" / AWS / tfe.AWS_PROVIDER_VERSION / tfe.platform_id()).exists()


def test_a_tampered_hash_fails_with_what_to_do(terraform_env, tmp_path, monkeypatch):
    tampered = tmp_path / "tampered.lock.hcl"
    tampered.write_text(re.sub(r'"h1:[^"]+"', '"h1:' + "A" * 43 + '="', tfe.LOCK_FILE.read_text()))
    monkeypatch.setattr(providers, "LOCK_FILE", tampered)
    env, _ = closed_port_proxy(terraform_env)
    with pytest.raises(tfe.TerraformError) as err:
        tfe.init(stack(tmp_path), env=env, backend=False)
    msg = str(err.value)
    assert "matches none of the hashes in the lock file" in msg and tfe.platform_id() in msg
    assert f"terraform providers lock -platform={tfe.platform_id()}" in msg and "Next:" in msg
    assert "Traceback" not in msg


def test_registry_mode_init_fails_only_for_want_of_network(tmp_path):
    environ, port = closed_port_proxy({**user_home(tmp_path), "TF_PROVIDER_MIRROR": "none"})
    rc = tfe.write_cli_config(tmp_path / "root", environ)
    d = stack(tmp_path)
    with pytest.raises(tfe.TerraformError) as err:
        tfe.init(d, env={**environ, "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1"}, backend=False)
    msg = str(err.value)
    # Terraform asked the registry, through our closed loopback port, and nothing else went wrong.
    assert "registry.terraform.io" in msg and f"127.0.0.1:{port}" in msg
    assert "problems with the CLI configuration" not in msg and "lock file" not in msg.split("Next:")[0].lower()
    assert "could not reach the provider registry" in msg and "no network access" in msg
    assert "TF_PROVIDER_MIRROR" in msg and "terraform providers mirror" in msg and "Traceback" not in msg
    assert (d / TERRAFORM_LOCK_FILE_NAME).read_text() == tfe.LOCK_FILE.read_text()


def test_registry_mode_fills_the_plugin_cache_or_says_why_not(tmp_path):
    """build_env puts the provider in the plugin cache once (an init in a scratch stack):
    without network, that is where a first command stops, with the same message."""
    environ, port = closed_port_proxy({**os.environ, **user_home(tmp_path), "TF_PROVIDER_MIRROR": "none"})
    with pytest.raises(tfe.TerraformError) as err:
        tfe.build_env(tmp_path / "root", base=environ)
    msg = str(err.value)
    assert "could not reach the provider registry" in msg and f"127.0.0.1:{port}" in msg and "Traceback" not in msg


# -- the machine's lock file: the h1: of the first install, kept (scripts/terraform_env/provider_lock.py)
# A stand-in for the registry on another platform: a release zip of a fake hashicorp/aws in a
# packed filesystem mirror. Terraform checks a zip against zh: hashes, as it does the registry's
# download, and records the h1: of what it unpacked, which the committed lock lacks.
def fake_release(tmp_path: Path) -> tuple[Path, str]:
    """(packed mirror holding the fake release for this platform, the zip's zh: hash)."""
    mirror = tmp_path / "packed-mirror"
    folder = mirror / AWS
    folder.mkdir(parents=True)
    release = folder / f"terraform-provider-aws_{tfe.AWS_PROVIDER_VERSION}_{tfe.platform_id()}.zip"
    with zipfile.ZipFile(release, "w") as archive:
        entry = zipfile.ZipInfo(f"terraform-provider-aws_v{tfe.AWS_PROVIDER_VERSION}_x5")
        entry.external_attr = 0o755 << 16
        archive.writestr(entry, "#!/bin/sh\necho 'a stand-in, never run by init'\nexit 1\n")
    return mirror, "zh:" + hashlib.sha256(release.read_bytes()).hexdigest()


def h1_of(package: Path) -> str:
    """Terraform's h1: of an unpacked package (Go's dirhash Hash1), computed independently of it."""
    summary = "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(package).as_posix()}\n"
                      for f in sorted(package.rglob("*")) if f.is_file())
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def committed_stand_in(tmp_path: Path, monkeypatch, *added: str) -> Path:
    """The committed lock without its h1: (as on any platform but linux_amd64), plus ``added``."""
    text = re.sub(r'\n\s*"h1:[^"]+",', "", tfe.LOCK_FILE.read_text())
    text = text.replace("  hashes = [\n", "  hashes = [\n" + "".join(f'    "{h}",\n' for h in sorted(added)))
    lock = tmp_path / "committed.lock.hcl"
    lock.write_text(text)
    monkeypatch.setattr(providers, "LOCK_FILE", lock)
    return lock


def provider_hashes(lock_text: str) -> frozenset[str]:
    return provider_lock.providers(lock_text)[AWS][2]


def init_output(stack_dir: Path, env: dict) -> str:
    return tfe.init(stack_dir, env=env, backend=False).stdout


def test_the_first_install_keeps_this_platforms_h1_and_later_inits_reuse_the_cache(tmp_path, monkeypatch):
    mirror, zip_hash = fake_release(tmp_path)
    committed = committed_stand_in(tmp_path, monkeypatch, zip_hash)
    committed_text = committed.read_text()
    environ = {**user_home(tmp_path), "TF_PROVIDER_MIRROR": str(mirror)}
    env = tfe.build_env(tmp_path / "root", base=environ)

    machine_lock = tmp_path / "root" / ".cache" / "terraform" / provider_lock.LOCAL_LOCK_NAME
    cached = tmp_path / "root" / ".cache" / "terraform" / "plugin-cache" / AWS / tfe.AWS_PROVIDER_VERSION
    package = cached / tfe.platform_id()
    # Every committed hash kept, and exactly one added: the h1: of the package now in the plugin cache.
    assert provider_hashes(machine_lock.read_text()) == provider_hashes(committed_text) | {h1_of(package)}
    assert provider_lock.extends(machine_lock.read_text(), committed_text)
    assert committed.read_text() == committed_text  # the committed file is only read

    # Later inits use the machine's lock, and so the plugin cache: no second download.
    d = stack(tmp_path)
    assert f"Using hashicorp/aws v{tfe.AWS_PROVIDER_VERSION} from the shared cache directory" in init_output(d, env)
    assert (d / TERRAFORM_LOCK_FILE_NAME).read_text() == machine_lock.read_text()
    assert Path(os.readlink(d / ".terraform" / "providers" / AWS / tfe.AWS_PROVIDER_VERSION / tfe.platform_id())) \
        == package

    # The committed lock changes (a hash added): the machine's no longer extends it, so inits use the
    # committed one, which cannot confirm the cached package: Terraform installs the provider again.
    committed.write_text(committed_text.replace(zip_hash, f'{zip_hash}",\n    "zh:{"0" * 64}'))
    (tmp_path / "changed").mkdir()
    d = stack(tmp_path / "changed")
    out = init_output(d, env)
    assert f"Installing hashicorp/aws v{tfe.AWS_PROVIDER_VERSION}" in out and "shared cache" not in out, out
    assert (d / TERRAFORM_LOCK_FILE_NAME).read_text() == committed.read_text()
    # The next command's first install derives the machine's lock again; the cache serves again.
    env = tfe.build_env(tmp_path / "root", base=environ)
    assert provider_hashes(machine_lock.read_text()) == provider_hashes(committed.read_text()) | {h1_of(package)}
    (tmp_path / "again").mkdir()
    assert "from the shared cache directory" in init_output(stack(tmp_path / "again"), env)


def test_a_package_matching_no_hash_still_fails_the_first_install(tmp_path, monkeypatch):
    mirror, _ = fake_release(tmp_path)
    committed_stand_in(tmp_path, monkeypatch)  # the real zh: hashes, none of them the fake zip's
    with pytest.raises(tfe.TerraformError) as err:
        tfe.build_env(tmp_path / "root", base={**user_home(tmp_path), "TF_PROVIDER_MIRROR": str(mirror)})
    msg = str(err.value)
    assert "matches none of the hashes in the lock file" in msg and "Next:" in msg and "Traceback" not in msg
    assert not (tmp_path / "root" / ".cache" / "terraform" / provider_lock.LOCAL_LOCK_NAME).exists()


def test_a_machine_lock_that_does_not_extend_the_committed_one_is_not_used(tmp_path):
    committed_text = tfe.LOCK_FILE.read_text()
    committed = tmp_path / "committed.lock.hcl"
    committed.write_text(committed_text)
    local = tmp_path / provider_lock.LOCAL_LOCK_NAME
    some_h1 = "h1:" + "B" * 43 + "="
    recorded = committed_text.replace("hashes = [\n", f'hashes = [\n    "{some_h1}",\n')
    extended = provider_lock.derive(committed_text, recorded)
    assert provider_hashes(extended) == provider_hashes(committed_text) | {some_h1}
    for text, used in [(extended, local),
                       (extended.replace(f'"{tfe.AWS_PROVIDER_VERSION}"', '"5.99.1"'), committed),  # another version
                       (re.sub(r'\n\s*"zh:054b[^"]+",', "", extended), committed),  # a committed hash dropped
                       (extended + '\nprovider "registry.terraform.io/hashicorp/null" {\n}\n', committed)]:
        local.write_text(text)
        assert provider_lock.lock_to_use(committed, local) == used, text
    with pytest.raises(provider_lock.LockError) as err:
        provider_lock.derive(committed_text, committed_text.replace(f'"{tfe.AWS_PROVIDER_VERSION}"', '"5.99.1"'))
    assert "5.99.1" in str(err.value) and tfe.AWS_PROVIDER_VERSION in str(err.value)
