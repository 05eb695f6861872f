using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A script of Hub.Tests/js run by Node that talks to the test as it goes: each line it prints
/// is a JSON object the test can wait for.
/// </summary>
public sealed class NodeScript : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Inbox<JsonObject> _lines = new();
    private readonly System.Text.StringBuilder _errors = new();

    private NodeScript(Process process)
    {
        _process = process;
    }

    public static NodeScript Start(string script, params string[] args)
    {
        var info = new ProcessStartInfo(NodeBinary) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"node {script} did not start.");
        var running = new NodeScript(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line && line.StartsWith('{'))
            {
                running._lines.Add(JsonNode.Parse(line)!.AsObject());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (running._errors)
            {
                running._errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>Runs a script to its end and returns the last line it printed (its JSON result).</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        var output = await ChildProcess.RunToSuccessAsync(NodeBinary, [script, .. args], TimeSpan.FromSeconds(40), Directory);
        return output.Trim().Split('\n')[^1];
    }

    private static string NodeBinary =>
        RedisServer.FindOnPath("node") ?? throw new InvalidOperationException("node is not installed or not on PATH.");

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
            string errors;
            lock (_errors)
            {
                errors = _errors.ToString();
            }

            Assert.Fail($"The script exited ({_process.ExitCode}) before printing '{property}':\n{errors}");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
