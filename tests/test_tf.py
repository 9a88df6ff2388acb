"""modules/tf.py: tokens composed into expressions. A token of tf.py whose text is known when it is
made is handed to CDKTF as that text, and put into template() by Python; one with a CDKTF token
among its parts is resolved by CDKTF calling back into Python. Either way the text is what CDKTF
wrote when every token of tf.py was resolved by calling back (the expected values below)."""

import json


def test_composed_tokens_synthesize_to_cdktfs_text(tmp_path):
    # Imported here, not at the top: every pytest worker imports every test file, and only the one that runs
    # this one should load CDKTF's jsii assembly (tests/test_collection.py).
    from cdktf import App, Fn, TerraformLocal, TerraformOutput, TerraformStack
    from modules.tf import count_when, number, quoted, string, string_list, string_map, template

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "tokens")
    native = TerraformLocal(stack, "native", "x").as_string  # CDKTF's own token
    name = quoted("{p}-studio", p=string("var.prefix"))
    ids = string_list("var.ids")
    outputs = {
        "alone": string("var.region"),
        "nested": template("merge({tags}, {own})", tags=string_map("var.tags"), own={"name": name, "native": native}),
        "list": template("concat({ids}, [{first}])", ids=ids, first=template("{ids}[0]", ids=ids)),
        "count": count_when(template("{n} > 0", n=number("var.n"))),
        "in_text": f"arn:aws:s3:::{string('var.bucket')}/*",
        "cdktf_part": template("upper({n})", n=native),
        "cdktf_fn": Fn.join(",", [native, "b"]),
        "in_cdktf_fn": Fn.jsonencode(template("[{n}, {name}]", n=native, name=name)),
    }
    for key, value in outputs.items():
        TerraformOutput(stack, key, value=value)
    app.synth()
    written = json.loads((tmp_path / "stacks" / "tokens" / "cdk.tf.json").read_text())["output"]
    assert {key: output["value"] for key, output in written.items()} == {
        "alone": "${var.region}",
        "nested": '${merge(var.tags, {"name" = "${var.prefix}-studio", "native" = local.native})}',
        "list": "${concat(var.ids, [var.ids[0]])}",
        "count": "${var.n > 0 ? 1 : 0}",
        "in_text": "arn:aws:s3:::${var.bucket}/*",
        "cdktf_part": "${upper(local.native)}",
        "cdktf_fn": '${join(",", [local.native, "b"])}',
        "in_cdktf_fn": '${jsonencode([local.native, "${var.prefix}-studio"])}',
    }
