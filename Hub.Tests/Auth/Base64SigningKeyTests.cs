using System.Net;
using System.Text;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Auth;

/// <summary>A <c>base64:</c> signing key is the decoded bytes, not the text.</summary>
public sealed class Base64SigningKeyTests() : JwtClusterTest(Topology.InMemory)
{
    private static readonly byte[] KeyBytes = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Hub:Auth:Jwt:SigningKey"] = "base64:" + Convert.ToBase64String(KeyBytes),
    };

    [Test]
    public async Task ATokenSignedWithTheDecodedBytes_IsAccepted()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice", key: KeyBytes));

        var sent = await alice.Client.SendToUserAsync("alice", "signed with the decoded key").Within();

        await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "the message to herself");
    }

    [Test]
    public void ATokenSignedWithTheTextOfTheSetting_Is401()
    {
        var text = Encoding.UTF8.GetBytes("base64:" + Convert.ToBase64String(KeyBytes));
        var client = NewClient(NodeA, () => Task.FromResult<string?>(TestTokens.Create("alice", key: text)));

        var error = Assert.ThrowsAsync<HttpRequestException>(() => client.Client.StartAsync().Within());

        Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
