"""Locking a login, and a client address, after repeated wrong passwords.

Counted in the store every replica shares, so guessing against several replicas counts once.
A locked login answers 429 with `Retry-After`, even to the right password, until its oldest
failure leaves the window; a successful log-in clears its login's failures. The moment a
login is locked is written to the audit trail of the person it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.audit import repository as audit
from services.grid_registry.config import Settings
from services.grid_registry.people import repository as people
from shared.runtime import Runtime
from shared.throttle import Refusal, Throttle

LOCKED = Refusal(
    "login_locked",
    "登录失败次数过多，已暂时锁定，请在 {seconds} 秒后重试",
    "Too many failed log-ins; locked, retry in {seconds} s",
)


@dataclass(frozen=True)
class Lockouts:
    """Failures counted per login and per client address."""

    per_account: Throttle
    per_address: Throttle

    async def ensure_open(self, username: str, address: str) -> None:
        """Answer 429 if the login or the address is locked (nothing is counted)."""
        await self.per_account.ensure_open(username)
        await self.per_address.ensure_open(address)

    async def failed(self, db: AsyncDatabase[dict[str, Any]], username: str, address: str) -> None:
        """Count a wrong password; audit the login's lock when this failure sets it."""
        await self.per_address.count(address)
        if await self.per_account.count(username) and await self.per_account.is_open(username):
            return  # not locked (yet)
        account = await people.get_account(db, username)
        if account is not None:
            await audit.record(
                db,
                actor=None,
                action="login_locked",
                target_kind="person",
                target_id=account["person_id"],
                before=None,
                after={"username": username, "address": address},
            )

    async def succeeded(self, username: str) -> None:
        """Clear the login's failures (the address keeps its count)."""
        await self.per_account.forget(username)


async def get_lockouts(request: Request) -> Lockouts:
    """Return the lockouts of this app (built on first use from its settings)."""
    lockouts: Lockouts | None = getattr(request.app.state, "lockouts", None)
    if lockouts is None:
        settings: Settings = request.app.state.settings
        runtime: Runtime = request.app.state.runtime
        lockouts = Lockouts(
            per_account=Throttle(
                runtime.limiters.moving,
                "login-failures",
                settings.login_failures_per_account,
                LOCKED,
            ),
            per_address=Throttle(
                runtime.limiters.moving,
                "login-failures-from",
                settings.login_failures_per_address,
                LOCKED,
            ),
        )
        request.app.state.lockouts = lockouts
    return lockouts
