"""A dict that forgets its oldest entry past `size` entries: the one shape of every per-process
cache here whose keys come from requests (tokens, grant ids), so memory stays bounded."""
from __future__ import annotations

from typing import Any


class BoundedCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self._entries.get(key)

    def put(self, key: Any, value: Any) -> None:
        """Store `value`, as the newest entry."""
        self._entries.pop(key, None)
        self._entries[key] = value
        if len(self._entries) > self._size:
            del self._entries[next(iter(self._entries))]

    def pop(self, key: Any) -> None:
        self._entries.pop(key, None)

    def __contains__(self, key: Any) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
