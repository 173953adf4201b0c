"""Thirty-odd credential shapes every provider family uses, and text that only looks like one.

Shared by the unit test of the shape table (tests/unit/test_secret_shapes.py) and the
integration test that tries each shape through every input path (tests/integration/
test_secrets.py). The values are built from pieces so no scanner mistakes this file for a leak.
"""

from __future__ import annotations

from types import ModuleType

from support.helpers import ROOT, load_by_path

#: (name, text holding a credential). At least 30, across every provider family in the table.
R = "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90"  # random-looking filler

SHAPES: list[tuple[str, str]] = [
    ("openai-legacy", "sk-" + R[:48]),
    ("openai-project", "sk-" + "proj-" + R + "_x-Y"),
    ("openai-svcacct", "sk-" + "svcacct-" + R),
    ("openrouter", "sk-" + "or-v1-" + "0a1b2c3d" * 8),
    ("deepseek-hex", "sk-" + "0a1b2c3d4e5f6a7b" * 2),
    ("anthropic", "sk-" + "ant-api03-" + R + "-AA"),
    ("groq", "gsk" + "_" + R + "Zz9"),
    ("xai", "xai" + "-" + R + R),
    ("google", "AI" + "za" + "SyD" + R[:32]),
    ("huggingface", "hf" + "_" + R[:34]),
    ("github-classic", "gh" + "p_" + R[:36]),
    ("github-oauth", "gh" + "o_" + R[:36]),
    ("github-server", "gh" + "s_" + R[:36]),
    ("github-fine", "github" + "_pat_" + "11ABCDEFG0" + "_" + R),
    ("gitlab", "gl" + "pat-" + R[:20]),
    ("slack-bot", "xo" + "xb-" + "123456789012-1234567890123-" + R[:24]),
    ("slack-user", "xo" + "xp-" + "123456789012-" + R[:24]),
    ("stripe-live", "sk" + "_live_" + R[:24]),
    ("stripe-restricted", "rk" + "_live_" + R[:24]),
    ("stripe-test", "sk" + "_test_" + R[:24]),
    ("fireworks", "fw" + "_" + R[:24]),
    ("together", "tgp" + "_v1_" + R),
    ("aws-access-key", "AK" + "IA" + "Z3Q5X7C9V1B3N5M7"),
    ("aws-session-key", "AS" + "IA" + "Z3Q5X7C9V1B3N5M7"),
    ("aws-secret", "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + R[:10]),
    (
        "jwt-bearer",
        "Authorization: Bearer ey"
        + "JhbGciOiJIUzI1NiJ9.ey"
        + "JzdWIiOiIxMjM0NTY3ODkwIn0."
        + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("pem", "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END"),
    ("env-openai", "OPENAI_API" + "_KEY=" + "q8w7e6r5t4y3u2i1"),
    ("env-model-secret", "export TOGETHERAI_API" + '_KEY="' + 'z9x8c7v6b5n4m3l2"'),
    ("env-token", "HF_TOK" + "EN: " + "plainlowercasevalue"),
    ("env-password", "DB_PASS" + "WORD=" + "correcthorsebattery"),
    ("url-password", "https://deploy:" + "s3cr3tPassw0rd" + "@example.com/org/repo.git"),
    ("url-token-param", "https://example.com/org/repo.git?private_" + "token=" + R[:20]),
    ("git-x-access", "git+https://x-access-" + "token:" + R[:20] + "@github.com/o/r.git"),
    ("ssh-password", "ssh://bob:" + "hunter2hunter2" + "@git.example.com/r.git"),
    ("zero-width-inside", "sk-" + "proj-" + R[:10] + "\u200b" + R[10:]),
    ("look-alike", "\u0455k-" + "proj-" + R),
    ("fullwidth", "\uff53\uff4b-" + "proj-" + R),
    ("word-before", "mykey" + "gh" + "p_" + R[:36]),
]


SAFE = [
    "Ask the user for the invoice number, then answer with the total.",
    "task-2024-summary of the ticket queue",
    "Put OPENAI_API_KEY=<your key> in .env",
    "Models: openai/gpt-5-mini, anthropic/claude-sonnet-4-5",
    "Clone https://github.com/org/repo.git or git@github.com:org/repo.git",
    "The answer is on the last line in the form '#### <number>'.",
]


def secrets_module() -> ModuleType:
    return load_by_path("tmpl_secrets", ROOT / "extensions/secrets.py")
