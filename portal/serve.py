"""The web process: Daphne (HTTP and WebSocket) on uvloop's event loop.

``python -m portal.serve <Daphne's arguments>``, e.g. ``python -m portal.serve -b 0.0.0.0 -p 8000
--proxy-headers portal.asgi:application``: Daphne's own command line, with the event loop chosen
first. Daphne installs Twisted's asyncio reactor on a new event loop when it is imported, so the
policy must be set before that import. On the chat benchmark uvloop cut the 1,000-socket fan-out's
p99 from 175-184 ms to 95-150 ms; HTTP pages measured the same either way (README, "HTTP server").
Where uvloop is not installed (it has no Windows build) the standard loop runs.
"""

from __future__ import annotations

import asyncio
import sys


def use_uvloop() -> bool:
    """Make new event loops uvloop's; False when uvloop is not installed."""
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def main(argv: list[str] | None = None) -> None:
    use_uvloop()
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
