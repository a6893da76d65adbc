"""Typed SQLAlchemy 2 models, one module per aggregate."""
from .action import Action
from .backup import Backup
from .client import Client
from .import_mark import ImportMark
from .job import Job
from .notify import Channel, Incident, Notice, OutboxEvent, Rule
from .run import Run
from .security import AuditEvent, AuthFailure
from .session import Session, SessionRound
from .setting import Setting
from .user import ApiToken, OperatorSession, User

__all__ = ["Action", "ApiToken", "AuditEvent", "AuthFailure", "OperatorSession", "Backup",
           "Channel", "Client", "ImportMark", "Incident", "Job", "Notice", "OutboxEvent", "Rule", "Run",
           "Session", "SessionRound", "Setting", "User"]
