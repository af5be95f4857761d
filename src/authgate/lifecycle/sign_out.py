"""What a password change or reset ends: every SSO session of the user (but the one that made
the change, when asked), their refresh tokens, and their access tokens -- the core's
`revocation.revoke_user_tokens`, named here for the lifecycle flows that call it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from authgate import revocation

if TYPE_CHECKING:
    from authgate.registry import Registry
    from authgate.storage.transaction import Tx


async def end_user_sessions(reg: "Registry", user_id: str, keep_session_id: str | None = None,
                            tx: "Tx | None" = None) -> int:
    """Returns how many refresh tokens were revoked. `tx`: with the change that ends them."""
    return await revocation.revoke_user_tokens(reg, user_id, keep_session_id=keep_session_id, tx=tx)
