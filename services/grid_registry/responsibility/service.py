"""Who answers for a grid or a risk point, and the escalation chain above them.

The chain runs from the place's own grid up to the root: zone → school → township → bureau.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.grid_registry.grids import repository as grids
from services.grid_registry.people import repository as people
from shared.events import ChainLink, PersonRef
from shared.vocabulary import GridLevel

Document = dict[str, Any]


@dataclass(frozen=True)
class Responsibility:
    """The answer for one place."""

    responsible: PersonRef | None
    chain: tuple[ChainLink, ...]
    school_name: str | None


def path_ids(path: str) -> list[str]:
    """Return the grid ids of a materialized path, root first."""
    return [part for part in path.split("/") if part]


async def links_up_from(db: AsyncDatabase[Document], grid: Document) -> list[ChainLink]:
    """Return one link per grid from `grid` up to its root, with each grid's head."""
    ids = list(reversed(path_ids(grid["path"])))
    found = await grids.get_many(db, ids)
    heads = [found[i].get("head_person_id") for i in ids if i in found]
    persons = await people.get_people(db, [h for h in heads if h])
    links = []
    for grid_id in ids:
        doc = found.get(grid_id)
        if doc is None:
            continue
        head = persons.get(doc.get("head_person_id") or "")
        links.append(
            ChainLink(
                grid_id=grid_id,
                grid_name=doc["name"],
                level=GridLevel(doc["level"]),
                person=PersonRef(person_id=head["_id"], name=head["name"]) if head else None,
            )
        )
    return links


def _school_name(links: list[ChainLink]) -> str | None:
    for link in links:
        if link.level == GridLevel.SCHOOL:
            return link.grid_name
    return None


async def for_grid(db: AsyncDatabase[Document], grid: Document) -> Responsibility:
    """Return who answers for a grid (its head) and the heads above it."""
    links = await links_up_from(db, grid)
    head = links[0].person if links else None
    return Responsibility(head, tuple(links[1:]), _school_name(links))


async def for_point(db: AsyncDatabase[Document], point: Document, grid: Document) -> Responsibility:
    """Return who answers for a risk point and the heads above them.

    The point's own responsible person comes first, else its grid's head; the chain then lists
    the heads from the point's grid upwards, leaving out whoever already answers.
    """
    links = await links_up_from(db, grid)
    school = _school_name(links)
    responsible = None
    if point.get("responsible_person_id"):
        person = await people.get_person(db, point["responsible_person_id"])
        if person:
            responsible = PersonRef(person_id=person["_id"], name=person["name"])
    if responsible is None and links:
        responsible = links[0].person
        links = links[1:]
    chain = tuple(link for link in links if responsible is None or link.person != responsible)
    return Responsibility(responsible, chain, school)
