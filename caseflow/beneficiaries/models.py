"""The beneficiary record. Identity: the last 4 digits of Aadhaar only, by construction."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.areas.models import Area
from caseflow.beneficiaries.names import name_key, name_tokens
from caseflow.db import enum_type, utcnow
from caseflow.extensions import db
from caseflow.textguard import MACHINE, reference_info


class Gender(enum.Enum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Relation(enum.Enum):
    FATHER = "father"
    HUSBAND = "husband"
    MOTHER = "mother"
    GUARDIAN = "guardian"


class LawfulBasis(enum.Enum):
    WRITTEN_CONSENT = "written_consent"
    ORAL_CONSENT = "oral_consent"
    GUARDIAN_CONSENT = "guardian_consent"


class Beneficiary(db.Model):
    __tablename__ = "beneficiaries"
    __table_args__ = (
        # A database-level guarantee that no longer identity number can ever be stored.
        sa.CheckConstraint(
            "aadhaar_last4 IS NULL OR length(aadhaar_last4) = 4", name="aadhaar_last4_only"
        ),
        sa.CheckConstraint("mobile IS NULL OR length(mobile) = 10", name="mobile_10_digits"),
        sa.CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        sa.CheckConstraint("preferred_language IN ('hi', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Script-neutral search key ("राम" and "Ram" both give "ram"), see names.py.
    name_key: Mapped[str] = mapped_column(sa.String(160), index=True)
    relative_name: Mapped[str | None] = mapped_column(sa.String(120))
    relation: Mapped[Relation | None] = mapped_column(enum_type(Relation, "relation"))
    gender: Mapped[Gender] = mapped_column(enum_type(Gender, "gender"))
    birth_year: Mapped[int | None]
    # Stored as its 10 digits (identity.normalise_mobile), so search by any spelling is one index look-up.
    mobile: Mapped[str | None] = mapped_column(sa.String(10), index=True, info=reference_info(_l("Mobile number")))
    settlement_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    area_path: Mapped[str] = mapped_column(sa.String(64), index=True, info=MACHINE)
    address: Mapped[str | None] = mapped_column(sa.Text)
    preferred_language: Mapped[str] = mapped_column(sa.String(2), default="hi", info=MACHINE)
    aadhaar_last4: Mapped[str | None] = mapped_column(sa.String(4), index=True)
    ration_card_no: Mapped[str | None] = mapped_column(sa.String(30), info=reference_info(_l("Ration card number")))
    lawful_basis: Mapped[LawfulBasis] = mapped_column(enum_type(LawfulBasis, "lawful_basis"))
    consent_note: Mapped[str | None] = mapped_column(sa.Text)
    consent_recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    consent_recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    settlement: Mapped[Area] = relationship(lazy="joined")
    # Named, not imported: the cases domain is built on this one (its model refers to Beneficiary).
    cases: Mapped[list["Case"]] = relationship(  # noqa: F821
        back_populates="beneficiary", order_by="Case.id", viewonly=True)

    @property
    def masked_aadhaar(self) -> str | None:
        return f"XXXX XXXX {self.aadhaar_last4}" if self.aadhaar_last4 else None


class NameToken(db.Model):
    """One word of a beneficiary's name, as search reads it: its script-neutral key and its
    looser skeleton (names.name_tokens), with the person's place for scoping.

    Kept by the mapper events below on every insert and change of a beneficiary made through
    the ORM; bulk loaders (bench/generate.py, migration 5ea4c4b10012) write the same rows.
    The indexes give one word's people in id order (every state) or one area's range of them
    (a smaller scope), the search reading the index only.
    """

    __tablename__ = "beneficiary_name_tokens"
    __table_args__ = (
        # Every state: a word's people newest first, straight off the index.
        sa.Index("ix_beneficiary_name_tokens_key", "key", "beneficiary_id", "area_path"),
        sa.Index("ix_beneficiary_name_tokens_skeleton", "skeleton", "beneficiary_id", "area_path"),
        # A district or smaller: the word's people of that subtree are one range (then sorted:
        # a few hundred), not a walk through the whole state's (measured 11 ms -> 0.4 ms).
        sa.Index("ix_beneficiary_name_tokens_key_place", "key", "area_path", "beneficiary_id"),
        sa.Index("ix_beneficiary_name_tokens_skeleton_place", "skeleton", "area_path", "beneficiary_id"),
    )

    beneficiary_id: Mapped[int] = mapped_column(sa.ForeignKey("beneficiaries.id", ondelete="CASCADE"),
                                                primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(sa.String(60), info=MACHINE)
    skeleton: Mapped[str] = mapped_column(sa.String(60), info=MACHINE)
    area_path: Mapped[str] = mapped_column(sa.String(64), info=MACHINE)


def token_rows(beneficiary_id: int, name: str, area_path: str) -> list[dict]:
    """The beneficiary_name_tokens rows of one person."""
    return [{"beneficiary_id": beneficiary_id, "position": i, "key": key[:60], "skeleton": skel[:60],
             "area_path": area_path}
            for i, (key, skel) in enumerate(name_tokens(name))]


def _write_tokens(connection, person: Beneficiary, *, replace: bool) -> None:
    table = NameToken.__table__
    if replace:
        connection.execute(table.delete().where(table.c.beneficiary_id == person.id))
    rows = token_rows(person.id, person.name or "", person.area_path)
    if rows:
        connection.execute(table.insert(), rows)


@sa.event.listens_for(Beneficiary, "before_insert")
@sa.event.listens_for(Beneficiary, "before_update")
def _keep_name_key(_mapper, _connection, person: Beneficiary) -> None:
    # The duplicate check and search compare keys: a key from an older name would hide the person.
    person.name_key = name_key(person.name or "")


@sa.event.listens_for(Beneficiary, "after_insert")
def _tokens_on_insert(_mapper, connection, person: Beneficiary) -> None:
    _write_tokens(connection, person, replace=False)


@sa.event.listens_for(Beneficiary, "after_update")
def _tokens_on_update(_mapper, connection, person: Beneficiary) -> None:
    state = sa.inspect(person)
    if state.attrs.name.history.has_changes() or state.attrs.area_path.history.has_changes():
        _write_tokens(connection, person, replace=True)
