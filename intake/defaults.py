"""The parsing rules the intake ships with: the common notification shapes and the generic e-mail rule.

Staff edit them in the back office; the data migration writes them once and ``rules_install``
adds any that are missing (by name) again.
"""

from __future__ import annotations

# The author is the words before the verb in the subject ("Jane Doe commented on your post").
_AUTHOR = r"^(?P<author>[^\n]+?) (?:commented|replied|likes?|liked|shared|mentioned|sent|reacted|wrote|hat|reviewed|left|posted|tagged)\b"
_SOCIAL_ACTIONS = "\n".join(
    [
        r"mention: mentioned|erwähnt|tagged you|markiert",
        r"share: shared|geteilt|reposted|retweeted",
        r"like: likes? your|liked|gefällt|reacted to|reagiert",
        r"message: sent you a message|neue nachricht|new message",
        r"comment: comment|kommentiert|replied|antwortete",
    ]
)
_QUOTE = r"(?:wrote|comment|schrieb|kommentar|kommentierte|said|review|bewertung|message|nachricht)[^\n]*:\s*\n+(?P<text>.+?)(?:\n\s*\n|\Z)"

DEFAULT_RULES = [
    {
        "name": "Facebook",
        "position": 10,
        "source_type": "facebook",
        "action_type": "comment",
        "match_sender": r"@(?:\w+\.)?facebook(?:mail)?\.com>",
        "action_patterns": _SOCIAL_ACTIONS,
        "extract_link": r"(https://(?:www\.|m\.)?facebook\.com/[^\s\"'<>]+)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
        "extract_picture": r"fbcdn\.net",
    },
    {
        "name": "Instagram",
        "position": 20,
        "source_type": "instagram",
        "action_type": "comment",
        "match_sender": r"@(?:\w+\.)?instagram\.com>",
        "action_patterns": _SOCIAL_ACTIONS,
        "extract_link": r"(https://(?:www\.)?instagram\.com/[^\s\"'<>]+)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
        "extract_picture": r"cdninstagram\.com",
    },
    {
        "name": "LinkedIn",
        "position": 30,
        "source_type": "linkedin",
        "action_type": "comment",
        "match_sender": r"@(?:\w+\.)?linkedin\.com>",
        "action_patterns": _SOCIAL_ACTIONS,
        "extract_link": r"(https://(?:www\.)?linkedin\.com/[^\s\"'<>]+)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
        "extract_picture": r"licdn\.com",
    },
    {
        "name": "X (Twitter)",
        "position": 40,
        "source_type": "x",
        "action_type": "mention",
        "match_sender": r"@(?:\w+\.)?(?:x|twitter)\.com>",
        "action_patterns": _SOCIAL_ACTIONS,
        "extract_link": r"(https://(?:www\.)?(?:x|twitter)\.com/[^\s\"'<>]+)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
        "extract_picture": r"twimg\.com",
    },
    {
        "name": "XING",
        "position": 50,
        "source_type": "xing",
        "action_type": "message",
        "match_sender": r"@(?:\w+\.)?xing\.com>",
        "action_patterns": _SOCIAL_ACTIONS,
        "extract_link": r"(https://(?:www\.)?xing\.com/[^\s\"'<>]+)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
        "extract_picture": r"xing\.com/(?:image|img)",
    },
    {
        "name": "YouTube",
        "position": 60,
        "source_type": "youtube",
        "action_type": "comment",
        "match_sender": r"@youtube\.com>",
        "action_patterns": _SOCIAL_ACTIONS,
        "extract_link": r"(https://(?:www\.)?youtube\.com/[^\s\"'<>]+)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
        "extract_picture": r"ggpht\.com|ytimg\.com",
    },
    {
        "name": "Review sites (Trustpilot, Google, ProvenExpert, Trusted Shops, kununu)",
        "position": 70,
        "source_type": "review_site",
        "action_type": "review",
        "match_sender": r"@(?:\w+\.)?(?:trustpilot\.com|provenexpert\.com|trustedshops\.(?:com|de)|kununu\.com|"
        r"business\.google\.com)>",
        "extract_link": r"(https://[^\s\"'<>]*(?:trustpilot|provenexpert|trustedshops|kununu|google)[^\s\"'<>]*)",
        "extract_author": _AUTHOR,
        "extract_text": _QUOTE,
    },
    {
        "name": "Website contact form",
        "position": 80,
        "source_type": "website_form",
        "action_type": "inquiry",
        "match_subject": r"contact form|kontaktformular|website inquiry|anfrage über",
        "extract_author": r"(?:^|\n)name\s*:\s*(?P<author>[^\n]+)",
        "extract_text": r"(?:^|\n)(?:message|nachricht)\s*:\s*(?P<text>.+)",
        "extract_link": r"(?:^|\n)(?:page|seite)\s*:\s*(?P<link>https?://\S+)",
    },
    {
        "name": "Any other e-mail",
        "position": 1000,
        "source_type": "email",
        "action_type": "inquiry",
        "is_fallback": True,
    },
]


def rules_install(ParsingRule) -> int:
    """Create every shipped rule whose name is not taken yet; the number created."""
    existing = set(ParsingRule.objects.values_list("name", flat=True))
    fresh = [ParsingRule(**rule) for rule in DEFAULT_RULES if rule["name"] not in existing]
    ParsingRule.objects.bulk_create(fresh)
    return len(fresh)
