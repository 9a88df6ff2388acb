"""The provider started while a plan runs, for the show after it (scripts/terraform_env/show_provider.py).

The fake providers here are shell scripts where the installed binary would be; the
last test attaches a real ``terraform show -json`` to the real hashicorp/aws."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from scripts import terraform_env
from scripts.terraform_env.show_provider import REATTACH, ShowProvider, installed_binary
from terraform_runs import shared_folder

ANNOUNCE = ('{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","ProtocolVersion":5,"Pid":1,'
            '"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin0"}}}')


def _stack_with_provider(tmp_path: Path, script: str, says: str = "") -> Path:
    """A stack directory whose init installed ``script`` (sh) as hashicorp/aws; ``$SAYS``
    in it names a file that holds ``says``."""
    stack = tmp_path / "stack"
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "says").write_text(says + "\n")
    package = (stack / ".terraform" / "providers" / terraform_env.AWS_PROVIDER_SOURCE /
               terraform_env.AWS_PROVIDER_VERSION / terraform_env.platform_id())
    package.mkdir(parents=True)
    binary = package / f"terraform-provider-aws_v{terraform_env.AWS_PROVIDER_VERSION}_x5"
    binary.write_text(f"#!/bin/sh\necho started >> {tmp_path / 'starts'}\nSAYS={tmp_path / 'says'}\n{script}\n")
    binary.chmod(0o755)
    return stack


def _starts(tmp_path: Path) -> int:
    marker = tmp_path / "starts"
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def test_the_show_attaches_to_the_provider_started_during_the_plan_and_it_is_stopped_after(tmp_path):
    stack = _stack_with_provider(tmp_path, "cat $SAYS; exec sleep 60", f"TF_REATTACH_PROVIDERS='{ANNOUNCE}'")
    with ShowProvider(stack, {}, start_after=0) as provider:
        env = provider.env({"PATH": "/bin"})
        proc, folder = provider._proc, Path(provider._dir)
        assert folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"
    assert env == {"PATH": "/bin", REATTACH: ANNOUNCE}
    assert proc.poll() is not None, "the provider outlived the with block"
    assert not folder.exists(), "the folder of its socket outlived it"


def test_the_provider_gets_none_of_the_plans_credentials(tmp_path):
    stack = _stack_with_provider(tmp_path, f"env > {tmp_path / 'env'}; cat $SAYS; exec sleep 60",
                                 f"TF_REATTACH_PROVIDERS='{ANNOUNCE}'")
    plan_env = {"PATH": os.environ["PATH"], "AWS_SECRET_ACCESS_KEY": "secret", "AWS_PROFILE": "prod"}
    with ShowProvider(stack, plan_env, start_after=0) as provider:
        assert provider.env(plan_env) is not None
    seen = (tmp_path / "env").read_text()
    assert "AWS_" not in seen and "secret" not in seen
    assert "TMPDIR=" in seen and "show-provider-" in seen  # its socket in a folder of its own


def test_a_plan_shorter_than_the_delay_starts_no_provider(tmp_path):
    stack = _stack_with_provider(tmp_path, "exec sleep 60")
    with ShowProvider(stack, {}, start_after=30) as provider:
        assert provider.env({}) is None  # the show starts its own, as before
    time.sleep(0.2)
    assert _starts(tmp_path) == 0


def test_a_provider_that_says_nothing_or_names_another_leaves_the_show_as_it_was(tmp_path):
    for case, (script, says) in enumerate((("exit 1", ""), ("cat $SAYS; exec sleep 60",
                                                           """TF_REATTACH_PROVIDERS='{"registry.terraform.io/x/y":{}}'"""))):
        with ShowProvider(_stack_with_provider(tmp_path / str(case), script, says), {}, start_after=0) as provider:
            assert provider.env({}) is None


def test_the_users_own_reattach_setting_is_left_alone(tmp_path):
    stack = _stack_with_provider(tmp_path, "exec sleep 60")
    with ShowProvider(stack, {REATTACH: '{"theirs": {}}'}, start_after=0) as provider:
        assert provider.env({REATTACH: '{"theirs": {}}'}) is None
    assert _starts(tmp_path) == 0


def test_no_installed_provider_no_start(tmp_path):
    assert installed_binary(tmp_path, {}) is None
    with ShowProvider(tmp_path, {}, start_after=0) as provider:
        assert provider.env({}) is None


def test_the_show_runs_attached_else_once_more_with_a_provider_of_its_own(tmp_path):
    """ShowProvider.show: attached and unchecked when a provider is ready; otherwise, or when the
    attached show fails, once more with the plan's environment and checked (its errors are the caller's)."""
    stack = _stack_with_provider(tmp_path, "cat $SAYS; exec sleep 60", f"TF_REATTACH_PROVIDERS='{ANNOUNCE}'")

    def runs(provider, codes):
        calls = []

        def run(env, check):
            calls.append((env.get(REATTACH), check))
            return subprocess.CompletedProcess([], codes[len(calls) - 1], "shown", "")
        return provider.show(run, {"PATH": "/bin"}).stdout, calls

    with ShowProvider(stack, {}, start_after=0) as provider:
        assert runs(provider, [0]) == ("shown", [(ANNOUNCE, False)])
    with ShowProvider(stack, {}, start_after=0) as provider:
        assert runs(provider, [1, 0]) == ("shown", [(ANNOUNCE, False), (None, True)])
    with ShowProvider(stack, {}, start_after=30) as provider:  # nothing started
        assert runs(provider, [0]) == ("shown", [(None, True)])


@pytest.mark.emulator
def test_an_attached_show_gives_the_same_plan_as_terraforms_own(plans, emulator_stack, tmp_path_factory):
    """The real hashicorp/aws in debug mode, the real ``terraform show -json`` of the run's plan of dev."""
    stack_dir, env = emulator_stack
    plan_file = shared_folder(tmp_path_factory) / "plans" / "dev.tfplan"
    with ShowProvider(stack_dir, env, start_after=0) as provider:
        attached = provider.env(env)
        assert attached is not None, "hashicorp/aws in debug mode did not say where it listens"
        shown = terraform_env.run_terraform(["show", "-json", str(plan_file)], stack_dir,
                                            env={**attached, "TF_WORKSPACE": "dev"}, timeout=300)
    assert json.loads(shown.stdout) == plans["dev"]
