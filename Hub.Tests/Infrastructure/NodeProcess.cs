using System.Diagnostics;
using System.Text;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A Hub node in its own process (the Hub.Server build beside the tests), for tests where a
/// death must be real: <see cref="Kill"/> is SIGKILL, so no disconnect handler and no shutdown
/// code of the node runs.
/// </summary>
public sealed class NodeProcess : HubNode, IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(Process process, Uri baseUrl, string nodeId) : base(baseUrl, nodeId)
    {
        _process = process;
    }

    /// <summary>What the node wrote to stdout and stderr, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="untilReady">
    /// Return once the hub takes connections (Redis connected, the bus subscribed); false: once
    /// the process answers at all (/healthz), for a node that starts without its Redis.
    /// </param>
    public static async Task<NodeProcess> StartAsync(string nodeId, IReadOnlyDictionary<string, string?> settings, bool untilReady = true)
    {
        var port = RedisServer.FreePort();
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Hub.Server.dll") },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ASPNETCORE_URLS"] = baseUrl.ToString();
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Hub__NodeId"] = nodeId;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__")] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("The node process did not start.");
        var node = new NodeProcess(process, baseUrl, nodeId);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await node.WaitUntilServingAsync(untilReady);
        return node;
    }

    /// <summary>SIGKILL: the node dies at once, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, as an orchestrator stops a node: it drains, then exits.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Signal(Signals.Terminate);
        }
    }

    /// <summary>SIGSTOP: the node stops reading anything, its connections stay open.</summary>
    public void Pause() => Signal(Signals.Stop);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => Signal(Signals.Continue);

    /// <summary>Waits, bounded, for the process to end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.CompletedTask;
        _process.Dispose();
    }

    private void Signal(int signal) => Signals.Send(_process, signal, $"node {NodeId}");

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilServingAsync(bool untilReady)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                // Negotiate answers once the hub (and with it the bus subscription) is up.
                using var response = untilReady
                    ? await http.PostAsync(new Uri(HubUrl + "/negotiate?negotiateVersion=1"), null)
                    : await http.GetAsync(new Uri(BaseUrl, "/healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        Kill();
        Assert.Fail($"Node {NodeId} did not serve {HubUrl} within 30 s (exited: {_process.HasExited}). Its output:\n{Output}");
    }
}
