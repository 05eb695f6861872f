using System.Reflection;

namespace Hub.Bench.Cluster;

/// <summary>
/// Finds the Hub.Server build to run as child processes. The bench's project reference to
/// Hub.Server (without its assembly) builds it first, in the bench's own configuration, so a
/// Release bench runs a Release server.
/// </summary>
internal static class ServerBuild
{
    public static string FindServerDll()
    {
        var configuration = typeof(ServerBuild).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var root = RepositoryRoot();
        var dll = Path.Combine(root, "Hub.Server", "bin", configuration, "net10.0", "Hub.Server.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"{dll} is missing. Build the server first: dotnet build -c {configuration} Hub.Server (dotnet run --project Hub.Bench does it).");
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
