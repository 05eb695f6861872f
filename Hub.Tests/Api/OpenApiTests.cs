using System.Text.Json;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
public sealed class OpenApiTests(Topology topology) : ApiTest(topology)
{
    [Test]
    public async Task TheOpenApiDocument_IsServedWithoutAKey_AndDescribesEveryRoute()
    {
        await using var anonymous = Own(new ApiClient(NodeA, apiKey: null));

        var document = await anonymous.GetAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        var routes = paths.EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .ToList();
        Assert.That(routes, Is.SupersetOf(new[]
        {
            "POST /api/v1/messages",
            "POST /api/v1/connections/{id}/messages",
            "POST /api/v1/users/{id}/messages",
            "POST /api/v1/groups/{group}/messages",
            "PUT /api/v1/groups/{group}/connections/{id}",
            "DELETE /api/v1/groups/{group}/connections/{id}",
            "DELETE /api/v1/connections/{id}",
            "GET /api/v1/presence",
            "GET /api/v1/groups/{group}/presence",
            "GET /api/v1/streams/{stream}/messages",
        }));
        var broadcast = paths.GetProperty("/api/v1/messages").GetProperty("post");
        Assert.That(broadcast.GetProperty("responses").GetProperty("202").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString(), Does.EndWith("/SendResult"));
        Assert.That(broadcast.GetProperty("security").GetRawText(), Does.Contain("ApiKey"));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.That(scheme.GetProperty("name").GetString(), Is.EqualTo("X-Api-Key"));
    }
}
