using System.Collections.Concurrent;
using System.Text.Json;
using Hub.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hub.Tests.Browser;

/// <summary>
/// The demo page of a node, driven through its element ids and read through <c>window.hubDemo</c>,
/// so that the tests do not depend on its layout. Every wait is bounded by the Playwright timeouts.
/// </summary>
internal sealed class DemoPage
{
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentDictionary<string, bool> _transports = new();

    private DemoPage(IPage page)
    {
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => _errors.Enqueue(error);
        page.WebSocket += (_, socket) =>
        {
            if (new Uri(socket.Url).AbsolutePath == "/hub")
            {
                _transports.TryAdd("websockets", true);
            }
        };
        page.Request += (_, request) =>
        {
            // Negotiation is POST /hub/negotiate; what follows on /hub itself tells the transport.
            var url = new Uri(request.Url);
            if (url.AbsolutePath != "/hub")
            {
                return;
            }

            if (request.ResourceType == "eventsource")
            {
                _transports.TryAdd("sse", true);
            }
            else if (request.Method == "GET")
            {
                _transports.TryAdd("longpolling", true);
            }
        };
    }

    public IPage Page { get; }

    public ILocator State => Page.Locator("#state");

    public ILocator Node => Page.Locator("#node");

    public ILocator Presence => Page.Locator("#presence li");

    /// <summary>Console errors and uncaught exceptions of the page so far.</summary>
    public IReadOnlyList<string> Errors => [.. _errors];

    /// <summary>The SignalR transports the page used to reach /hub, as the browser's traffic shows them.</summary>
    public IReadOnlyList<string> Transports => [.. _transports.Keys.Order()];

    public static Task<DemoPage> OpenAsync(IPage page, TestNode node, string query = "") => OpenAsync(page, node.BaseUrl, node.NodeId, query);

    /// <summary>Opens the page at <paramref name="baseUrl"/> (a node, or a load balancer in front of nodes).</summary>
    public static async Task<DemoPage> OpenAsync(IPage page, Uri baseUrl, string what, string query = "")
    {
        var demo = new DemoPage(page);
        var response = await page.GotoAsync(new Uri(baseUrl, "/" + query).ToString());
        Assert.That(response?.Status, Is.EqualTo(200), $"GET /{query} on {what}");
        return demo;
    }

    /// <summary>Connects as a person would: a name, a protocol, the Connect button.</summary>
    public async Task ConnectAsync(string user, string protocol = "json")
    {
        await Page.Locator("#user").FillAsync(user);
        await Page.Locator("#protocol").SelectOptionAsync(protocol);
        await Page.Locator("#connect").ClickAsync();
        await ExpectStateAsync("connected");
    }

    public Task ExpectStateAsync(string state) => Expect(State).ToHaveAttributeAsync("data-state", state);

    /// <summary>Joins a group; the page then sends to it and shows who is in it.</summary>
    public async Task JoinAsync(string group)
    {
        await Page.Locator("#group").FillAsync(group);
        await Page.Locator("#join").ClickAsync();
        await Expect(GroupEntry(group)).ToBeVisibleAsync();
        await Expect(Page.Locator("#target")).ToHaveValueAsync(group);
    }

    public async Task LeaveAsync(string group)
    {
        await GroupEntry(group).Locator("button.leave").ClickAsync();
        await Expect(GroupEntry(group)).ToHaveCountAsync(0);
    }

    /// <summary>Sends to the selected target (everyone, or the group last joined) and waits until the hub accepted it.</summary>
    public async Task SendAsync(string text)
    {
        await Page.Locator("#text").FillAsync(text);
        await Page.Locator("#send").ClickAsync();
        // The page clears the input only when the hub call returned, and shows the error otherwise.
        await Expect(Page.Locator("#text")).ToHaveValueAsync("");
    }

    /// <summary>The page's lines about the room rather than messages ("bob joined #room") with exactly this text.</summary>
    public ILocator Notes(string text) => Page.Locator("#messages li.event").GetByText(text, new() { Exact = true });

    /// <summary>Exactly these users, sorted, are listed as online in the selected group.</summary>
    public Task ExpectPresenceAsync(params string[] users) => Expect(Presence).ToHaveTextAsync(users);

    /// <summary>Waits until the page received a message with this text and shows it; returns what the page recorded.</summary>
    public async Task<PageMessage> WaitForMessageAsync(string text)
    {
        IJSHandle handle;
        try
        {
            handle = await Page.WaitForFunctionAsync("text => window.hubDemo.messages.find(m => m.text === text)", text);
        }
        catch (TimeoutException)
        {
            var received = await Page.EvaluateAsync<string[]>("window.hubDemo.messages.map(m => m.text)").Within();
            Assert.Fail($"The page did not receive '{text}'. It received [{string.Join(", ", received)}]; page errors: [{string.Join("; ", Errors)}].");
            throw;
        }

        var json = await handle.EvaluateAsync<string>("message => JSON.stringify(message)").Within();
        var message = JsonSerializer.Deserialize<PageMessage>(json, JsonSerializerOptions.Web)!;
        await Expect(Page.Locator($"#messages li[data-id='{message.Id}'] .text")).ToHaveTextAsync(text);
        return message;
    }

    private ILocator GroupEntry(string group) => Page.Locator($"#groups li[data-group='{group}']");
}
