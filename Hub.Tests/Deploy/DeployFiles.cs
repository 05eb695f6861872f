using System.Text.RegularExpressions;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Deploy;

/// <summary>The deployment files of the repository, and the facts several of them must agree on.</summary>
internal static partial class DeployFiles
{
    public static string PathOf(params string[] parts) => Path.Combine([RepoPaths.Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    /// <summary>The port a node listens on in the image: ASPNETCORE_URLS in deploy/Dockerfile.</summary>
    public static int ImagePort => int.Parse(Match(UrlsPattern(), Read("deploy", "Dockerfile"), "ASPNETCORE_URLS=http://+:<port> in deploy/Dockerfile"));

    /// <summary>The affinity cookie of deploy/nginx.conf, which the Kubernetes ingress names the same.</summary>
    public static string AffinityCookie => Match(CookiePattern(), Read("deploy", "nginx.conf"), "map $cookie_<name> $hub_affinity in deploy/nginx.conf");

    public static string Match(Regex pattern, string text, string what)
    {
        var match = pattern.Match(text);
        Assert.That(match.Success, $"Expected {what}.");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"ASPNETCORE_URLS=http://\+:(\d+)")]
    private static partial Regex UrlsPattern();

    [GeneratedRegex(@"map \$cookie_(\w+) \$hub_affinity ")]
    private static partial Regex CookiePattern();
}
