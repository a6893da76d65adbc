"""Start, stop, delete or add to a session several jobs at once (the jobs list's selection
and its row actions). A GET names every selected job and what will happen to it; only the
POST of that page changes anything, through the same services as the API's event, delete
and session routes, in the request's one transaction."""
from flask import flash, request, url_for
from flask_login import login_required

from ..services import jobs, sessions
from ..redirects import safe_target
from . import blp, go, owner, queries, render
from .forms import ConfirmForm

MAX_SELECTED = 200
OPS = {"start": "Start", "stop": "Stop", "delete": "Delete", "session": "Add to session"}


def _selection() -> tuple[list, list]:
    """(the selected jobs in the order given, ids that match no job of this project)."""
    ids = list(dict.fromkeys(i for i in request.values.getlist("job_id") if i))[:MAX_SELECTED]
    found = queries.jobs_by_id(owner(), ids)
    return [found[i] for i in ids if i in found], [i for i in ids if i not in found]


def _name(job) -> str:
    return job.doc.get("description") or job.job_id


def _effect(op: str, job, session, session_names: dict) -> tuple[str, bool]:
    """(what the op will do to this job, whether it changes anything)."""
    event = (job.doc.get("job_schedule") or {}).get("event") or ""
    if op in ("start", "stop"):
        if event == op:
            return f"a {op} is already requested: nothing to do", False
        if op == "start":
            return "start requested: its agent schedules it at its next poll", True
        return ("stop requested: its agent unschedules it at its next poll (a running job "
                "finishes its run first)"), True
    if op == "delete":
        return ("deleted: its agent stops running it at its next poll; its backups and "
                "their records stay"), True
    if job.session_id == session.session_id:
        return "already in this session: nothing to do", False
    moved = (f"leaves session “{session_names.get(job.session_id, job.session_id)}” and "
             if job.session_id else "")
    return moved + "joins it: its schedule becomes the session's", True


def _problems(op: str, selected: list, missing: list, session) -> list[str]:
    problems = []
    if op not in OPS:
        problems.append("Pick what to do: start, stop, delete or add to session.")
    if not selected and not missing:
        problems.append("Select at least one job (the boxes at the start of each row).")
    if missing:
        problems.append(f"{len(missing)} of the selected jobs no longer exist "
                        f"({', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}); "
                        "nothing was done. Go back and select again.")
    if op == "session" and session is None:
        problems.append("Pick the session to add the jobs to.")
    return problems


@blp.route("/jobs/bulk", methods=["GET", "POST"])
@login_required
def jobs_bulk():
    op = request.values.get("op", "")
    back = safe_target(request.values.get("next")) or url_for("ui.jobs_list")
    selected, missing = _selection()
    all_sessions = {s.session_id: s for s in queries.all_sessions(owner())}
    session = all_sessions.get(request.values.get("session_id", "")) if op == "session" else None
    names = {sid: s.doc.get("description") or sid for sid, s in all_sessions.items()}
    problems = _problems(op, selected, missing, session)
    plan = [(job, *_effect(op, job, session, names)) for job in selected] if not problems else []
    if request.method == "POST" and not problems and ConfirmForm().validate():
        done = 0
        for job, _effect_text, changes in plan:
            if not changes:
                continue
            if op in ("start", "stop"):
                done += jobs.send_event(owner(), job.job_id, {op: None}) == "success"
            elif op == "delete":
                jobs.delete(owner(), job.job_id)
                done += 1
            else:
                # the dashboard makes "its schedule becomes the session's" true (§8.7 merges)
                sessions.add_job(owner(), session.session_id, job.job_id, replace_schedule=True)
                done += 1
        verb = (f"Added to “{names[session.session_id]}”:" if op == "session" else
                {"start": "Start requested for", "stop": "Stop requested for",
                 "delete": "Deleted"}[op])
        flash(f"{verb} {done} job{'s' if done != 1 else ''}"
              + (f" ({len(plan) - done} unchanged)." if len(plan) > done else "."), "success")
        return go(back, fallback=url_for("ui.jobs_list"))
    changing = sum(1 for _job, _text, changes in plan if changes)
    jobs_word = f"{changing} job{'s' if changing != 1 else ''}"
    button = (f"Yes, add {jobs_word} to the session" if op == "session"
              else f"Yes, {op} {jobs_word}")
    status = 400 if problems else 200
    return render("jobs/bulk.html", status=status, form=ConfirmForm(), op=op,
                  label=OPS.get(op, ""), plan=plan, problems=problems, changing=changing,
                  session=session, back=back, name=_name, button=button)
