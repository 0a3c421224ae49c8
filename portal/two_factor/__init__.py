"""Two-factor sign-in: TOTP authenticator apps with one-time recovery codes (django-otp).

Every staff role needs a verified second factor before using any staff power on the site or in
the back office when ``STAFF_2FA_REQUIRED`` is on (always in production); members may switch it on
for themselves. ``policy`` says who must verify, ``services`` writes devices, ``middleware``
sends an unverified session to set-up or verification, ``views`` are those pages.
"""
