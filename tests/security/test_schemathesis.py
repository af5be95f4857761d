"""Property-based fuzzing of authgate's own OpenAPI document (schemathesis, in-process over ASGI).

Every operation is called with generated data (valid and invalid), with the superuser API key so
the admin endpoints run past authentication. Must-haves: no 5xx, and every response matches the
schema declared for its status (FusionAuth/RFC 6749 error shapes included). CWE-20, CWE-248.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from authgate.web.app import create_app
from tests.conftest import API_KEY, _pg_exec, make_settings

# Per operation and mode; raise it (AUTHGATE_FUZZ_EXAMPLES=200) for a long exploratory run.
MAX_EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}
_OVERRIDE = int(os.environ.get("AUTHGATE_FUZZ_EXAMPLES", "0"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _fuzz(operation: Any, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=_OVERRIDE or MAX_EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": API_KEY}, checks=CHECKS)

    run()


def test_no_server_errors_and_declared_shapes():
    backend = os.environ.get("AUTHGATE_FUZZ_BACKEND", "sqlite")  # postgres: stricter types, for long runs
    schema_name = f"t_{uuid.uuid4().hex[:12]}" if backend == "postgres" else None
    if schema_name:
        asyncio.run(_pg_exec(f"CREATE SCHEMA {schema_name}"))
    with tempfile.TemporaryDirectory() as data:
        app = create_app(make_settings(backend, Path(data), schema_name, argon2_memory_kib=1024, argon2_time_cost=1))
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        failures: dict[str, str] = {}
        timings: dict[str, float] = {}
        operations = [op.ok() for op in schema.get_all_operations()]
        assert len(operations) > 40
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                started = time.monotonic()
                try:
                    _fuzz(operation, mode)
                except Unsatisfiable:
                    pass  # nothing in this operation can be made invalid (no parameters, free-form body)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
                    failures[f"{operation.label} [{mode.value}]"] = str(exc)[:1500]
                timings[f"{operation.label} [{mode.value}]"] = time.monotonic() - started
        schemathesis.python.asgi.shutdown_lifespans()
    if schema_name:
        asyncio.run(_pg_exec(f"DROP SCHEMA {schema_name} CASCADE"))
    print("slowest:", sorted(timings.items(), key=lambda kv: -kv[1])[:5])
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
