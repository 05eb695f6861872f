using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.WebSockets;

/// <summary>
/// The same hostile upgrade requests — malformed, oversized, duplicated headers, smuggling tricks,
/// foreign hosts and origins, pipelined, trickled, bad tokens — sent to a node that serves
/// WebSockets directly and to one that leaves them all to HTTP, configured alike (AllowedHosts,
/// an origin allow-list, Kestrel limits from configuration): the direct node must answer each
/// exactly as HTTP does, so it never opens a WebSocket that ASP.NET Core would refuse.
/// </summary>
[TestFixture(AuthMode.None)]
[TestFixture(AuthMode.Jwt)]
public sealed class DirectPathDifferentialTests(DirectPathDifferentialTests.AuthMode mode)
{
    public const string AllowedOrigin = "https://app.example";
    public const int MaxRequestLineSize = 4096;
    public const int MaxRequestHeaderCount = 30;
    public const int MaxRequestHeadersTotalSize = 8192;
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(3);

    private TestNode _direct = null!;
    private TestNode _http = null!;

    public enum AuthMode
    {
        None,
        Jwt,
    }

    /// <summary>The settings both nodes share; only <c>Hub:WebSockets:Direct</c> differs.</summary>
    public static Dictionary<string, string?> Settings(bool jwt) => new(jwt ? TestTokens.NodeSettings() : [])
    {
        ["AllowedHosts"] = "127.0.0.1;localhost",
        ["Hub:Cors:Origins:0"] = AllowedOrigin,
        ["Kestrel:Limits:MaxRequestLineSize"] = MaxRequestLineSize.ToString(),
        ["Kestrel:Limits:MaxRequestHeaderCount"] = MaxRequestHeaderCount.ToString(),
        ["Kestrel:Limits:MaxRequestHeadersTotalSize"] = MaxRequestHeadersTotalSize.ToString(),
        ["Kestrel:Limits:RequestHeadersTimeout"] = RequestHeadersTimeout.ToString(),
        ["Kestrel:Limits:KeepAliveTimeout"] = KeepAliveTimeout.ToString(),
    };

    [OneTimeSetUp]
    public async Task StartNodes()
    {
        var settings = Settings(mode == AuthMode.Jwt);
        _direct = await TestNode.StartAsync("node-direct", new Dictionary<string, string?>(settings) { ["Hub:WebSockets:Direct"] = "true" });
        _http = await TestNode.StartAsync("node-http", new Dictionary<string, string?>(settings) { ["Hub:WebSockets:Direct"] = "false" });
    }

    [OneTimeTearDown]
    public async Task StopNodes()
    {
        if (_direct is not null)
        {
            await _direct.DisposeAsync();
        }

        if (_http is not null)
        {
            await _http.DisposeAsync();
        }
    }

    [TestCaseSource(typeof(HostileUpgrade), nameof(HostileUpgrade.All))]
    public async Task TheDirectNode_AnswersEachRequest_AsHttpDoes(HostileUpgrade upgrade)
    {
        var token = mode == AuthMode.Jwt ? TestTokens.Create("alice") : null;
        var viaHttp = SendAsync(_http, upgrade, token);
        var viaDirect = SendAsync(_direct, upgrade, token);
        var expected = mode == AuthMode.Jwt ? upgrade.ExpectedJwt : upgrade.Expected;
        var (http, direct) = (Settled(await viaHttp), Settled(await viaDirect));
        TestContext.Out.WriteLine($"HTTP: {http}, direct: {direct}");
        Assert.Multiple(() =>
        {
            Assert.That(direct, Is.EqualTo(http), "the direct node's answer, against the HTTP path's (0: closed, -1: reset)");
            if (expected is not null)
            {
                Assert.That(http, Is.EqualTo(expected), "what HTTP answers this request");
            }
        });

        int Settled(int status) => upgrade.ResetMayHideTheAnswer && status == RawExchange.Reset && expected is { } answer ? answer : status;
    }

    private static Task<int> SendAsync(TestNode node, HostileUpgrade upgrade, string? token) =>
        RawExchange.StatusAsync(node, upgrade.Parts(node.BaseUrl.Authority, token), upgrade.Gap);
}
