"""Events of two-factor sign-in; consent writes the audit entry of a reset."""

from portal.events import Event

# Sent inside the reset's transaction with ``actor``, ``user`` and ``reason``.
second_factor_reset = Event("portal.two_factor.second_factor_reset")
