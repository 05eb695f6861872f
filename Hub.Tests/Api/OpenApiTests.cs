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
        Assert.That(routes, Is.SupersetOf(ApiRoute.Contract));
        var broadcast = paths.GetProperty("/api/v1/messages").GetProperty("post");
        Assert.That(broadcast.GetProperty("responses").GetProperty("202").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString(), Does.EndWith("/SendResult"));
        Assert.That(broadcast.GetProperty("security").GetRawText(), Does.Contain("ApiKey"));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.That(scheme.GetProperty("name").GetString(), Is.EqualTo("X-Api-Key"));
    }

    [Test]
    public async Task TheOpenApiDocument_DescribesASendsBody_AsEventAndData_OrText_AndMessagesWithTheirData()
    {
        var schemas = (await Api.GetAsync<JsonElement>("/openapi/v1.json")).GetProperty("components").GetProperty("schemas");

        var body = schemas.GetProperty("SendMessageRequest");
        Assert.That(body.GetProperty("properties").EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "event", "data", "text" }));
        Assert.That(body.GetProperty("description").GetString(), Does.Contain("{ event, data }").And.Contain("{ text }"));
        Assert.That(body.GetProperty("properties").GetProperty("event").GetProperty("description").GetString(), Does.Contain("1 to 128 characters"));
        Assert.That(schemas.GetProperty("JsonElement").GetProperty("description").GetString(), Does.StartWith("Any JSON value"));
        var message = schemas.GetProperty("Message").GetProperty("properties");
        Assert.That(message.EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "event", "data", "text" }));
    }

    [Test]
    public async Task TheOpenApiDocument_DescribesEveryRouteOfTheNode_AndTheJsonBodyAnd415OfEverySend()
    {
        var paths = (await Api.GetAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");

        foreach (var route in ApiRoute.Of(NodeA))
        {
            foreach (var method in route.Methods)
            {
                var name = method.ToLowerInvariant();
                Assert.That(paths.TryGetProperty(route.Pattern, out var path) && path.TryGetProperty(name, out _), $"{route} is described");
                var operation = path.GetProperty(name);
                if (route.TakesBody)
                {
                    var content = operation.GetProperty("requestBody").GetProperty("content");
                    Assert.That(content.TryGetProperty("application/json", out _), $"{route} takes JSON");
                    Assert.That(operation.GetProperty("responses").TryGetProperty("415", out _), $"{route} documents its 415");
                }
            }
        }
    }
}
