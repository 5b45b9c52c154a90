"""Rendering of what the sample corpus does not exercise: the rarer Notion block types and
Confluence macros, as the APIs return them."""

from pipeline.ingest.extractors.render import confluence_to_markdown, notion_blocks_to_markdown, property_field


def rt(text, **ann):
    link = ann.pop("link", None)
    return {
        "type": "text",
        "text": {"content": text, "link": {"url": link} if link else None},
        "annotations": {"bold": False, "italic": False, "strikethrough": False, "underline": False, "code": False, **ann},
        "plain_text": text,
        "href": link,
    }


def block(kind, *texts, children=(), **data):
    return {"type": kind, kind: {"rich_text": list(texts), **data}, "has_children": bool(children), "children": list(children)}


def test_notion_block_types():
    blocks = [
        block("heading_1", rt("Checkout outage")),
        block("callout", rt("Customer impact: "), rt("high", bold=True), icon={"type": "emoji", "emoji": "🔥"}),
        block("toggle", rt("Root cause"), children=[block("paragraph", rt("The "), rt("pgbouncer", code=True), rt(" pool was full."))]),
        block("to_do", rt("Raise the pool limit"), checked=True),
        block("to_do", rt("Alert on waiting clients"), checked=False),
        block("numbered_list_item", rt("first")),
        block("numbered_list_item", rt("second"), children=[block("bulleted_list_item", rt("detail"))]),
        block("quote", rt("Never again")),
        {"type": "divider", "divider": {}},
        block("code", rt("SHOW POOLS;"), language="sql"),
        {"type": "equation", "equation": {"expression": "e=mc^2"}},
        {"type": "bookmark", "bookmark": {"url": "https://status.example.com", "caption": []}},
        {"type": "child_page", "child_page": {"title": "Appendix"}, "has_children": True},
        {"type": "column_list", "column_list": {}, "children": [
            {"type": "column", "column": {}, "children": [block("paragraph", rt("left "), rt("docs", link="https://d.example"))]},
        ]},
        {"type": "unsupported", "unsupported": {}},
    ]
    md = notion_blocks_to_markdown(blocks)
    assert md.splitlines()[0] == "# Checkout outage"
    assert "> Customer impact: **high**" in md  # the callout's icon is decoration
    assert "- **Root cause**\n\n  The `pgbouncer` pool was full." in md
    assert "- [x] Raise the pool limit\n- [ ] Alert on waiting clients\n1. first\n2. second\n   - detail" in md
    assert "> Never again" in md and "\n***\n" in md
    assert "```sql\nSHOW POOLS;\n```" in md
    assert "$$\ne=mc^2\n$$" in md
    assert "[https://status.example.com](https://status.example.com)" in md
    assert "*Appendix*" in md and "left [docs](https://d.example)" in md


def test_notion_table_with_and_without_header():
    row = lambda *cells: {"type": "table_row", "table_row": {"cells": [[rt(c)] for c in cells]}}
    table = {"type": "table", "table": {"table_width": 2, "has_column_header": True}, "children": [row("Time", "Event"), row("12:04", "a|b")]}
    assert notion_blocks_to_markdown([table]) == "| Time | Event |\n| --- | --- |\n| 12:04 | a\\|b |"
    table["table"]["has_column_header"] = False
    assert notion_blocks_to_markdown([table]).splitlines()[2] == "| Time | Event |"


