"""Day 2: a template change is a new version of the same product, on the
emulator with the real provider (modules/emr_catalog.py).

dev is applied on the tests' persistent emulator (a copy of the run's one
apply of the example dev: tests/terraform_runs.py applied_copy), used from a
temporary root whose dev keeps 2 versions (emr_product_versions_kept), then
the synthesized template is changed twice in a copy of the synthesized app:
the plan replaces no product; each apply adds a version named by the new
template's hash as DEFAULT, deprecates the earlier ones, keeps the product
id, and removes the oldest beyond 2; a plan after an apply has no change.
"""
import json
import re
import shutil

import pytest

import terraform_runs
from scripts import platform_cmd
from scripts.emulator import persistent as emulator_persistent

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
REGION = "eu-west-1"  # workspaces/dev.tfvars.json
TEMPLATE = "spark-livy-cluster.yaml"


@pytest.fixture(scope="module")
def applied(scratch_root, synthesized_dir, tmp_path_factory):
    """(root, outdir of a changeable copy of the synthesized app)."""
    root = scratch_root("versions-root", emr_product_versions_kept=2)
    outdir = tmp_path_factory.mktemp("versions-out")
    shutil.copytree(synthesized_dir.parent.parent, outdir, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".terraform", "*.tfplan"))
    # The example dev, applied once per run; emr_product_versions_kept changes no resource until a
    # version is to go, and the templates' paths are relative to the stack (assets/...), so the copy
    # of the synthesized app plans without changes on it.
    with terraform_runs.applied_copy(tmp_path_factory, synthesized_dir.parent.parent, ["dev"], REGION, root):
        yield root, outdir


def _args(root, outdir):
    return ["--root", str(root), "--outdir", str(outdir), "--no-synth"]


def _change_template(outdir, comment: str) -> None:
    [template] = (outdir / "stacks" / "platform" / "assets").glob(f"*/*/{TEMPLATE}")
    template.write_text(template.read_text() + f"# {comment}\n")


def _catalog(root):
    """(product ids, [(name, guidance)] of each product's versions, oldest first)."""
    catalog = emulator_persistent.find(root).client("servicecatalog", REGION)
    products = {p["ProductViewSummary"]["Name"]: p["ProductViewSummary"]["ProductId"]
                for p in catalog.search_products_as_admin()["ProductViewDetails"]}
    [product_id] = products.values()
    versions = sorted(catalog.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"],
                      key=lambda a: a["CreatedTime"])
    return product_id, [(a["Name"], a["Guidance"]) for a in versions]


def _run(root, outdir, capsys, *command):
    code = platform_cmd.main([*command, "dev", *_args(root, outdir), *(["--auto-approve"]
                                                                        if command[0] == "apply" else [])])
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    return out


def test_a_template_change_adds_a_version_and_keeps_the_product(applied, capsys, monkeypatch):
    root, outdir = applied
    product_id, versions = _catalog(root)
    [(first, guidance)] = versions
    assert re.fullmatch(r"v[0-9a-f]{12}", first) and guidance == "DEFAULT"

    _change_template(outdir, "day 2: first change")
    plan = _run(root, outdir, capsys, "plan")
    assert "aws_servicecatalog_product." not in plan.split("Terraform will perform")[1].split("Plan:")[0], plan
    second = re.search(r'_version_\w+\["(v[0-9a-f]{12})"\] will be created', plan)[1]
    assert '_version_' in plan and f'["{first}"] will be updated in-place' in plan  # imported, deprecated
    assert '"DEFAULT" -> "DEPRECATED"' in plan
    assert "Plan: 1 to import, 2 to add, 1 to change, 1 to destroy." in plan  # the destroy: the old template file

    out = _run(root, outdir, capsys, "apply")
    assert "Apply complete! Resources: 1 imported, 2 added, 1 changed, 1 destroyed." in out
    assert _catalog(root) == (product_id, [(first, "DEPRECATED"), (second, "DEFAULT")])
    assert "No changes." in _run(root, outdir, capsys, "plan")

    _change_template(outdir, "day 2: second change")
    # Without --auto-approve the plan is shown and applied only when accepted.
    monkeypatch.setattr("builtins.input", lambda question: "no")
    assert platform_cmd.main(["apply", "dev", *_args(root, outdir)]) != 0
    out, err = capsys.readouterr()
    assert "will be created" in out and "stopped: you answered 'no'" in err
    assert _catalog(root) == (product_id, [(first, "DEPRECATED"), (second, "DEFAULT")])
    out = _run(root, outdir, capsys, "apply")
    third = re.search(r'_version_\w+\["(v[0-9a-f]{12})"\]: Creation complete', out)[1]
    # Two kept: the first version, the product's own, is deleted; the product stays.
    assert _catalog(root) == (product_id, [(second, "DEPRECATED"), (third, "DEFAULT")])
    outputs = json.loads(_run(root, outdir, capsys, "output"))
    assert outputs["product_versions"]["value"] == {"spark-livy-cluster": third}
    assert outputs["product_ids"]["value"] == {"spark-livy-cluster": product_id}
