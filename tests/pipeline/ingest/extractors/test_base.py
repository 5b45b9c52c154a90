from pipeline.ingest.extractors.base import not_an_incident

RELEASE_NOTE = """# Release 4.12

Faster sync on Android, a new share card and a dark mode for the library.
Fixed a crash when opening a book with no cover.
"""

BLOG_STORY = """# The night your streaks broke

About 34,000 of you lost a streak between Sunday night and Tuesday. The server had cached a
UTC offset from summer time, so after the clocks went back it credited late solves to the next
day. We replayed every solve since Sunday to rebuild the streaks, and now work out the local
date from the timezone name.
"""


def test_a_release_note_under_a_publishing_path_is_no_incident():
    assert not_an_incident("blog/2023-11-02-release-4-12.md", RELEASE_NOTE) == (
        "a release note or blog post: no incident in its text"
    )
    # The same text elsewhere is judged by the parser, not by its place.
    assert not_an_incident("postmortems/2023-11-02-release-4-12.md", RELEASE_NOTE) is None


def test_a_blog_post_that_tells_what_broke_is_an_incident():
    assert not_an_incident("blog/2023-11-02-the-night-your-streaks-broke.md", BLOG_STORY) is None
    told = BLOG_STORY.replace("# The night your streaks broke", "# Your streaks, explained") + "\nWe apologise.\n"
    assert not_an_incident("blog/2023-11-02-streaks.md", told) is None


def test_a_guide_whose_sections_are_instructions_is_no_incident():
    fields = {"incident_title": "How to write a post-mortem", "root_cause": "Describe the trigger.", "fix": "List what restored service."}
    assert not_an_incident("docs/postmortems/guide.md", "# How to write a post-mortem", fields).startswith("a guide or template")
