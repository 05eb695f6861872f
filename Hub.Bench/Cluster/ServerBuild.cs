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

    /// <param name="projectFolder">The project's folder, from the repository root.</param>
    private static string FindDll(string projectFolder, string assemblyName)
    {
        var configuration = typeof(ServerBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var root = RepositoryRoot();
        var dll = Path.Combine(root, projectFolder, "bin", configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"{dll} is missing. Build it first: dotnet build -c {configuration} {projectFolder} (dotnet run --project Hub.Bench does it).");
        }

        return dll;
    }

    /// <summary>The clone the bench was built in: where the server's build and the peers' files are.</summary>
    public static string RepositoryRoot()
    {
        // Bounded walk up from the bench's own output folder (Hub.Bench/bin/<config>/net10.0/).
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        for (var i = 0; i < 8 && directory is not null; i++, directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hub.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Hub.sln above {AppContext.BaseDirectory}: run the bench from its build in the repository.");
    }
}
