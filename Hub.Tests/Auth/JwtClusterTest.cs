using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Auth;

/// <summary>Nodes in <c>Hub:Auth:Mode=Jwt</c>, and clients that bring their tokens.</summary>
public abstract class JwtClusterTest(Topology topology) : ClusterTest(topology)
{
    protected override IReadOnlyDictionary<string, string?> Settings => TestTokens.NodeSettings();

    /// <summary>A client (not started) whose token provider is <paramref name="tokens"/>.</summary>
    protected TestClient NewClient(TestNode node, Func<Task<string?>>? tokens, string? userQuery = null) =>
        Own(new TestClient(new HubClientOptions { Url = TestClient.HubUrl(node, userQuery), AccessTokenProvider = tokens }));

    protected async Task<TestClient> ConnectWithTokenAsync(TestNode node, string token, string? userQuery = null)
    {
        var client = NewClient(node, () => Task.FromResult<string?>(token), userQuery);
        await client.Client.StartAsync().Within();
        return client;
    }
}
