"""The Terraform CLI configuration the scripts run with: the user's own, merged with ours.

Standard library only. :func:`render` returns the text of ``.cache/terraform/cli-<hash>.tfrc``
(``scripts/terraform_env/env.py`` writes it and points ``TF_CLI_CONFIG_FILE`` at it); the
user's file is read, never written.

* The user's file is ``$TF_CLI_CONFIG_FILE`` when that names an existing file, else
  ``~/.terraformrc`` (:func:`user_config_path`). Its credentials, ``credentials_helper``,
  ``host`` and other settings are copied as they are.
* ``plugin_cache_dir``: the user's, when they have one (or ``TF_PLUGIN_CACHE_DIR``, which
  Terraform prefers to any file); else ours. Terraform allows one value: on merging CLI
  configuration files it keeps the first non-empty one, so ours is only added when the
  user has none.
* ``provider_installation``: Terraform accepts at most one block ("No more than one
  provider_installation block may be specified"). Registry mode adds none: the user's
  block, if any, stays as it is. Mirror mode needs our ``filesystem_mirror`` for
  hashicorp/aws; with a block of the user's, their methods stay, in their order, after
  ours, each with hashicorp/aws added to its ``exclude`` (Terraform considers every
  method whose patterns match a provider, so the exclusion is what makes the mirror the
  only source of the provider).

The CLI configuration is HCL 1 (Terraform parses it with the HCL 1 library, which also
reads JSON): a JSON file is merged as JSON, an HCL file by copying its text and replacing
only the ``provider_installation`` block, found by the small tokenizer below.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from scripts.errors import ScriptError

HEADER = "# Written by scripts/terraform_env.py: do not edit, it is rewritten on every run.\n"
SOURCE_LINE = "# User configuration merged in: "  # followed by a path, or "none"
INSTALL_METHODS = ("filesystem_mirror", "network_mirror", "direct")


def user_config_path(environ: Mapping[str, str]) -> Path | None:
    """The user's CLI configuration file, or None. A ``TF_CLI_CONFIG_FILE`` that is our
    own merged file (a nested call) leads back to the user's file it was made from."""
    explicit = environ.get("TF_CLI_CONFIG_FILE") or environ.get("TERRAFORM_CONFIG")
    if explicit and Path(explicit).is_file():
        merged_from = _merged_from(Path(explicit).read_text(errors="replace"))
        if merged_from is None:
            return Path(explicit)
        return None if merged_from == "none" else user_config_path({"TF_CLI_CONFIG_FILE": merged_from})
    home = environ.get("HOME")
    default = Path(home) / ".terraformrc" if home else None
    return default if default is not None and default.is_file() else None


def _merged_from(text: str) -> str | None:
    """The source recorded in a file this module wrote ("none" or a path), or None for any other file."""
    if text.startswith(HEADER):
        line = text[len(HEADER):].split("\n", 1)[0]
    else:
        try:
            data = dict(_load_json(text)) if _is_json(text) else {}
        except CliConfigError:
            return None  # not ours: render says what is wrong with it
        if data.get("//") != HEADER.strip():
            return None
        line = data.get("///", "")
    return line[len(SOURCE_LINE):] if line.startswith(SOURCE_LINE) else "none"


@dataclass
class Ours:
    """What the scripts need in the CLI configuration: a plugin cache and, in mirror mode, the mirror."""

    plugin_cache: str
    mirror: str | None = None  # None: registry mode
    provider: str = "registry.terraform.io/hashicorp/aws"


def user_plugin_cache(environ: Mapping[str, str]) -> str | None:
    """The plugin cache the user chose (``TF_PLUGIN_CACHE_DIR``, which Terraform prefers, else
    their file's ``plugin_cache_dir``), with ``$NAME`` expanded as Terraform does."""
    if environ.get("TF_PLUGIN_CACHE_DIR"):
        return environ["TF_PLUGIN_CACHE_DIR"]
    path = user_config_path(environ)
    text = path.read_text() if path else ""
    if _is_json(text):
        value = dict(_load_json(text)).get("plugin_cache_dir")
    else:
        item = next((i for i in _items(text, _tokens(text), 0)[0] if i.key == "plugin_cache_dir"), None)
        value = json.loads(text[item.value_start:item.end]) if item and text[item.value_start] == '"' else None
    # Go's os.ExpandEnv: $NAME and ${NAME}; unset names become "".
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: environ.get(m.group(1) or m.group(2), ""), value) if value else None


