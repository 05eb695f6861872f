using System.Net;
using System.Net.WebSockets;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Limits;

public sealed class CorsTests() : ClusterTest(Topology.InMemory)
{
    private const string Allowed = "http://app.example";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Cors:Origins:0"] = Allowed,
    };

    [TestCase(Allowed, true)]
    [TestCase("http://elsewhere.example", false)]
    public async Task Negotiate_AnswersThePreflight_OnlyForAListedOrigin(string origin, bool allowed)
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/hub/negotiate?negotiateVersion=1");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await http.SendAsync(preflight).Within();

        var granted = response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
        Assert.That(granted, Is.EqualTo(allowed ? origin : null));
        if (allowed)
        {
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Credentials").Single(), Is.EqualTo("true"));
        }
    }

    [TestCase(Allowed, true)]
    [TestCase("http://elsewhere.example", false)]
    [TestCase("", true)]
    public async Task AWebSocketFromAnotherSite_IsRefused_UnlessListed(string origin, bool allowed)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", origin.Length > 0 ? origin : NodeA.BaseUrl.GetLeftPart(UriPartial.Authority));
        var url = new UriBuilder(NodeA.HubUrl) { Scheme = "ws" }.Uri;

        if (allowed)
        {
            await socket.ConnectAsync(url, CancellationToken.None).Within();
            Assert.That(socket.State, Is.EqualTo(WebSocketState.Open));
        }
        else
        {
            Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None).Within());
            Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
    }
}
