from zhuanlan.markdown import heading_id, render, resolve_placeholders


def test_tables_are_wrapped_for_narrow_screens():
    html = render("|甲|乙|\n|-|-|\n|1|2|\n", "stories/a.md").html
    assert '<div class="table-wrap"><table>' in html and "<td>1</td>" in html


def test_tables_written_in_raw_html_are_wrapped_once_nested_ones_not_again():
    body = ("<table><tr><td>外<table><tr><td>内</td></tr></table></td></tr></table>\n\n"
            "|甲|乙|\n|-|-|\n|1|2|\n\n<TABLE border=1><tr><td>x</td></tr></TABLE>\n")
    html = render(body, "stories/a.md").html
    assert html.count('<div class="table-wrap">') == 3 and html.count("<table") == 4
    assert '<div class="table-wrap"><table><tbody><tr><td>外<table><tbody>' in html
    assert html.count("</table></div>") == 2 and html.rstrip().endswith("</table></div>")
    # a site that publishes raw HTML as written gets it as written
    from zhuanlan.sanitize import HtmlPolicy
    raw = render("<table><tr><td>x</td></tr></table>\n", "stories/a.md", policy=HtmlPolicy(sanitize=False)).html
    assert "table-wrap" not in raw


def test_footnotes():
    html = render("正文[^1]\n\n[^1]: 注释。\n", "stories/a.md").html
    assert 'class="footnote-ref"' in html and "注释。" in html and 'class="footnotes"' in html


def test_heading_ids_keep_chinese_and_are_unique():
    rendered = render("## 五张单子 怎么走\n\n## 五张单子 怎么走\n\n### Why？\n", "stories/a.md")
    assert '<h2 id="五张单子-怎么走">' in rendered.html
    assert '<h2 id="五张单子-怎么走-1">' in rendered.html
    assert [h[2] for h in rendered.headings] == ["五张单子-怎么走", "五张单子-怎么走-1", "why"]
    assert heading_id("！！") == "section"


def test_image_with_title_becomes_a_figure_with_caption():
    rendered = render('![接单墙](../images/a.jpg "党员认领心愿")\n', "stories/2023/x.md")
    assert rendered.html.strip() == ('<figure><img src="zlref:0" alt="接单墙">'
                                     "<figcaption>党员认领心愿</figcaption></figure>")
    assert rendered.refs[0].target == "stories/images/a.jpg"
    assert rendered.images == [0]


def test_inline_image_without_title_stays_an_image():
    html = render("文字 ![图](/images/a.jpg) 文字\n", "stories/x.md").html
    assert "<figure>" not in html and '<img src="zlref:0" alt="图">' in html


def test_local_links_become_refs_with_lines_and_external_links_stay():
    source = "第一段。\n\n[案例](../2022/b.md#小标题) [外站](https://www.gov.cn/) [锚点](#x)\n[文件](/files/报告.pdf)\n"
    rendered = render(source, "stories/2023/a.md", body_line=10)
    assert 'href="https://www.gov.cn/"' in rendered.html and 'href="#x"' in rendered.html
    story, document = rendered.refs
    assert (story.target, story.fragment, story.line) == ("stories/2022/b.md", "#小标题", 12)
    assert (document.target, document.raw, document.line) == ("files/报告.pdf", "/files/报告.pdf", 13)
    urls = ["/s/b/#x", "/files/%E6%8A%A5.pdf"]
    assert 'href="/s/b/#x"' in resolve_placeholders(rendered.html, urls)


def test_link_outside_content_has_no_target():
    assert render("[x](../../../etc/passwd)", "stories/a.md").refs[0].target is None


def test_site_urls_are_recognised():
    ref = render("[专栏](/columns/news/)", "stories/a.md").refs[0]
    assert ref.is_url and ref.target == "columns/news/"


def test_raw_html_is_kept():
    assert '<div class="box">原样</div>' in render('<div class="box">原样</div>\n', "stories/a.md").html


def test_wrapped_chinese_lines_join_without_a_space():
    rendered = render("第一行中文\n第二行中文\nEnglish line\nnext\n", "stories/a.md")
    assert "第一行中文第二行中文" in rendered.html
    assert "English line\nnext" in rendered.html
    assert "第一行中文第二行中文" in rendered.text


def test_lead_skips_headings_tables_images_and_notes():
    rendered = render("## 标题\n\n![图](a.jpg)\n\n|甲|\n|-|\n|表格|\n\n正文一句。[^1]\n\n[^1]: 注。\n", "stories/a.md")
    assert rendered.lead == "正文一句。"
    assert "标题" in rendered.text and "表格" in rendered.text
