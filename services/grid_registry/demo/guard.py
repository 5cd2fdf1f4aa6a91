"""Prod mode refuses a database that still holds the demo logins (their passwords are public).

Settings already refuse to seed demo data outside dev mode; this catches the database that
was seeded in dev or test mode and then put into production, where anyone who read the README
could log in as the county operator.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.demo.seed import PEOPLE
from services.grid_registry.people import repository as people

log = logging.getLogger(__name__)

DEMO_LOGINS = tuple(login for *_, login, _role in PEOPLE if login)

Document = dict[str, Any]


class DemoAccountsPresent(RuntimeError):
    """The registry's database holds demo logins, and the service runs in prod mode."""


async def demo_accounts(db: AsyncDatabase[Document]) -> list[str]:
    """Return the demo logins the database holds."""
    cursor = db[people.ACCOUNTS].find({"_id": {"$in": list(DEMO_LOGINS)}}, {"_id": 1})
    return sorted([str(doc["_id"]) async for doc in cursor])


async def refuse_demo_accounts(db: AsyncDatabase[Document]) -> None:
    """Log and raise DemoAccountsPresent if the database holds any demo login."""
    found = await demo_accounts(db)
    if found:
        message = (
            f"refusing to start in prod mode: database {db.name!r} holds the demo accounts "
            f"{', '.join(found)}, whose passwords are their usernames; delete them from the "
            f"'{people.ACCOUNTS}' collection (or run with XIAOAN_ENV=dev)"
        )
        log.critical(message)
        raise DemoAccountsPresent(message)
