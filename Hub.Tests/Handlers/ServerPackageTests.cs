using System.IO.Compression;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Handlers;

/// <summary>
/// Library mode is a <c>PackageReference</c> away: Hub.Server and Hub.Client packed to a folder,
/// and an application of its own, outside the repository, built against the packages alone: the
/// program the package's readme shows.
/// </summary>
public sealed class ServerPackageTests
{
    [Test]
    public async Task TheReadmesApplication_BuildsAgainstThePackagesAlone()
    {
        var work = Directory.CreateTempSubdirectory("hub-server-package-").FullName;
        // A version of this run's own, so no package cached from another run stands in for these.
        // The random part starts with a letter: eight hex digits that happen to be all decimal with a
        // leading zero are a numeric identifier SemVer refuses ("07985841"), and pack fails.
        var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.r{Guid.NewGuid().ToString("N")[..8]}";
        var feed = Path.Combine(work, "feed");
        var app = Path.Combine(work, "app");
        try
        {
            foreach (var project in new[] { "Hub.Client", "Hub.Server" })
            {
                // The test run built both already, in the same configuration as this assembly.
                await ChildProcess.RunToSuccessAsync("dotnet",
                    ["pack", Path.Combine(RepoPaths.Root, project, $"{project}.csproj"), "-c", Configuration, "--no-build", "-o", feed, "--nologo", $"-p:PackageVersion={version}"],
                    TimeSpan.FromMinutes(2));
            }

            using (var server = ZipFile.OpenRead(Path.Combine(feed, $"Hub.Server.{version}.nupkg")))
            {
                var entries = server.Entries.Select(e => e.FullName).ToList();
                Assert.That(entries, Has.Some.EqualTo("lib/net10.0/Hub.Server.dll"));
                Assert.That(entries, Has.Some.EqualTo("lib/net10.0/Hub.Server.xml"), "the XML docs of the library's API");
                Assert.That(entries, Has.None.StartsWith("staticwebassets/").And.None.StartsWith("content"), "the stand-alone server's demo page and settings stay out");
            }

            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="hub" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk.Web">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <WarningsNotAsErrors>NU1603;NU1900</WarningsNotAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Hub.Server" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            // The package's own README, as its readers will copy it, and a client beside it.
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), ReadmeProgram() + """

                // Hub.Client comes with the server's package.
                static class Clients
                {
                    public static Task<DateTimeOffset> TimeAsync(Hub.Client.HubClient client) => client.CallAsync<DateTimeOffset>("time", null);
                }
                """);

            await ChildProcess.RunToSuccessAsync("dotnet", ["build", app, "--nologo", "-v", "q"], TimeSpan.FromMinutes(4), workingDirectory: app);

            Assert.That(File.Exists(Path.Combine(app, "bin", "Debug", "net10.0", "Hub.Server.dll")), "the application runs with the package's assembly");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            ForgetCached(version);
        }
    }

    /// <summary>The C# program of Hub.Server/README.md, the package's readme.</summary>
    private static string ReadmeProgram()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "Hub.Server", "README.md"));
        var start = readme.IndexOf("```csharp\n", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "Hub.Server/README.md shows a C# program");
        start += "```csharp\n".Length;
        return readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
    }

    // This run's versions, out of the machine's package cache again.
    private static void ForgetCached(string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ??
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "hub.server", "hub.client" })
        {
            var folder = Path.Combine(cache, id, version);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
