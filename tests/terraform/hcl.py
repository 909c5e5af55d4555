"""The Terraform configuration as data (python-hcl2), for the tests beside this file.

``configuration()`` parses the root folder and every module under terraform/modules/:
resources, variables, locals and module calls by module ("root" or the module's
folder name). Values keep Terraform's expressions as strings ("${...}").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)
ROLE = re.compile(r"roles/[A-Za-z.]+")


@dataclass
class Module:
    """One folder of .tf files."""

    folder: Path
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "type.name" -> body
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # module blocks

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """Resources of one type, by name."""
        prefix = f"{kind}."
        return {
            k.removeprefix(prefix): v for k, v in self.resources.items() if k.startswith(prefix)
        }


def parse(folder: Path) -> Module:
    module = Module(folder)
    for path in sorted(folder.glob("*.tf")):
        with path.open() as handle:
            document = hcl2.load(handle, serialization_options=OPTIONS)
        for block in document.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    module.resources[f"{kind}.{name}"] = body
        for block in document.get("variable", []):
            module.variables.update(block)
        for block in document.get("locals", []):
            module.locals.update(block)
        for block in document.get("module", []):
            module.calls.update(block)
    return module


@functools.cache
def configuration() -> dict[str, Module]:
    """The root module and every module folder, by name ("root", "relay", ...)."""
    modules = {"root": parse(TERRAFORM)}
    for folder in sorted((TERRAFORM / "modules").iterdir()):
        modules[folder.name] = parse(folder)
    return modules


def roles_of(module: Module, body: dict[str, Any]) -> set[str]:
    """The role(s) an IAM member resource grants: its role, or its for_each's roles."""
    role = body["role"]
    if role != "${each.value}":
        return {role}
    expression = body["for_each"]
    local = re.fullmatch(r"\$\{local\.(\w+)\}", expression)
    return set(ROLE.findall(module.locals[local[1]] if local else expression))
