from questions.rendering import render_markdown


def test_stored_xss_payloads_render_inert():
    payloads = [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
        "<iframe src='https://evil.example'></iframe>",
        "<svg onload=alert(1)>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    ]
    for payload in payloads:
        html = render_markdown(payload).lower()
        for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<svg", "style="):
            assert bad not in html, (payload, html)


def test_formulas_become_mathml_and_code_is_highlighted():
    html = render_markdown("損失は $\\frac{1}{n}\\sum x_i$ です。\n\n```python\nprint('$5')\n```")
    assert "<math" in html and "<mfrac>" in html
    assert '<div class="highlight">' in html and '<span class="nb">print</span>' in html
    assert "$5" in html  # a dollar sign inside code is not math


def test_display_math_and_tables():
    html = render_markdown("$$E = mc^2$$\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert 'display="block"' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_broken_latex_shows_its_source_instead_of_failing():
    html = render_markdown("$\\frac{1}{$")
    assert "math-error" in html or "<math" in html
