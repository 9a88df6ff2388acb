"""Unit tests of modules/studio.py on the synthesized stack."""
from synthesized import SynthesizedStack


def test_domain_is_vpc_only_by_input_with_iam_auth_on_the_private_subnets(stack: SynthesizedStack):
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["auth_mode"] == "IAM"
    assert domain["app_network_access_type"] == "${var.network_mode}"
    assert stack.variable("network_mode")["default"] == "VpcOnly"
    assert domain["subnet_ids"] == "${local.network_private_subnet_ids}"
    assert domain["vpc_id"] == "${local.network_vpc_id}"
    assert domain["domain_name"] == "${var.domain_name}"


def test_default_user_settings_wire_role_group_and_sharing(stack: SynthesizedStack):
    settings = stack.resource("aws_sagemaker_domain", "studio/domain")["default_user_settings"]
    assert stack.address("aws_iam_role", "iam/studio_execution") in settings["execution_role"]
    assert settings["security_groups"] == [
        f"${{one({stack.address('aws_security_group', 'security_groups/studio')}[*].id)}}"]
    sharing = settings["sharing_settings"]
    assert sharing["notebook_output_option"] == "Allowed"
    # The data bucket, read through its default encryption (see test_storage.py).
    assert stack.address("aws_s3_bucket_server_side_encryption_configuration", "storage/data_encryption") in \
        sharing["s3_output_path"]


def test_home_efs_retention_is_an_input_that_defaults_to_retain(stack: SynthesizedStack):
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["retention_policy"]["home_efs_file_system"] == "${var.home_efs_retention}"
    assert stack.variable("home_efs_retention")["default"] == "Retain"


def test_one_user_profile_per_user_with_optional_role_override(stack: SynthesizedStack):
    user = stack.resource("aws_sagemaker_user_profile", "studio/user")
    # Each user's entry (a map of the settings given) as an object with every setting (modules/inputs.py).
    assert user["for_each"] == "${local.user_profile_settings}"
    assert stack.local("user_profile_settings") == (
        "${{for name, u in var.user_profiles : name => {execution_role_arn = try(u.execution_role_arn, null), "
        "emr_runtime_roles = distinct(concat(var.emr_default_runtime_roles, "
        "try([for r in tolist(u.emr_runtime_roles) : tostring(r)], [])))}}}")
    assert user["user_profile_name"] == "${each.key}"
    assert user["user_settings"]["execution_role"].startswith("${coalesce(each.value.execution_role_arn, ")


def test_domain_volumes_and_shared_notebooks_use_the_domain_key(stack: SynthesizedStack):
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["kms_key_id"] == "${local.encryption_key_arn}"
    assert domain["default_user_settings"]["sharing_settings"]["s3_kms_key_id"] == "${local.encryption_key_arn}"


def test_jupyterlab_and_code_editor_shut_down_when_idle(stack: SynthesizedStack):
    settings = stack.resource("aws_sagemaker_domain", "studio/domain")["default_user_settings"]
    for app in ("jupyter_lab_app_settings", "code_editor_app_settings"):
        idle = settings[app]["app_lifecycle_management"]["idle_settings"]
        assert idle == {"lifecycle_management": "ENABLED",
                        "idle_timeout_in_minutes": "${var.studio_idle_timeout_minutes}",
                        "min_idle_timeout_in_minutes": 60,
                        "max_idle_timeout_in_minutes": "${var.studio_idle_timeout_minutes}"}, app
    assert stack.variable("studio_idle_timeout_minutes")["default"] == 60


def test_docker_the_root_equivalent_capability_is_off_unless_asked_for(stack: SynthesizedStack):
    docker = stack.resource("aws_sagemaker_domain", "studio/domain")["domain_settings"]["docker_settings"]
    assert docker["enable_docker_access"] == '${var.studio_docker_access ? "ENABLED" : "DISABLED"}'
    assert stack.variable("studio_docker_access")["default"] is False


def test_user_profiles_inherit_the_domain_defaults(stack: SynthesizedStack):
    settings = stack.resource("aws_sagemaker_user_profile", "studio/user")["user_settings"]
    # and JupyterLab settings only for users with EMR runtime roles (which repeat the domain's idle settings).
    assert set(settings) == {"execution_role", "security_groups", "dynamic"}
    assert set(settings["dynamic"]) == {"jupyter_lab_app_settings"}
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")["default_user_settings"]
    assert (settings["dynamic"]["jupyter_lab_app_settings"]["content"]["app_lifecycle_management"]
            == domain["jupyter_lab_app_settings"]["app_lifecycle_management"])
