"""Runs inside BottleCRM's own process (its virtualenv, Python 3.12), never inside the portal.

The portal's integration tests put this directory on BottleCRM's PYTHONPATH: ``settings`` is
BottleCRM's configuration for a loopback test instance, ``apps`` the one patch it needs to send
webhooks to the portal's live server, ``bootstrap`` the org, admin, token and endpoint set-up.
"""
