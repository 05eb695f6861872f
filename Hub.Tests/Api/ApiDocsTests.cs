using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Hub.Server.Api;
using Hub.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hub.Tests.Api;

/// <summary>
/// The API reference at /docs: absent unless Hub:Api:Docs is on, and then served whole by the node,
/// for browsers that reach nothing else (an operator's network without internet).
/// </summary>
public sealed partial class ApiDocsTests() : BrowserTest(Topology.InMemory)
{
    private static readonly Dictionary<string, string?> DocsOn = new() { [$"{ApiOptions.Section}:Docs"] = "true" };

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:Api:Keys:0"] = ApiClient.Key };

    [TestCase(ApiDocs.Path)]
    [TestCase(ApiDocs.Path + "/")]
    [TestCase(ApiDocs.Path + "/scalar.js")]
    public async Task Docs_AreNotFound_UnlessTurnedOn(string path)
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };

        using var response = await http.GetAsync(path).Within();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Docs_TurnedOn_ServeAPage_WhoseScriptsAndStyles_AllComeFromTheNode()
    {
        var node = await StartNodeAsync("docs", extra: DocsOn);
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };

        using var page = await http.GetAsync(ApiDocs.Path).Within();
        var html = await page.Content.ReadAsStringAsync().Within();

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        // Relative to where the page ended up (/docs redirects to /docs/).
        var references = Reference().Matches(html).Select(m => new Uri(page.RequestMessage!.RequestUri!, m.Groups["url"].Value)).Distinct().ToList();
        Assert.That(references.Select(r => r.AbsolutePath), Does.Contain(ApiDocs.Path + "/scalar.js"), "the page loads Scalar's bundle");
        foreach (var reference in references)
        {
            Assert.That(reference.GetLeftPart(UriPartial.Authority), Is.EqualTo(node.BaseUrl.GetLeftPart(UriPartial.Authority)), $"{reference} is on the node");
            using var response = await http.GetAsync(reference).Within();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"GET {reference}");
        }
    }

    [Test]
    public async Task Docs_InABrowser_ListEveryRouteOfTheApi_AndAskForTheKey_WithoutARequestLeavingTheNode()
    {
        var node = await StartNodeAsync("docs", extra: DocsOn);
        var page = await NewPageAsync();
        var requests = new ConcurrentQueue<string>();
        page.Request += (_, request) => requests.Enqueue(request.Url);

        await page.GotoAsync(new Uri(node.BaseUrl, ApiDocs.Path).ToString()).Within();

        var app = page.Locator("#app");
        foreach (var route in ApiRoute.Contract)
        {
            await Expect(app).ToContainTextAsync(route.Split(' ')[1]);
        }

        // The key's scheme from the OpenAPI document, ready for a value.
        await Expect(app).ToContainTextAsync(ApiKeyFilter.HeaderName);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle).Within();
        var origin = node.BaseUrl.GetLeftPart(UriPartial.Authority);
        Assert.That(requests.Where(url => !url.StartsWith(origin + "/", StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal)),
            Is.Empty, "requests to anywhere but the node");
        await page.ScreenshotAsync(new() { Path = Path.Combine(RepoPaths.TestResults, "api-docs.png") }).Within();
    }

    [Test]
    public async Task Docs_InABrowser_SendARequest_WithTheKeyTheReaderEntered()
    {
        var node = await StartNodeAsync("docs", extra: DocsOn);
        var page = await NewPageAsync();
        await page.GotoAsync(new Uri(node.BaseUrl, ApiDocs.Path).ToString()).Within();

        await page.GetByLabel("Value").First.FillAsync(ApiClient.Key).Within();
        await page.Locator("a.endpoint", new() { HasText = "/api/v1/presence" }).First.ClickAsync().Within();
        await page.GetByRole(AriaRole.Button, new() { Name = "Test Request (get /api/v1/presence)" }).ClickAsync().Within();
        var sent = page.WaitForResponseAsync(r => r.Url.EndsWith("/api/v1/presence", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).First.ClickAsync().Within();
        var response = await sent.Within();

        Assert.That(await response.Request.HeaderValueAsync(ApiKeyFilter.HeaderName).Within(), Is.EqualTo(ApiClient.Key));
        Assert.That(response.Status, Is.EqualTo(200));
    }

    // What an HTML page loads by itself: its scripts and linked files (styles, icons), and the modules its scripts import.
    [GeneratedRegex(@"(?:<(?:script|link)\b[^>]*\b(?:src|href)=[""']|\bimport\b[^'""<]*\bfrom\s*['""])(?<url>[^""']+)[""']")]
    private static partial Regex Reference();
}
