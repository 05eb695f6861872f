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
    /// <param name="readinessMethod">With <paramref name="readinessPath"/>: the request that succeeds once the node serves.</param>
    public static async Task<NodeProcess> StartAsync(
        string serverDll, string name, IReadOnlyDictionary<string, string> settings, HttpMethod readinessMethod, string readinessPath)
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
            await node.WaitUntilServingAsync(readinessMethod, readinessPath);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private Task WaitUntilServingAsync(HttpMethod method, string path) =>
        _process.WaitUntilServingAsync(method, new Uri(BaseUrl, path), StartTimeout);
}
