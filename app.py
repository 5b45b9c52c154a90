"""The postmortem Slack app (Socket Mode). Settings come from the environment:

    SLACK_BOT_TOKEN    xoxb-… bot token
    SLACK_APP_TOKEN    xapp-… app-level token with connections:write
    SLACK_API_URL      Web API base URL (default https://slack.com/api/)
    POSTMORTEM_DB      SQLite database (default data/postmortem.db)
    POSTMORTEM_ADMINS  comma-separated Slack user ids allowed to sync and retrain
    POSTMORTEM_CONFIG  sources config file (default postmortem.toml)

Same as `postmortem serve` and `python -m bot`."""

import sys

from bot.serve import main

if __name__ == "__main__":
    sys.exit(main())
