using System.Net;
using System.Net.Sockets;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

/// <summary>
/// A node that cannot start, run as an operator runs it (its own process): one line that names the
/// key, the value and what is allowed — or the port in use — a non-zero exit code, and no stack.
/// </summary>
public sealed class StartupErrorTests
{
    [TestCase("Hub__Limits__MessagesPerSecond", "-1", "Hub:Limits:MessagesPerSecond (-1) must be greater than 0")]
    [TestCase("Hub__Presence__NodeTimeoutSeconds", "2", "Hub:Presence:NodeTimeoutSeconds (2) must be more than twice Hub:Presence:HeartbeatSeconds (5)")]
    [TestCase("Hub__Auth__Mode", "Oauth", "Hub:Auth:Mode ('Oauth') must be one of None, Jwt")]
    [TestCase("Hub__Limits__MaxConnections", "many", "Hub:Limits:MaxConnections ('many') must be a whole number")]
    [TestCase("Hub__Redis", "127.0.0.1:notaport", "Hub:Redis ('127.0.0.1:notaport')")]
    [TestCase("Hub__Tcp__Address", "localhost", "Hub:Tcp:Address ('localhost')")]
    [TestCase("Hub__History__Ttl", "soon", "Hub:History:Ttl ('soon') must be a time span")]
    [TestCase("Hub__Api__Docs", "yes", "Hub:Api:Docs ('yes') must be true or false")]
    [TestCase("Hub__Upstream__Url", "http://127.0.0.1:9/hooks", "Hub:Upstream:Secret is required with Hub:Upstream:Url")]
    public async Task AnInvalidSetting_StopsTheNode_WithOneLineNamingKeyValueAndWhatIsAllowed(string variable, string value, string expected)
    {
        var run = await RunNodeAsync(new Dictionary<string, string> { [variable] = value }, FreeUrl());

        AssertOneLine(run, expected);
    }

    [Test]
    public async Task APortInUse_StopsTheNode_WithOneLine_AndNothingElseComplains()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;
        var redis = await SharedRedis.GetAsync();

        var run = await RunNodeAsync(new Dictionary<string, string> { ["Hub__Redis"] = redis.Configuration }, $"http://127.0.0.1:{port}");

        AssertOneLine(run, "address already in use");
    }

    // Nodes of two key layouts on one Redis would each see half the cluster. (A Redis Cluster is no
    // start error any more: NodesOnRedisClusterTests starts nodes on one and sends across them.)
    [Test]
    public async Task ARedisHoldingAnotherKeyLayout_StopsTheNode_WithOneLine()
    {
        await using var redis = await RedisServer.StartAsync().Within(TimeSpan.FromSeconds(30));
        await redis.Database.StringSetAsync("hub:{all}:layout", "v3 p64").Within();

        var run = await RunNodeAsync(new Dictionary<string, string> { ["Hub__Redis"] = redis.Configuration }, FreeUrl());

        AssertOneLine(run, "holds Hub's key layout 'v3 p64' (hub:{all}:layout), and this node uses 'v2 p64'");
    }

    private static void AssertOneLine(ChildProcess.Result run, string expected)
    {
        var errors = run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.Not.Zero, "the exit code");
            Assert.That(errors, Has.Length.EqualTo(1), $"one line on standard error: {run}");
            Assert.That(errors.FirstOrDefault(), Does.StartWith("Hub cannot start: ").And.Contain(expected));
            Assert.That(run.Output + run.Errors, Does.Not.Match(@"(?m)^\s+at "), "no stack trace");
            Assert.That(run.Output, Does.Not.Contain("fail:").And.Not.Contain("crit:"), "no other error logged");
        });
    }

    private static Task<ChildProcess.Result> RunNodeAsync(Dictionary<string, string> settings, string url)
    {
        var environment = new Dictionary<string, string>(settings)
        {
            ["ASPNETCORE_URLS"] = url,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_NOLOGO"] = "1",
        };
        return ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Hub.Server.dll")], TimeSpan.FromSeconds(60), AppContext.BaseDirectory, environment);
    }

    private static string FreeUrl() => $"http://127.0.0.1:{Ports.Free()}";
}
