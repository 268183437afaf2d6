"""`/healthz`: database reachability and the schema revision, for load balancers and operators."""
import sqlalchemy as sa
from flask import Blueprint, jsonify

from caseflow.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        status, code = "ok", 200
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        revision, status, code = None, "unavailable", 503
    return jsonify(status=status, database=status, schema_revision=revision), code
