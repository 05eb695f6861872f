using System.Collections.Concurrent;
using Hub.Client;
using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Docs;

/// <summary>
/// The documented shell snippets: run by bash against a real node, or left out here with the reason
/// and the test that covers what they do instead. A snippet that is neither fails.
/// </summary>
public sealed class ShellSnippetTests
{
    private const string ApiKey = "change-me";

    /// <summary>Snippets this suite does not run, by how their first line starts, and why.</summary>
    private static readonly Dictionary<string, string> NotRunHere = new()
    {
        ["dotnet run --project Hub.Server"] =
            "starts a node on port 5000 until it is stopped; the tests start the same app in process (TestNode) and as a process (NodeProcess), and this machine's port 5000 may be anyone's",
        ["Hub__Redis=127.0.0.1:6379 Hub__NodeId=node-1 dotnet run"] =
            "starts two nodes until they are stopped; every behaviour test runs two nodes on one Redis (Topology.Redis)",
        ["Hub__Auth__Mode=Jwt \\"] =
            "starts a node until it is stopped, with a placeholder key; the Auth tests run nodes in Jwt mode, and the key command below is run here",
        ["Hub__Upstream__Url="] =
            "starts a node until it is stopped, with a placeholder backend; UpstreamEndToEndTests run nodes with an upstream, and DotNetSnippetTests the documented backend",
        ["./test.sh"] = "runs this very suite",
        ["dotnet test Hub.Tests"] = "runs the tests themselves",
        ["dotnet run -c Release --project Hub.Bench"] = "the benchmark takes minutes and the whole machine; ./test.sh runs a --smoke of every scenario",
        ["cp -r Hub.Server/bin/Release/net10.0 /tmp/hub-base"] = "an A/B run of the benchmark; ./test.sh runs a --smoke of every scenario",
        ["# Once: the nodes' secrets, fresh and random, in .env"] =
            "needs a Docker engine; DockerComposeTests check the file with docker-compose config, its secrets from an env file",
        ["# Once: the nodes' secrets, fresh and random, in the namespace"] =
            "needs a Kubernetes cluster; KubernetesManifestTests check the manifests, and that this snippet makes their Secret",
        ["deploy/local-cluster.sh up"] = "LocalClusterScriptTests and LoadBalancerTests run the script: up, status and down",
    };

    public static IEnumerable<TestCaseData> ShellSnippets() => MarkdownDocs.CasesOf("sh");

    [TestCaseSource(nameof(ShellSnippets))]
    public async Task TheSnippet_RunsAsDocumented_OrIsCoveredElsewhere(string snippet)
    {
        var first = snippet.Split('\n')[0];
        if (first.StartsWith("KEY=", StringComparison.Ordinal))
        {
            await RunApiCallsAsync(snippet);
        }
        else if (first.Contains("openssl rand", StringComparison.Ordinal))
        {
            await RunKeyCommandAsync(snippet);
        }
        else
        {
            var reason = NotRunHere.FirstOrDefault(e => first.StartsWith(e.Key, StringComparison.Ordinal)).Value;
            Assert.That(reason, Is.Not.Null,
                $"A shell snippet that no test runs: '{first}'. Run it in ShellSnippetTests, or add it to NotRunHere with the reason and the test that covers it.");
            // Not an empty pass: NotRunHere names, for each such snippet, why it cannot run here
            // (a Docker engine, a Kubernetes cluster, a long-running server) and the test that
            // covers what it does; a snippet missing from it fails above.
            Assert.Pass($"Not run here: {reason}.");
        }
    }

    [Test]
    public void EverySnippetLeftOut_IsStillInTheDocs()
    {
        var firstLines = MarkdownDocs.Blocks.Where(b => b.Language == "sh").Select(b => b.Text.Split('\n')[0]).ToList();
        var stale = NotRunHere.Keys.Where(key => !firstLines.Any(line => line.StartsWith(key, StringComparison.Ordinal)));

        Assert.That(stale, Is.Empty, "Reasons for snippets the docs no longer have: remove them from NotRunHere.");
    }

    /// <summary>
    /// The HTTP API's curl examples, top to bottom, against a node with their key and a live
    /// connection as <c>$CONN</c>: every call must succeed, and the connection must get what
    /// they send it, then be disconnected.
    /// </summary>
    private static async Task RunApiCallsAsync(string snippet)
    {
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?> { ["Hub:Api:Keys:0"] = ApiKey });
        await using var alice = new HubClient(new HubClientOptions { Url = new Uri(node.HubUrl, "?user=alice") });
        var received = new ConcurrentQueue<string>();
        alice.MessageReceived += m => received.Enqueue(m.Text ?? m.Data.GetRawText());
        var closed = new TaskCompletionSource();
        alice.Closed += _ => closed.TrySetResult();
        await alice.StartAsync().Within();

        var statuses = Path.GetTempFileName();
        try
        {
            // curl as written, but also noting each answer's status for the test.
            var prelude = $"curl() {{ command curl -sS -o /dev/null -w '%{{http_code}} %{{method}} %{{url_effective}}\\n' \"$@\" >> '{statuses}'; }}\n";
            await ChildProcess.RunToSuccessAsync("bash", ["-euo", "pipefail", "-c", prelude + SnippetRun.PointAt(node, snippet)], TimeSpan.FromSeconds(60),
                environment: new Dictionary<string, string> { ["CONN"] = alice.ConnectionId! });

            var answers = (await File.ReadAllLinesAsync(statuses)).Where(l => l.Length > 0).ToList();
            var calls = snippet.Split('\n').Count(l => l.StartsWith("curl ", StringComparison.Ordinal));
            await closed.Task.Within();
            Assert.Multiple(() =>
            {
                Assert.That(answers, Has.Count.EqualTo(calls), "every curl ran");
                Assert.That(answers, Has.All.Match(@"^2\d\d "), "every call succeeded");
                Assert.That(received, Is.SupersetOf(new[] { "hello", "{\"id\":\"o-17\",\"total\":12.5}", "hi all", "hi you" }), "what the calls sent to alice and her connection");
            });
        }
        finally
        {
            File.Delete(statuses);
        }
    }

    /// <summary>The key command: its key is one a node in Jwt mode starts with.</summary>
    private static async Task RunKeyCommandAsync(string snippet)
    {
        var key = (await ChildProcess.RunToSuccessAsync("bash", ["-euo", "pipefail", "-c", snippet], TimeSpan.FromSeconds(10))).Trim();

        Assert.That(key, Does.StartWith("base64:"));
        Assert.That(Convert.FromBase64String(key["base64:".Length..]), Has.Length.EqualTo(32));
        var settings = TestTokens.NodeSettings();
        settings["Hub:Auth:Jwt:SigningKey"] = key;
        await using var node = await TestNode.StartAsync("docs", settings);
    }
}
