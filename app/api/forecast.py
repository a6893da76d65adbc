"""Computed facts about jobs, each at its own endpoint (nothing is added to the stored
documents, DECISIONS.md): upcoming runs per job and across jobs."""
from datetime import timedelta, timezone

import marshmallow as ma

from ..auth.identity import current_identity
from ..models import Job
from ..services import documents, forecast, schedules
from . import blp
from .conventions import COMMON_ERRORS, ERROR, doc, json_response

_TIMES = {"type": "array", "items": {"type": "string", "format": "date-time"}}
JOB_FORECAST = {
    "type": "object", "required": ["job_id", "forecast", "reason"],
    "properties": {
        "job_id": {"type": "string"},
        "kind": {"type": "string", "enum": ["date", "interval", "cron", "none"]},
        "schedule": {"type": "string", "description": "the schedule in words"},
        "timezone": {"type": "string",
                     "description": "the zone naive schedule times are read in"},
        "forecast": dict(_TIMES, description="the next fire times, UTC"),
        "reason": {"type": "string", "nullable": True,
                   "description": "why the list is empty (stopped, completed, ended...)"}}}
FORECAST = {
    "type": "object", "required": ["from", "to", "forecast", "truncated"],
    "properties": {
        "from": {"type": "string", "format": "date-time"},
        "to": {"type": "string", "format": "date-time"},
        "timezone": {"type": "string"},
        "truncated": {"type": "boolean", "description": "more fire times follow the limit"},
        "forecast": {"type": "array", "items": {
            "type": "object", "properties": {
                "time": {"type": "string", "format": "date-time"},
                "job_id": {"type": "string"}, "client_id": {"type": "string"},
                "description": {"type": "string"}}}}}}


class CountArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    count = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=100),
                              metadata={"description": "how many fire times, 1 to 100"})


class HorizonArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    hours = ma.fields.Float(load_default=24,
                            # 0 is an empty window (and what the OpenAPI range says)
                            validate=ma.validate.Range(min=0, max=744),
                            metadata={"description": "the window, 0 to 744 hours (31 days)"})
    limit = ma.fields.Integer(load_default=1000, validate=ma.validate.Range(min=1, max=10000),
                              metadata={"description": "at most this many fire times"})


# A misspelt SCHEDULE_TIMEZONE stops the app at start-up, not at the first forecast.
blp.record_once(lambda state: schedules.zone(state.app.config.get("SCHEDULE_TIMEZONE", "UTC")))


def iso(moment) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@blp.route("/jobs/<string:job_id>/forecast", methods=["GET"])
@blp.arguments(CountArgs, location="query")
@blp.doc(**doc(summary="The job's next fire times (UTC)",
               description="Computed with the freezer scheduler's own triggers. An empty list "
                           "comes with the reason: stopped, completed, ended, no schedule.",
               responses={200: ("The forecast", JOB_FORECAST), 404: ("No such job", ERROR),
                          **COMMON_ERRORS}))
def job_forecast(args, job_id):
    me = current_identity()
    row = documents.get(Job, me.user_scope(), job_id)
    answer = forecast.job_forecast(row.doc, args["count"])
    answer["forecast"] = [iso(t) for t in answer["forecast"]]
    return json_response({"job_id": row.job_id, **answer})


@blp.route("/forecast", methods=["GET"])
@blp.arguments(HorizonArgs, location="query")
@blp.doc(**doc(summary="The caller's jobs that fire in the next hours, in time order",
               description="One entry per fire time (at most 100 per job); stopped and "
                           "completed jobs are left out.",
               responses={200: ("The forecast", FORECAST), **COMMON_ERRORS}))
def fleet_forecast(args):
    me = current_identity()
    now = schedules.utc_now()
    entries, more = forecast.upcoming_with_more(me.user_scope(), args["hours"], now, args["limit"])
    return json_response({
        "from": iso(now), "to": iso(now + timedelta(hours=args["hours"])),
        "timezone": schedules.zone().key, "truncated": more,
        "forecast": [{"time": iso(fire), "job_id": row.job_id, "client_id": row.client_id,
                      "description": row.doc.get("description", "")}
                     for fire, row in entries]})
