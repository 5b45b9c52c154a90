"""manifest.yml and the app agree: every slash command and event it declares is acknowledged
by the running app (Bolt never acks what it has no listener for), and the bot scopes are
exactly those of the Web API methods and events the app uses."""


import pytest
import yaml
from tests.paths import ROOT

# Web API method or event -> the bot scope it needs (None: none needed).
SCOPE_OF = {
    "auth.test": None,
    "apps.connections.open": None,  # the app-level token's connections:write
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "reactions.add": "reactions:write",
    "views.publish": None,
    "views.open": None,
    "event:app_mention": "app_mentions:read",
    "event:app_home_opened": None,
    "event:message.channels": "channels:history",
    "event:message.groups": "groups:history",
    "event:message.im": "im:history",
    "slash commands": "commands",
}


def test_manifest_matches_the_running_app(bot, slack):
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"] is True
    events = settings["event_subscriptions"]["bot_events"]
    assert sorted(events) == ["app_home_opened", "app_mention", "message.channels", "message.groups", "message.im"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DMs to the bot

    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(commands) == ["/postmortem", "/postmortem-retrain", "/postmortem-status", "/postmortem-sync"]
    for command in commands:
        slack.wait_ack(slack.slash(command, user="UNOBODY")["envelope_id"], 3)
    with pytest.raises(TimeoutError):  # what the app doesn't handle is never acked
        slack.wait_ack(slack.slash("/postmortem-undeclared", user="UNOBODY")["envelope_id"], 2)

    slack.wait_ack(slack.home_opened("U1"))
    slack.wait_ack(slack.mention("")["envelope_id"])
    # Message events are acked too, and a channel message that is no follow-up gets no reply.
    slack.wait_ack(slack.message("lunch anyone?", channel="C1")["envelope_id"])
    slack.wait_ack(slack.message("", channel="D1")["envelope_id"])  # an empty DM: how to ask
    slack.wait_for(lambda: slack.views and slack.calls_of("chat.postMessage"), 10)

    used = {method for method, _, _ in slack.calls} | {f"event:{e}" for e in events} | {"slash commands"}
    assert used <= set(SCOPE_OF), used - set(SCOPE_OF)
    needed = {SCOPE_OF[m] for m in SCOPE_OF if SCOPE_OF[m]}  # the mention flow adds reactions + update
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(needed)
