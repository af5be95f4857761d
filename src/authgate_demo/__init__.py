"""The demo stack, the example apps (Store and Forums) and the attack runner.

Outside the IdP package on purpose: `authgate` never imports this package (only its CLI's
`demo` and `attacks` commands do, lazily), and the example apps import nothing from `authgate`,
as a third-party application would not.
"""
