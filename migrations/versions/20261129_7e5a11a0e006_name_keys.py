"""recompute beneficiaries.name_key with caseflow's own Devanagari table

Revision ID: 7e5a11a0e006
Revises: 9a0e0e0e0005
Create Date: 2026-11-29 20:30:00

The key no longer comes from indic_transliteration. It is unchanged for most names, but differs
for names with ञ, ड़, ढ़, ॉ, ॅ, ज्ञ, ख़, ग़, a nasal sign before प फ ब भ म ह, a Latin "x" or a final
"y", and for names mixing both scripts; a stale key would hide the person from search and from
the duplicate check at registration.
"""
import sqlalchemy as sa
from alembic import op

revision = '7e5a11a0e006'
down_revision = '9a0e0e0e0005'
branch_labels = None
depends_on = None

_BATCH = 5000
_people = sa.table("beneficiaries", sa.column("id", sa.Integer), sa.column("name", sa.String),
                   sa.column("name_key", sa.String))


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # Each batch commits: the rows it changed are not held locked until the whole table is done.
        with op.get_context().autocommit_block():
            _recompute()
    else:
        _recompute()


def _recompute():
    # The current rules, on purpose: this revision exists to bring stored keys up to them.
    from caseflow.beneficiaries.names import name_key

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(_people.c.id, _people.c.name, _people.c.name_key)
                            .where(_people.c.id > last).order_by(_people.c.id).limit(_BATCH)).all()
        if not rows:
            return
        changed = [{"row_id": id_, "key": name_key(name)} for id_, name, key in rows if name_key(name) != key]
        if changed:
            conn.execute(_people.update().where(_people.c.id == sa.bindparam("row_id"))
                         .values(name_key=sa.bindparam("key")), changed)
        last = rows[-1].id


def downgrade():
    # The old keys came from a library caseflow no longer installs; the new ones serve as well.
    pass
