"""Tests for the EMR Service Catalog product templates in emr_templates/.

Every ``emr_templates/*.yaml`` is a Terraform ``templatefile()`` template that
renders to a CloudFormation template. These tests render each one the way
Terraform would (with a small emulator, below), then lint the result with
cfn-lint and check the properties the platform depends on.

The emulator understands only what the templates are allowed to use:

* ``${name}``                  a string or number variable
* ``${jsonencode(name)}``      any variable, as compact JSON
* ``${jsonencode(name[N])}``   one element of a list variable, as JSON
* ``$${`` and ``%%{``          escapes for a literal ``${`` / ``%{``

Anything else (another function, an operator, a ``%{`` directive, a strip
marker, an unknown variable) raises ``TemplateError``: a template that uses
something the emulator cannot reproduce fails the tests instead of passing
with a wrong rendering.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from scripts.repo import REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "emr_templates"
TEMPLATES = sorted(TEMPLATES_DIR.glob("*.yaml"))
RUNTIME_ROLE_APPLICATIONS = {"Spark", "Hive", "Livy", "JupyterEnterpriseGateway"}
SCRIPTS = sorted(TEMPLATES_DIR.glob("*.sh"))
LINT_REGIONS = ["us-east-1"]

# The variables Terraform passes to templatefile() for every product
# template: name -> Terraform type. The Terraform side and the templates
# must agree on exactly this set.
TEMPLATE_CONTRACT = {
    "domain_name": "string",
    "subnet_id": "string",
    "master_security_group_id": "string",
    "core_security_group_id": "string",
    "service_access_security_group_id": "string",
    "security_configuration_name": "string",
    "service_role_name": "string",
    "instance_profile_name": "string",
    "log_uri": "string",
    "bootstrap_script_uri": "string",
    "livy_session_timeout": "string",
    "idle_timeout_seconds": "number",
    "release_labels": "list(string)",
    "instance_types": "list(string)",
    "core_instance_counts": "list(number)",
}

SAMPLE_VARS = {
    "domain_name": "ml-dev",
    "subnet_id": "subnet-0123456789abcdef0",
    "master_security_group_id": "sg-0123456789abcdef1",
    "core_security_group_id": "sg-0123456789abcdef2",
    "service_access_security_group_id": "sg-0123456789abcdef3",
    "security_configuration_name": "ml-dev-emr",
    "service_role_name": "ml-dev-emr-service-role",
    "instance_profile_name": "ml-dev-emr-instance-profile",
    "log_uri": "s3://ml-dev-emr-123456789012-us-east-1/emr/logs/",
    "bootstrap_script_uri": (
        "s3://ml-dev-emr-123456789012-us-east-1/emr/bootstrap/install-python-libs.sh"
    ),
    "livy_session_timeout": "2h",
    "idle_timeout_seconds": 3600,
    "release_labels": ["emr-7.5.0", "emr-6.15.0"],
    "instance_types": ["m5.xlarge", "m5.2xlarge", "m5.4xlarge"],
    "core_instance_counts": [2, 5, 10],
}

REQUIRED_APPLICATIONS = {"Spark", "Livy", "JupyterEnterpriseGateway", "Hive"}


# --------------------------------------------------------------------------
# Terraform templatefile() emulator
# --------------------------------------------------------------------------


class TemplateError(Exception):
    """The template uses something Terraform would reject or we can't emulate."""


_MARKER = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
_EXPR_NAME = re.compile(rf"^({_IDENT})$")
_EXPR_JSON = re.compile(rf"^jsonencode\(\s*({_IDENT})\s*\)$")
_EXPR_JSON_INDEX = re.compile(rf"^jsonencode\(\s*({_IDENT})\s*\[\s*(\d+)\s*\]\s*\)$")


def _jsonencode(value) -> str:
    # Terraform's jsonencode is Go's encoding/json: compact, UTF-8, and with
    # <, >, &, U+2028 and U+2029 escaped.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _interpolate(value, expr: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(
        f"${{{expr}}}: cannot interpolate a {type(value).__name__} into a string; "
        "use jsonencode()"
    )


def _expressions(text: str):
    """Yield (kind, payload) pieces: ("text", str) or ("expr", str)."""
    pos = 0
    while True:
        match = _MARKER.search(text, pos)
        if match is None:
            yield "text", text[pos:]
            return
        yield "text", text[pos : match.start()]
        marker = match.group()
        if marker == "$${":
            yield "text", "${"
            pos = match.end()
        elif marker == "%%{":
            yield "text", "%{"
            pos = match.end()
        elif marker == "%{":
            line = text.count("\n", 0, match.start()) + 1
            raise TemplateError(f"line {line}: template directive %{{ is not supported")
        else:
            end = text.find("}", match.end())
            if end < 0:
                line = text.count("\n", 0, match.start()) + 1
                raise TemplateError(f"line {line}: unterminated ${{")
            yield "expr", text[match.end() : end]
            pos = end + 1


