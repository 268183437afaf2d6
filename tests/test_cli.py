"""`flask caseflow create-user`, run in-process on the test database.

Guards: it creates an active user with the role and areas given (by district code or area
id) whose password works; it refuses, with a clear English message and exit status 1, a
username that is taken, a password that is too short, an unknown area, and an in-charge or
supervisor without an area, and then writes nothing at all.
"""
import pytest
import sqlalchemy as sa

from caseflow.auth.models import Role, User
from caseflow.auth.services import check_password
from caseflow.extensions import db
from tests.test_demo import row_counts

GOOD_PASSWORD = "a-long-enough-password"


def create_user(app, *args: str):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["caseflow", "create-user", *args])


def test_creates_an_active_user_with_the_role_and_areas_given(app, world):
    with app.app_context():
        result = create_user(app, "--username", "Meena", "--name", " Meena Patel ", "--role", "incharge",
                             "--area", "SHR", "--area", str(world.other_district.id), "--password", GOOD_PASSWORD)
        assert result.exit_code == 0, result.output + repr(result.exception)
        assert "created user meena (incharge)" in result.output
        user = db.session.scalars(sa.select(User).where(User.username == "meena")).one()
        assert (user.display_name, user.role, user.active) == ("Meena Patel", Role.INCHARGE, True)
        assert {a.id for a in user.areas} == {world.district.id, world.other_district.id}
        assert check_password(user, GOOD_PASSWORD)
        assert not check_password(user, "another-long-password")


def test_creates_an_administrator_without_areas(app, world):
    with app.app_context():
        result = create_user(app, "--username", "root2", "--name", "Second Admin", "--role", "admin",
                             "--password", GOOD_PASSWORD)
        assert result.exit_code == 0, result.output
        user = db.session.scalars(sa.select(User).where(User.username == "root2")).one()
        assert (user.role, user.areas) == (Role.ADMIN, [])


@pytest.mark.parametrize(("args", "message"), [
    (("--username", "Admin", "--role", "admin", "--password", GOOD_PASSWORD), "That username is taken."),
    (("--username", "meena", "--role", "admin", "--password", "short"), "A password needs at least 10 characters."),
    (("--username", "meena", "--role", "incharge", "--area", "NOPE", "--password", GOOD_PASSWORD), "no area 'NOPE'"),
    (("--username", "meena", "--role", "incharge", "--area", "99999", "--password", GOOD_PASSWORD), "no area '99999'"),
    (("--username", "meena", "--role", "supervisor", "--password", GOOD_PASSWORD),
     "a supervisor needs at least one --area"),
])
def test_refuses_with_a_clear_message_and_writes_nothing(app, world, args, message):
    with app.app_context():
        before = row_counts()
        result = create_user(app, "--name", "Meena Patel", *args)
        assert result.exit_code == 1, result.output
        assert f"Error: {message}" in result.output
        assert row_counts() == before


def test_bad_options_exit_2(app, world):
    with app.app_context():
        result = create_user(app, "--username", "meena", "--name", "Meena", "--role", "clerk", "--password", GOOD_PASSWORD)
        assert result.exit_code == 2
        assert db.session.scalar(sa.select(User.id).where(User.username == "meena")) is None
