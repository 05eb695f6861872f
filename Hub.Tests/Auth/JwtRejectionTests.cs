using System.Net;
using System.Net.WebSockets;
using System.Text;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Auth;

/// <summary>Hub:Auth:Mode=Jwt: a request without a usable token is answered 401, at negotiate and at a direct WebSocket connect.</summary>
public sealed class JwtRejectionTests() : JwtClusterTest(Topology.InMemory)
{
    private static IEnumerable<TestCaseData> BadTokens()
    {
        yield return Case("no token", () => null);
        yield return Case("expired", () => TestTokens.Create("alice", DateTime.UtcNow.AddMinutes(-5)));
        yield return Case("no expiry", () => TestTokens.Create("alice", DateTime.MaxValue));
        // Valid from 20 minutes before its expiry: five minutes from now.
        yield return Case("not yet valid", () => TestTokens.Create("alice", DateTime.UtcNow.AddMinutes(25)));
        yield return Case("bad signature", () => TestTokens.Create("alice", key: Encoding.UTF8.GetBytes("another-key-that-is-long-enough-for-hs256")));
        yield return Case("wrong audience", () => TestTokens.Create("alice", audience: "someone-else"));
        yield return Case("wrong issuer", () => TestTokens.Create("alice", issuer: "https://elsewhere.test"));
        yield return Case("no sub claim", () => TestTokens.Create(subject: null));
        yield return Case("sub not a valid user id", () => TestTokens.Create("a/b"));
        yield return Case("not a JWT", () => "not-a-token");
    }

    private static TestCaseData Case(string name, Func<string?> token) => new TestCaseData(token).SetArgDisplayNames(name);

    [TestCaseSource(nameof(BadTokens))]
    public void Negotiate_WithoutAUsableToken_Is401(Func<string?> token)
    {
        var client = NewClient(NodeA, () => Task.FromResult(token()));

        var error = Assert.ThrowsAsync<HttpRequestException>(() => client.Client.StartAsync().Within());

        Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCaseSource(nameof(BadTokens))]
    public void WebSocketConnectWithoutNegotiate_WithoutAUsableToken_Is401(Func<string?> token)
    {
        using var socket = NewSocket();

        var error = Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUrl(token()), CancellationToken.None).Within());

        Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), error!.Message);
    }

    [Test]
    public async Task WebSocketConnectWithoutNegotiate_TakesTheTokenFromTheQuery_OrTheHeader()
    {
        using var viaQuery = NewSocket();
        await viaQuery.ConnectAsync(WebSocketUrl(TestTokens.Create("alice")), CancellationToken.None).Within();

        using var viaHeader = NewSocket();
        viaHeader.Options.SetRequestHeader("Authorization", "Bearer " + TestTokens.Create("alice"));
        await viaHeader.ConnectAsync(WebSocketUrl(token: null), CancellationToken.None).Within();

        Assert.Multiple(() =>
        {
            Assert.That(viaQuery.State, Is.EqualTo(WebSocketState.Open));
            Assert.That(viaHeader.State, Is.EqualTo(WebSocketState.Open));
        });
    }

    private static ClientWebSocket NewSocket() => new() { Options = { CollectHttpResponseDetails = true } };

    private Uri WebSocketUrl(string? token)
    {
        var url = new UriBuilder(NodeA.HubUrl) { Scheme = "ws" };
        if (token is not null)
        {
            url.Query = "access_token=" + Uri.EscapeDataString(token);
        }

        return url.Uri;
    }
}
