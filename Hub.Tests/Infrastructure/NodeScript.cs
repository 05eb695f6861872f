using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A script of Hub.Tests/js run by Node that talks to the test as it goes: each line it prints
/// is a JSON object the test can wait for.
/// </summary>
public sealed class NodeScript : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly Inbox<JsonObject> _lines;

    private NodeScript(ChildProcess process, Inbox<JsonObject> lines)
    {
        _process = process;
        _lines = lines;
    }

    public static NodeScript Start(string script, params string[] args)
    {
        var info = new ProcessStartInfo(NodeBinary) { WorkingDirectory = Directory };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var lines = new Inbox<JsonObject>();
        var process = ChildProcess.Start($"node {script}", info, onOutput: line =>
        {
            if (line.StartsWith('{'))
            {
                lines.Add(JsonNode.Parse(line)!.AsObject());
            }
        });
        return new NodeScript(process, lines);
    }

    /// <summary>Runs a script to its end and returns the last line it printed (its JSON result).</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        var output = await ChildProcess.RunToSuccessAsync(NodeBinary, [script, .. args], TimeSpan.FromSeconds(40), Directory);
        return output.Trim().Split('\n')[^1];
    }

    private static string NodeBinary =>
        ProgramPath.Find("node") ?? throw new InvalidOperationException("node is not installed or not on PATH.");

    /// <summary>The Hub.Tests/js directory.</summary>
    public static string Directory => Path.Combine(RepoPaths.Root, "Hub.Tests", "js");

    /// <summary>Waits for the first printed object that has <paramref name="property"/> and returns that object.</summary>
    public async Task<JsonObject> WaitForAsync(string property, TimeSpan? timeout = null)
    {
        try
        {
            return await _lines.WaitForAsync(l => l.ContainsKey(property), $"the script to print '{property}'", timeout);
        }
        catch (AssertionException) when (_process.HasExited)
        {
            Assert.Fail($"The script exited ({await _process.WaitForExitAsync(TimeSpan.FromSeconds(10))}) before printing '{property}':\n{_process.Output}");
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
