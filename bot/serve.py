"""Run the Slack app: check the settings, load the model and index once, connect over Socket
Mode, and keep running until SIGINT/SIGTERM. `python app.py`, `python -m bot` and
`postmortem serve` all end up here."""

from __future__ import annotations

import logging
import signal
import sys
import threading

log = logging.getLogger("postmortem.serve")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"postmortem: cannot start the Slack app:\n{exc}", file=sys.stderr)
        return 2

    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    from bot.app import build_bot, web_client
    from bot.config import bot_config, ConfigError
    from pipeline.serve.answer import Answerer
    from storage import Database

    try:
        config = bot_config(settings.config_path)
    except ConfigError as exc:
        print(f"postmortem: {exc}", file=sys.stderr)
        return 2
    client = web_client(settings)
    try:  # before the model loads: a revoked token should fail in a second, not after one
        client.auth_test()
    except SlackApiError as exc:
        print(f"postmortem: Slack refused the bot token ({exc.response.get('error')}); check SLACK_BOT_TOKEN", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"postmortem: cannot reach Slack at {settings.api_url} ({exc}); check SLACK_API_URL", file=sys.stderr)
        return 2
    db = Database(settings.db_path)
    log.info("loading the model and the index (once)…")
    try:
        answerer = Answerer.from_db(settings.db_path, taxonomy=config.taxonomy)
    except Exception as exc:
        print(f"postmortem: cannot load the model or index: {exc}", file=sys.stderr)
        return 1
    bot = build_bot(settings, client, answerer, db, config)
    handler = SocketModeHandler(bot.app, settings.app_token)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        handler.connect()
    except Exception as exc:
        print(f"postmortem: could not open the Socket Mode connection ({exc}); check SLACK_APP_TOKEN", file=sys.stderr)
        bot.close()
        return 2
    bot.start_background()
    log.info("connected; answering mentions")
    stop.wait()
    log.info("shutting down")
    handler.close()
    bot.close()
    return 0
