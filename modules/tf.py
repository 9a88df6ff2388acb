"""Terraform expression helpers shared by the constructs: with modules/hcl.py (text only, without
cdktf), the one module that writes ``${``.

The platform stack is synthesized once and serves every workspace, so whether
a resource exists (``count``), how many there are (``for_each``) and most of
their arguments are Terraform expressions of the workspace's variables, not
Python decisions.

Two forms of an expression meet here. *Tokens* (:func:`string`,
:func:`string_list`, :func:`number`, :func:`string_map`, :func:`template`, and
CDKTF's own: resource attributes, ``Fn.*``) are what constructs hand each
other: a token resolves to ``${...}`` where it stands alone or inside a text
(a policy document, a quoted name) and to the bare expression inside
:func:`template` (and CDKTF's tokens inside ``Fn.*`` too), so composing them
never pastes HCL text. Compose this module's tokens with :func:`template`, not
``Fn.*``: one whose text is known when it is made (no CDKTF token among its
parts) is handed to CDKTF as that text, which CDKTF then writes as it is, even
inside ``Fn.*`` (``join(",", [${var.a}])``: Terraform refuses it), so that a
synthesis does not call back into Python for each of its uses. *Bare
expressions* (``"var.region"``, ``"local.network_vpc_id"``) are the older
form some constructs still pass; :func:`expr` and the other ``expr_*``
helpers wrap them for a resource argument and leave tokens as they are.
Keeping this in one module keeps a later move from CDKTF to CDK Terrain a
small change.
"""
import json
import re
from typing import Union

import jsii
from constructs import Construct
from cdktf import (
    IResolvable, Postcondition, Precondition, TerraformDataSource, TerraformLocal, TerraformOutput,
    TerraformResource, TerraformResourceLifecycle, Token, Tokenization)


Expression = Union[str, list, dict, float]
"""What a prop takes: a token, a bare expression (a Python string), or a Python list or dict of those."""


@jsii.implements(IResolvable)
class _Expression:
    """A Terraform expression as a CDKTF token: ``${text}``, or ``text`` inside another expression.
    With ``parts``, ``text`` is a format string whose fields are put in as expressions (``quoted``:
    as interpolations of an HCL quoted template)."""

    def __init__(self, text: str, parts: dict = None, quoted: bool = False) -> None:
        self._text, self._parts, self._quoted = text, parts, quoted
        self._tokens = {}  # Token.as_string, ... => its token (see _typed)
        self.creation_stack = []

    def resolve(self, context):
        text = self.bare(context)
        # jsii.get: one call into CDKTF's runtime; ``context.suppress_braces`` on jsii's interface proxy
        # makes two (hasattr, then getattr), and every resolution of a token asks.
        return text if jsii.get(context, "suppressBraces") else "${" + text + "}"

    def bare(self, context) -> str:
        """The expression without ``${}``: what CDKTF's ``context.resolve`` of its token gives, braces
        stripped, made here without crossing into CDKTF's runtime for it."""
        text = self._text
        if self._parts is not None:
            text = text.format(**{name: self._part(context, value) for name, value in self._parts.items()})
        return '"' + text + '"' if self._quoted else text

    def known_text(self):
        """:meth:`bare` when no part needs CDKTF to resolve it (None when one does)."""
        try:
            return self.bare(_WITHOUT_CDKTF)
        except _NeedsCdktf:
            return None

    def _part(self, context, value) -> str:
        bare = _bare(context, value)
        return "${" + bare + "}" if self._quoted else bare

    def to_string(self) -> str:
        return _typed(Token.as_string, self)


class _NeedsCdktf(Exception):
    """A part of an expression is a CDKTF token: only CDKTF can resolve it, at synthesis."""


class _WithoutCdktf:
    """The context :meth:`_Expression.known_text` resolves in: a CDKTF token stops it."""

    def resolve(self, value):
        raise _NeedsCdktf(value)


_WITHOUT_CDKTF = _WithoutCdktf()