def _parse(expr: str) -> tuple[str, str, int | None]:
    """Return (form, variable name, index) for a supported expression."""
    stripped = expr.strip()
    for form, pattern in (
        ("name", _EXPR_NAME),
        ("json", _EXPR_JSON),
        ("json_index", _EXPR_JSON_INDEX),
    ):
        match = pattern.match(stripped)
        if match:
            index = int(match.group(2)) if form == "json_index" else None
            return form, match.group(1), index
    raise TemplateError(f"unsupported template expression: ${{{expr}}}")


def template_variables(text: str) -> set[str]:
    """Names of the variables a template references."""
    return {_parse(payload)[1] for kind, payload in _expressions(text) if kind == "expr"}


def render(text: str, variables: dict) -> str:
    """Render ``text`` as Terraform's templatefile(path, variables) would."""
    out = []
    for kind, payload in _expressions(text):
        if kind == "text":
            out.append(payload)
            continue
        form, name, index = _parse(payload)
        if name not in variables:
            raise TemplateError(f"${{{payload}}}: variable {name!r} is not defined")
        value = variables[name]
        if form == "name":
            out.append(_interpolate(value, payload))
        elif form == "json":
            out.append(_jsonencode(value))
        else:
            if not isinstance(value, list):
                raise TemplateError(f"${{{payload}}}: {name!r} is not a list")
            if index >= len(value):
                raise TemplateError(f"${{{payload}}}: index out of range")
            out.append(_jsonencode(value[index]))
    return "".join(out)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


# cfn-lint is imported where it is used: importing it costs 1.4 s, and every pytest worker imports this file
# (and the four that take its helpers) while only the workers that lint should pay (tests/test_collection.py).
def _decode(rendered: str) -> dict:
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(rendered)
    assert not matches, [str(m) for m in matches]
    assert isinstance(template, dict)
    return template


def _lint(rendered: str) -> list:
    """cfn-lint errors and warnings (informational findings left out)."""
    from cfnlint.api import lint

    return [
        match
        for match in lint(rendered, regions=LINT_REGIONS)
        if match.rule.id[0] in ("E", "W")
    ]


def _clusters(template: dict) -> list[dict]:
    clusters = [
        resource.get("Properties", {})
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::EMR::Cluster"
    ]
    assert clusters, "the template defines no AWS::EMR::Cluster"
    return clusters


def _tags(cluster: dict) -> dict:
    return {tag["Key"]: tag["Value"] for tag in cluster.get("Tags", [])}


@pytest.fixture(params=TEMPLATES, ids=[p.name for p in TEMPLATES])
def template_path(request) -> Path:
    return request.param


@pytest.fixture
def rendered(template_path: Path) -> str:
    return render(template_path.read_text(encoding="utf-8"), SAMPLE_VARS)


# --------------------------------------------------------------------------
# the emulator itself
# --------------------------------------------------------------------------


def test_there_are_templates_and_scripts():
    assert TEMPLATES, f"no *.yaml in {TEMPLATES_DIR}"
    assert SCRIPTS, f"no *.sh in {TEMPLATES_DIR}"


def test_sample_values_match_contract_types():
    assert set(SAMPLE_VARS) == set(TEMPLATE_CONTRACT)
    checks = {
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "list(string)": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "list(number)": lambda v: isinstance(v, list)
        and all(isinstance(i, (int, float)) and not isinstance(i, bool) for i in v),
    }
    for name, tf_type in TEMPLATE_CONTRACT.items():
        assert checks[tf_type](SAMPLE_VARS[name]), (name, tf_type)


def test_renderer_supported_forms():
    variables = {"s": "a<b", "n": 3, "l": ["x", "y"], "c": [2, 5]}
    text = "${s}|${ n }|${jsonencode(l)}|${jsonencode(l[1])}|${jsonencode(c[0])}|$${X}|%%{y}|$5"
    assert render(text, variables) == 'a<b|3|["x","y"]|"y"|2|${X}|%{y}|$5'
    assert render("${jsonencode(s)}", variables) == '"a\\u003cb"'
    assert template_variables(text) == {"s", "n", "l", "c"}


@pytest.mark.parametrize(
    "text",
    [
        "${upper(s)}",  # another function
        "${s}-${missing}",  # unknown variable
        "${l}",  # a list interpolated without jsonencode
        "${jsonencode(l[9])}",  # index out of range
        "${jsonencode(l)[0]}",  # an expression we do not emulate
        '${s == "a" ? 1 : 2}',  # operators
        "${~ s ~}",  # strip markers
        "%{ if s != \"\" }x%{ endif }",  # directives
        "${s",  # unterminated
    ],
)
def test_renderer_fails_loudly_on_what_it_cannot_emulate(text):
    with pytest.raises(TemplateError):
        render(text, {"s": "a", "l": ["x"]})


