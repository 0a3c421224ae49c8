"""Settings of the poller processes the intake's fault tests start: the test settings with the task rows
written to the database (the CRM delivery is not under test; it waits there instead of running inline)."""

from portal.settings.test import *  # noqa: F403
from portal.settings.test import TASKS

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASKS["default"]["QUEUES"]}}
