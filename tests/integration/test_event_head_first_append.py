"""The first events ever, appended by many sessions at once on a fresh PostgreSQL database, all land in one chain."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from tests.pg_support import pg_url, require_postgres, scratch_database

from klean.adapters.db.models.events import EventHeadRow, EventRow
from klean.adapters.db.repositories.events import EventLog
from klean.domain.events import verify_chain


@pytest.mark.postgres
def test_concurrent_first_appends_on_a_fresh_database_all_succeed() -> None:
    require_postgres()
    with scratch_database("klean_first_event") as name:
        engine = create_engine(pg_url(name))
        EventRow.metadata.create_all(engine, tables=[EventRow.__table__, EventHeadRow.__table__])
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def first_event(n: int) -> None:
            try:
                with Session(engine) as session:
                    barrier.wait()
                    EventLog(session).append(type="test.first", actor=f"t{n}", subject_type="test", subject_id=str(n))
                    session.commit()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=first_event, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with Session(engine) as session:
            events = EventLog(session).range(1)
        assert [e.seq for e in events] == list(range(1, 9))
        assert verify_chain(events) == []
        engine.dispose()