def test_renderer_matches_terraform_templatefile(template_path: Path, tmp_path: Path):
    """Terraform's own templatefile() must agree with the renderer byte for byte."""
    (tmp_path / "vars.json").write_text(json.dumps(SAMPLE_VARS), encoding="utf-8")
    (tmp_path / "terraformrc").write_text("", encoding="utf-8")
    expression = (
        f'base64encode(templatefile("{template_path.as_posix()}", '
        'jsondecode(file("vars.json"))))'
    )
    result = subprocess.run(
        ["terraform", "console"],
        input=expression + "\n",
        cwd=tmp_path,
        env={
            **os.environ,
            "CHECKPOINT_DISABLE": "1",
            "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc"),
            "TF_IN_AUTOMATION": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rendered_by_terraform = base64.b64decode(json.loads(result.stdout.strip())).decode("utf-8")
    assert rendered_by_terraform == render(template_path.read_text(encoding="utf-8"), SAMPLE_VARS)


# --------------------------------------------------------------------------
# every product template
# --------------------------------------------------------------------------


def test_template_uses_exactly_the_contract_variables(template_path: Path):
    used = template_variables(template_path.read_text(encoding="utf-8"))
    assert used == set(TEMPLATE_CONTRACT), (
        f"missing: {sorted(set(TEMPLATE_CONTRACT) - used)}, "
        f"unknown: {sorted(used - set(TEMPLATE_CONTRACT))}"
    )


def test_template_renders_and_parses(rendered: str):
    template = _decode(rendered)
    assert template.get("AWSTemplateFormatVersion") == "2010-09-09"
    assert "Resources" in template


def test_cfn_lint_reports_no_errors_or_warnings(rendered: str):
    findings = _lint(rendered)
    assert findings == [], "\n".join(str(f) for f in findings)


def test_parameters(rendered: str):
    params = _decode(rendered)["Parameters"]
    for name in (
        "ClusterName",
        "EmrRelease",
        "MasterInstanceType",
        "CoreInstanceType",
        "CoreInstanceCount",
        "SageMakerProjectName",
        "SageMakerProjectId",
    ):
        assert name in params, name
    assert list(params["EmrRelease"]["AllowedValues"]) == SAMPLE_VARS["release_labels"]
    assert params["EmrRelease"]["Default"] == SAMPLE_VARS["release_labels"][0]
    for name in ("MasterInstanceType", "CoreInstanceType"):
        assert list(params[name]["AllowedValues"]) == SAMPLE_VARS["instance_types"]
        assert params[name]["Default"] in SAMPLE_VARS["instance_types"]
    assert params["CoreInstanceCount"]["Type"] == "Number"
    assert [int(v) for v in params["CoreInstanceCount"]["AllowedValues"]] == SAMPLE_VARS[
        "core_instance_counts"
    ]
    # Studio fills these two in when a user creates a cluster.
    for name in ("SageMakerProjectName", "SageMakerProjectId"):
        assert params[name]["Type"] == "String"
        assert params[name].get("Description")
        assert "Default" not in params[name]


def test_cluster_properties(rendered: str):
    template = _decode(rendered)
    for cluster in _clusters(template):
        apps = {app["Name"] for app in cluster["Applications"]}
        assert REQUIRED_APPLICATIONS <= apps
        # The cluster takes runtime roles when the workspace has them (the security configuration turns them
        # on: modules/emr_security.py): AWS names Spark and Hive jobs for runtime roles, reached from Studio
        # through Livy (SageMaker) or Jupyter Enterprise Gateway (EMR Studio)
        # (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-steps-runtime-roles.html). Releases:
        # emr_release_labels' rule (6.9.0 and later with runtime roles).
        assert apps <= RUNTIME_ROLE_APPLICATIONS, apps - RUNTIME_ROLE_APPLICATIONS

        livy = [c for c in cluster["Configurations"] if c["Classification"] == "livy-conf"]
        assert len(livy) == 1
        assert (
            livy[0]["ConfigurationProperties"]["livy.server.session.timeout"]
            == SAMPLE_VARS["livy_session_timeout"]
        )

        assert cluster["AutoTerminationPolicy"]["IdleTimeout"] == SAMPLE_VARS[
            "idle_timeout_seconds"
        ]
        size = cluster["EbsRootVolumeSize"]
        assert isinstance(size, int) and 15 <= size <= 100

        paths = [a["ScriptBootstrapAction"]["Path"] for a in cluster["BootstrapActions"]]
        assert SAMPLE_VARS["bootstrap_script_uri"] in paths

        assert cluster["SecurityConfiguration"] == SAMPLE_VARS["security_configuration_name"]
        assert cluster["ServiceRole"] == SAMPLE_VARS["service_role_name"]
        assert cluster["JobFlowRole"] == SAMPLE_VARS["instance_profile_name"]
        assert cluster["LogUri"] == SAMPLE_VARS["log_uri"]
        assert cluster["ReleaseLabel"] == {"Ref": "EmrRelease"}
        assert cluster["VisibleToAllUsers"] is True

        instances = cluster["Instances"]
        assert instances["Ec2SubnetId"] == SAMPLE_VARS["subnet_id"]
        assert instances["EmrManagedMasterSecurityGroup"] == SAMPLE_VARS[
            "master_security_group_id"
        ]
        assert instances["EmrManagedSlaveSecurityGroup"] == SAMPLE_VARS[
            "core_security_group_id"
        ]
        assert instances["ServiceAccessSecurityGroup"] == SAMPLE_VARS[
            "service_access_security_group_id"
        ]
        assert instances["TerminationProtected"] is False
        assert instances["KeepJobFlowAliveWhenNoSteps"] is True
        assert instances["MasterInstanceGroup"]["InstanceType"] == {"Ref": "MasterInstanceType"}
        assert instances["CoreInstanceGroup"]["InstanceType"] == {"Ref": "CoreInstanceType"}
        assert instances["CoreInstanceGroup"]["InstanceCount"] == {"Ref": "CoreInstanceCount"}

        tags = _tags(cluster)
        assert tags["sagemaker:project-name"] == {"Ref": "SageMakerProjectName"}
        assert tags["sagemaker:project-id"] == {"Ref": "SageMakerProjectId"}
        assert tags["platform:domain"] == SAMPLE_VARS["domain_name"]
        assert tags["for-use-with-amazon-emr-managed-policies"] == "true"


def test_no_fixed_names_ids_or_open_ingress(rendered: str):
    template = _decode(rendered)
    # Several domains share a region: nothing may be exported under a fixed name.
    for output in template.get("Outputs", {}).values():
        assert "Export" not in output
    assert "ClusterId" in template.get("Outputs", {})
    # The cluster name is derived from the domain.
    for cluster in _clusters(template):
        assert SAMPLE_VARS["domain_name"] in json.dumps(cluster["Name"])
    # Every subnet / security group id comes from the rendered variables (the
    # seed had one typed in by hand).
    allowed_ids = {v for v in SAMPLE_VARS.values() if isinstance(v, str)}
    for found in re.findall(r"\b(?:subnet|sg|vpc)-[0-9a-f]{8,17}\b", rendered):
        assert found in allowed_ids, found
    assert "0.0.0.0/0" not in rendered
    assert "::/0" not in rendered


# --------------------------------------------------------------------------
# the lint check can fail
# --------------------------------------------------------------------------


def _broken_copy(source: str, pattern: str, replacement: str) -> str:
    broken, count = re.subn(pattern, replacement, source, flags=re.MULTILINE)
    assert count == 1, f"pattern {pattern!r} matched {count} times; fix the negative test"
    return broken


@pytest.mark.parametrize(
    ("replacement", "rule_id"),
    [
        # the seed's typo: an unterminated quote, the template does not parse
        ("\\1 '10\N{RIGHT SINGLE QUOTATION MARK}", "E0000"),
        # parses, but is not an integer
        ("\\1 ten", "E3012"),
    ],
    ids=["seed-typo", "not-an-integer"],
)
def test_lint_catches_a_broken_ebs_root_volume_size(replacement, rule_id):
    source = (TEMPLATES_DIR / "spark-livy-cluster.yaml").read_text(encoding="utf-8")
    broken = _broken_copy(source, r"^(\s*EbsRootVolumeSize:).*$", replacement)
    findings = _lint(render(broken, SAMPLE_VARS))
    assert rule_id in {f.rule.id for f in findings}, [str(f) for f in findings]


def test_lint_catches_a_warning():
    source = (TEMPLATES_DIR / "spark-livy-cluster.yaml").read_text(encoding="utf-8")
    broken = _broken_copy(
        source, r"^Parameters:$", "Parameters:\n  UnusedParameter:\n    Type: String"
    )
    findings = _lint(render(broken, SAMPLE_VARS))
    assert any(f.rule.id.startswith("W") for f in findings), [str(f) for f in findings]


# --------------------------------------------------------------------------
# bootstrap scripts
# --------------------------------------------------------------------------


@pytest.fixture(params=SCRIPTS, ids=[p.name for p in SCRIPTS])
def script_path(request) -> Path:
    return request.param


def test_bootstrap_script_syntax(script_path: Path):
    result = subprocess.run(
        ["bash", "-n", str(script_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    text = script_path.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
