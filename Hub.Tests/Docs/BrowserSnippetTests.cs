using System.Collections.Concurrent;
using System.Text.Json;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Hub.Tests.Docs;

/// <summary>
/// The documented browser snippets, each put as written into a page that a real node serves, in
/// Chromium. The page defines what a snippet leaves to its reader (<c>show</c>, <c>reload</c>).
/// </summary>
public sealed class BrowserSnippetTests
{
    private const string PagePath = "/docs-snippet.html";

    /// <summary>What the reader's page would do with a message and with the streams that lost messages (and no favicon to ask for).</summary>
    private const string ReaderFunctions = """
        <link rel="icon" href="data:,">
        <script>
          window.shown = [];
          window.lost = [];
          window.typing = [];
          function show(message) { window.shown.push(message); }
          function showTyping(user, typing) { window.typing.push([user, typing]); }
          function reload(streams) { window.lost.push(...streams); }
        </script>
        """;

    public static IEnumerable<TestCaseData> HtmlSnippets() => MarkdownDocs.CasesOf("html");

    [TestCaseSource(nameof(HtmlSnippets))]
    public async Task TheSnippet_Connects_AndShowsItsOwnMessage_AndOneFromDotNet(string snippet)
    {
        var html = $"<!doctype html>\n<html>\n<head>\n{ReaderFunctions}\n</head>\n<body>\n{snippet}\n</body>\n</html>\n";
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?>(),
            configure: builder => builder.Services.AddSingleton<IStartupFilter>(new ServedPage(PagePath, html)));
        await using var pages = new BrowserPages();
        var page = await pages.NewPageAsync();
        var errors = new ConcurrentQueue<string>();
        page.PageError += (_, error) => errors.Enqueue(error);
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                errors.Enqueue(message.Text);
            }
        };
        var address = new Uri(node.BaseUrl, PagePath).ToString();

        try
        {
            await page.GotoAsync(address).Within();
            await ShownAsync(page, "hello", errors);
            // The snippet that shows events publishes one after its text.
            var publishes = snippet.Contains("hub.publish(", StringComparison.Ordinal);
            if (publishes)
            {
                await UntilAsync(page, "window.typing.length > 0", "The page never handed on its typing event", errors);
            }

            await using var dotnet = new HubClient(new HubClientOptions { Url = new Uri(node.HubUrl, "?user=bob") });
            await dotnet.StartAsync().Within();
            await dotnet.SendToGroupAsync("room", "from .NET").Within();
            await ShownAsync(page, "from .NET", errors);

            var shown = await page.EvaluateAsync<JsonElement>("window.shown.map(m => [m.stream, m.offset, m.user, m.event, m.text])").Within();
            var typing = await page.EvaluateAsync<JsonElement>("window.typing").Within();
            Assert.Multiple(() =>
            {
                Assert.That(shown.GetRawText(), Is.EqualTo(publishes
                    ? """[["group:room",1,"alice","message","hello"],["group:room",2,"alice","typing",null],["group:room",3,"bob","message","from .NET"]]"""
                    : """[["group:room",1,"alice","message","hello"],["group:room",2,"bob","message","from .NET"]]"""));
                Assert.That(typing.GetRawText(), Is.EqualTo(publishes ? """[["alice",false]]""" : "[]"), "the typing event, through hub.on");
                Assert.That(errors, Is.Empty, "errors and warnings in the page");
            });
        }
        finally
        {
            await pages.ScreenshotIfFailedAsync();
        }
    }

    private static Task ShownAsync(IPage page, string text, ConcurrentQueue<string> errors) =>
        UntilAsync(page, $"window.shown.some(m => m.text === {JsonSerializer.Serialize(text)})", $"The page never showed '{text}'", errors);

    private static async Task UntilAsync(IPage page, string condition, string failure, ConcurrentQueue<string> errors)
    {
        var deadline = DateTime.UtcNow + Bounded.Default;
        while (!await page.EvaluateAsync<bool>(condition).Within())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{failure}. Errors in the page: {string.Join(" | ", errors)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The page, served by the node itself, as a reader's site would serve it beside the hub: a
    /// page the browser got from elsewhere may not open WebSockets to a local address.
    /// </summary>
    private sealed class ServedPage(string path, string html) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path == path)
                {
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync(html);
                    return;
                }

                await nextMiddleware(context);
            });
            next(app);
        };
    }
}
