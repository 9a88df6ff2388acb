"""A copy of a running emulator (scripts/moto_ext/copies.py, Emulator.copy, persistent.copy):
what the tests use to apply a workspace once per run and give each test file its own."""
import os
import signal

import pytest
import terraform_runs

from scripts.emulator import Emulator, EmulatorError
from scripts.emulator import persistent as emulator_persistent

pytestmark = pytest.mark.emulator
REGION = "eu-west-1"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def _buckets(emu) -> set:
    return {b["Name"] for b in emu.client("s3", REGION).list_buckets()["Buckets"]}


def test_a_copy_holds_what_the_emulator_held_then_lives_its_own_life(tmp_path):
    with Emulator(region=REGION, log_dir=tmp_path) as emu:
        emu.client("s3", REGION).create_bucket(Bucket="before", CreateBucketConfiguration={
            "LocationConstraint": REGION})
        role_id = emu.client("iam", REGION).create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["RoleId"]
        pid, copy = emu.copy(tmp_path / "copy.log")
        try:
            assert copy.port != emu.port and copy.answers()
            assert pid != emu.pid and "a copy of the emulator" in (tmp_path / "copy.log").read_text()
            # The same resources, ids and all.
            assert copy.client("iam", REGION).get_role(RoleName="r")["Role"]["RoleId"] == role_id
            assert _buckets(copy) == {"before"}
            # Then each changes alone.
            copy.client("s3", REGION).create_bucket(Bucket="in-the-copy", CreateBucketConfiguration={
                "LocationConstraint": REGION})
            emu.client("s3", REGION).delete_bucket(Bucket="before")
            assert _buckets(emu) == set()
            assert _buckets(copy) == {"before", "in-the-copy"}
            emu.stop()
            assert copy.answers(), "the copy outlives the emulator it was made from"
        finally:
            _kill(pid)


def test_the_persistent_emulator_of_a_root_becomes_a_copy_with_its_state_and_initialized_stacks(tmp_path, monkeypatch):
    source_home, home = tmp_path / "source-home", tmp_path / "home"
    monkeypatch.setenv(emulator_persistent.HOME_VARIABLE, str(source_home))
    source, _ = emulator_persistent.up(tmp_path, REGION)
    try:
        source.client("sqs", REGION).create_queue(QueueName="q")
        (source_home / "state").mkdir()
        (source_home / "state" / "platform.tfstate").write_text("{}")
        # What init left in the source's stack copy: a link into the plugin cache and a stamp.
        initialized = source_home / "stacks" / "platform" / ".terraform"
        (initialized / "providers").mkdir(parents=True)
        (initialized / "providers" / "aws").symlink_to(tmp_path / "plugin-cache")
        (initialized / "platform-init.sha256").write_text("stamp")
        (source_home / "stacks" / "platform" / "dev.tfplan").write_text("not init's")
        monkeypatch.setenv(emulator_persistent.HOME_VARIABLE, str(home))
        copy = emulator_persistent.copy(source_home, tmp_path)
        assert emulator_persistent.find(tmp_path).port == copy.port != source.port
        assert (home / "state" / "platform.tfstate").read_text() == "{}"
        copied = home / "stacks" / "platform"
        assert sorted(p.name for p in copied.iterdir()) == [".terraform"]
        assert (copied / ".terraform" / "providers" / "aws").readlink() == tmp_path / "plugin-cache"
        assert (copied / ".terraform" / "platform-init.sha256").read_text() == "stamp"
        assert [u.rsplit("/", 1)[1] for u in copy.client("sqs", REGION).list_queues()["QueueUrls"]] == ["q"]
        record = emulator_persistent.down(tmp_path)
        assert not home.exists() and not emulator_persistent._alive(record.pid)
        assert source.answers()
    finally:
        emulator_persistent.down_home(home)  # the copy, when an assertion above failed before its down
        emulator_persistent.down_home(source_home)
    with pytest.raises(EmulatorError, match="no persistent emulator runs from"):
        emulator_persistent.copy(source_home, tmp_path)


def test_the_runs_templates_stop_when_the_run_ends(tmp_path, monkeypatch):
    """conftest's pytest_sessionfinish stops the emulators applied once for the run
    (terraform_runs.template keeps them under <shared folder>/applied-<name>/home)."""
    home = tmp_path / f"{terraform_runs.APPLIED_PREFIX}dev" / "home"
    monkeypatch.setenv(emulator_persistent.HOME_VARIABLE, str(home))
    emulator_persistent.up(tmp_path, REGION)
    record = emulator_persistent._read_home(home)
    assert emulator_persistent._alive(record.pid)
    terraform_runs.stop_templates(tmp_path)
    assert not emulator_persistent._alive(record.pid) and not home.exists()
