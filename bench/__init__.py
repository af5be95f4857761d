"""authgate's benchmark runner (issue 6): `python -m bench --quick`.

The server under test runs pinned to core 0 (`taskset -c 0`); this process, the load generator,
pins itself to core 1. Every figure is measured side by side with its ceiling or peer in the
same run, and the report gives the ratio.
"""
