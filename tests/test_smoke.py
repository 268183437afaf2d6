def test_incharge_sees_queue(world, auth, client, app):
    from tests.conftest import World  # noqa: F401

    with app.app_context():
        world.case(status="submitted")
        from caseflow.extensions import db
        db.session.commit()
    r = auth.login(world.incharge)
    assert r.status_code == 302
    r = client.get("/queue")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    assert "SHR/" in r.get_data(as_text=True)
