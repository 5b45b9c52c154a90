"""The Slack app. It sits on top of pipeline/ and storage/; nothing there imports it."""