def _bare(context, value) -> str:
    """``value`` as an HCL expression: a token, a bare expression (a Python string), or a Python list,
    dict, number, bool or None of those (a literal string: ``hcl("text")``)."""
    if isinstance(value, str) and _may_hold_token(value) and not is_token(value):
        raise ValueError(f"{value!r} mixes text and tokens: write it with template() or quoted(), the token a part")
    own = _OWN_TOKENS.get(_token_key(value))
    if own is not None:  # one of ours: its text, without a round trip through CDKTF's runtime
        return own.bare(context)
    if is_token(value):
        resolved = context.resolve(value)
        if not isinstance(resolved, str):
            raise TypeError(f"{value!r} resolves to {resolved!r}, not an expression")
        return resolved[2:-1] if resolved.startswith("${") and resolved.endswith("}") else resolved
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_bare(context, v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_bare(context, v)}" for k, v in value.items()) + "}"
    raise TypeError(f"{value!r} is not a Terraform value")


_EXPRESSIONS = {}
_OWN_TOKENS = {}
"""Each token this module made of an ``_Expression`` (its key: :func:`_token_key`) => the expression."""


def _token_key(value):
    """What identifies a token alone among :data:`_OWN_TOKENS`: a string token, a list token's one
    element, a map token's one key, a number token (None for anything else)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return "list", value[0]
    if isinstance(value, dict) and len(value) == 1:
        return "map", next(iter(value))
    if isinstance(value, float):
        return "number", value
    return None


def _typed(as_type, expression):
    """``as_type(expression)`` (``Token.as_string``, ...); when ``expression`` is ours, its token is
    recorded and asked of CDKTF's runtime once, of its text when that is known (see the module's doc)."""
    if not isinstance(expression, _Expression):
        return as_type(expression)
    if as_type not in expression._tokens:
        text = expression.known_text()
        # Known now: CDKTF holds "${text}" itself and never calls back into Python for it (about 860 calls
        # back per synthesis, each two calls into CDKTF's runtime); inside template() Python puts in the text.
        token = as_type(expression if text is None else Token.as_any("${" + text + "}"))
        expression._tokens[as_type] = token
        _OWN_TOKENS[_token_key(token)] = expression
    token = expression._tokens[as_type]
    return list(token) if isinstance(token, list) else dict(token) if isinstance(token, dict) else token


def _expression(text: str, parts: dict = None, quoted: bool = False) -> "_Expression":
    """The one ``_Expression`` of these arguments: each crosses into CDKTF's runtime once, however
    often a stack names it (``var.region``, ``each.key``), which keeps a synthesis fast."""
    try:
        key = (text, quoted, tuple(sorted(parts.items())) if parts else None)
        hash(key)
    except TypeError:  # a list or dict among the parts
        return _Expression(text, parts, quoted)
    if key not in _EXPRESSIONS:
        _EXPRESSIONS[key] = _Expression(text, parts, quoted)
    return _EXPRESSIONS[key]


def _value(expression):
    """The resolvable behind a token, a bare expression's, or a Python list's or dict's (of those)."""
    own = _OWN_TOKENS.get(_token_key(expression))
    if own is not None:
        return own
    if not is_token(expression):
        return _expression(expression) if isinstance(expression, str) else _Expression("{v}", {"v": expression})
    if isinstance(expression, str):
        return Tokenization.reverse_string(expression).first_token
    if isinstance(expression, list):
        return Tokenization.reverse_list(expression)
    if isinstance(expression, dict):
        return Tokenization.reverse_map(expression)
    return Tokenization.reverse_number(expression)


def string(expression: str) -> str:
    """The bare Terraform ``expression`` as a string token (a token: as a string token)."""
    return _typed(Token.as_string, _value(expression))


def string_list(expression: str) -> list:
    """The bare Terraform ``expression`` as a list token (a token: as a list token)."""
    return _typed(Token.as_list, _value(expression))


