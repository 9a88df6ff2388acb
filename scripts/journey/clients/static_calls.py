"""The AWS calls AWS's Studio client packages can make, read from their code.

Walks the abstract syntax tree of every module of the installed client
packages and reports each call of a botocore client operation, with where it
is. Nothing is listed by hand: rerun after a version bump and diff.

How a call is recognised (botocore turns every operation into a client method
of the same name in snake_case):

1. client creations: ``*.client("emr", ...)``, ``*.create_client("sts", ...)``
   and dicts with a literal ``"service_name"`` (the JupyterLab extension
   builds its ``create_client`` arguments that way). A function containing
   one is a *client factory* of that service (``_create_emr_client``).
2. names bound to a creation or to a factory's result (``x = ...``,
   ``with ... as x``, ``async with ... as x``, ``self.x = ...``) are clients
   of that service.
3. ``recv.<name>(...)`` and ``recv.get_paginator("<name>")`` where ``<name>``
   is an operation of a service the package creates: if ``recv`` is a known
   client, only its service counts; otherwise every such service whose name
   appears in ``recv``'s source (``get_emr_client(...)``), or all of them.
   Receivers rooted at an imported module (``botocore.session.get_session``)
   are not clients.

Wrappers sharing an operation's name (the JupyterLab extension's
``EMRAsyncBoto3Client.describe_cluster``) are reported at their callers too:
that is the handler's code path. Service models come from the installed
botocore plus the ones a package ships (``botocore_model/``: the extension's
``emrprivate``, same IAM prefix ``elasticmapreduce``).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import asdict, dataclass
from pathlib import Path

# sparkmagic makes no AWS call (it speaks HTTP to Livy);
# sagemaker_jupyterlab_extension_common holds the generic async client base
# class and, at import, a dual-stack probe (sagemaker:DescribeDomain, only
# when Studio's metadata file exists): pass it in ``packages`` to see it.
CLIENT_PACKAGES = (
    "sagemaker_studio_analytics_extension",
    "sagemaker_studio_sparkmagic_lib",
    "sagemaker_jupyterlab_emr_extension",
)


@dataclass(frozen=True)
class StaticCall:
    package: str
    iam_action: str       # signing name + operation (elasticmapreduce:DescribeCluster)
    operation: str        # API operation name
    services: str         # botocore service name(s) it resolved to (emr, emrprivate, ...)
    file: str             # path inside the package
    line: int
    function: str         # enclosing Class.function, "<module>" at top level

    def as_dict(self) -> dict:
        return asdict(self)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed (dev packages, see Pipfile)")
    return Path(next(iter(spec.submodule_search_locations)))


def _session_for(package_dir: Path):
    """A botocore session whose loader also sees the models the package ships."""
    import botocore.session

    session = botocore.session.Session()
    model_dir = package_dir / "botocore_model"
    if model_dir.is_dir():
        session.get_component("data_loader").search_paths.insert(0, str(model_dir))
    return session


def _source_files(package_dir: Path):
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir)
        if "tests" in rel.parts or rel.name.startswith("test_"):
            continue  # the packages' unit tests mock clients; not client code
        yield rel, ast.parse(path.read_text(encoding="utf-8-sig"), str(path))


def _created_service(node: ast.AST) -> str | None:
    """The literal service of a client creation (call or create_client kwargs dict)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in ("client", "create_client"):
        first = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "service_name"), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "service_name" \
                    and isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def _factories(trees) -> dict[str, str]:
    """function name -> the one service it creates clients of."""
    found: dict[str, set[str]] = {}
    for tree in trees:
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                services = {s for n in ast.walk(fn) if (s := _created_service(n))}
                if services:
                    found.setdefault(fn.name, set()).update(services)
    return {name: next(iter(s)) for name, s in found.items() if len(s) == 1}


def _operation_index(session, services: set[str]) -> dict[str, dict[str, tuple[str, str]]]:
    """snake_case method name -> {service: (Operation, iam_action)}."""
    from botocore import xform_name

    index: dict[str, dict[str, tuple[str, str]]] = {}
    for service in sorted(services):
        model = session.get_service_model(service)
        prefix = model.signing_name or model.endpoint_prefix
        for op in model.operation_names:
            index.setdefault(xform_name(op), {})[service] = (op, f"{prefix}:{op}")
    return index


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class _Visitor(ast.NodeVisitor):
    def __init__(self, index, factories, modules, package, rel):
        self.index, self.factories, self.modules = index, factories, modules
        self.package, self.rel = package, str(rel)
        self.scope: list[str] = []
        self.bound: list[dict[str, str]] = [{}]   # per function: name -> service
        self.attrs: dict[str, str] = {}           # self.<attr> -> service (per module)
        self.found: list[StaticCall] = []

    def _service_of(self, node) -> str | None:
        if (s := _created_service(node)) is not None:
            return s
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            return self.factories.get(name)
        if isinstance(node, ast.Name):
            return self.bound[-1].get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return self.attrs.get(node.attr)
        return None

    def _bind(self, target, value):
        if (service := self._service_of(value)) is None:
            return
        if isinstance(target, ast.Name):
            self.bound[-1][target.id] = service
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            self.attrs[target.attr] = service

    def _scoped(self, node):
        self.scope.append(node.name)
        self.bound.append(dict(self.bound[-1]) if isinstance(node, ast.ClassDef) else {})
        self.generic_visit(node)
        self.bound.pop()
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _scoped

    def visit_Assign(self, node):
        self.generic_visit(node)
        for target in node.targets:
            self._bind(target, node.value)

    def _with(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr)
        self.generic_visit(node)

    visit_With = visit_AsyncWith = _with

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if not isinstance(node.func, ast.Attribute):
            return
        name, recv = node.func.attr, node.func.value
        if name == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
            name = node.args[0].value
        candidates = self.index.get(name)
        root = recv
        while isinstance(root, ast.Attribute):
            root = root.value
        if not candidates or (isinstance(root, ast.Name) and root.id in self.modules):
            return
        known = self._service_of(recv)
        if known is not None:
            chosen = [known] if known in candidates else []
        else:
            text = _squash(ast.unparse(recv))
            chosen = [s for s in candidates if _squash(s) in text] or list(candidates)
        for action in sorted({candidates[s][1] for s in chosen}):
            services = ",".join(s for s in chosen if candidates[s][1] == action)
            self.found.append(StaticCall(self.package, action, action.split(":", 1)[1], services,
                                         self.rel, node.lineno, ".".join(self.scope) or "<module>"))


def _imported_modules(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def static_calls(packages=CLIENT_PACKAGES) -> list[StaticCall]:
    """Every operation call site in ``packages``, sorted by package, file, line."""
    found: list[StaticCall] = []
    for package in packages:
        package_dir = _package_dir(package)
        files = list(_source_files(package_dir))
        trees = [t for _, t in files]
        services = {s for t in trees for n in ast.walk(t) if (s := _created_service(n))}
        index = _operation_index(_session_for(package_dir), services)
        factories = _factories(trees)
        for rel, tree in files:
            visitor = _Visitor(index, factories, _imported_modules(tree), package, rel)
            visitor.visit(tree)
            found.extend(visitor.found)
    return sorted(found, key=lambda c: (c.package, c.file, c.line))
