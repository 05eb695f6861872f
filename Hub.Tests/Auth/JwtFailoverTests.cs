using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Auth;

/// <summary>Moving to another node needs two nodes, so this runs in the Redis topology only.</summary>
public sealed class JwtFailoverTests() : JwtClusterTest(Topology.Redis)
{
    [Test]
    public async Task AfterItsNodeStops_TheClientMovesToTheNextUrl_WithAFreshToken()
    {
        var tokens = new Inbox<string>();
        var alice = Own(new TestClient(new HubClientOptions
        {
            Urls = [NodeB.HubUrl, NodeA.HubUrl],
            AccessTokenProvider = () =>
            {
                var token = TestTokens.Create("alice");
                tokens.Add(token);
                return Task.FromResult<string?>(token);
            },
        }));
        await alice.Client.StartAsync().Within();
        var beforeStop = tokens.Items.Count;

        await NodeB.StopAsync();
        await alice.Reconnected.WaitForCountAsync(1, "the reconnect to node A");

        Assert.That(tokens.Items, Has.Count.GreaterThan(beforeStop), "the reconnect did not ask the provider for a token");
        var bob = await ConnectWithTokenAsync(NodeA, TestTokens.Create("bob"));
        var result = await bob.Client.SendToUserAsync("alice", "on node A now").Within();
        await alice.Messages.WaitForAsync(m => m.Id == result.Id, "the message to alice after moving");
    }
}
