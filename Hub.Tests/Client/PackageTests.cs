using System.IO.Compression;
using System.Xml.Linq;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Client;

/// <summary>Hub.Client as a package people can take: what <c>dotnet pack</c> makes of it.</summary>
public sealed class PackageTests
{
    [Test]
    public async Task ThePackage_CarriesItsLicenseReadmeAuthorsRepositoryAndSymbols()
    {
        var output = Directory.CreateTempSubdirectory("hub-pack-").FullName;
        try
        {
            // The test run built Hub.Client already, in the same configuration as this assembly.
            await ChildProcess.RunToSuccessAsync("dotnet",
                ["pack", Path.Combine(RepoPaths.Root, "Hub.Client", "Hub.Client.csproj"), "-c", Configuration, "--no-build", "-o", output, "--nologo"],
                TimeSpan.FromMinutes(2));

            var package = Directory.GetFiles(output, "Hub.Client.*.nupkg").Single();
            using var zip = ZipFile.OpenRead(package);
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            string? Field(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            var license = nuspec.Descendants().Single(e => e.Name.LocalName == "license");
            var repository = nuspec.Descendants().Single(e => e.Name.LocalName == "repository");

            Assert.Multiple(() =>
            {
                Assert.That((license.Attribute("type")?.Value, license.Value), Is.EqualTo(("expression", "MIT")));
                Assert.That(Field("readme"), Is.EqualTo("README.md"));
                Assert.That(zip.GetEntry("README.md"), Is.Not.Null, "the readme inside the package");
                Assert.That(Field("authors"), Is.Not.Empty.And.Not.EqualTo("Hub.Client"), "authors, not the package id the SDK falls back to");
                Assert.That(repository.Attribute("url")?.Value, Does.StartWith("https://"));
                Assert.That(zip.Entries.Select(e => e.FullName), Has.Some.EndsWith("Hub.Client.xml"), "the XML docs of the public API");
                Assert.That(Directory.GetFiles(output, "Hub.Client.*.snupkg"), Has.Length.EqualTo(1), "the symbols package");
                Assert.That(File.Exists(Path.Combine(RepoPaths.Root, "LICENSE")), "the repository's license file");
            });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
