using System.Diagnostics;

namespace Hub.Testing;

/// <summary>
/// A built ASP.NET Core server (a Hub node, a bench peer) run with <c>dotnet</c> as a child
/// process on a free loopback port, configured through its environment, and returned once its
/// <see cref="Readiness"/> request succeeds.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private ServerProcess(ChildProcess process, Uri baseUrl)
    {
        Process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ChildProcess Process { get; }

    /// <param name="serverDll">The server's build: it runs in that build's folder.</param>
    /// <param name="settings">Configuration keys (<c>Hub:Redis</c>) or environment variables; over the node's log level, Warning.</param>
    /// <param name="keptLines">How many of its last lines <see cref="ChildProcess.Output"/> keeps.</param>
    public static async Task<ServerProcess> StartAsync(
        string serverDll, string name, IReadOnlyDictionary<string, string?> settings, Readiness readiness, int keptLines = ChildProcess.TailLines)
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

        var server = new ServerProcess(ChildProcess.Start(name, info, keptLines), baseUrl);
        try
        {
            await server.Process.WaitUntilServingAsync(readiness.Method, new Uri(baseUrl, readiness.Path), StartTimeout);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
