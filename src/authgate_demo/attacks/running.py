"""Running one scenario for one cell, the same way for both matrices (harness.py's workflow
modes, factors.py's login setups): a time limit, any failure reported as `not run` with its
reason (never as blocked), and the scenario's browser contexts and cleanups undone afterwards."""
from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import pkgutil
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Protocol

from authgate_demo.attacks.matrix import Cell, not_run

log = logging.getLogger("authgate_demo.attacks")

UI_TIMEOUT_MS = 15_000  # one UI step (a click, a navigation) in any scenario


async def new_context(browser: Any, contexts: list[Any]) -> Any:
    """A fresh browser context (a person's own browser), closed by `run_cell` after the cell."""
    context = await browser.new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    contexts.append(context)
    return context


def load_scenarios(pkg: ModuleType, only: Sequence[str] | None = None) -> list[ModuleType]:
    """The scenario modules of package `pkg` (files named `NN_*.py`, in order); `only` keeps those
    whose ID starts with one of its prefixes."""
    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name[:2].isdigit():
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        if only and not any(mod.ID.startswith(o) for o in only):
            continue
        mods.append(mod)
    return mods


class NotRunnable(Exception):
    """A scenario cannot run here (missing endpoint, missing browser feature): reported as `not run`."""


class ScenarioCtx(Protocol):
    contexts: list[Any]
    cleanups: list[Callable[[], Any]]


async def run_cell(mod: ModuleType, ctx: ScenarioCtx, timeout: float, where: str) -> Cell:
    """`mod.run(ctx)` as a cell (timed); `where` names the column in the log."""
    began = time.perf_counter()
    try:
        cell: Cell = await asyncio.wait_for(mod.run(ctx), timeout)
    except NotRunnable as exc:
        cell = not_run(str(exc))
    except asyncio.TimeoutError:
        cell = not_run(f"timed out after {timeout:.0f}s")
    except Exception as exc:  # noqa: BLE001 - any failure is "not run", with the reason, never "blocked"
        log.exception("scenario %s in %s failed", mod.ID, where)
        cell = not_run(f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}")
    finally:
        for context in ctx.contexts:  # every scenario cleans up after itself
            with contextlib.suppress(Exception):
                await context.close()
        ctx.contexts.clear()
        for cleanup in reversed(ctx.cleanups):
            with contextlib.suppress(Exception):
                res = cleanup()
                if asyncio.iscoroutine(res):
                    await res
        ctx.cleanups.clear()
    cell.seconds = round(time.perf_counter() - began, 2)
    return cell
