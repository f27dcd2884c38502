import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../lib/report/markdown.js";
import { escapeHtml, htmlPage, htmlTable } from "../../lib/report/html.js";

describe("markdown", () => {
  it("renders headings, emphasis, code and links", () => {
    expect(renderMarkdown("# Title here")).toBe('<h1 id="title-here">Title here</h1>');
    expect(renderMarkdown("a **bold** and *em* and `x < y` and [docs](https://example.org)")).toBe(
      '<p>a <strong>bold</strong> and <em>em</em> and <code>x &lt; y</code> and <a href="https://example.org">docs</a></p>',
    );
  });

  it("keeps code spans literal", () => {
    expect(renderMarkdown("`a*b*c` and `**`")).toBe("<p><code>a*b*c</code> and <code>**</code></p>");
  });

  it("renders lists, quotes, rules and fenced code", () => {
    expect(renderMarkdown("- one\n- two\n  continued\n\n1. first\n2. second")).toBe("<ul><li>one</li><li>two continued</li></ul>\n<ol><li>first</li><li>second</li></ol>");
    expect(renderMarkdown("> quoted *text*")).toBe("<blockquote><p>quoted <em>text</em></p></blockquote>");
    expect(renderMarkdown("---")).toBe("<hr>");
    expect(renderMarkdown("```ts\nconst a = 1 < 2;\n```")).toBe('<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>');
  });

  it("renders pipe tables with alignment", () => {
    expect(renderMarkdown("| a | b |\n|---|--:|\n| 1 | 2 |")).toBe('<table><thead><tr><th>a</th><th style="text-align:right">b</th></tr></thead><tbody><tr><td>1</td><td style="text-align:right">2</td></tr></tbody></table>');
  });

  it("escapes raw HTML and refuses script links", () => {
    expect(renderMarkdown("<script>alert(1)</script>")).toBe("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("<a ");
  });
});

describe("html pages", () => {
  it("are self-contained: inline CSS and a CSP that blocks every external load", () => {
    const page = htmlPage({ title: "T & <U>", body: "<p>x</p>" });
    expect(page).toContain("<title>T &amp; &lt;U&gt;</title>");
    expect(page).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"`);
    expect(page).not.toMatch(/<link|<script/);
  });

  it("formats tables with escaped text and right-aligned numbers", () => {
    expect(htmlTable(["k", "v"], [["<a>", 1.23456789], ["b", null]])).toBe(
      '<table><thead><tr><th>k</th><th>v</th></tr></thead><tbody><tr><td>&lt;a&gt;</td><td class="num" style="text-align:right">1.235</td></tr><tr><td>b</td><td></td></tr></tbody></table>',
    );
    expect(escapeHtml(`"'`)).toBe("&quot;&#39;");
  });
});
