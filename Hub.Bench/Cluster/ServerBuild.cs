using System.Reflection;

namespace Hub.Bench.Cluster;

/// <summary>
/// Finds the builds of the servers the bench runs as child processes (Hub.Server, the peers of
/// <c>peers/</c>). The bench's project references to them (without their assemblies) build them
/// first, in the bench's own configuration, so a Release bench runs Release servers.
/// </summary>
internal static class ServerBuild
{
    public static string FindServerDll() => FindDll("Hub.Server", "Hub.Server");

    public static string FindRawPeerDll() => FindDll(Path.Combine("Hub.Bench", "peers", "raw"), "Hub.Bench.RawPeer");

    public static string FindSignalRPeerDll() => FindDll(Path.Combine("Hub.Bench", "peers", "signalr"), "Hub.Bench.SignalRPeer");

    /// <param name="projectFolder">The project's folder, from the repository root.</param>
    private static string FindDll(string projectFolder, string assemblyName)
    {
        var configuration = typeof(ServerBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var root = RepoPaths.Root;
        var dll = Path.Combine(root, projectFolder, "bin", configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"{dll} is missing. Build it first: dotnet build -c {configuration} {projectFolder} (dotnet run --project Hub.Bench does it).");
        }

        return dll;
    }
}
