"""The journey's client process (scripts/journey/clients/server.py) and what the connect stands in for,
without an emulator: a forked child answers as a fresh interpreter does, the preload refuses to import
AWS's packages (each run must import them under its own guard), the magic's fixed waits are recorded, not
slept; and a pulled state's resources are counted as `terraform state list` lists them."""
import subprocess
import time
import types

from scripts.journey.clients import ClientProcess, connect, static_actions
from scripts.journey.steps import studio_clients_python
from scripts.platform_cmd.terraform import managed_instances
from scripts.repo import REPO_ROOT


def test_a_child_of_the_client_process_answers_as_a_fresh_interpreter():
    python = str(studio_clients_python())
    with ClientProcess(python, "https://127.0.0.1:1") as process:
        forked = static_actions(process=process)
        assert process.static_actions == forked  # read once for the process
    assert forked == static_actions(python)
    assert "elasticmapreduce:DescribeCluster" in forked


def test_the_preload_refuses_to_import_aws_packages():
    code = ("from scripts.journey.clients import netguard, server\n"
            "server.PRELOAD = ('json', 'sagemaker_studio_analytics_extension')\n"
            "server.preload(netguard.install('https://127.0.0.1:1'))\n")
    proc = subprocess.run([str(studio_clients_python()), "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "the preload imported modules each run must import itself" in proc.stderr
    assert "sagemaker_studio_analytics_extension" in proc.stderr


def test_the_magics_fixed_waits_are_recorded_not_slept():
    module, waits = types.SimpleNamespace(sleep=time.sleep), []
    connect._stand_in_waits(module, waits)
    start = time.monotonic()
    module.sleep(3)
    assert time.monotonic() - start < 1
    assert [w["seconds"] for w in waits] == [3]
    assert waits[0]["where"].endswith(" test_the_magics_fixed_waits_are_recorded_not_slept")  # who asked


def test_managed_instances_counts_what_state_list_lists():
    state = {"resources": [
        {"mode": "managed", "type": "aws_subnet", "name": "private", "instances": [{}, {}, {}]},
        {"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": [{}]},
        {"mode": "managed", "type": "aws_vpc", "name": "main", "instances": [{}]}]}
    assert managed_instances(state) == 4
    assert managed_instances({}) == 0
