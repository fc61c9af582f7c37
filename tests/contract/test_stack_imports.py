"""The stack (the demo, the bench, the order generator, the tooling) uses the services as their users do: through
their HTTP APIs, the event contracts in orderdesk_shared.events and the data files they publish, never their code.
A service is then free to change its internals without breaking the stack's tools."""

import ast
from pathlib import Path

from orderdesk_stack.services import SERVICES

STACK_SOURCES = Path(__file__).resolve().parents[2] / "stack" / "src"
SERVICE_PACKAGES = {service.package for service in SERVICES}


def _imported(tree: ast.Module):
    """Each top-level package the module imports, with the line it does so on."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name.partition(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], node.lineno


def test_the_stack_imports_no_service_package():
    imports = [
        f"{path.relative_to(STACK_SOURCES)}:{line} imports {package}"
        for path in sorted(STACK_SOURCES.rglob("*.py"))
        for package, line in _imported(ast.parse(path.read_text()))
        if package in SERVICE_PACKAGES
    ]
    assert not imports, "the stack reaches into services' code:\n" + "\n".join(imports)
