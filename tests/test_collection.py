"""What every pytest worker pays before its first test: each one (pytest-xdist, pytest.ini's ``-n``) imports
every test file. A file that imports a constructs' module at its top loads the AWS bindings' jsii assembly in
every worker: about 4 CPU seconds and a Node process of 1 GB each, for the whole run, on two cores. So the
plain values tests check live in modules of plain data (``modules/aws_limits.py``, ``modules/emr_values.py``,
``modules/inputs.py``), and the tests that build constructs or lint templates import what they need where
they use it (conftest.py records what each file's import loaded; a run of some files checks those only,
the whole suite checks them all)."""


def test_importing_the_test_files_loads_no_jsii_assembly_and_no_linter(heavy_at_collection):
    assert not heavy_at_collection, (
        f"importing these test files loaded (file: modules): {heavy_at_collection}; import what loads them "
        "inside the tests that use it, or move the plain values they need to a module without constructs")
