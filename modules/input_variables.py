"""The inputs of ``modules/inputs.py`` declared as Terraform variables, and the
names derived from them.

Names derived from the inputs are locals here, so that every construct names
things the same way and several domains coexist in one region.
"""
from constructs import Construct
from cdktf import TerraformVariable, TerraformVariableValidationConfig, Token

from modules.emr_runtime_role_rules import EMR_RUNTIME_ROLE_ATTRIBUTES, runtime_role_attribute
from modules.input_rules import guarded, guarded_message, null_rules
from modules.inputs import INPUT_NAMES, INPUTS, InputSpec
from modules.tf import expr, local, quoted, string


def declare_input(scope: Construct, spec: InputSpec) -> TerraformVariable:
    """Declares ``var.<spec.name>`` with its type, description, default and rules.

    A required input gets a null default too: Terraform's own error for a missing
    value points into cdk.tf.json and suggests -var, where the input's null rule
    names the variable and the workspace file."""
    default = None if spec.required else spec.default
    variable = TerraformVariable(
        scope, spec.name,
        type=spec.type,
        description=spec.description,
        # A Python None would drop the default and make Terraform require the input.
        default=Token.null_value() if default is None else default,
        # Null means "use the default" where there is one (Terraform documents nullable = false so).
        nullable=default is None,
        validation=[TerraformVariableValidationConfig(
            condition=expr(guarded(spec.name, spec.type, spec.required, condition)),
            error_message=guarded_message(spec.name, spec.type, spec.required, message))
            for condition, message in spec.rules]
        + [TerraformVariableValidationConfig(condition=expr(condition), error_message=message)
           for condition, message in null_rules(spec.name, spec.type, spec.required)],
    )
    # Variable files name variables plainly, not by construct path.
    variable.override_logical_id(spec.name)
    return variable


class PlatformInputs(Construct):
    """Declares every input variable, and the name prefixes derived from them.

    ``name_prefix`` and ``global_name_prefix`` are string tokens; ``create_vpc``, ``user_profiles``,
    ``emr_runtime_roles`` and ``var(name)`` bare Terraform expressions (see ``modules.tf``).
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # By name, for rules added elsewhere (modules/input_limits.py).
        self.variables = {spec.name: declare_input(self, spec) for spec in INPUTS}
        self.name_prefix = string("var.domain_name")
        # IAM and S3 names are account-wide or global: add the region so that a
        # domain name can be reused in another region of the same account.
        self.global_name_prefix = string(local(self, "global_name_prefix", quoted(
            "{name}-{region}", name="var.domain_name", region="var.region")))
        self.create_vpc = "var.existing_vpc_id == null"
        # Each user's settings as an object, every attribute present: execution_role_arn (null when not
        # given) and emr_runtime_roles (the default runtime roles and the user's own, as a list).
        self.user_profiles = local(self, "user_profile_settings", (
            "{for name, u in var.user_profiles : name => {execution_role_arn = try(u.execution_role_arn, null), "
            "emr_runtime_roles = distinct(concat(var.emr_default_runtime_roles, "
            "try([for r in tolist(u.emr_runtime_roles) : tostring(r)], [])))}}"))
        # Each runtime role's settings, every attribute a list of strings.
        self.emr_runtime_roles = local(self, "emr_runtime_role_settings", (
            "{for name, r in var.emr_runtime_roles : name => {"
            + ", ".join(f"{a} = {runtime_role_attribute('r', a)}" for a in EMR_RUNTIME_ROLE_ATTRIBUTES) + "}}"))

    @staticmethod
    def var(name: str) -> str:
        if name not in INPUT_NAMES:
            raise KeyError(f"no input named {name!r}; inputs are declared in INPUTS")
        return f"var.{name}"
