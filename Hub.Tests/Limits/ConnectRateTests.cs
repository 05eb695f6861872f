using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Hub.Client;
using Hub.Client.Internal;
using Hub.Tests.Infrastructure;
using Hub.Tests.Tcp;
using Hub.Tests.WebSockets;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Limits;

/// <summary>
/// One new connection per second per node (<c>Hub:Limits:ConnectsPerSecond=1</c>): past it every
/// way in refuses with the reason and a wait, which Hub.Client carries to its reconnect policy.
/// Each test takes the second's one place, then tries until refused: the next place comes a
/// second later, and every try takes milliseconds.
/// </summary>
public sealed class ConnectRateTests() : ClusterTest(Topology.InMemory)
{
    private const int MaxTries = 20;
    private readonly int _tcpPort = Ports.Free();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Limits:ConnectsPerSecond"] = "1",
        ["Hub:Tcp:Port"] = _tcpPort.ToString(),
    };

    [Test]
    public async Task PastItsConnectsPerSecond_ANodeRefusesANegotiate_ADirectUpgrade_AndATcpConnect_WithAWait_AndTheOpenOnesCarryOn()
    {
        var open = await ConnectWithinTheRateAsync(NodeA.HubUrl);
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };

        using var negotiate = await RefusedAsync(async () =>
        {
            var response = await http.PostAsync("/hub/negotiate?negotiateVersion=1", null);
            return response.StatusCode == HttpStatusCode.OK ? Disposed(response) : response;
        });
        var problem = JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync().Within()).RootElement;

        var upgrade = await RefusedAsync(async () =>
        {
            var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
            try
            {
                await socket.ConnectAsync(new UriBuilder(NodeA.HubUrl) { Scheme = "ws" }.Uri, CancellationToken.None);
                socket.Abort();
                socket.Dispose();
                return null;
            }
            catch (WebSocketException)
            {
                return socket;
            }
        });

        using var tcp = await RefusedAsync(async () =>
        {
            var connection = await RawTcpConnection.ConnectAsync(_tcpPort);
            return connection.Greeting.Contains("\"error\"") ? connection : Disposed(connection);
        });
        var greeting = JsonDocument.Parse(tcp.Greeting).RootElement;

        Assert.Multiple(() =>
        {
            Assert.That(negotiate.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "429: the node is well, only busy");
            Assert.That(negotiate.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("at most 1 new connections per second (Hub:Limits:ConnectsPerSecond)"));
            Assert.That(upgrade.HttpStatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "a direct WebSocket connect");
            Assert.That(upgrade.HttpResponseHeaders?["Retry-After"], Is.EqualTo(new[] { "1" }));
            Assert.That(greeting.GetProperty("error").GetString(), Does.Contain("Hub:Limits:ConnectsPerSecond"), "a TCP connect");
            Assert.That(greeting.GetProperty("retryAfter").GetInt32(), Is.EqualTo(1));
        });
        upgrade.Dispose();

        var stillServed = await open.Client.SendAsync("the open connection carries on").Within();
        await open.Messages.WaitForAsync(m => m.Id == stillServed.Id, "its own broadcast");
        await Bounded.UntilAsync(async () =>
        {
            var metrics = await http.GetStringAsync("/metrics");
            return CountOf(metrics, "connect_rate") >= 3;
        }, "the three refusals in hub_connections_refused_total{reason=\"connect_rate\"}");
    }

    [Test]
    public async Task PastTheRate_TheDirectPath_RefusesAnUpgrade_AsANodeThatLeavesWebSocketsToHttp()
    {
        var viaHttp = Own(await StartNodeAsync("node-http", extra: new Dictionary<string, string?>
        {
            ["Hub:WebSockets:Direct"] = "false",
            ["Hub:Tcp:Port"] = "0",
        }));

        using var direct = await RefusedAsync(() => RefusedUpgradeAsync(NodeA));
        using var http = await RefusedAsync(() => RefusedUpgradeAsync(viaHttp));

        Assert.Multiple(() =>
        {
            Assert.That(direct.ResponseHead, Does.StartWith("HTTP/1.1 429 "));
            Assert.That(Head(direct), Is.EqualTo(Head(http)), "the direct path's answer, against HTTP's");
        });

        // The status line and the headers that say why and when, without the date.
        static string[] Head(RawWebSocket socket) =>
            [.. socket.ResponseHead.Split("\r\n").Where(l => !l.StartsWith("Date:", StringComparison.OrdinalIgnoreCase) && l.Length > 0)];
    }

    [Test]
    public async Task HubClient_RefusedOverHttpOrTcp_SaysWhy_AndCarriesTheWaitToItsReconnectPolicy()
    {
        var tcpUrl = new Uri($"tcp://127.0.0.1:{_tcpPort}");
        await ConnectWithinTheRateAsync(NodeA.HubUrl);
        var overHttp = await RefusedStartAsync<HttpRequestException>(new HubClientOptions { Url = NodeA.HubUrl });
        var overTcp = await RefusedStartAsync<HubException>(new HubClientOptions { Url = tcpUrl });

        // A dead node tried last does not hide the wait the live one asked for.
        var dead = new Uri($"http://127.0.0.1:{Ports.Free()}/hub");
        var overBoth = await RefusedStartAsync<HttpRequestException>(new HubClientOptions { Urls = [NodeA.HubUrl, dead] });

        Assert.Multiple(() =>
        {
            Assert.That(overHttp.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(overHttp.Message, Does.Contain("(Hub:Limits:ConnectsPerSecond)"), "the node's own words, not only the status");
            Assert.That(RetryHint.Of(overHttp), Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(overTcp.Message, Does.Contain("(Hub:Limits:ConnectsPerSecond)"));
            Assert.That(RetryHint.Of(overTcp), Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(overBoth.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(RetryHint.Of(overBoth), Is.EqualTo(TimeSpan.FromSeconds(1)));
        });
    }

    private static T? Disposed<T>(T disposable) where T : class, IDisposable
    {
        disposable.Dispose();
        return null;
    }

    /// <summary>hub_connections_refused_total for <paramref name="reason"/> in a scrape of /metrics; 0 when absent.</summary>
    internal static int CountOf(string metrics, string reason)
    {
        var match = System.Text.RegularExpressions.Regex.Match(
            metrics, $@"hub_connections_refused_total\{{[^}}]*reason=""{reason}""[^}}]*\}} (\d+)");
        return match.Success ? int.Parse(match.Groups[1].Value) : 0;
    }

    private static async Task<RawWebSocket?> RefusedUpgradeAsync(HubNode node)
    {
        var socket = await RawWebSocket.ConnectAsync(node);
        return socket.ResponseHead.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal) ? Disposed(socket) : socket;
    }

    /// <summary>Tries until the node refuses: the first try may still find this second's place free.</summary>
    private static async Task<T> RefusedAsync<T>(Func<Task<T?>> refusedOrNull) where T : class
    {
        for (var i = 0; i < MaxTries; i++)
        {
            if (await refusedOrNull().Within() is { } refused)
            {
                return refused;
            }
        }

        throw new AssertionException($"The node admitted {MaxTries} connects in a row at one per second.");
    }

    private async Task<TException> RefusedStartAsync<TException>(HubClientOptions options) where TException : Exception =>
        await RefusedAsync<TException>(async () =>
        {
            var client = Own(new TestClient(options));
            try
            {
                await client.Client.StartAsync();
                await client.Client.StopAsync();
                return null;
            }
            catch (TException ex)
            {
                return ex;
            }
        });

    /// <summary>A client started within the rate: it may have to wait for the next second's place.</summary>
    private async Task<TestClient> ConnectWithinTheRateAsync(Uri url)
    {
        TestClient? started = null;
        await Bounded.UntilAsync(async () =>
        {
            var client = new TestClient(new HubClientOptions { Url = url });
            try
            {
                await client.Client.StartAsync();
                started = Own(client);
                return true;
            }
            catch (HttpRequestException)
            {
                await client.DisposeAsync();
                return false;
            }
        }, "a place within the node's connects per second");
        return started!;
    }
}
