"""The layering rules of README.md's "Architecture", checked on the source: the core imports no
web framework, and authgate's packages import each other in one direction only.

The cycle check reads every `import` of every module (function-level ones too: an import moved
into a function to dodge a cycle is still a cycle), except those under `if TYPE_CHECKING:`.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import authgate

ROOT = Path(authgate.__file__).parent
# The core (layer 3) and what it stands on: plain Python, no FastAPI/Starlette.
CORE = ("accounts.py", "revocation.py", "account_lock.py", "lock_state.py", "events.py", "lockout.py", "passwords.py", "keys.py",
        "registry.py", "rate_limiter.py", "retention.py", "bounded.py", "clock.py", "config.py",
        "password_policy.py", "email_address.py", "users.py", "user_import.py", "registrations.py",
        "applications.py", "api_keys.py", "signing_keys.py", "refresh_tokens.py", "audit.py", "present.py",
        "field_errors.py", "merge_patch.py", "tokens", "sessions", "mfa", "mail", "lifecycle", "storage")
# The core may import only itself and what is below it, never an adapter or the web edge.
ADAPTERS = ("web", "fusionauth", "oauth2", "oidc", "ui", "admin", "cli")
WEB_FRAMEWORKS = ("fastapi", "starlette")
# Cycles still to break (each pair imports the other), written down so none is added unnoticed;
# the test also fails when one of them is gone, so this list only shrinks.
KNOWN_CYCLES: set[frozenset[str]] = set()  # none left


def _modules(paths: tuple[str, ...] = ()) -> list[tuple[str, Path]]:
    files = [ROOT / p for p in paths] if paths else [ROOT]
    found = []
    for f in files:
        for path in (f.rglob("*.py") if f.is_dir() else [f]):
            if "migrations" not in path.parts:
                found.append((".".join(path.relative_to(ROOT.parent).with_suffix("").parts), path))
    return found


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text())
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.module, node.lineno)] + [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
    return out


def _package(module: str) -> str | None:
    """The top-level unit under authgate (a subpackage, or a module of its own)."""
    parts = module.split(".")
    if parts[0] != "authgate" or len(parts) < 2:
        return None
    return parts[1] if (ROOT / parts[1]).is_dir() or (ROOT / f"{parts[1]}.py").exists() else None


def test_the_core_imports_no_web_framework():
    offenders = [f"{module}:{line} imports {name}" for module, path in _modules(CORE)
                 for name, line in _imports(path) if name.split(".")[0] in WEB_FRAMEWORKS]
    assert offenders == []


def test_the_core_imports_no_adapter():
    offenders = [f"{module}:{line} imports {name}" for module, path in _modules(CORE)
                 for name, line in _imports(path) if _package(name) in ADAPTERS]
    assert offenders == []


def test_the_console_and_the_fusionauth_api_share_the_core_not_each_other():
    """admin/ and fusionauth/ are sibling adapters: what both need (creating a user, rotating a
    key, the audit search) is a core function both call, so neither imports the other."""
    for source, target in (("admin", "fusionauth"), ("fusionauth", "admin")):
        offenders = [f"{module}:{line} imports {name}" for module, path in _modules((source,))
                     for name, line in _imports(path) if _package(name) == target]
        assert offenders == [], f"{source}/ imports {target}/"


def test_packages_import_each_other_in_one_direction():
    edges: dict[str, dict[str, str]] = defaultdict(dict)
    for module, path in _modules():
        source = _package(module)
        for name, line in _imports(path):
            target = _package(name)
            if source and target and target != source:
                edges[source].setdefault(target, f"{module}:{line}")
    cycles = {frozenset({a, b}) for a in edges for b in edges[a] if a in edges.get(b, {})}
    new = {tuple(sorted(c)): [edges[a][b] for a in c for b in c if a != b] for c in cycles - KNOWN_CYCLES}
    assert new == {}, "new import cycles between packages (module:line each way)"
    assert KNOWN_CYCLES - cycles == set(), "a known cycle is gone: remove it from KNOWN_CYCLES"
