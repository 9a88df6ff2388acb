"""What an apply on the emulator leaves out (scripts/platform_cmd/scope.py: emulator_scope, say_left_out):
said once, in one line, before an apply; never by a plan, which plans everything."""
import io
import json

import pytest

from scripts import platform_cmd
from scripts.platform_cmd import scope

LEFT_OUT = {"aws_flow_log": "(a test's reason)"}


def small_stack(tmp_path):
    """A cdk.tf.json with a flow log, a resource referring to it and one that does not."""
    (tmp_path / "cdk.tf.json").write_text(json.dumps({"resource": {
        "aws_flow_log": {"vpc": {"vpc_id": "${aws_vpc.main.id}"}},
        "aws_cloudwatch_log_group": {"flows": {"name": "x", "tags": {"log": "${aws_flow_log.vpc.id}"}}},
        "aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}},
    }}))
    return tmp_path


def test_an_apply_says_once_what_it_leaves_out(tmp_path, monkeypatch):
    monkeypatch.setattr(scope, "UNSUPPORTED_TYPES", LEFT_OUT)
    targets, left_out = platform_cmd.emulator_scope(small_stack(tmp_path))
    assert targets == ["-target=aws_vpc.main"]
    assert [a for a, _ in left_out] == ["aws_cloudwatch_log_group.flows", "aws_flow_log.vpc"]
    stream = io.StringIO()
    platform_cmd.say_left_out(left_out, platform_cmd.Progress(stream))
    assert stream.getvalue() == ("[platform] the emulator applies all but 2 planned resource(s) "
                                 "(aws_cloudwatch_log_group, aws_flow_log): UNSUPPORTED_TYPES in "
                                 "scripts/emulator/overrides.py says why\n")


def test_nothing_left_out_nothing_said(tmp_path):
    assert platform_cmd.emulator_scope(small_stack(tmp_path)) == ([], [])
    stream = io.StringIO()
    platform_cmd.say_left_out([], platform_cmd.Progress(stream))
    assert stream.getvalue() == ""


@pytest.mark.emulator  # the command starts its own
def test_a_plan_says_nothing_of_it_and_its_summary_shows_unknown_ids(synthesized_dir, monkeypatch, capsys):
    """`scripts/plan dev` (the platform's plan) on the emulator, with a type the emulator would leave out."""
    monkeypatch.setattr(scope, "UNSUPPORTED_TYPES", LEFT_OUT)
    code = platform_cmd.main(["plan", "dev", "--outdir", str(synthesized_dir.parent.parent), "--no-synth"])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    assert "aws_flow_log" in out  # planned all the same
    assert "leave" not in err and "applies all but" not in err and "not applied" not in err
    summary = out[out.index("### Workspace `dev`"):]
    assert "| `private_subnet_ids` | add |  | `[(known after apply), (known after apply)]` |" in summary
