"""Read access to the synthesized platform stack, for the unit tests."""
import json
from pathlib import Path
from typing import Dict, Tuple


class SynthesizedStack:
    """The ``cdk.tf.json`` of one synthesized stack, queried by construct path."""

    def __init__(self, stack_dir: Path) -> None:
        self.dir = Path(stack_dir)
        self.text = (self.dir / "cdk.tf.json").read_text()
        self.config = json.loads(self.text)

    def resources(self, type_: str) -> Dict[str, dict]:
        """Every resource of ``type_``, by construct path below the stack (``network/vpc``)."""
        return {self._path(body): body for body in self.config.get("resource", {}).get(type_, {}).values()}

    def resource(self, type_: str, path: str) -> dict:
        """The one resource of ``type_`` at construct path ``path``."""
        found = self.resources(type_)
        assert path in found, f"no {type_} at {path}; there are {sorted(found)}"
        return found[path]

    def address(self, type_: str, path: str) -> str:
        for name, body in self.config["resource"][type_].items():
            if self._path(body) == path:
                return f"{type_}.{name}"
        raise AssertionError(f"no {type_} at {path}")

    def variable(self, name: str) -> dict:
        return self.config["variable"][name]

    def local(self, name: str) -> str:
        return self.config["locals"][name]

    def output(self, name: str) -> dict:
        return self.config["output"][name]

    @staticmethod
    def _path(body: dict) -> str:
        return body["//"]["metadata"]["path"].split("/", 1)[1]


def policy(body: dict, key: str = "policy") -> dict:
    """A policy document of a resource, with Terraform's ``${...}`` left in place (one
    that stands for a whole JSON value, such as a computed list, becomes a string)."""
    from scripts.security_scan import template_as_json
    return template_as_json(body[key])


def statements(document: dict) -> Dict[str, dict]:
    return {s["Sid"]: s for s in document["Statement"]}


def as_list(value) -> Tuple:
    return tuple(value) if isinstance(value, list) else (value,)
