namespace Hub.Testing;

/// <summary>Places in the source tree, found by walking up from the running build's output to Hub.sln.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Hub.sln was not found above {AppContext.BaseDirectory}: run the tests and the bench from their build in the repository.");
    });

    /// <summary>The clone this build was made in: where the server's build, the peers' and the tests' files are.</summary>
    public static string Root => RootDirectory.Value;

    /// <summary>The demo page's files; the build puts the browser client in its lib folder.</summary>
    public static string DemoWebRoot => Path.Combine(Root, "Hub.Server", "wwwroot");

    /// <summary>Where test artefacts (the demo screenshot, failure screenshots) go; created on demand.</summary>
    public static string TestResults => Directory.CreateDirectory(Path.Combine(Root, "TestResults")).FullName;
}
