"""Engine conformance: every operation Prisma Client Python 0.15 can build, run
through the real client and the offline engine (scripts/engine) on each
database, checked on the values that come back.

The models are Author and Note of tests/schemas/*.prisma (Session for the
product's own column types). Most tests start from ``seed``: three authors
(carol has no notes) and four notes whose values differ in every column.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import Database

T0 = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
IST = timezone(timedelta(hours=5, minutes=30))
DAY = timedelta(days=1)
BIG = 2**62 + 1
ONE_MB = 1024 * 1024


@dataclass
class Seed:
    """Ids of the seeded rows, and the label of each note id."""

    authors: dict[str, int]
    notes: dict[str, int]

    def labels(self, notes: list[Any]) -> list[str]:
        by_id = {note_id: label for label, note_id in self.notes.items()}
        return [by_id[note.id] for note in notes]


NOTES: dict[str, dict[str, Any]] = {
    # label: (author, fields); no two notes share views, createdAt or body
    "n1": {"author": "ada", "title": "alpha", "views": 1, "rating": 4.5, "published": True,
           "big": BIG, "createdAt": T0},
    "n2": {"author": "ada", "title": "beta", "views": 2, "rating": None, "published": False,
           "big": None, "createdAt": T0 + DAY},
    "n3": {"author": "bob", "title": "gamma", "views": 3, "rating": 1.5, "published": True,
           "big": -BIG, "createdAt": T0 + 2 * DAY},
    "n4": {"author": "bob", "title": "alpha", "views": 4, "rating": None, "published": False,
           "big": 7, "createdAt": T0 + 3 * DAY},
}  # fmt: skip


async def create_author(prisma: Any, name: str, **fields: Any) -> Any:
    return await prisma.author.create(data={"email": f"{name}@example.com", "name": name, **fields})


async def create_note(prisma: Any, author_id: int, **fields: Any) -> Any:
    data = {"title": "t", "body": "b", "authorId": author_id, **fields}
    return await prisma.note.create(data=data)


@pytest.fixture
async def seed(prisma: Any) -> Seed:
    authors = {
        "ada": (await create_author(prisma, "ada", bio="math")).id,
        "bob": (await create_author(prisma, "bob")).id,
        "carol": (await create_author(prisma, "carol")).id,
    }
    notes = {}
    for label, fields in NOTES.items():
        values = {key: value for key, value in fields.items() if key != "author"}
        note = await create_note(prisma, authors[fields["author"]], body=label, **values)
        notes[label] = note.id
    return Seed(authors, notes)


def quote(database: Database, identifier: str) -> str:
    """An identifier quoted for the database's SQL dialect."""
    return f"`{identifier}`" if database.name == "mysql" else f'"{identifier}"'


def placeholder(database: Database, position: int) -> str:
    """The raw-query parameter placeholder at ``position`` (1-based)."""
    return f"${position}" if database.name == "postgresql" else "?"


# -- find_unique / find_first ---------------------------------------------------------


