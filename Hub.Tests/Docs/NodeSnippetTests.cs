using System.Text.Json;
using Hub.Testing;
using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Docs;

/// <summary>
/// The documented JavaScript snippets, each run as written by Node as an ES module, with the
/// official client the tests install (Hub.Tests/js/node_modules), against a real node. Around a
/// snippet the test adds only what its reader supplies (<c>getFreshToken</c>) and, after it, a
/// report of the connection it made.
/// </summary>
public sealed class NodeSnippetTests
{
    /// <summary>Before the snippet: console.log kept for the report, the reader's token function, a deadline.</summary>
    private const string Prelude = """
        const __printed = [];
        const __log = console.log;
        console.log = (...args) => { __printed.push(args.join(" ")); __log(...args); };
        globalThis.getFreshToken = async () => process.env.HUB_DOCS_TOKEN;
        setTimeout(() => { console.error("the snippet did not finish within 20 s"); process.exit(3); }, 20000).unref();

        """;

    /// <summary>After the snippet: waits for the line the test expects, then reports the connection and stops.</summary>
    private const string Report = """

        ;
        for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
          if (!process.env.HUB_DOCS_EXPECT || __printed.includes(process.env.HUB_DOCS_EXPECT)) break;
          await new Promise(resolve => setTimeout(resolve, 20));
        }
        const __presence = connection.state === "Connected" ? await connection.invoke("GetPresence", null) : null;
        __log(JSON.stringify({ state: connection.state, printed: __printed, users: __presence && __presence.users }));
        await connection.stop();
        process.exit(0);
        """;

    /// <summary>How each snippet runs: told apart by what it does, a node to match, the line it must print, the user it must be.</summary>
    private static readonly JsCase[] Cases =
    [
        new("accessTokenFactory", Jwt: true, ExpectPrinted: null),
        new("connection.on(\"Receive\"", Jwt: false, ExpectPrinted: "group:room #2 alice typing: {\"typing\":true}"),
    ];

    public static IEnumerable<TestCaseData> JsSnippets() => MarkdownDocs.CasesOf("js");

    [TestCaseSource(nameof(JsSnippets))]
    public async Task TheSnippet_RunsInNode_AndConnectsAsAlice(string snippet)
    {
        var known = Cases.FirstOrDefault(c => snippet.Contains(c.Marker, StringComparison.Ordinal));
        Assert.That(known, Is.Not.Null, "A JavaScript snippet no case here knows: add one to NodeSnippetTests.Cases.");

        await using var node = await TestNode.StartAsync("docs", known!.Jwt ? TestTokens.NodeSettings() : new Dictionary<string, string?>());
        var script = SnippetRun.PointAt(node, snippet);
        using var folder = new ScriptFolder();
        var path = folder.Write(Prelude + script + Report);

        var output = await ChildProcess.RunToSuccessAsync(
            ProgramPath.Find("node") ?? throw new InvalidOperationException("node is not installed or not on PATH."),
            [path], TimeSpan.FromSeconds(30), folder.Path,
            new Dictionary<string, string>
            {
                ["HUB_DOCS_TOKEN"] = TestTokens.Create("alice"),
                ["HUB_DOCS_EXPECT"] = known.ExpectPrinted ?? "",
            });

        // The client logs too (to the console, as it does by default): the report is the JSON line.
        using var report = JsonDocument.Parse(output.Split('\n').Last(l => l.StartsWith('{')));
        var root = report.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("state").GetString(), Is.EqualTo("Connected"));
            Assert.That(root.GetProperty("users").EnumerateArray().Select(u => u.GetString()), Is.EqualTo(new[] { "alice" }));
            if (known.ExpectPrinted is { } line)
            {
                Assert.That(root.GetProperty("printed").EnumerateArray().Select(p => p.GetString()), Does.Contain(line));
            }
        });
    }

    private sealed record JsCase(string Marker, bool Jwt, string? ExpectPrinted);

    /// <summary>A folder of its own for the script, where Node finds the tests' packages.</summary>
    private sealed class ScriptFolder : IDisposable
    {
        public ScriptFolder()
        {
            Path = Directory.CreateTempSubdirectory("hub-docs-").FullName;
            Directory.CreateSymbolicLink(System.IO.Path.Combine(Path, "node_modules"), System.IO.Path.Combine(NodeScript.Directory, "node_modules"));
        }

        public string Path { get; }

        public string Write(string script)
        {
            var file = System.IO.Path.Combine(Path, "snippet.mjs");
            File.WriteAllText(file, script);
            return file;
        }

        public void Dispose()
        {
            // The link first, on its own: deleting it must never reach the packages it points to.
            File.Delete(System.IO.Path.Combine(Path, "node_modules"));
            Directory.Delete(Path, recursive: true);
        }
    }
}
