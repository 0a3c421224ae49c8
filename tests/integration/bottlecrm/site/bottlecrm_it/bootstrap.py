"""Set-up steps run in BottleCRM's process; each prints one JSON object on stdout.

python -m bottlecrm_it.bootstrap admin
    an org, an admin user with an ADMIN profile and a personal access token
    -> {"org_id", "email", "profile_id", "token"}
python -m bottlecrm_it.bootstrap endpoint --org <id> --email <admin e-mail> --url <hook URL>
    the org's only webhook endpoint (earlier ones are deleted), subscribed to task.updated and
    created by the admin, through the ORM: BottleCRM's API refuses personal access tokens on
    /api/webhooks/ (common.scopes) and is for signed-in admins only
    -> {"endpoint_id", "secret"}
python -m bottlecrm_it.bootstrap deliveries --endpoint <id>
    what BottleCRM recorded sending to that endpoint, oldest first
    -> {"deliveries": [{"event", "status", "attempts", "response_status", "error", "payload"}]}
"""

import argparse
import json
import os
import sys


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bottlecrm_it.settings")
    import django

    django.setup()


def admin() -> dict:
    from common.models import Org, PersonalAccessToken, Profile, User

    org = Org.objects.create(name="Portal integration test")
    user = User.objects.create_user(email="crm-admin@example.com", password=None)
    profile = Profile.objects.create(user=user, org=org, role="ADMIN", is_active=True)
    raw, _ = PersonalAccessToken.generate(profile, "portal integration test")
    return {"org_id": str(org.id), "email": user.email, "profile_id": str(profile.id), "token": raw}


def endpoint(*, org: str, email: str, url: str) -> dict:
    from common.models import User
    from webhooks.models import WebhookEndpoint

    creator = User.objects.get(email=email)
    WebhookEndpoint.objects.filter(org_id=org).delete()
    hook = WebhookEndpoint.objects.create(
        org_id=org, url=url, events=["task.updated"], description="portal", created_by=creator
    )
    return {"endpoint_id": str(hook.id), "secret": hook.secret}


def deliveries(*, endpoint: str) -> dict:
    from webhooks.models import WebhookDelivery

    rows = WebhookDelivery.objects.filter(endpoint_id=endpoint).order_by("created_at")
    fields = ("event", "status", "attempts", "response_status", "error", "payload")
    return {"deliveries": [{name: getattr(row, name) for name in fields} for row in rows]}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("admin")
    hook = commands.add_parser("endpoint")
    hook.add_argument("--org", required=True)
    hook.add_argument("--email", required=True)
    hook.add_argument("--url", required=True)
    log = commands.add_parser("deliveries")
    log.add_argument("--endpoint", required=True)
    args = parser.parse_args(argv)
    _setup()
    if args.command == "admin":
        result = admin()
    elif args.command == "endpoint":
        result = endpoint(org=args.org, email=args.email, url=args.url)
    else:
        result = deliveries(endpoint=args.endpoint)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
