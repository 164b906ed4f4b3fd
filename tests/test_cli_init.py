"""`flask init --admin EMAIL`: a new installation's database and its first admin."""

from sqlalchemy import func, inspect, select

from tracker import config, create_app
from tracker.extensions import db
from tracker.models import AuditEvent, User
from tracker.services import users

PASSWORD = "the first admin's password"


def test_init_makes_the_first_admin_and_refuses_a_second(runner, app):
    result = runner.invoke(
        args=["init", "--admin", "Admin@Kommune.no"], env={"TRACKER_PASSWORD": PASSWORD}
    )
    assert result.exit_code == 0, result.output
    assert "/kommuner" in result.output
    admin = users.authenticate("admin@kommune.no", PASSWORD)
    assert admin is not None
    assert admin.global_role == "admin"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "user")) == "init"
    db.session.remove()  # let go of SQLite's lock before the next command migrates
    again = runner.invoke(
        args=["init", "--admin", "other@kommune.no"], env={"TRACKER_PASSWORD": PASSWORD}
    )
    assert again.exit_code == 2
    assert "admin exists already" in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_init_asks_for_the_password_and_refuses_a_short_one(runner, app):
    short = runner.invoke(args=["init", "--admin", "a@kommune.no"], input="short\nshort\n")
    assert short.exit_code == 2
    assert "minst 10 tegn" in short.output
    result = runner.invoke(
        args=["init", "--admin", "a@kommune.no"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert users.authenticate("a@kommune.no", PASSWORD) is not None


def test_init_migrates_an_empty_database_first(tmp_path):
    fresh = create_app(config.TestConfig(f"sqlite:///{tmp_path / 'new.db'}"))
    with fresh.app_context():  # the tests' own app is current otherwise
        result = fresh.test_cli_runner().invoke(
            args=["init", "--admin", "admin@kommune.no"], env={"TRACKER_PASSWORD": PASSWORD}
        )
        assert result.exit_code == 0, result.output
        assert "password_reset" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(User.global_role)) == "admin"
        db.session.remove()
        db.engine.dispose()
