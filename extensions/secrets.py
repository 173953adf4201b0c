"""Credential shapes: one table, used wherever text typed by a user could be stored or echoed.

Three callers load this file by path, so it imports only the standard library:

* ``extensions/osmosis_jinja.py`` (the template's validators refuse answers holding a key);
* the ``osmosis-workspace`` CLI, through ``osmosis_workspace.engine.redaction`` (template URLs, the
  answers of ``--set`` and ``--data-file``, and every message it prints);
* ``check``, on the answers already committed.

Text is normalised before matching, because a key pasted from a chat or a PDF often carries an
invisible character (zero-width space, soft hyphen, BOM) or a look-alike letter (Cyrillic
dze, full-width s) that would let it slip past a plain regular expression. Patterns have no
leading word boundary on purpose: ``mysk-proj-...`` or ``key:ghp_...`` still holds the key.
Provider shapes that are only "N random characters" (Mistral, Cohere) are not distinctive and
are caught by the ``NAME=value`` rule when they come with their variable name.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters that render as nothing; removed before matching.
INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063"
        "\u2064\u206a\u206b\u206c\u206d\u206e\u206f\ufeff",
    ),
    None,
)
#: Letters that look like ASCII ones (NFKC already folds full-width and other compatibility
#: forms); mapped to the ASCII letter they imitate.
LOOK_ALIKES = str.maketrans(
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0430\u0435\u043e"
    "\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u04cf\u0261\u0391\u0392\u0395"
    "\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03ba\u03bd"
    "\u03c1\u03c4\u03c5\u03c7\u2010\u2011\u2012\u2013\u2014\u2212",
    "ABEKMHOPCTXaeopcyxijsdhlgABEZHIKMNOPTYXokvptux------",
)
#: Secret names the template itself writes (``model_secret`` and ``osmosis secret set`` names)
#: plus the usual suffixes; ``NAME=value`` or ``NAME: value`` with one of them is a credential.
SECRET_NAME = (
    r"(?:[A-Z][A-Z0-9_]*_)?(?:API_KEY|APIKEY|ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|TOKEN|SECRET|"
    r"PASSWORD|PASSWD|CREDENTIALS)"
)
_PLACEHOLDER = re.compile(
    r"^(?:<.*>|\$\{?\w+\}?|\.\.\.+|x{3,}|\*+|your[-_].*|changeme|none|"
    r"null|\"\"|'')$",
    re.IGNORECASE,
)

#: (what it looks like, pattern). ``(?P<body>...)`` marks a part that must look random (see
#: :func:`_random_looking`) where the prefix alone could be prose ("ask-the-user" holds
#: ``sk-``); distinctive prefixes (``sk-proj-``, ``gsk_``, ``ghp_``...) need no such test.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        (
            "an Anthropic API key (sk-ant-...)",
            r"sk-ant-(?:[a-z0-9]+-)?(?:[A-Za-z0-9_-]{20,})",
        ),
        (
            "an OpenAI-style API key (sk-proj-...)",
            r"sk-(?:proj|svcacct|admin|or-v1)-(?:[A-Za-z0-9_-]{20,})",
        ),
        ("an OpenAI-style API key (sk-...)", r"sk-(?P<body>[A-Za-z0-9]{20,})"),
        ("a Groq API key (gsk_...)", r"gsk_(?:[A-Za-z0-9]{20,})"),
        ("an xAI API key (xai-...)", r"xai-(?:[A-Za-z0-9]{20,})"),
        ("a Google API key (AIza...)", r"AIza(?:[0-9A-Za-z_-]{30,})"),
        ("a Hugging Face token (hf_...)", r"hf_(?:[A-Za-z0-9]{30,})"),
        (
            "a GitHub token",
            r"(?:gh[pousr]_(?:[A-Za-z0-9]{20,})|github_pat_[A-Za-z0-9_]{20,})",
        ),
        ("a GitLab token (glpat-...)", r"glpat-(?:[A-Za-z0-9_-]{20,})"),
        ("a Slack token (xox?-...)", r"xox[abeoprs]-(?:[0-9]+-)?(?P<body>[A-Za-z0-9-]{10,})"),
        ("a Stripe key", r"(?:sk|rk|pk)_(?:live|test)_(?:[A-Za-z0-9]{16,})"),
        ("a Fireworks API key (fw_...)", r"fw_(?P<body>[A-Za-z0-9]{20,})"),
        ("a Together AI key (tgp_v1_...)", r"tgp_v1_(?:[A-Za-z0-9_-]{20,})"),
        ("a Replicate token (r8_...)", r"r8_(?P<body>[A-Za-z0-9]{30,})"),
        ("an AWS access key id", r"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
        (
            "an AWS secret access key",
            r"(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{30,}",
        ),
        (
            "a JSON Web Token (eyJ...)",
            r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ),
        ("a private key block", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
        # The scheme is bounded (real ones are short): unbounded, every letter of a long word
        # would start a scan to its end, and a pasted 100,000-letter text took seconds.
        (
            "a URL with a password or token",
            r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^/\s:@]*:[^/\s@]+@",
        ),
        (
            "a URL with a token parameter",
            r"[?&#](?i:access_token|token|api_key|apikey|key|secret|password|sig|signature|"
            r"private_token|auth)=[^&\s#]{6,}",
        ),
        (
            "a secret assignment (NAME=value)",
            rf"(?<![A-Za-z0-9])(?:export\s+)?{SECRET_NAME}[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s\"',;}}]{{8,}})",
        ),
    )
)


def normalise(text: str) -> str:
    """``text`` as matched: compatibility forms folded (NFKC), invisibles dropped, look-alike
    letters mapped to ASCII."""
    return unicodedata.normalize("NFKC", text).translate(INVISIBLE).translate(LOOK_ALIKES)


def _random_looking(body: str) -> bool:
    """Letters mixed with digits, or mixed case, or too long for a word (24+ characters)."""
    has = [bool(re.search(p, body)) for p in ("[0-9]", "[a-z]", "[A-Z]")]
    return (has[0] and (has[1] or has[2])) or (has[1] and has[2]) or len(body) >= 24


def _counts(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    body = groups.get("body")
    if body is not None and not _random_looking(body):
        return False
    value = groups.get("value")
    return not (value is not None and _PLACEHOLDER.match(value))


def find_secret(text: object) -> str:
    """What the first credential in ``text`` looks like (a label), or ``""`` when none is."""
    if not isinstance(text, str) or not text:
        return ""
    candidate = normalise(text)
    for label, pattern in SECRET_PATTERNS:
        if any(_counts(m) for m in pattern.finditer(candidate)):
            return label
    return ""


def secret_problem(value: object, field: str) -> str:
    """Why ``value`` must not be stored (it holds something shaped like a credential), or ``""``."""
    label = find_secret(value)
    if not label:
        return ""
    return (
        f"{field} contains what looks like {label}. Answers are saved in .copier-answers.yml "
        "and committed: remove the key, and keep secret values in .env or in Osmosis secrets "
        "(osmosis secret set NAME)"
    )


REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every whitespace-separated piece that holds a credential replaced by
    ``[redacted]``; the whole text is replaced when a credential spans several pieces."""
    if not find_secret(text):
        return text
    pieces = re.split(r"(\s+)", text)
    cleaned = "".join(REDACTED if find_secret(p) else p for p in pieces)
    return cleaned if not find_secret(cleaned) else REDACTED + " (the text held a credential)"