def number(expression: str) -> float:
    """The bare Terraform ``expression`` as a number token (a token: as a number token)."""
    return _typed(Token.as_number, _value(expression))


def string_map(expression: str) -> dict:
    """The bare Terraform ``expression`` as a map token (a token: as a map token)."""
    return _typed(Token.as_any_map, _value(expression))


def quoted(template: str, **parts) -> str:
    """An HCL quoted template ``"text"`` whose ``{name}`` fields are interpolations of ``parts``
    (as in :func:`template`), as a string token: ``quoted("{name}-studio", name=prefix)`` is
    ``"${local.prefix}-studio"``. Literal braces are doubled."""
    return _typed(Token.as_string, _expression(template, parts, quoted=True))


def template(expression: str, **parts) -> str:
    """An HCL ``expression`` whose ``{name}`` fields are ``parts``, each put in as an
    expression: a token, a bare expression (a Python string), or a Python list, dict, number, bool or
    None of those; a string token. For what ``Fn.*`` reads worse in (``for`` expressions, conditions
    of validations and preconditions). Literal braces are doubled."""
    return _typed(Token.as_string, _expression(expression, parts))


def list_template(expression: str, **parts) -> list:
    """:func:`template` of a list expression, as a list token."""
    return _typed(Token.as_list, _expression(expression, parts))


# CDKTF's encoded string and list tokens (``${TfToken[TOKEN.1]}``, ``#{TfToken[TOKEN.2]}``): told apart
# here without a call into CDKTF's runtime, which a synthesis makes thousands of times.
TOKEN_MARKER = "TfToken["
_STRING_TOKEN = re.compile(r"\$\{TfToken\[TOKEN\.\d+\]\}")
_LIST_TOKEN = re.compile(r"#\{TfToken\[TOKEN\.\d+\]\}")
_MAP_TOKEN = re.compile(r"&\{TfToken\[TOKEN\.\d+\]\}")


def _may_hold_token(value) -> bool:
    if isinstance(value, str):
        return TOKEN_MARKER in value
    if isinstance(value, (list, tuple)):
        return any(_may_hold_token(v) for v in value)
    if isinstance(value, dict):
        return any(_may_hold_token(k) or _may_hold_token(v) for k, v in value.items())
    return not isinstance(value, (bool, int)) and value is not None


def is_token(value) -> bool:
    """Whether ``value`` is a token alone (a value), not a bare expression (which may contain tokens)."""
    if not _may_hold_token(value):
        return False
    if isinstance(value, str):
        return _STRING_TOKEN.fullmatch(value) is not None
    if isinstance(value, list):
        return len(value) == 1 and isinstance(value[0], str) and _LIST_TOKEN.fullmatch(value[0]) is not None
    if isinstance(value, dict):
        return len(value) == 1 and _MAP_TOKEN.fullmatch(next(iter(value))) is not None
    return Token.is_unresolved(value)


def address(resource: TerraformResource) -> str:
    """The Terraform address of a resource, e.g. ``aws_vpc.network_vpc_1A2B3C``. Asked of CDKTF's
    runtime once per resource (a stack names some resources a dozen times): override a resource's
    logical id before its address is first taken."""
    known = resource.__dict__.get("_tf_address")
    if known is None:
        known = resource._tf_address = f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"
    return known


def data_address(source: TerraformDataSource) -> str:
    """The Terraform address of a data source (as :func:`address`, asked once)."""
    return "data." + address(source)


def expr(expression: str) -> str:
    """A bare Terraform expression as an argument value (an interpolated string); a token as it is."""
    return expression if is_token(expression) else "${" + expression + "}"


def expr_list(expression: str) -> list:
    """A bare Terraform expression as a list-typed argument value."""
    return Token.as_list(expr(expression))


def expr_number(expression: str) -> float:
    """A bare Terraform expression as a number-typed argument value."""
    return Token.as_number(expr(expression))


