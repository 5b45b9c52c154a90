"""What the Slack app needs from the environment, checked before anything connects."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "https://slack.com/api/"
# Slack tokens: bot tokens start xoxb-, app-level (Socket Mode) tokens xapp-.
BOT_TOKEN = re.compile(r"^xoxb-[A-Za-z0-9-]{10,}$")
APP_TOKEN = re.compile(r"^xapp-[A-Za-z0-9-]{10,}$")


class SettingsError(Exception):
    """Missing or malformed settings: the message says what to fix."""


@dataclass
class Settings:
    bot_token: str
    app_token: str
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("data/postmortem.db")
    admins: frozenset[str] = field(default_factory=frozenset)
    config_path: str | None = None
    stream_interval: float = 1.5  # seconds between streamed chat.update edits
    job_poll_interval: float = 2.0  # seconds between looks at the jobs table

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        problems = []
        bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
        app_token = env.get("SLACK_APP_TOKEN", "").strip()
        if not bot_token:
            problems.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from OAuth & Permissions)")
        elif not BOT_TOKEN.match(bot_token):
            problems.append("SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-")
        if not app_token:
            problems.append(
                "SLACK_APP_TOKEN is not set (an app-level token, xapp-…, with connections:write, "
                "from Basic Information > App-Level Tokens)"
            )
        elif not APP_TOKEN.match(app_token):
            problems.append("SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp-")
        api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
        if not re.match(r"^https?://", api_url):
            problems.append(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
        if problems:
            raise SettingsError("\n".join(problems))
        from storage import default_db_path

        return cls(
            bot_token=bot_token,
            app_token=app_token,
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            db_path=default_db_path(),
            admins=parse_admins(env.get("POSTMORTEM_ADMINS", "")),
            config_path=env.get("POSTMORTEM_CONFIG") or None,
        )


def parse_admins(text: str) -> frozenset[str]:
    return frozenset(a.strip() for a in text.split(",") if a.strip())
