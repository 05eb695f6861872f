namespace Hub.Testing;

/// <summary>Finds the programs the tests and the bench run (redis-server, node, chromium, nginx ...).</summary>
internal static class ProgramPath
{
    /// <summary>
    /// The path of <paramref name="name"/> on the PATH or in the usual folders, or null. /usr/sbin
    /// too: Debian puts nginx there, and it is not on every user's PATH.
    /// </summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    /// <summary>As <see cref="Find"/>; <paramref name="missing"/> says how to install it when it is not there.</summary>
    public static string Require(string name, string missing) => Find(name) ?? throw new InvalidOperationException(missing);
}
