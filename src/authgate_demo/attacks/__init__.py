"""Executable attacks: every scenario of WORKFLOWS.md run in real Chromium against the real demo
stack, in every workflow mode, written out as a matrix (see `authgate attacks`)."""
from authgate_demo.attacks.matrix import Cell, Matrix

__all__ = ["Cell", "Matrix", "run"]


def run(*args, **kwargs):  # type: ignore[no-untyped-def]
    import asyncio

    from authgate_demo.attacks.harness import run_matrix

    return asyncio.run(run_matrix(*args, **kwargs))