def config_dir_files(environ: Mapping[str, str], main: Path | None) -> list[Path]:
    """``~/.terraform.d/*.tfrc`` and ``*.tfrc.json`` (``credentials.tfrc.json``, where
    ``terraform login`` keeps its tokens, among them): Terraform reads them beside
    ``~/.terraformrc``, but not once ``TF_CLI_CONFIG_FILE`` is set, as it is for our
    file; so they are merged too, unless the user's own file is another one."""
    home = environ.get("HOME")
    if not home or (main is not None and main != Path(home) / ".terraformrc"):
        return []
    found = (Path(home) / ".terraform.d").glob("*.tfrc*")
    return sorted(f for f in found if f.is_file() and f.name.endswith((".tfrc", ".tfrc.json")))


def _credentials_hcl(path: Path) -> str:
    """A JSON configuration file's ``credentials`` as HCL blocks (what those files hold)."""
    blocks = [f"credentials {_hcl(host)} {{\n" + "".join(f"  {key} = {json.dumps(value)}\n"
                                                        for key, value in dict(fields).items()) + "}\n"
              for host, fields in dict(dict(_load_json(path.read_text(), path)).get("credentials", [])).items()]
    return f"# From {path}:\n" + "".join(blocks)


def render(ours: Ours, environ: Mapping[str, str]) -> str:
    """The merged CLI configuration's text."""
    path = user_config_path(environ)
    text = path.read_text() if path else ""
    source = SOURCE_LINE + (str(path) if path else "none")
    extra = config_dir_files(environ, path)
    if _is_json(text):
        pairs = _load_json(text)
        pairs += [("credentials", dict(_load_json(f.read_text())).get("credentials", _Obj()))
                  for f in extra if f.name.endswith(".json")]  # (an HCL *.tfrc is not merged into JSON)
        return _render_json(pairs, ours, environ, source)
    for f in extra:
        text = text.rstrip("\n") + "\n\n" + (_credentials_hcl(f) if f.name.endswith(".json")
                                              else f"# From {f}:\n{f.read_text()}")
    items = _items(text, _tokens(text), 0)[0]
    keys = {i.key for i in items}
    added = []
    if "plugin_cache_dir" not in keys and not environ.get("TF_PLUGIN_CACHE_DIR"):
        added.append(f"plugin_cache_dir = {_hcl(ours.plugin_cache)}")
    if "disable_checkpoint" not in keys:
        added.append("disable_checkpoint = true")
    if ours.mirror is not None:
        installs = [i for i in items if i.key == "provider_installation"]
        theirs = [_excluding(text, method, ours.provider) for i in installs for method in i.children]
        for item in reversed(installs):
            text = text[:item.start] + "# (provider_installation: merged into the one below)" + text[item.end:]
        if not installs:  # Terraform's default is direct for all: kept, but for the provider
            theirs = ["direct {\n" f"    exclude = [{_hcl(ours.provider)}]\n" "  }"]
        added.append("provider_installation {\n"
                     "  filesystem_mirror {\n"
                     f"    path    = {_hcl(ours.mirror)}\n"
                     f"    include = [{_hcl(ours.provider)}]\n"
                     "  }\n" + "".join(f"  {method}\n" for method in theirs) + "}")
    body = text.rstrip("\n") + "\n\n" if text.strip() else ""
    return HEADER + source + "\n" + body + "# Added by scripts/terraform_env.py:\n" + "\n".join(added) + "\n"


class _Obj(list):
    """A JSON object as its (key, value) pairs: HCL 1's JSON repeats a key (``"filesystem_mirror"``)
    to list methods in order, which a dict would lose."""


def _load_json(text: str, path: Path | None = None):
    try:
        return json.loads(text, object_pairs_hook=_Obj)
    except ValueError as exc:
        where = f" {path}" if path else ""
        raise CliConfigError(f"the Terraform CLI configuration{where} is not valid JSON: {exc}") from None


def _render_json(pairs: _Obj, ours: Ours, environ: Mapping[str, str], source: str) -> str:
    """:func:`render` for a JSON file."""
    keys = {key for key, _ in pairs}
    merged = _Obj([("//", HEADER.strip()), ("///", source)])
    merged += [(key, value) for key, value in pairs if key != "provider_installation" or ours.mirror is None]
    if "plugin_cache_dir" not in keys and not environ.get("TF_PLUGIN_CACHE_DIR"):
        merged.append(("plugin_cache_dir", ours.plugin_cache))
    if "disable_checkpoint" not in keys:
        merged.append(("disable_checkpoint", True))
    if ours.mirror is not None:
        methods = _Obj([("filesystem_mirror", [_Obj([("path", ours.mirror), ("include", [ours.provider])])])])
        blocks = [value for key, value in pairs if key == "provider_installation"]
        theirs = [pair for block in blocks for obj in (block if not isinstance(block, _Obj) else [block])
                  for pair in obj] or [("direct", _Obj())]
        for name, bodies in theirs:
            if name in INSTALL_METHODS:
                bodies = [_Obj([*((k, v) for k, v in body if k != "exclude"),
                                ("exclude", [*dict(body).get("exclude", []), ours.provider])])
                          for body in (bodies if not isinstance(bodies, _Obj) else [bodies])]
            methods.append((name, bodies))
        merged.append(("provider_installation", methods))
    return _json(merged) + "\n"


