"""AWS's limits and regions, and the measured sizes of the documents that grow with the inputs: plain data.

``modules/input_limits.py`` turns them into rules on the inputs; the comments say where each limit comes from;
``tests/test_input_limits.py`` renders the documents with Terraform and checks each measured constant.
The standard library only, like ``modules/inputs.py``: a module that imports the AWS bindings loads their
jsii assembly (about 4 CPU seconds and a Node process of 1 GB) into every process that imports it, and every
pytest worker imports every test file, so the tests read these numbers from here.
"""

# AWS's regions by partition, from botocore 1.44.8's endpoints.json (pinned by
# Pipfile.lock), checked 2026-12-05. A region AWS opens later is refused until
# it is added here.
REGIONS_BY_PARTITION = {
    "aws": (
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
        "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
        "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
        "us-west-1", "us-west-2"),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "aws-iso": ("us-iso-east-1", "us-iso-west-1"),
    "aws-iso-b": ("us-isob-east-1", "us-isob-west-1"),
    "aws-iso-e": ("eu-isoe-west-1",),
    "aws-iso-f": ("us-isof-east-1", "us-isof-south-1"),
    "aws-eusc": ("eusc-de-east-1",),
}
REGIONS_CHECKED_ON = "2026-12-05"
KNOWN_REGIONS = tuple(sorted(r for regions in REGIONS_BY_PARTITION.values() for r in regions))
LONGEST_REGION = max(KNOWN_REGIONS, key=len)

# "The size of an endpoint policy cannot exceed 20,480 characters, including
# white space" (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
S3_ENDPOINT_POLICY_LIMIT = 20480
# The S3 gateway endpoint's policy without allowed buckets, at its largest
# (longest partition and region, names at their longest): measured, 1,780 characters.
S3_ENDPOINT_POLICY_BASE = 1780
# Each allowed bucket adds its ARN and its objects' ARN: "arn:P:s3:::NAME","arn:P:s3:::NAME/*",
# with the longest partition and a 63-character name.
LONGEST_PARTITION = max(REGIONS_BY_PARTITION, key=len)
S3_ARN_PER_BUCKET = 2 * len(f'"arn:{LONGEST_PARTITION}:s3:::{"b" * 63}",') + len("/*")
MAX_ALLOWED_S3_BUCKETS = (S3_ENDPOINT_POLICY_LIMIT - S3_ENDPOINT_POLICY_BASE) // S3_ARN_PER_BUCKET

# A key policy is at most 32 KiB, 32,768 bytes (PutKeyPolicy's Policy parameter,
# https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html;
# https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html).
KEY_POLICY_LIMIT = 32768
# The domain key's policy with the platform's own three roles only, at its largest: measured, 4,023.
KEY_POLICY_BASE = 4023

# IAM: a role's inline policies hold 10,240 characters in all, white space not counted
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
IAM_INLINE_PER_ROLE = 10240
# EMR runtime roles (modules/emr_runtime_roles.py), at their largest. Each runtime role is a key user
# (named twice in the key policy): its ARN with a 64-character name.
RUNTIME_ROLE_ARN = len(f"arn:{LONGEST_PARTITION}:iam::123456789012:role/") + 64
# IAM: a customer managed policy holds 6,144 characters, white space not counted; a role takes 10 managed
# policies by default, up to 20 when the account's quota is raised (same page).
IAM_MANAGED_POLICY = 6144
IAM_MANAGED_PER_ROLE_DEFAULT, IAM_MANAGED_PER_ROLE_MAX = 10, 20
# The managed policies the Studio execution role has besides the runtime roles' (AmazonSageMakerFullAccess).
STUDIO_OWN_MANAGED_POLICIES = 1
# The fixed text of a runtime role's three data policies, and of the Studio role's managed policy of one
# runtime role (its policy without the lists Terraform computes): measured by tests/test_input_limits.py.
RUNTIME_ROLE_POLICIES_FIXED = 1039
STUDIO_GRANT_FIXED = 302
# The Studio role's policy of a runtime role EMR Serverless applications run as: its fixed text (the cluster
# grant and the serverless statements); it names each such application twice (application, job runs), the
# runtime role's ARN twice and the role's users in each of its three statements.
SERVERLESS_GRANT_FIXED = 740
SERVERLESS_APPLICATION_ARN = len(f'"arn:{LONGEST_PARTITION}:emr-serverless:{LONGEST_REGION}:'
                                 '123456789012:/applications/",') + 20
# Interpolated parts, at their longest (a JSON string's quotes and comma counted where it is a list member).
S3_BUCKET_ARN = len(f'"arn:{LONGEST_PARTITION}:s3:::",') + 63
GLUE_ARN_PREFIX = len(f'"arn:{LONGEST_PARTITION}:glue:{LONGEST_REGION}:123456789012:",')
STUDIO_GRANT_INTERPOLATED = (len(LONGEST_PARTITION) + len(LONGEST_REGION) + 12  # the cluster ARN
                             + len(LONGEST_PARTITION) + 12 + 24 + 1 + len(LONGEST_REGION) + 20 + 2)  # role ARN, []

# Every subnet loses its first four addresses and its last to AWS, and its
# block is a /16 to a /28 (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
RESERVED_ADDRESSES_PER_SUBNET = 5
SMALLEST_SUBNET_PREFIX = 28
# An EFS mount target per subnet of the domain (the home EFS SageMaker creates).
EFS_MOUNT_TARGETS_PER_SUBNET = 1
# Each running Studio app has its own network interface in a domain subnet; a
# user's private spaces run a JupyterLab and a Code Editor app.
STUDIO_APPS_PER_USER = 2
# CreateDomain accepts 1 to 16 subnets
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html#sagemaker-CreateDomain-request-SubnetIds).
MAX_DOMAIN_SUBNETS = 16
