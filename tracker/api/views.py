"""Read-only JSON API: /api/v1/tasks, /api/v1/tasks/<code>, /api/v1/agencies."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request
from sqlalchemy.orm import selectinload

from ..extensions import csrf, db
from ..plan.forms import TaskFilterForm
from ..plan.models import ROLES, Agency, Task
from ..plan.services import task_query
from ..plan.views import plan_or_404

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_PER_PAGE = 500


def task_json(task: Task) -> dict:
    """A task as the API shows it."""
    data = {
        "code": task.code,
        "section": task.section.numeral,
        "section_title": task.section.title,
        "title": task.title,
        "timeline": task.timeline,
        "schedule": {
            "kind": task.schedule_kind,
            "start": task.start_on.isoformat() if task.start_on else None,
            "due": task.due_on.isoformat() if task.due_on else None,
            "recurrence": task.recurrence,
        },
        "needs_date": task.needs_date,
        "flag_note": task.flag_note or None,
    }
    for role in ROLES:
        data[role] = [a.name for a in task.agencies(role)]
        data[f"{role}_text"] = task.cell_text(role)
    data["executing_bodies"] = [a.name for a in task.bodies("executing")]
    return data


@bp.get("/tasks")
def tasks():
    """The plan's tasks filtered like the plan page, paginated with page/per_page."""
    plan = plan_or_404()
    form = TaskFilterForm(request.args, plan)
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 100, type=int)
    if not form.validate() or page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        errors = dict(form.errors)
        if page < 1:
            errors["page"] = ["must be 1 or more"]
        if not 1 <= per_page <= MAX_PER_PAGE:
            errors["per_page"] = [f"must be between 1 and {MAX_PER_PAGE}"]
        return jsonify({"errors": errors}), 400
    query = task_query(plan, form.filters())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return jsonify({"items": [task_json(t) for t in items], "total": total, "page": page, "per_page": per_page})


@bp.get("/tasks/<code>")
def task(code: str):
    """One task by its code, such as IV.4."""
    plan = plan_or_404()
    found = db.session.scalar(sa.select(Task).where(Task.plan_id == plan.id, Task.code == code.upper()))
    if found is None:
        abort(404, description=f"No task {code} in the {plan.year} plan.")
    return jsonify(task_json(found))


@bp.get("/agencies")
def agencies():
    """Every agency and group with its level, aliases and members."""
    query = sa.select(Agency).options(selectinload(Agency.aliases), selectinload(Agency.members)).order_by(Agency.name)
    return jsonify({"items": [
        {"id": a.id, "name": a.name, "level": a.level, "is_group": a.is_group,
         "aliases": [al.alias for al in a.aliases], "members": [m.name for m in a.members]}
        for a in db.session.scalars(query)
    ]})
