using System.Text.RegularExpressions;
using Hub.Server.Api;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Api;

/// <summary>A route of the HTTP API as a node's endpoints declare it, with its parameters filled in.</summary>
internal sealed partial record ApiRoute(string Pattern, IReadOnlyList<string> Methods, bool TakesBody)
{
    /// <summary>The history route, the one route with query parameters.</summary>
    public const string History = "/api/v1/streams/{stream}/messages";

    /// <summary>The routes the contract names, as "METHOD pattern".</summary>
    public static readonly IReadOnlyList<string> Contract =
    [
        "POST /api/v1/messages",
        "POST /api/v1/connections/{id}/messages",
        "POST /api/v1/users/{id}/messages",
        "POST /api/v1/groups/{group}/messages",
        "PUT /api/v1/groups/{group}/connections/{id}",
        "DELETE /api/v1/groups/{group}/connections/{id}",
        "DELETE /api/v1/connections/{id}",
        "GET /api/v1/presence",
        "GET /api/v1/groups/{group}/presence",
        "GET " + History,
    ];

    // Values that name nothing that exists, so a request that gets through touches no one.
    private static readonly Dictionary<string, string> Samples = new()
    {
        ["id"] = "c1",
        ["group"] = "room",
        ["stream"] = "all",
    };

    /// <summary>Every API route of <paramref name="node"/>: read from its endpoints, so a route added later is met too.</summary>
    public static IReadOnlyList<ApiRoute> Of(TestNode node) => node.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .Where(e => e.RoutePattern.RawText?.StartsWith(ApiServiceCollectionExtensions.Prefix + "/", StringComparison.Ordinal) == true)
        .Select(e => new ApiRoute(
            e.RoutePattern.RawText!,
            e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [],
            e.Metadata.GetMetadata<IAcceptsMetadata>() is not null))
        .ToList();

    public IEnumerable<string> Parameters => Parameter().Matches(Pattern).Select(m => m.Groups[1].Value);

    /// <summary>The path with every parameter at its sample, except <paramref name="parameter"/> at <paramref name="value"/>, sent as written.</summary>
    public string Path(string? parameter = null, string? value = null) => Parameter().Replace(Pattern, m =>
    {
        var name = m.Groups[1].Value;
        return name == parameter ? value!
            : Samples.TryGetValue(name, out var sample) ? sample
            : throw new InvalidOperationException(
                $"The route {Pattern} has a parameter '{name}' with no sample value: add one to {nameof(ApiRoute)}.{nameof(Samples)}.");
    });

    public override string ToString() => $"{string.Join(',', Methods)} {Pattern}";

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Parameter();
}
