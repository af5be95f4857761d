"""Log lines: one format for authgate and uvicorn, with the request id on every line of a request.

`AUTHGATE_LOG_FORMAT=text` (default) writes `time level logger [request id] message`;
`json` writes one JSON object per line (JSON Lines) with `time`, `level`, `logger`, `message`,
`request_id` and, on access lines, `http: {method, path, status, duration_ms, client_ip}`, and
`exception` with the traceback where there is one.

Records are handed to a queue and formatted and written by a listener thread, so a request never
waits for a JSON encoder or a slow terminal. The request id comes from a context variable set by
the web edge (`web/context.py`) for the duration of each request.
"""
from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
import time
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("authgate_request_id", default=None)

# Third-party loggers that should speak in our format and at our level.
_ADOPTED = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_listener: logging.handlers.QueueListener | None = None


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class _Enqueue(logging.handlers.QueueHandler):
    """Put the record on the queue as it is: the listener formats it (QueueHandler would format
    here, on the event loop). The message is merged with its arguments now, while they are current."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        record.msg, record.args = record.message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        return record


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        http = getattr(record, "http", None)
        if http is not None:
            out["http"] = http
        if record.exc_text:
            out["exception"] = record.exc_text
        elif record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        if record.request_id is None:
            record.request_id = "-"
        return super().format(record)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is written, not when logging was set up:
    a command run in-process (Typer's CliRunner in the tests) swaps stderr for a buffer it closes
    afterwards, and lines written later must not go to that closed buffer."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(fmt: str = "text", level: str = "info") -> None:
    """Route every logger (ours and uvicorn's) through one queue to stderr in `fmt`."""
    global _listener
    if _listener is not None:
        _listener.stop()
    stream = _Stderr()
    stream.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _Enqueue(q)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _ADOPTED:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    _listener = logging.handlers.QueueListener(q, stream, respect_handler_level=False)
    _listener.start()
    atexit.register(_stop)


def flush() -> None:
    """Write everything queued so far (tests read the output after this)."""
    if _listener is not None:
        _listener.stop()
        _listener.start()


def _stop() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
