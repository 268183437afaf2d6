"""Change marks: a number per kind of rarely changed data that web workers cache ('areas': the
tree and its names; 'scopes': who works where, a user's role and active flag).

Triggers in the database (migration c0c0a7e50009) move a mark on every change of its data,
whoever makes it, to the current time in microseconds or one more than before, whichever is
more: a change rolled back and another made later never share a mark. A request reads the
marks once (`marks()`); a cache keeps an entry only while the marks it was built under stay.
"""
import sqlalchemy as sa
import sqlalchemy.orm
from flask import g, has_app_context
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.extensions import db


class ChangeMark(db.Model):
    __tablename__ = "change_marks"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger())


def marks() -> dict[str, int]:
    """The marks, read once per request (or app context). A mark without its row is missing
    here: callers cache nothing under it (`cacheable`)."""
    if "_change_marks" not in g:
        g._change_marks = dict(db.session.execute(sa.select(ChangeMark.name, ChangeMark.n)).all())
    return g._change_marks


def cacheable(*names: str) -> bool:
    """Whether these marks exist, so that what is built now can be kept under them."""
    current = marks()
    return all(current.get(name) is not None for name in names)


def forget() -> None:
    """Read the marks again on next use: for a request that changed what they mark."""
    g.pop("_change_marks", None)


def database_key() -> str:
    """Which database a cache entry came from (a process may serve more than one, as tests do)."""
    return db.engine.url.render_as_string()


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _forget_after_flush(session, flush_context) -> None:
    # A write may have moved a mark: what this context read before is no longer the truth.
    if has_app_context():
        forget()


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _forget_after_write(state) -> None:
    if not state.is_select and has_app_context():
        forget()
