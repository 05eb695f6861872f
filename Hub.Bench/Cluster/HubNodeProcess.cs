using System.Diagnostics;

namespace Hub.Bench.Cluster;

/// <summary>A Hub node as a child process: the built Hub.Server, configured through its environment.</summary>
internal sealed class HubNodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly ChildProcess _process;

    private HubNodeProcess(ChildProcess process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ChildProcess Process => _process;

    public static async Task<HubNodeProcess> StartAsync(string serverDll, string nodeId, IReadOnlyDictionary<string, string> settings)
    {
        var baseUrl = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { serverDll },
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        info.Environment["ASPNETCORE_URLS"] = baseUrl.ToString();
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Hub__NodeId"] = nodeId;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var node = new HubNodeProcess(ChildProcess.Start(nodeId, info), baseUrl);
        try
        {
            await node.WaitUntilServingAsync();
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    // Negotiate answers once the hub, and with it the bus subscription, is up.
    private Task WaitUntilServingAsync() =>
        _process.WaitUntilServingAsync(HttpMethod.Post, new Uri(BaseUrl, "/hub/negotiate?negotiateVersion=1"), StartTimeout);
}
