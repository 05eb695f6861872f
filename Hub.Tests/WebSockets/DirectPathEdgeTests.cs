using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Tests.WebSockets;

/// <summary>
/// What the direct path must share with HTTP beyond a single request's answer: a negotiate token
/// opens one connection across both paths, a WebSocket is counted and logged as HTTP counts and
/// logs one, and a head that never ends is held no longer than Kestrel holds it.
/// </summary>
public sealed class DirectPathEdgeTests
{
    private readonly List<IAsyncDisposable> _owned = [];

    [TearDown]
    public async Task StopNodes()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        _owned.Clear();
    }

    [Test]
    public async Task ANegotiateToken_OpensOneConnection_WhicheverPathServesIt([Values] bool direct, [Values] bool firstThroughHttp)
    {
        var node = await StartAsync(direct);
        var token = await NegotiateAsync(node);
        var upgrade = new UpgradeBytes(node.BaseUrl.Authority, null).Target($"/hub?id={token}").ToBytes();

        // A WebSocket on a connection's second request goes through HTTP even with the direct path on.
        using var first = new TcpClient();
        await first.ConnectAsync(node.BaseUrl.Host, node.BaseUrl.Port).Within();
        var firstBytes = firstThroughHttp ? [.. Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {node.BaseUrl.Authority}\r\n\r\n"), .. upgrade] : upgrade;
        await first.GetStream().WriteAsync(firstBytes).AsTask().Within();
        await ReadUntilAsync(first.GetStream(), "HTTP/1.1 101 ");

        var second = await RawExchange.StatusAsync(node, [upgrade]);

        Assert.That(second, Is.EqualTo(409), "a second WebSocket with the same negotiate token");
    }

    [Test]
    public async Task AWebSocket_IsCountedAndLogged_AsHttpCountsAndLogsOne([Values] bool direct)
    {
        var logs = new CapturingLoggerProvider();
        var node = await StartAsync(direct, logs);
        var scope = node.Services.GetRequiredService<IMeterFactory>();
        var published = new List<Instrument>();
        var measured = new List<(string Name, double Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == scope && Watched.Contains(instrument.Name))
            {
                lock (published)
                {
                    published.Add(instrument);
                }

                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();

        using (var socket = await RawWebSocket.ConnectAsync(node, "/hub?user=ada"))
        {
            await socket.SendTextAsync("{\"protocol\":\"json\",\"version\":1}\u001e");
            await socket.ReadTextUntilAsync("{}");
            await socket.SendFrameAsync(0x8, [0x03, 0xE8]);
            await socket.ReadFrameAsync();
        }

        await Bounded.UntilAsync(() => Task.FromResult(Snapshot().Any(m => m.Name == "signalr.server.connection.duration")), "the connection's duration is recorded");
        await Bounded.UntilAsync(() => Task.FromResult(Snapshot().Any(m => m.Name == "http.server.request.duration")), "the request's duration is recorded");

        var seen = Snapshot().Where(m => m.Name != "http.server.request.duration" || m.Tags.Contains("/hub")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(published.GroupBy(i => i.Name).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "one instrument of each name: the framework's own");
            Assert.That(seen, Has.Some.Matches<(string Name, double Value, string Tags)>(m =>
                m.Name == "signalr.server.active_connections" && m.Value == 1 && m.Tags == "signalr.transport=web_sockets"));
            Assert.That(seen, Has.Some.Matches<(string Name, double Value, string Tags)>(m =>
                m.Name == "signalr.server.active_connections" && m.Value == -1 && m.Tags == "signalr.transport=web_sockets"));
            Assert.That(seen, Has.Some.Matches<(string Name, double Value, string Tags)>(m =>
                m.Name == "signalr.server.connection.duration" && m.Tags == "signalr.connection.status=normal_closure,signalr.transport=web_sockets"));
            Assert.That(seen, Has.Some.Matches<(string Name, double Value, string Tags)>(m =>
                m.Name == "http.server.request.duration" &&
                m.Tags == "url.scheme=http,http.request.method=GET,network.protocol.version=1.1,http.response.status_code=101,http.route=/hub"));
            Assert.That(logs.Entries, Has.Some.Matches<CapturingLoggerProvider.Entry>(e =>
                e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Level == LogLevel.Information &&
                e.Message.StartsWith("Request starting HTTP/1.1 GET http://", StringComparison.Ordinal) && e.Message.Contains("/hub?user=ada")));
        });

        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var text = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            lock (measured)
            {
                measured.Add((instrument.Name, value, text));
            }
        }

        List<(string Name, double Value, string Tags)> Snapshot()
        {
            lock (measured)
            {
                return [.. measured];
            }
        }
    }

    [Test]
    public async Task AHeadThatNeverEnds_IsAnswered408_NoLaterThanKestrelAnswersIt()
    {
        var timeout = TimeSpan.FromSeconds(2);
        var node = await StartAsync(direct: true, extra: new() { ["Kestrel:Limits:RequestHeadersTimeout"] = timeout.ToString() });
        var clock = Stopwatch.StartNew();

        var status = await RawExchange.StatusAsync(node, ["GET /hub?user=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray()]);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(408));
            // Kestrel answers between one and two seconds past its limit; the direct path may not add to that.
            Assert.That(clock.Elapsed, Is.LessThan(timeout + TimeSpan.FromSeconds(2.5)));
        });
    }

    private static readonly HashSet<string> Watched =
        ["signalr.server.active_connections", "signalr.server.connection.duration", "http.server.request.duration", "http.server.active_requests"];

    private async Task<TestNode> StartAsync(bool direct, CapturingLoggerProvider? logs = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? [])
        {
            ["Hub:WebSockets:Direct"] = direct.ToString(),
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        };
        var node = await TestNode.StartAsync(direct ? "node-direct" : "node-http", settings, logs: logs);
        _owned.Add(node);
        return node;
    }

    private static async Task<string> NegotiateAsync(TestNode node)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        using var response = await http.PostAsync("/hub/negotiate?negotiateVersion=1", null).Within();
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("connectionToken").GetString()!;
    }

    private static async Task ReadUntilAsync(NetworkStream stream, string text)
    {
        var read = new StringBuilder();
        var buffer = new byte[1024];
        while (!read.ToString().Contains(text))
        {
            var count = await stream.ReadAsync(buffer).AsTask().Within();
            if (count == 0)
            {
                Assert.Fail($"The node closed the connection before '{text}'; it sent: {read}");
            }

            read.Append(Encoding.ASCII.GetString(buffer, 0, count));
        }
    }
}
