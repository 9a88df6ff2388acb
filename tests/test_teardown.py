"""scripts/teardown.py: the one message when SageMaker's leftovers stop a destroy."""
import pytest

from scripts.teardown import ISSUE, blocked_by_sagemaker_leftovers, teardown_blockers_message

OUTPUTS = {  # the shape of `terraform output -json`
    "vpc_id": {"value": "vpc-0123456789abcdef0", "type": "string", "sensitive": False},
    "domain_id": {"value": "d-abcdefghijkl", "type": "string", "sensitive": False},
    "home_efs_id": {"value": "fs-0123456789abcdef0", "type": "string", "sensitive": False},
    "kms_key_arn": {"value": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    "type": "string", "sensitive": False},
}

# What terraform prints when AWS refuses to delete a subnet that the EFS still uses.
SUBNET_BLOCKED = """
Error: deleting EC2 Subnet (subnet-0aa11bb22cc33dd44): operation error EC2: DeleteSubnet, https response error
StatusCode: 400, RequestID: 1, api error DependencyViolation: The subnet 'subnet-0aa11bb22cc33dd44' has
dependencies and cannot be deleted.
  with aws_subnet.network_private_4B1B5D9A[0],
"""
VPC_BLOCKED = """
Error: deleting EC2 VPC (vpc-0123456789abcdef0): operation error EC2: DeleteVpc, api error DependencyViolation:
The vpc 'vpc-0123456789abcdef0' has dependencies and cannot be deleted.
  with aws_vpc.network_vpc_4E8F0223[0],
"""


def test_names_every_leftover_and_the_commands_that_delete_it():
    message = teardown_blockers_message(OUTPUTS, region="eu-west-1")
    assert message.startswith("Destroy stopped at VPC vpc-0123456789abcdef0")
    assert ISSUE in message
    for expected in ("fs-0123456789abcdef0", "d-abcdefghijkl", "security-group-for-inbound-nfs-d-abcdefghijkl",
                     "security-group-for-outbound-nfs-d-abcdefghijkl", "home_efs_retention = \"Retain\"",
                     "aws efs delete-mount-target --region eu-west-1",
                     "aws efs delete-file-system --region eu-west-1 --file-system-id fs-0123456789abcdef0",
                     "aws ec2 revoke-security-group-ingress", "aws ec2 delete-security-group",
                     "run destroy again", "aws kms cancel-key-deletion --region eu-west-1 --key-id "
                     + OUTPUTS["kms_key_arn"]["value"]):
        assert expected in message, expected
    steps = [line.split(".", 1)[0].strip() for line in message.splitlines() if line.startswith("  ") and
             line.strip()[0].isdigit()]
    assert steps == ["1", "2", "3", "4", "5"]


def test_with_delete_retention_the_efs_goes_with_the_domain_and_the_key_needs_no_rescue():
    plain = {k: v["value"] for k, v in OUTPUTS.items()}  # plain values work too
    message = teardown_blockers_message(plain, home_efs_retention="Delete")
    assert "SageMaker deletes it with the domain" in message
    assert "delete-file-system" not in message and "cancel-key-deletion" not in message
    assert "--region" not in message  # the AWS CLI's default region
    assert "security-group-for-inbound-nfs-d-abcdefghijkl" in message


def test_without_the_outputs_it_says_which_ones_to_capture():
    with pytest.raises(ValueError, match="domain_id, home_efs_id.*before destroying"):
        teardown_blockers_message({"vpc_id": "vpc-0123456789abcdef0"})
    with pytest.raises(ValueError, match="home_efs_retention = 'Keep'"):
        teardown_blockers_message(OUTPUTS, home_efs_retention="Keep")


@pytest.mark.parametrize("output, blocked", [
    (SUBNET_BLOCKED, True),
    (VPC_BLOCKED, True),
    ("Error: deleting Security Group (sg-1): DependencyViolation: resource sg-1 has a dependent object\n"
     "  with aws_security_group.security_groups_studio_716903BE,", True),
    ("Error: deleting S3 Bucket (x): BucketNotEmpty: The bucket you tried to delete is not empty\n"
     "  with aws_s3_bucket.storage_data_978B6A64,", False),
    ("Destroy complete! Resources: 113 destroyed.", False),
])
def test_recognizes_a_destroy_stopped_by_leftovers(output, blocked):
    assert blocked_by_sagemaker_leftovers(output) is blocked


def test_key_deletion_window_matches_the_key():
    from modules.encryption import DELETION_WINDOW_DAYS
    from scripts.teardown import KEY_DELETION_WINDOW_DAYS
    assert KEY_DELETION_WINDOW_DAYS == DELETION_WINDOW_DAYS