def count_when(condition: str, count: str = "1") -> float:
    """A ``count`` that is ``count`` when the Terraform ``condition`` holds, else 0."""
    if not (_may_hold_token(condition) or _may_hold_token(count)):  # bare text: no token to resolve
        return expr_number(f"{condition} ? {count} : 0")
    return number(template("{condition} ? {count} : 0", condition=condition, count=count))


def one(resource: TerraformResource, attribute: str) -> str:
    """``attribute`` of a resource counted 0 or 1, as an expression (null when 0)."""
    return f"one({address(resource)}[*].{attribute})"


def each_of(resource: TerraformResource, attribute: str) -> str:
    """``attribute`` of every instance of a counted resource, as a list expression."""
    return f"{address(resource)}[*].{attribute}"


def at(resource: TerraformResource, index: str, attribute: str) -> str:
    """``attribute`` of instance ``index`` (an expression) of a counted resource."""
    return f"{address(resource)}[{index}].{attribute}"


def local(scope: Construct, name: str, expression: str) -> str:
    """Declares ``local.<name>`` = ``expression`` and returns ``local.<name>``.

    Named locals make the generated Terraform readable in a plan review.
    ``name`` must be unique in the stack: prefix it with the construct's concern.
    """
    value = TerraformLocal(scope, name, expr(expression))
    value.override_logical_id(name)
    return f"local.{name}"


def declare_outputs(scope: Construct, outputs: dict) -> None:
    """Declares a stack's outputs: name => (bare expression, description)."""
    for name, (value, description) in outputs.items():
        TerraformOutput(scope, name, value=expr(value), description=description)


def checked(pre=(), post=()):
    """A lifecycle with preconditions ``pre`` and postconditions ``post``, each a
    (condition expression, error message); None when there are none."""
    if not pre and not post:
        return None
    return TerraformResourceLifecycle(
        precondition=[Precondition(condition=expr(c), error_message=m) for c, m in pre] or None,
        postcondition=[Postcondition(condition=expr(c), error_message=m) for c, m in post] or None)


def hcl(value) -> str:
    """A Python string, list or dict of strings as a Terraform expression literal."""
    return json.dumps(value)


def expr_map(expression: str) -> dict:
    """A bare Terraform expression as a map-typed value (e.g. for ``for_each``)."""
    return Token.as_any_map(expr(expression))


def expr_bool(expression: str):
    """A bare Terraform expression as a bool-typed argument value."""
    return Token.as_any(expr(expression))


KEY_KNOWN_AFTER_APPLY = (
    "kms_key_id is the domain key's ARN, which a first plan knows only after apply (the key is created in "
    "the same run), so the plan scan sees no key; the cdk.tf.json scan and the unit tests check it is set.")


def skip_checks(resource: TerraformResource, reasons: dict, only: str = None) -> None:
    """Declares checkov checks ``resource`` deliberately does not meet: check id => reason.

    checkov reads inline skip comments only from HCL and CloudFormation; for
    Terraform JSON and plan JSON it has none. So the skip lives here, beside
    the resource, and is written into the resource's ``//`` comment (which
    Terraform ignores) in the same shape as CloudFormation's
    ``Metadata: checkov: skip``. ``scripts/security_scan.py`` reads it from
    ``cdk.tf.json`` and turns matching failures of that resource into skips;
    README's exception table is generated from it. ``only``: the one scan the
    skip applies to (``"plan"`` or ``"cdk.tf.json"``); the other scan still
    holds the resource to the check.
    """
    if only not in (None, "plan", "cdk.tf.json"):
        raise ValueError(f"only = {only!r}: use None (every scan), 'plan' or 'cdk.tf.json'")
    skips = dict(getattr(resource, "_checkov_skips", {}))
    for check, reason in reasons.items():
        if not reason or len(reason) < 20:
            raise ValueError(f"skip of {check} on {resource.node.path} needs a reason (a sentence)")
        skips[check] = {"id": check, "comment": reason, **({"only": only} if only else {})}
    resource._checkov_skips = skips
    resource.add_override("//.checkov.skip", [skips[c] for c in sorted(skips)])
