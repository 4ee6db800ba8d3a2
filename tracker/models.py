"""Import every model so Flask-Migrate and create_all see the whole schema."""
from .plan.models import Agency, AgencyAlias, Assignment, Plan, Section, Task, agency_members  # noqa: F401
from .auth.models import AccessRequest, ApiToken, RateLimitCounter, RecoveryCode, SecuritySettings, User  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .files.models import Attachment  # noqa: F401
from .progress.models import Comment, StatusLine, TaskEvent  # noqa: F401
from .reminders.models import (JobRun, OutboxMessage, ReminderOptOut, ReminderSettings,  # noqa: F401
                               SchedulerLease, SentReminder)
from .indicators.models import Commune, CommuneCriterion, Indicator, IndicatorEntry, indicator_tasks  # noqa: F401
from .reporting.models import ReportingPolicy, ReportingRound, Submission, round_bodies  # noqa: F401
from .exports.letterhead import LetterheadSettings  # noqa: F401
from .progress import category_sql  # noqa: F401,E402  (its flush hook keeps each task's line facts in step)
from . import changes  # noqa: E402

# Writes that can change a dashboard figure: the cached figures are recomputed after any of them.
changes.watch(Agency, AgencyAlias, Assignment, Plan, Section, Task, StatusLine, ReportingRound, Submission,
              ReportingPolicy, Indicator, IndicatorEntry, Commune, CommuneCriterion)
changes.watch(Agency, collections=True)  # a group's members: who owes a group's work
from .documents.models import PlanDocument, ProposedRow  # noqa: F401