async def test_find_unique_returns_the_record(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.find_unique(where={"id": seed.notes["n1"]})
    assert (note.title, note.views, note.rating, note.published, note.big) == (
        "alpha", 1, 4.5, True, BIG
    )  # fmt: skip
    assert note.createdAt == T0
    assert note.authorId == seed.authors["ada"]


async def test_find_unique_by_a_unique_field(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.find_unique(where={"email": "bob@example.com"})
    assert author.id == seed.authors["bob"]


async def test_find_unique_miss_is_none(prisma: Any) -> None:
    assert await prisma.note.find_unique(where={"id": 123456}) is None


async def test_find_unique_or_raise_returns_the_record(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.find_unique_or_raise(where={"id": seed.notes["n2"]})
    assert note.title == "beta"


async def test_find_unique_or_raise_miss_raises(prisma: Any, database: Database) -> None:
    with pytest.raises(database.module.errors.RecordNotFoundError):
        await prisma.note.find_unique_or_raise(where={"id": 123456})


async def test_find_first_applies_where_and_order(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.find_first(where={"title": "alpha"}, order={"views": "desc"})
    assert note.id == seed.notes["n4"]


async def test_find_first_miss_is_none(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.find_first(where={"title": "nope"}) is None


async def test_find_first_skip_and_cursor(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.find_first(
        cursor={"id": seed.notes["n2"]}, skip=1, order={"views": "asc"}
    )
    assert note.id == seed.notes["n3"]


async def test_find_first_or_raise_returns_the_record(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.find_first_or_raise(where={"views": {"gt": 3}})
    assert note.id == seed.notes["n4"]


async def test_find_first_or_raise_miss_raises(prisma: Any, seed: Seed, database: Database) -> None:
    with pytest.raises(database.module.errors.RecordNotFoundError):
        await prisma.note.find_first_or_raise(where={"views": {"gt": 100}})


# -- find_many: where ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({}, ["n1", "n2", "n3", "n4"]),
        ({"title": "alpha"}, ["n1", "n4"]),
        ({"title": {"equals": "beta"}}, ["n2"]),
        ({"title": {"not": "alpha"}}, ["n2", "n3"]),
        ({"title": {"in": ["beta", "gamma"]}}, ["n2", "n3"]),
        ({"title": {"not_in": ["beta", "gamma"]}}, ["n1", "n4"]),
        ({"title": {"in": []}}, []),
        ({"title": {"contains": "amm"}}, ["n3"]),
        ({"title": {"startswith": "al"}}, ["n1", "n4"]),
        ({"title": {"endswith": "ta"}}, ["n2"]),
        ({"views": {"gt": 2}}, ["n3", "n4"]),
        ({"views": {"gte": 2, "lt": 4}}, ["n2", "n3"]),
        ({"createdAt": {"gt": T0}}, ["n2", "n3", "n4"]),
        ({"createdAt": {"lt": T0 + 2 * DAY}}, ["n1", "n2"]),
        ({"createdAt": {"gte": T0 + DAY, "lte": T0 + 2 * DAY}}, ["n2", "n3"]),
        ({"createdAt": T0 + 3 * DAY}, ["n4"]),
        ({"rating": None}, ["n2", "n4"]),
        ({"rating": {"not": None}}, ["n1", "n3"]),
        ({"rating": {"gt": 2.0}}, ["n1"]),
        ({"published": True}, ["n1", "n3"]),
        ({"big": BIG}, ["n1"]),
        ({"big": {"lt": -(2**53)}}, ["n3"]),
        ({"big": {"in": [BIG, 7]}}, ["n1", "n4"]),
        ({"AND": [{"title": "alpha"}, {"views": {"gt": 1}}]}, ["n4"]),
        ({"OR": [{"title": "beta"}, {"views": 3}]}, ["n2", "n3"]),
        ({"NOT": {"title": "alpha"}}, ["n2", "n3"]),
        ({"NOT": [{"title": "alpha"}, {"views": 2}]}, ["n3"]),
        (
            {"OR": [{"AND": [{"published": True}, {"views": {"gt": 1}}]}, {"big": None}]},
            ["n2", "n3"],
        ),
        ({"author": {"is": {"name": "bob"}}}, ["n3", "n4"]),
        ({"author": {"is_not": {"name": "bob"}}}, ["n1", "n2"]),
        ({"author": {"bio": "math"}}, ["n1", "n2"]),
    ],
)  # fmt: skip
async def test_find_many_where(
    prisma: Any, seed: Seed, where: dict[str, Any], expected: list[str]
) -> None:
    notes = await prisma.note.find_many(where=where, order={"id": "asc"})
    assert seed.labels(notes) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"notes": {"some": {"views": {"gt": 3}}}}, ["bob"]),
        ({"notes": {"every": {"views": {"lte": 2}}}}, ["ada", "carol"]),
        ({"notes": {"none": {"published": True}}}, ["carol"]),
        ({"notes": {"some": {}}}, ["ada", "bob"]),
    ],
)
async def test_find_many_where_to_many_relation(
    prisma: Any, seed: Seed, where: dict[str, Any], expected: list[str]
) -> None:
    authors = await prisma.author.find_many(where=where, order={"name": "asc"})
    assert [author.name for author in authors] == expected


# -- find_many: order, take, skip, cursor, distinct --------------------------------------


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"views": "asc"}, ["n1", "n2", "n3", "n4"]),
        ({"views": "desc"}, ["n4", "n3", "n2", "n1"]),
        ({"createdAt": "desc"}, ["n4", "n3", "n2", "n1"]),
        ([{"title": "asc"}, {"views": "desc"}], ["n4", "n1", "n2", "n3"]),
        ([{"published": "desc"}, {"createdAt": "asc"}], ["n1", "n3", "n2", "n4"]),
    ],
)
async def test_find_many_order(prisma: Any, seed: Seed, order: Any, expected: list[str]) -> None:
    assert seed.labels(await prisma.note.find_many(order=order)) == expected


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"take": 2}, ["n1", "n2"]),
        ({"skip": 3}, ["n4"]),
        ({"take": 2, "skip": 1}, ["n2", "n3"]),
        ({"take": 0}, []),
        ({"skip": 10}, []),
    ],
)
async def test_find_many_take_and_skip(
    prisma: Any, seed: Seed, arguments: dict[str, int], expected: list[str]
) -> None:
    notes = await prisma.note.find_many(order={"views": "asc"}, **arguments)
    assert seed.labels(notes) == expected


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, ["n2", "n3", "n4"]),
        ({"skip": 1}, ["n3", "n4"]),
        ({"take": 2}, ["n2", "n3"]),
        ({"take": -2}, ["n1", "n2"]),
    ],
)
async def test_find_many_cursor(
    prisma: Any, seed: Seed, arguments: dict[str, int], expected: list[str]
) -> None:
    notes = await prisma.note.find_many(
        cursor={"id": seed.notes["n2"]}, order={"views": "asc"}, **arguments
    )
    assert seed.labels(notes) == expected


