using Hub.Server;
using NetArchTest.Rules;

namespace Hub.Tests.Architecture;

/// <summary>
/// Hub.Server's folders depend on each other one way, lowest first: each may use only the
/// folders before it in <see cref="Layers"/>, and the composition root (<c>HubServerApp</c>) all
/// of them. A type that needs something from a later folder lives in the wrong place, or the
/// later folder's piece belongs lower (docs/architecture.md).
/// </summary>
public sealed class LayeringTests
{
    public static readonly string[] Layers =
    [
        "Core", "Coalescing", "Handlers", "Upstream", "Redis", "History", "Presence", "Backplane", "Limits", "Connections", "Drain",
        "Messaging", "Recovery", "Delivery", "Groups", "Cluster",
        "Cors", "Auth", "Hubs", "Api", "Tcp", "WebSockets", "Web", "Health", "Telemetry",
    ];

    [TestCaseSource(nameof(Layers))]
    public void AFolder_UsesOnlyTheFoldersBeforeIt(string folder)
    {
        var later = Layers.SkipWhile(l => l != folder).Skip(1).Select(l => $"Hub.Server.{l}").ToArray();

        var result = Types.InAssembly(typeof(HubServerApp).Assembly)
            .That().ResideInNamespaceMatching($@"^Hub\.Server\.{folder}$")
            .ShouldNot().HaveDependencyOnAny(later)
            .GetResult();

        Assert.That(result.FailingTypeNames ?? [], Is.Empty, $"types of {folder} that use a folder after it ({string.Join(", ", later)})");
    }

    [Test]
    public void EveryFolder_HasItsPlaceInTheLayers()
    {
        var folders = typeof(HubServerApp).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .Where(n => n is not null && n.StartsWith("Hub.Server.", StringComparison.Ordinal))
            .Select(n => n!["Hub.Server.".Length..])
            .Distinct();

        Assert.That(folders, Is.SubsetOf(Layers), "a folder of Hub.Server missing from the layers");
    }
}