STORAGE = """
<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:rich-text-body>
<table><tbody>
<tr><th><p>Incident date</p></th><td><p><time datetime="2025-05-16" /></p></td></tr>
<tr><th>Services affected</th><td><ul><li>payments-api</li><li>pgbouncer</li></ul></td></tr>
<tr><th>Incident commander</th><td><ac:link><ri:user ri:account-id="557058:abc" /></ac:link></td></tr>
</tbody></table></ac:rich-text-body></ac:structured-macro>
<ac:structured-macro ac:name="toc" />
<h2>Summary</h2>
<p>Payments failed with <code>too many clients</code> &amp; retries <em>amplified</em> it.<br/>See <a href="https://grafana.example/d/1">the dashboard</a>.</p>
<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Impact</ac:parameter><ac:rich-text-body><p>11% of payments failed.</p></ac:rich-text-body></ac:structured-macro>
<ac:structured-macro ac:name="panel"><ac:rich-text-body><p>Panel text</p></ac:rich-text-body></ac:structured-macro>
<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Click here to expand...</ac:parameter><ac:rich-text-body>
<h2>Timeline</h2><table><tbody><tr><th>Time</th><th>Event</th></tr><tr><td>12:04</td><td><p>First errors</p><p>5xx at 4%</p></td></tr></tbody></table>
</ac:rich-text-body></ac:structured-macro>
<h2>Root cause</h2>
<ol><li>HPA scaled to 80 pods<ol><li>each with a pool of 10</li></ol></li><li>pgbouncer capped at 500</li></ol>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">ini</ac:parameter><ac:plain-text-body><![CDATA[max_client_conn = 500
default_pool_size = 40]]></ac:plain-text-body></ac:structured-macro>
<h2>Action items</h2>
<ac:task-list>
<ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body>Rotate the <strong>svc</strong> password</ac:task-body></ac:task>
<ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>CI check on pool sizes <ac:structured-macro ac:name="status"><ac:parameter ac:name="title">open</ac:parameter></ac:structured-macro></ac:task-body></ac:task>
</ac:task-list>
<p><ac:placeholder>Describe what you learned</ac:placeholder></p>
<p>Owner: <ac:link><ri:page ri:content-title="SRE team" /></ac:link>, ticket <ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-42</ac:parameter></ac:structured-macro></p>
"""


def test_confluence_storage_to_markdown():
    md, props = confluence_to_markdown(STORAGE)
    assert props == {
        "Incident date": "2025-05-16",
        "Services affected": "payments-api; pgbouncer",
        "Incident commander": "557058:abc",
    }
    assert md.startswith("- **Incident commander**: 557058:abc\n\n## Summary")  # mapped rows go to meta
    assert "Payments failed with `too many clients` & retries *amplified* it.\nSee [the dashboard](https://grafana.example/d/1)." in md
    assert "> **Impact:**\n>\n> 11% of payments failed." in md
    assert "> Panel text" in md
    assert "Click here" not in md
    assert "## Timeline\n\n| Time | Event |\n| --- | --- |\n| 12:04 | First errors; 5xx at 4% |" in md
    assert "1. HPA scaled to 80 pods\n   1. each with a pool of 10\n2. pgbouncer capped at 500" in md
    assert "```ini\nmax_client_conn = 500\ndefault_pool_size = 40\n```" in md
    assert "- [x] Rotate the **svc** password\n- [ ] CI check on pool sizes [OPEN]" in md
    assert "Describe what you learned" not in md and "toc" not in md
    assert md.rstrip().endswith("Owner: SRE team, ticket OPS-42")


def test_property_names_map_to_record_fields():
    assert property_field("Services affected") == "services"
    assert property_field("Incident Date:") == "date"
    assert property_field("Root-cause category") == "category"
    assert property_field("Sev") == "severity"
    assert property_field("Incident commander") is None


def test_titled_expand_and_panel_keep_all_their_content():
    """A Confluence expand titled "Root cause" (storage format, and as "export to HTML" writes
    it) keeps every paragraph and list it holds, so the parser reads all of it."""
    from pipeline.ingest.extractors.render import html_to_markdown
    from pipeline.ingest.parser import parse

    storage = (
        '<h2>Summary</h2><p>Builds failed for an hour.</p>'
        '<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Root cause</ac:parameter><ac:rich-text-body>'
        "<p>The runner image lost its CA bundle in a base image bump.</p><p>TLS to the artifact store then failed.</p>"
        "<ul><li>The bump skipped the smoke test.</li></ul></ac:rich-text-body></ac:structured-macro>"
        "<h2>Resolution</h2><p>Pinned the previous base image and rebuilt the runners.</p>"
    )
    export = (
        "<html><body><h2>Summary</h2><p>Builds failed for an hour.</p>"
        '<div class="expand-container"><div class="expand-control"><span class="expand-control-text">Root cause</span></div>'
        '<div class="expand-content"><p>The runner image lost its CA bundle in a base image bump.</p>'
        "<p>TLS to the artifact store then failed.</p><ul><li>The bump skipped the smoke test.</li></ul></div></div>"
        "<h2>Resolution</h2><p>Pinned the previous base image and rebuilt the runners.</p></body></html>"
    )
    for md in (confluence_to_markdown(storage)[0], html_to_markdown(export)):
        cause = parse("# Builds failing\n\n" + md, source_id="x").fields["root_cause"]
        assert "lost its CA bundle" in cause and "TLS to the artifact store" in cause and "skipped the smoke test" in cause


