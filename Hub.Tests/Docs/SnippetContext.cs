using Hub.Tests.Infrastructure;

namespace Hub.Tests.Docs;

/// <summary>
/// What the documented .NET snippets run in, so that they run as written. A snippet names its node
/// as a reader's program would (<c>http://localhost:5000</c>, <c>https://hub.example.com</c>) and
/// talks to the console; in a class derived from this one, <see cref="Uri"/> points those addresses
/// at the test's node and <see cref="Console"/> is the test's. Both offer only what
/// <see cref="System.Uri"/> and <see cref="System.Console"/> offer, so what compiles here
/// compiles in a reader's program.
/// </summary>
internal abstract class SnippetContext
{
    /// <summary>A <see cref="System.Uri"/> whose documented addresses lead to the running test's node.</summary>
    protected sealed class Uri(string uriString) : System.Uri(SnippetRun.Current.Resolve(uriString));

    /// <summary>The console of the running test: what is written is kept, and Enter is pressed once the test has seen enough.</summary>
    protected static class Console
    {
        public static void WriteLine(string? value) => SnippetRun.Current.Print(value ?? "");

        public static string? ReadLine() => SnippetRun.Current.WaitForEnter();
    }
}

/// <summary>
/// One run of a documented snippet against a node: the addresses it may name, what it printed,
/// and when its reader would press Enter. One at a time: the snippets reach it through a static.
/// </summary>
internal sealed class SnippetRun : IDisposable
{
    /// <summary>The addresses the docs give a node; a snippet run sends them to the test's node.</summary>
    public static readonly string[] DocumentedOrigins = ["http://localhost:5000", "https://hub.example.com"];

    private static SnippetRun? _current;

    private readonly HubNode _node;
    private readonly Func<IReadOnlyList<string>, bool> _enterWhen;
    private readonly List<string> _printed = [];

    private SnippetRun(HubNode node, Func<IReadOnlyList<string>, bool> enterWhen)
    {
        _node = node;
        _enterWhen = enterWhen;
    }

    public static SnippetRun Current => _current ?? throw new InvalidOperationException("A documented snippet ran outside a SnippetRun.");

    /// <summary>What the snippet wrote, a line each.</summary>
    public IReadOnlyList<string> Printed
    {
        get
        {
            lock (_printed)
            {
                return [.. _printed];
            }
        }
    }

    /// <param name="node">Where the documented addresses lead.</param>
    /// <param name="enterWhen">When the snippet's <c>Console.ReadLine()</c> returns: once what it printed satisfies this.</param>
    public static SnippetRun Start(HubNode node, Func<IReadOnlyList<string>, bool>? enterWhen = null)
    {
        var run = new SnippetRun(node, enterWhen ?? (_ => true));
        if (Interlocked.CompareExchange(ref _current, run, null) is not null)
        {
            throw new InvalidOperationException("Another snippet run is under way.");
        }

        return run;
    }

    /// <summary>Waits, bounded, until the snippet printed what <paramref name="done"/> looks for.</summary>
    public Task UntilPrintedAsync(Func<IReadOnlyList<string>, bool> done, string what) =>
        Bounded.UntilAsync(() => Task.FromResult(done(Printed)), $"{what}; it printed: {string.Join(" | ", Printed)}");

    /// <summary>A snippet's text with every documented address replaced by the node's.</summary>
    public static string PointAt(HubNode node, string text) =>
        DocumentedOrigins.Aggregate(text, (replaced, origin) => replaced.Replace(origin, node.BaseUrl.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal));

    public string Resolve(string address) => PointAt(_node, address);

    public void Print(string line)
    {
        lock (_printed)
        {
            _printed.Add(line);
            Monitor.PulseAll(_printed);
        }
    }

    public string WaitForEnter()
    {
        var deadline = DateTime.UtcNow + Bounded.Default;
        lock (_printed)
        {
            while (!_enterWhen(_printed))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_printed, left))
                {
                    throw new TimeoutException($"The snippet waited for Enter, but never printed what the test waits for; it printed: {string.Join(" | ", _printed)}");
                }
            }
        }

        return "";
    }

    public void Dispose() => Interlocked.CompareExchange(ref _current, null, this);
}
