"""Settings of the worker-kill test's processes: development plus test-only hooks (never used elsewhere)."""

from portal.settings.development import *  # noqa: F403
from portal.settings.development import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.integration.worker_kill_hooks.WorkerKillHooks"]