def test_a_chat_exports_list_of_wrapped_messages_keeps_every_message():
    # Element's export puts each message's <li> in a <div> of its own inside the <ol>; a nested
    # list stays the item's own.
    from pipeline.ingest.extractors.render import html_to_markdown

    page = (
        "<ol><li><h2>Sat, Jun 22 2024</h2></li>"
        '<div class="mx_Export_EventWrapper"><li><p>10:21 The new release adds a postinstall hook.</p></li></div>'
        '<div class="mx_Export_EventWrapper"><div><li><p>14:02 Root cause: a publish token leaked.</p>'
        "<ul><li>via a CI log</li></ul></li></div></div></ol>"
    )
    md = html_to_markdown(page)
    assert "1. ## Sat, Jun 22 2024" in md
    assert "2. 10:21 The new release adds a postinstall hook." in md
    assert "3. 14:02 Root cause: a publish token leaked." in md
    assert "- via a CI log" in md and "4." not in md


def test_a_tracker_pages_description_cell_holding_the_write_up_reads_as_a_section():
    # A printable issue page: the fields, then "Description" beside the whole write-up in
    # paragraphs. Joined into one cell its paragraphs' names ("Cause") were lost.
    from pipeline.ingest.extractors.render import html_to_markdown
    from pipeline.ingest.parser import parse

    page = """<html><head><title>[PWX-3318] Android crash spike</title></head><body>
<table><tr><th>Status:</th><td>Done</td></tr><tr><th>Component/s:</th><td>android, tracking-api</td></tr></table>
<table>
<tr><td>Resolution:</td><td>Fixed</td></tr>
<tr><td>Description</td><td><p><b>What users saw</b></p><p>Android users crashed on the tracking screen.</p>
<p><b>Cause</b></p><p>A tracking-api deploy stopped sending eta_window, which old apps required.</p>
<p><b>Fix</b></p><p>We rolled tracking-api back at 11:02.</p></td></tr>
<tr><td>Labels:</td><td>postmortem</td></tr>
</table></body></html>"""
    md = html_to_markdown(page)
    assert "| Resolution: | Fixed |" in md and "| Labels: | postmortem |" in md
    assert "**Description**\n\n**What users saw**\n\nAndroid users crashed on the tracking screen.\n\n**Cause**\n\n" in md
    p = parse(md, source_id="PWX-3318.html")
    assert p.provenance["root_cause"] == "label: Cause"
    assert p.fields["fix"] == "We rolled tracking-api back at 11:02."


def test_a_print_views_form_laid_out_in_a_presentation_table_reads_as_its_fields():
    # A service desk's print view: two label and value pairs a row, in a table marked as layout.
    from pipeline.ingest.extractors.render import html_to_markdown
    from pipeline.ingest.parser import parse

    page = """<html><head><title>PRB0019307 | Problem | ServiceNow</title></head><body>
<h2>Problem PRB0019307</h2>
<table class="form_table" role="presentation">
<tr><td class="label">Number</td><td>PRB0019307</td><td class="label">State</td><td>Resolved</td></tr>
<tr><td class="label">Service</td><td>Direct Debit set-up</td><th>Opened</th><td>2024-07-15</td></tr>
<tr><td class="label">Short description</td><td colspan="3">Direct Debit set-up timing out to the payment bureau</td></tr>
</table>
<table role="presentation"><tr><td><p>Kestrel Energy</p></td><td><p>IT Service Portal</p></td></tr></table>
<p><b>Cause notes:</b> A load balancer failover's gratuitous ARP was dropped by storm control, so the switches kept a stale entry.</p>
<p><b>Fix notes:</b> We cleared the stale ARP entry on both core switches and raised the ARP timeout.</p>
</body></html>"""
    md = html_to_markdown(page)
    assert "**Number:** PRB0019307\n**State:** Resolved" in md and "**Opened:** 2024-07-15" in md
    # A frame's cells that are no labels stay the page's paragraphs.
    assert "Kestrel Energy\n\nIT Service Portal" in md
    p = parse(md, source_id="PRB0019307_print.html")
    assert p.fields["incident_title"] == "Direct Debit set-up timing out to the payment bureau"
    assert p.fields["services_affected"] == ["direct debit set-up"]


def test_a_code_fence_is_longer_than_any_run_of_backticks_in_the_code():
    from pipeline.ingest.extractors.render import fenced_code

    assert fenced_code("print(1)\n") == "```\nprint(1)\n```"
    assert fenced_code("````md\nx\n````", "text") == "`````text\n````md\nx\n````\n`````"