def _json(value, indent: str = "") -> str:
    inner = indent + "  "
    if isinstance(value, _Obj):
        fields = ",\n".join(f"{inner}{json.dumps(k)}: {_json(v, inner)}" for k, v in value)
        return "{\n" + fields + f"\n{indent}}}" if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v, inner) for v in value) + "]"
    return json.dumps(value)


def _hcl(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_json(text: str) -> bool:
    return text.lstrip().startswith("{")


# -- a tokenizer for HCL 1, enough to find top-level items and the methods of a block ----------
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<heredoc><<-?(?P<tag>\w+)\n.*?\n\s*(?P=tag)(?=\n|$))
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<word>[\w.+-]+)
  | (?P<punct>[={}\[\],:])
""", re.S | re.X)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end): kind is the punctuation itself, or "word", "string", "heredoc"."""
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise CliConfigError(f"cannot read the Terraform CLI configuration near {text[pos:pos + 40]!r}")
        kind = "heredoc" if match.group("heredoc") else match.lastgroup
        if kind not in ("space", "comment"):
            out.append((match.group() if kind == "punct" else kind, match.start(), match.end()))
        pos = match.end()
    return out


class CliConfigError(ScriptError):
    """The user's CLI configuration could not be read; the message says where."""


@dataclass
class Item:
    """One ``key = value`` or ``key [labels] { ... }`` of a body, by offsets into the text."""

    key: str
    start: int
    end: int
    value_start: int = 0
    open_brace: int = -1
    children: list = field(default_factory=list)


def _items(text: str, tokens: list, i: int) -> tuple[list[Item], int]:
    """The items of the body that starts at token ``i``, and the index of its closing ``}`` (or the end)."""
    items = []
    while i < len(tokens) and tokens[i][0] != "}":
        if tokens[i][0] == ",":
            i += 1
            continue
        kind, start, end = tokens[i]
        if kind not in ("word", "string"):
            raise CliConfigError(f"cannot read the Terraform CLI configuration near {text[start:start + 40]!r}")
        key = json.loads(text[start:end]) if kind == "string" else text[start:end]
        i += 1
        while i < len(tokens) and tokens[i][0] in ("word", "string"):  # block labels
            i += 1
        if i < len(tokens) and tokens[i][0] in ("=", ":") and i + 1 < len(tokens):
            value_start = tokens[i + 1][1]
            i, value_end = _skip_value(tokens, i + 1)
            items.append(Item(key, start, value_end, value_start))
        elif i < len(tokens) and tokens[i][0] == "{":
            children, close = _items(text, tokens, i + 1)
            if close >= len(tokens):
                raise CliConfigError(f"the Terraform CLI configuration's {key!r} block is not closed")
            items.append(Item(key, start, tokens[close][2], open_brace=tokens[i][1], children=children))
            i = close + 1
        else:
            raise CliConfigError(f"cannot read the Terraform CLI configuration: {key!r} has no value")
    return items, i


def _skip_value(tokens: list, i: int) -> tuple[int, int]:
    """Index after the value starting at token ``i``, and the value's end offset."""
    depth = 0
    while i < len(tokens):
        kind, _, end = tokens[i]
        depth += kind in ("{", "[")
        depth -= kind in ("}", "]")
        i += 1
        if depth <= 0:
            return i, end
    raise CliConfigError("the Terraform CLI configuration ends inside a value")


def _excluding(text: str, method: Item, provider: str) -> str:
    """A method block of the user's, as text, with ``provider`` added to its ``exclude``."""
    if method.key not in INSTALL_METHODS:
        return text[method.start:method.end]  # dev_overrides: copied as it is
    exclude = next((c for c in method.children if c.key == "exclude"), None)
    if exclude is not None:
        at = text.index("[", exclude.value_start) + 1
        return text[method.start:at] + _hcl(provider) + ", " + text[at:method.end]
    at = method.open_brace + 1
    return text[method.start:at] + f"\n    exclude = [{_hcl(provider)}]" + text[at:method.end]
