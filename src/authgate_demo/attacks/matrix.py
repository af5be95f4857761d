"""The attack matrix: one `Cell` per (scenario, workflow mode).

status:
- `succeeded`: the attack worked against the real servers in real Chromium (what was stolen and
  how long it stayed usable are in `stolen` / `usable_for`);
- `blocked`: the attack ran and failed; `mitigation` names what stopped it;
- `n/a`: the attack does not apply to this mode (`reason` says why);
- `not run`: the scenario could not run (Chromium missing, a stack failed to start, an endpoint
  it needs is not there yet, an unexpected error); `reason` says why. Never reported as blocked.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SUCCEEDED, BLOCKED, NA, NOT_RUN = "succeeded", "blocked", "n/a", "not run"
STATUSES = (SUCCEEDED, BLOCKED, NA, NOT_RUN)


@dataclass
class Cell:
    scenario: str  # scenario id, e.g. "01-stolen-jwt-replay"
    mode: str
    status: str
    stolen: str = ""  # what the attacker got hold of
    usable_for: str = ""  # how long the stolen thing stayed usable
    mitigation: str = ""  # what stopped it (blocked) or what would have (succeeded)
    reason: str = ""  # n/a and not run: why
    evidence: list[str] = field(default_factory=list)  # observed HTTP statuses, page text, sink hits
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def succeeded(stolen: str, usable_for: str, mitigation: str, evidence: list[str]) -> Cell:
    return Cell("", "", SUCCEEDED, stolen=stolen, usable_for=usable_for, mitigation=mitigation, evidence=evidence)


def blocked(mitigation: str, evidence: list[str], stolen: str = "nothing") -> Cell:
    return Cell("", "", BLOCKED, stolen=stolen, mitigation=mitigation, evidence=evidence)


def not_applicable(reason: str) -> Cell:
    return Cell("", "", NA, reason=reason)


def not_run(reason: str) -> Cell:
    return Cell("", "", NOT_RUN, reason=reason)


@dataclass
class ScenarioInfo:
    id: str
    title: str
    threat: str  # the module docstring


@dataclass
class Matrix:
    modes: list[str]
    scenarios: list[ScenarioInfo]
    cells: list[Cell]
    seconds: float = 0.0
    environment: dict[str, str] = field(default_factory=dict)
    factors: Matrix | None = None  # the factor x attack matrix (columns are login setups), when it ran
    lifecycle: Matrix | None = None  # the account-lifecycle attacks (one column: the hosted pages), when they ran

    def cell(self, scenario: str, mode: str) -> Cell:
        for c in self.cells:
            if c.scenario == scenario and c.mode == mode:
                return c
        raise KeyError((scenario, mode))

    def statuses(self) -> dict[tuple[str, str], str]:
        return {(c.scenario, c.mode): c.status for c in self.cells}

    def to_json(self) -> dict[str, Any]:
        return {"modes": self.modes, "scenarios": [asdict(s) for s in self.scenarios],
                "cells": [c.to_json() for c in self.cells], "seconds": round(self.seconds, 1),
                "environment": self.environment, **({"factors": self.factors.to_json()} if self.factors else {}),
                **({"lifecycle": self.lifecycle.to_json()} if self.lifecycle else {})}
