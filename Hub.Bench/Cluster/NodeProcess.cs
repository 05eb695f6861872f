using System.Diagnostics;

namespace Hub.Bench.Cluster;

/// <summary>
/// A node as a child process: a built ASP.NET Core server (Hub.Server, a peer) run with
/// <c>dotnet</c>, configured through its environment, ready once its readiness request succeeds.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly ChildProcess _process;

    private NodeProcess(ChildProcess process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ChildProcess Process => _process;

    /// <param name="settings">Configuration keys (<c>Hub:Redis</c>) or environment variables.</param>
    /// <param name="readiness">The request that succeeds once the node serves, given its base URL.</param>
    public static async Task<NodeProcess> StartAsync(
        string serverDll, string name, IReadOnlyDictionary<string, string> settings, Func<Uri, HttpRequestMessage> readiness)
    {
        var baseUrl = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { serverDll },
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        info.Environment["ASPNETCORE_URLS"] = baseUrl.ToString();
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var node = new NodeProcess(ChildProcess.Start(name, info), baseUrl);
        try
        {
            await node.WaitUntilServingAsync(readiness);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task WaitUntilServingAsync(Func<Uri, HttpRequestMessage> readiness)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var request = readiness(BaseUrl);
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException(
            $"Node {_process.Name} did not become ready at {BaseUrl} within {StartTimeout.TotalSeconds:0} s (exited: {_process.HasExited}):\n{_process.Tail}");
    }
}