async def test_find_many_distinct_keeps_the_first_of_each_value(prisma: Any, seed: Seed) -> None:
    notes = await prisma.note.find_many(distinct=["title"], order={"views": "desc"})
    assert seed.labels(notes) == ["n4", "n3", "n2"]


async def test_find_many_distinct_on_two_fields(prisma: Any, seed: Seed) -> None:
    notes = await prisma.note.find_many(distinct=["title", "authorId"], order={"id": "asc"})
    assert seed.labels(notes) == ["n1", "n2", "n3", "n4"]


# -- include ------------------------------------------------------------------------------


async def test_include_to_many_true(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.find_unique(
        where={"id": seed.authors["ada"]}, include={"notes": True}
    )
    assert sorted(seed.labels(author.notes)) == ["n1", "n2"]
    assert {note.big for note in author.notes} == {BIG, None}


async def test_include_to_one_true(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.find_unique(where={"id": seed.notes["n3"]}, include={"author": True})
    assert (note.author.name, note.author.bio) == ("bob", None)


async def test_include_of_an_empty_relation_is_an_empty_list(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.find_unique(
        where={"id": seed.authors["carol"]}, include={"notes": True}
    )
    assert author.notes == []


async def test_include_false_leaves_the_relation_out(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.find_unique(
        where={"id": seed.authors["ada"]}, include={"notes": False}
    )
    assert author.notes is None


async def test_include_with_where_order_and_take(prisma: Any, seed: Seed) -> None:
    authors = await prisma.author.find_many(
        order={"name": "asc"},
        include={"notes": {"where": {"title": "alpha"}, "order_by": {"views": "desc"}, "take": 1}},
    )
    assert [seed.labels(author.notes) for author in authors] == [["n1"], ["n4"], []]


async def test_include_with_skip_and_cursor(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.find_unique(
        where={"id": seed.authors["bob"]},
        include={"notes": {"cursor": {"id": seed.notes["n3"]}, "skip": 1}},
    )
    assert seed.labels(author.notes) == ["n4"]


async def test_include_nested_include(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.find_unique(
        where={"id": seed.authors["bob"]},
        include={"notes": {"order_by": {"id": "asc"}, "include": {"author": True}}},
    )
    assert [note.author.name for note in author.notes] == ["bob", "bob"]


# -- create ---------------------------------------------------------------------------


async def test_create_returns_defaults(prisma: Any) -> None:
    author = await create_author(prisma, "dora")
    note = await create_note(prisma, author.id)
    assert (note.views, note.rating, note.published, note.big) == (0, None, False, None)
    assert note.createdAt.tzinfo == timezone.utc
    assert abs(note.createdAt - datetime.now(timezone.utc)) < timedelta(minutes=5)


async def test_create_with_nested_create_of_a_to_many_relation(prisma: Any) -> None:
    author = await prisma.author.create(
        data={
            "email": "eve@example.com",
            "name": "eve",
            "notes": {"create": [{"title": "one", "body": "1"}, {"title": "two", "body": "2"}]},
        },
        include={"notes": {"order_by": {"title": "asc"}}},
    )
    assert [(note.title, note.authorId) for note in author.notes] == [
        ("one", author.id),
        ("two", author.id),
    ]


async def test_create_with_nested_create_of_a_to_one_relation(prisma: Any) -> None:
    note = await prisma.note.create(
        data={
            "title": "t",
            "body": "b",
            "author": {"create": {"email": "fay@example.com", "name": "fay"}},
        },
        include={"author": True},
    )
    assert note.author.email == "fay@example.com"
    assert note.authorId == note.author.id


async def test_create_connecting_a_relation(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.create(
        data={"title": "t", "body": "b", "author": {"connect": {"email": "carol@example.com"}}}
    )
    assert note.authorId == seed.authors["carol"]


async def test_create_duplicate_raises_unique_violation(prisma: Any, database: Database) -> None:
    await create_author(prisma, "gus")
    with pytest.raises(database.module.errors.UniqueViolationError):
        await create_author(prisma, "gus")


async def test_create_with_a_missing_foreign_key_raises(prisma: Any, database: Database) -> None:
    with pytest.raises(database.module.errors.ForeignKeyViolationError):
        await create_note(prisma, 123456)


# -- create_many ------------------------------------------------------------------------


async def test_create_many_returns_the_count(prisma: Any) -> None:
    author = await create_author(prisma, "hal")
    count = await prisma.note.create_many(
        data=[
            {"title": "a", "body": "1", "authorId": author.id, "big": BIG},
            {"title": "b", "body": "2", "authorId": author.id, "rating": 0.25},
        ]
    )
    assert count == 2
    notes = await prisma.note.find_many(order={"title": "asc"})
    assert [(note.title, note.big, note.rating) for note in notes] == [
        ("a", BIG, None),
        ("b", None, 0.25),
    ]


async def test_create_many_duplicate_raises_unique_violation(
    prisma: Any, database: Database
) -> None:
    rows = [{"email": "ivy@example.com", "name": "ivy"}] * 2
    with pytest.raises(database.module.errors.UniqueViolationError):
        await prisma.author.create_many(data=rows)
    assert await prisma.author.count() == 0


async def test_create_many_skip_duplicates(prisma: Any, database: Database) -> None:
    await create_author(prisma, "jan")
    rows = [
        {"email": "jan@example.com", "name": "other"},
        {"email": "kim@example.com", "name": "kim"},
    ]
    if database.name == "sqlite":
        with pytest.raises(database.module.errors.UnsupportedDatabaseError):
            await prisma.author.create_many(data=rows, skip_duplicates=True)
        return
    assert await prisma.author.create_many(data=rows, skip_duplicates=True) == 1
    authors = await prisma.author.find_many(order={"email": "asc"})
    assert [author.name for author in authors] == ["jan", "kim"]


# -- update / update_many / upsert -----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"increment": 5}, 6),
        ({"decrement": 3}, -2),
        ({"multiply": 7}, 7),
        ({"divide": 1}, 1),
        ({"set": 42}, 42),
        (42, 42),
    ],
)
async def test_update_int_operations(prisma: Any, seed: Seed, change: Any, expected: int) -> None:
    note = await prisma.note.update(where={"id": seed.notes["n1"]}, data={"views": change})
    assert note.views == expected


async def test_update_bigint_increment_beyond_2_53(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.update(
        where={"id": seed.notes["n1"]}, data={"big": {"increment": 2**53}}
    )
    assert note.big == BIG + 2**53


async def test_update_sets_nulls(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.update(
        where={"id": seed.notes["n1"]}, data={"rating": None, "big": None}
    )
    author = await prisma.author.update(where={"id": seed.authors["ada"]}, data={"bio": None})
    assert (note.rating, note.big, author.bio) == (None, None, None)
    stored = await prisma.note.find_unique(where={"id": seed.notes["n1"]})
    assert (stored.rating, stored.big, stored.title) == (None, None, "alpha")


async def test_update_returns_every_field(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.update(
        where={"id": seed.notes["n2"]},
        data={"title": "new", "published": True, "rating": 2.75, "createdAt": T0 - DAY},
    )
    assert (note.id, note.title, note.published, note.rating, note.views) == (
        seed.notes["n2"], "new", True, 2.75, 2
    )  # fmt: skip
    assert note.createdAt == T0 - DAY


async def test_update_with_nested_create(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.update(
        where={"id": seed.authors["carol"]},
        data={"notes": {"create": [{"title": "c", "body": "c"}]}},
        include={"notes": True},
    )
    assert [note.title for note in author.notes] == ["c"]


async def test_update_of_a_missing_record_is_none(prisma: Any) -> None:
    assert await prisma.note.update(where={"id": 123456}, data={"title": "x"}) is None


async def test_update_to_a_duplicate_raises_unique_violation(
    prisma: Any, seed: Seed, database: Database
) -> None:
    with pytest.raises(database.module.errors.UniqueViolationError):
        await prisma.author.update(
            where={"id": seed.authors["ada"]}, data={"email": "bob@example.com"}
        )


async def test_update_many_returns_the_count(prisma: Any, seed: Seed) -> None:
    count = await prisma.note.update_many(
        where={"title": "alpha"}, data={"views": {"increment": 10}, "published": True}
    )
    assert count == 2
    notes = await prisma.note.find_many(order={"id": "asc"})
    assert [(note.views, note.published) for note in notes] == [
        (11, True), (2, False), (3, True), (14, True)
    ]  # fmt: skip


async def test_update_many_without_a_match_is_zero(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.update_many(where={"title": "nope"}, data={"views": 0}) == 0


async def test_upsert_creates_when_missing(prisma: Any) -> None:
    author = await prisma.author.upsert(
        where={"email": "lea@example.com"},
        data={
            "create": {"email": "lea@example.com", "name": "created"},
            "update": {"name": "updated"},
        },
    )
    assert author.name == "created"
    assert await prisma.author.count() == 1


async def test_upsert_updates_when_present(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.upsert(
        where={"email": "ada@example.com"},
        data={
            "create": {"email": "ada@example.com", "name": "created"},
            "update": {"name": "updated", "bio": None},
        },
    )
    assert (author.id, author.name, author.bio) == (seed.authors["ada"], "updated", None)
    assert await prisma.author.count() == 3


async def test_upsert_with_include(prisma: Any, seed: Seed) -> None:
    author = await prisma.author.upsert(
        where={"email": "bob@example.com"},
        data={"create": {"email": "bob@example.com", "name": "b"}, "update": {}},
        include={"notes": {"order_by": {"id": "asc"}}},
    )
    assert seed.labels(author.notes) == ["n3", "n4"]


# -- delete / delete_many ---------------------------------------------------------------


async def test_delete_returns_the_deleted_record(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.delete(where={"id": seed.notes["n3"]})
    assert (note.id, note.title, note.big, note.createdAt) == (
        seed.notes["n3"], "gamma", -BIG, T0 + 2 * DAY
    )  # fmt: skip
    assert await prisma.note.find_unique(where={"id": seed.notes["n3"]}) is None


async def test_delete_with_include_returns_the_relation(prisma: Any, seed: Seed) -> None:
    note = await prisma.note.delete(where={"id": seed.notes["n3"]}, include={"author": True})
    assert note.author.name == "bob"


async def test_delete_of_a_missing_record_is_none(prisma: Any) -> None:
    assert await prisma.note.delete(where={"id": 123456}) is None


async def test_delete_cascades_to_the_relation(prisma: Any, seed: Seed) -> None:
    await prisma.author.delete(where={"id": seed.authors["ada"]})
    assert seed.labels(await prisma.note.find_many(order={"id": "asc"})) == ["n3", "n4"]


async def test_delete_many_with_where_returns_the_count(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.delete_many(where={"createdAt": {"lt": T0 + 2 * DAY}}) == 2
    assert seed.labels(await prisma.note.find_many(order={"id": "asc"})) == ["n3", "n4"]


async def test_delete_many_without_where_deletes_everything(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.delete_many() == 4
    assert await prisma.note.count() == 0


# -- count ------------------------------------------------------------------------------


async def test_count_plain(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.count() == 4


async def test_count_of_an_empty_table_is_zero(prisma: Any) -> None:
    assert await prisma.note.count() == 0


async def test_count_with_where(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.count(where={"OR": [{"published": True}, {"big": None}]}) == 3


async def test_count_with_take_and_skip(prisma: Any, seed: Seed) -> None:
    assert await prisma.note.count(take=3, skip=2) == 2


async def test_count_with_select_counts_non_null_values(prisma: Any, seed: Seed) -> None:
    counts = await prisma.note.count(select={"_all": True, "rating": True, "big": True})
    assert counts == {"_all": 4, "rating": 2, "big": 3}


# -- group_by ---------------------------------------------------------------------------


async def test_group_by_one_field_with_count(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(["title"], count=True, order={"title": "asc"})
    assert groups == [
        {"title": "alpha", "_count": {"_all": 2}},
        {"title": "beta", "_count": {"_all": 1}},
        {"title": "gamma", "_count": {"_all": 1}},
    ]


async def test_group_by_two_fields(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(
        ["authorId", "published"],
        count={"rating": True},
        order=[{"authorId": "asc"}, {"published": "asc"}],
    )
    ada, bob = seed.authors["ada"], seed.authors["bob"]
    assert groups == [
        {"authorId": ada, "published": False, "_count": {"rating": 0}},
        {"authorId": ada, "published": True, "_count": {"rating": 1}},
        {"authorId": bob, "published": False, "_count": {"rating": 0}},
        {"authorId": bob, "published": True, "_count": {"rating": 1}},
    ]


async def test_group_by_aggregates(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(
        ["title"],
        sum={"views": True},
        avg={"views": True, "rating": True},
        min={"views": True, "rating": True},
        max={"views": True, "title": True},
        order={"title": "asc"},
    )
    alpha = groups[0]
    assert alpha["title"] == "alpha"
    assert alpha["_sum"] == {"views": 5}
    assert alpha["_avg"] == {"views": 2.5, "rating": 4.5}
    assert alpha["_min"] == {"views": 1, "rating": 4.5}
    assert alpha["_max"] == {"views": 4, "title": "alpha"}


async def test_group_by_aggregate_of_only_nulls_is_none(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(["title"], avg={"rating": True}, order={"title": "asc"})
    assert [group["_avg"]["rating"] for group in groups] == [4.5, None, 1.5]


async def test_group_by_having(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(
        ["authorId"], having={"views": {"_sum": {"gt": 3}}}, sum={"views": True}
    )
    assert groups == [{"authorId": seed.authors["bob"], "_sum": {"views": 7}}]


async def test_group_by_where_order_desc_take_and_skip(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(
        ["title"],
        where={"views": {"gt": 1}},
        order={"title": "desc"},
        take=2,
        skip=1,
    )
    assert groups == [{"title": "beta"}, {"title": "alpha"}]


async def test_group_by_order_by_aggregate(prisma: Any, seed: Seed) -> None:
    groups = await prisma.note.group_by(
        ["authorId"], sum={"views": True}, order={"_sum": {"views": "desc"}}
    )
    assert [group["_sum"]["views"] for group in groups] == [7, 3]


# -- raw queries ------------------------------------------------------------------------


async def test_query_raw_with_parameters(prisma: Any, seed: Seed, database: Database) -> None:
    note, title, views, big = (quote(database, name) for name in ("Note", "title", "views", "big"))
    rows = await prisma.query_raw(
        f"SELECT {title}, {views}, {big} FROM {note} "
        f"WHERE {title} = {placeholder(database, 1)} AND {views} > {placeholder(database, 2)} "
        f"ORDER BY {views}",
        "alpha",
        0,
    )
    assert rows == [
        {"title": "alpha", "views": 1, "big": BIG},
        {"title": "alpha", "views": 4, "big": 7},
    ]


async def test_query_raw_into_a_model(prisma: Any, seed: Seed, database: Database) -> None:
    model = database.module.models.Note
    notes = await prisma.query_raw(
        f"SELECT * FROM {quote(database, 'Note')} WHERE {quote(database, 'id')} = "
        f"{placeholder(database, 1)}",
        seed.notes["n3"],
        model=model,
    )
    assert [(note.title, note.big, note.rating, note.published) for note in notes] == [
        ("gamma", -BIG, 1.5, True)
    ]
    assert notes[0].createdAt == T0 + 2 * DAY


async def test_query_raw_without_rows_is_empty(prisma: Any, database: Database) -> None:
    assert await prisma.query_raw(f"SELECT * FROM {quote(database, 'Note')}") == []


async def test_query_first_returns_the_first_row(
    prisma: Any, seed: Seed, database: Database
) -> None:
    note, views = quote(database, "Note"), quote(database, "views")
    row = await prisma.query_first(f"SELECT {views} FROM {note} ORDER BY {views} DESC")
    assert row == {"views": 4}


async def test_query_first_without_rows_is_none(prisma: Any, database: Database) -> None:
    assert await prisma.query_first(f"SELECT * FROM {quote(database, 'Note')}") is None


async def test_execute_raw_returns_the_affected_rows(
    prisma: Any, seed: Seed, database: Database
) -> None:
    note, views, title = (quote(database, name) for name in ("Note", "views", "title"))
    count = await prisma.execute_raw(
        f"UPDATE {note} SET {views} = {views} + 100 WHERE {title} = {placeholder(database, 1)}",
        "alpha",
    )
    assert count == 2
    notes = await prisma.note.find_many(order={"id": "asc"})
    assert [note.views for note in notes] == [101, 2, 3, 104]


async def test_raw_query_error_raises_raw_query_error(prisma: Any, database: Database) -> None:
    with pytest.raises(database.module.errors.RawQueryError):
        await prisma.query_raw("SELECT * FROM no_such_table")


# -- batch_ and tx ------------------------------------------------------------------------


async def test_batch_commits_every_query(prisma: Any) -> None:
    author = await create_author(prisma, "max")
    async with prisma.batch_() as batcher:
        batcher.note.create(data={"title": "a", "body": "a", "authorId": author.id})
        batcher.note.create(data={"title": "b", "body": "b", "authorId": author.id, "big": BIG})
        batcher.author.update(where={"id": author.id}, data={"bio": "batched"})
        batcher.note.update_many(where={"title": "a"}, data={"views": 3})
    notes = await prisma.note.find_many(order={"title": "asc"})
    assert [(note.title, note.views, note.big) for note in notes] == [
        ("a", 3, None), ("b", 0, BIG)
    ]  # fmt: skip
    assert (await prisma.author.find_unique(where={"id": author.id})).bio == "batched"


async def test_failing_batch_commits_nothing(prisma: Any, database: Database) -> None:
    async def create_twice() -> None:
        async with prisma.batch_() as batcher:
            batcher.author.create(data={"email": "ned@example.com", "name": "ned"})
            batcher.author.create(data={"email": "ned@example.com", "name": "again"})

    with pytest.raises(database.module.errors.UniqueViolationError):
        await create_twice()
    assert await prisma.author.count() == 0


async def test_batch_execute_raw(prisma: Any, seed: Seed, database: Database) -> None:
    note, views = quote(database, "Note"), quote(database, "views")
    async with prisma.batch_() as batcher:
        batcher.execute_raw(f"UPDATE {note} SET {views} = {placeholder(database, 1)}", 9)
        batcher.note.delete_many(where={"title": "alpha"})
    notes = await prisma.note.find_many()
    assert sorted(note.views for note in notes) == [9, 9]


async def test_tx_commits(prisma: Any) -> None:
    async with prisma.tx() as tx:
        author = await create_author(tx, "oli")
        await create_note(tx, author.id, big=BIG)
    note = await prisma.note.find_first(where={"authorId": author.id})
    assert note.big == BIG


async def test_tx_rolls_back_when_the_block_raises(prisma: Any) -> None:
    class AbortError(Exception):
        pass

    async def write_then_abort() -> None:
        async with prisma.tx() as tx:
            await create_author(tx, "pam")
            assert await tx.author.count() == 1
            raise AbortError

    with pytest.raises(AbortError):
        await write_then_abort()
    assert await prisma.author.count() == 0


async def test_tx_write_is_invisible_outside_before_commit(prisma: Any, database: Database) -> None:
    if database.name == "sqlite":
        # @prisma/adapter-libsql holds its lock for a whole transaction: a
        # query outside it waits for the commit (and then sees the row).
        async with prisma.tx() as tx:
            author = await create_author(tx, "quin")
            outside = asyncio.create_task(prisma.author.find_unique(where={"id": author.id}))
            await asyncio.sleep(0.1)
            assert not outside.done()
        assert await outside is not None
        return
    async with prisma.tx() as tx:
        author = await create_author(tx, "quin")
        assert await tx.author.find_unique(where={"id": author.id}) is not None
        assert await prisma.author.find_unique(where={"id": author.id}) is None
    assert await prisma.author.find_unique(where={"id": author.id}) is not None


async def test_tx_reads_and_raw_queries_use_the_transaction(
    prisma: Any, database: Database
) -> None:
    async with prisma.tx() as tx:
        await create_author(tx, "rue")
        row = await tx.query_first(f"SELECT COUNT(*) AS n FROM {quote(database, 'Author')}")
        assert int(row["n"]) == 1


async def test_tx_error_inside_rolls_back_earlier_writes(prisma: Any, database: Database) -> None:
    async def create_twice() -> None:
        async with prisma.tx() as tx:
            await create_author(tx, "sam")
            await create_author(tx, "sam")

    with pytest.raises(database.module.errors.UniqueViolationError):
        await create_twice()
    assert await prisma.author.count() == 0


# -- values ------------------------------------------------------------------------------

UNICODE_STRINGS = [
    "café crème déjà vu",
    "日本語のテキスト",
    "emoji 😀👍🏽 family 👨‍👩‍👧",
    "double \" and single ' quotes",
    "back\\slash \\\\ and \\n literally, \\u0041",
    "line one\nline two\r\nthree\ttabbed",
    "control \x01 \x1f \x7f",
    "braces {} [] () : , # $1 ? %s",
    "zero-width\u200bjoiner and \u2028 line separator",
    "",
]


@pytest.mark.parametrize("text", UNICODE_STRINGS)
async def test_string_round_trip(prisma: Any, text: str) -> None:
    author = await create_author(prisma, "uma", bio=text)
    note = await create_note(prisma, author.id, title=text, body=text)
    stored = await prisma.note.find_unique(where={"id": note.id}, include={"author": True})
    assert (note.title, stored.title, stored.body, stored.author.bio) == (text, text, text, text)


@pytest.mark.parametrize("text", UNICODE_STRINGS)
async def test_string_as_filter_value(prisma: Any, text: str) -> None:
    author = await create_author(prisma, "val")
    note = await create_note(prisma, author.id, title=text)
    await create_note(prisma, author.id, title=f"{text}!")
    found = await prisma.note.find_many(where={"title": text})
    assert [row.id for row in found] == [note.id]


@pytest.mark.parametrize("text", UNICODE_STRINGS)
async def test_string_as_raw_parameter(prisma: Any, database: Database, text: str) -> None:
    row = await prisma.query_first(f"SELECT {placeholder(database, 1)} AS value", text)
    assert row == {"value": text}


async def test_one_megabyte_note_body(prisma: Any) -> None:
    body = ("0123456789abcdé€😀\n" * ONE_MB)[:ONE_MB]
    author = await create_author(prisma, "wes")
    note = await create_note(prisma, author.id, body=body)
    assert note.body == body
    assert (await prisma.note.find_unique(where={"id": note.id})).body == body


async def test_one_megabyte_session_data(prisma: Any) -> None:
    data = '{"blob": "' + 'x\\"y' * (ONE_MB // 4) + '"}'
    await prisma.session.create(data={"id": "id", "sid": "sid", "data": data, "expiresAt": T0})
    session = await prisma.session.upsert(
        where={"sid": "sid"},
        data={"create": {"id": "id", "sid": "sid", "data": "", "expiresAt": T0},
              "update": {"data": data + " "}},
    )  # fmt: skip
    assert session.data == data + " "
    assert (await prisma.session.find_unique(where={"sid": "sid"})).data == data + " "


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (T0, T0),
        (datetime(2030, 1, 2, 8, 34, 5, 678000, tzinfo=IST), T0),
        (datetime(2030, 1, 1, 22, 4, 5, 678000, tzinfo=timezone(timedelta(hours=-5))), T0),
        (T0.replace(tzinfo=None), T0),
        (T0.replace(microsecond=678999), T0),
        (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(1970, 1, 1, tzinfo=timezone.utc)),
        (
            datetime(2000, 2, 29, 23, 59, 59, 999000, tzinfo=timezone.utc),
            datetime(2000, 2, 29, 23, 59, 59, 999000, tzinfo=timezone.utc),
        ),
    ],
)
async def test_datetime_round_trip(prisma: Any, given: datetime, expected: datetime) -> None:
    session = await prisma.session.create(
        data={"id": "id", "sid": "sid", "data": "{}", "expiresAt": given}
    )
    stored = await prisma.session.find_unique(where={"sid": "sid"})
    for value in (session.expiresAt, stored.expiresAt):
        assert value == expected
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)


async def test_datetime_filter_compares_instants_not_offsets(prisma: Any) -> None:
    await prisma.session.create(data={"id": "id", "sid": "sid", "data": "{}", "expiresAt": T0})
    just_before = (T0 - timedelta(milliseconds=1)).astimezone(timezone(timedelta(hours=9)))
    assert await prisma.session.count(where={"expiresAt": {"gt": just_before}}) == 1
    assert await prisma.session.count(where={"expiresAt": {"gt": T0}}) == 0
    assert await prisma.session.count(where={"expiresAt": T0.replace(tzinfo=None)}) == 1


async def test_nulls_round_trip(prisma: Any) -> None:
    author = await create_author(prisma, "xia", bio=None)
    note = await create_note(prisma, author.id, rating=None, big=None)
    stored = await prisma.note.find_unique(where={"id": note.id}, include={"author": True})
    assert (stored.rating, stored.big, stored.author.bio) == (None, None, None)


@pytest.mark.parametrize(
    "value",
    [0, 1, -1, 2**31, 2**53, 2**53 + 1, 2**62 + 1, -(2**62) - 1, 2**63 - 1, -(2**63)],
)
async def test_bigint_round_trip(prisma: Any, value: int) -> None:
    author = await create_author(prisma, "yan")
    note = await create_note(prisma, author.id, big=value)
    assert note.big == value
    assert (await prisma.note.find_first(where={"big": value})).id == note.id


async def test_bigint_in_raw_results_and_parameters(prisma: Any, database: Database) -> None:
    author = await create_author(prisma, "zed")
    await create_note(prisma, author.id, big=2**63 - 1)
    note, big = quote(database, "Note"), quote(database, "big")
    row = await prisma.query_first(
        f"SELECT {big} FROM {note} WHERE {big} = {placeholder(database, 1)}", 2**63 - 1
    )
    assert row == {"big": 2**63 - 1}


@pytest.mark.parametrize(
    "value", [0.0, -1.5, 0.1, 3.141592653589793, 1e300, -2.5e-300, 123456789.125, 2.0**60]
)
async def test_float_round_trip(prisma: Any, value: float) -> None:
    author = await create_author(prisma, "abe")
    note = await create_note(prisma, author.id, rating=value)
    assert note.rating == value
    assert (await prisma.note.find_first(where={"rating": value})).id == note.id


@pytest.mark.parametrize("value", [True, False])
async def test_boolean_round_trip(prisma: Any, value: bool) -> None:
    author = await create_author(prisma, "bea")
    note = await create_note(prisma, author.id, published=value)
    stored = await prisma.note.find_first(where={"published": value})
    assert (note.published, stored.published, stored.id) == (value, value, note.id)


async def test_int_boundaries_round_trip(prisma: Any) -> None:
    author = await create_author(prisma, "cal")
    low = await create_note(prisma, author.id, views=-(2**31))
    high = await create_note(prisma, author.id, views=2**31 - 1)
    assert (low.views, high.views) == (-(2**31), 2**31 - 1)


async def test_unique_violation_on_session_sid(prisma: Any, database: Database) -> None:
    await prisma.session.create(data={"id": "a", "sid": "same", "data": "{}", "expiresAt": T0})
    with pytest.raises(database.module.errors.UniqueViolationError):
        await prisma.session.create(data={"id": "b", "sid": "same", "data": "{}", "expiresAt": T0})
