using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Api;

/// <summary>Who may call the API. Keys are checked on the node that takes the call, so one node is enough.</summary>
[TestFixture(Topology.InMemory)]
public sealed class ApiAuthTests(Topology topology) : ApiTest(topology)
{
    private static IEnumerable<TestCaseData> Routes()
    {
        yield return Route("POST", "/api/v1/messages");
        yield return Route("POST", "/api/v1/connections/c1/messages");
        yield return Route("POST", "/api/v1/users/alice/messages");
        yield return Route("POST", "/api/v1/groups/room/messages");
        yield return Route("PUT", "/api/v1/groups/room/connections/c1");
        yield return Route("DELETE", "/api/v1/groups/room/connections/c1");
        yield return Route("DELETE", "/api/v1/connections/c1");
        yield return Route("GET", "/api/v1/presence");
        yield return Route("GET", "/api/v1/groups/room/presence");
        yield return Route("GET", "/api/v1/streams/all/messages");
    }

    private static TestCaseData Route(string method, string path) =>
        new TestCaseData(method, path).SetArgDisplayNames($"{method} {path}");

    [TestCaseSource(nameof(Routes))]
    public async Task EveryRoute_WithoutAKey_Is401(string method, string path)
    {
        await using var anonymous = Own(new ApiClient(NodeA, apiKey: null));

        using var response = await anonymous.SendAsync(new HttpMethod(method), path, "{\"text\":\"hi\"}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "An API key is required");
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task AWrongKey_Is401(bool asBearer)
    {
        await using var wrong = Own(new ApiClient(NodeA, apiKey: ApiClient.Key + "x", asBearer));

        using var response = await wrong.SendAsync(HttpMethod.Get, "/api/v1/presence");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "The API key is not valid.");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task AConfiguredKey_IsAccepted_AsXApiKeyOrBearer(bool asBearer)
    {
        await using var caller = Own(new ApiClient(NodeA, ApiClient.Key, asBearer));

        var presence = await caller.GetAsync<PresenceSnapshot>("/api/v1/presence");

        Assert.That(presence.Connections, Is.Zero);
    }

    [Test]
    public async Task WithNoKeysConfigured_EveryCallIs401_AndSaysSo()
    {
        var node = Own(await TestNode.StartAsync("node-without-keys", new Dictionary<string, string?>()));
        await using var caller = Own(new ApiClient(node));

        using var response = await caller.PostTextAsync("/api/v1/messages", "hi");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "no API keys are configured (Hub:Api:Keys)");
    }

    [Test]
    public void AnEmptyKey_StopsTheNodeAtStart_NamingTheKey()
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => TestNode.StartAsync(
            "node-x", new Dictionary<string, string?> { ["Hub:Api:Keys:0"] = "good-key", ["Hub:Api:Keys:1"] = " " }));

        Assert.That(error!.Message, Does.Contain("Hub:Api:Keys"));
    }
}
