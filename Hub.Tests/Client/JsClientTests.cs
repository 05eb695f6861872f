using System.Text.Json;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Client;

/// <summary>The official JavaScript client (@microsoft/signalr, run in Node) against two nodes sharing Redis.</summary>
public sealed class JsClientTests() : ClusterTest(Topology.Redis)
{
    [TestCase("json", false)]
    [TestCase("messagepack", true)]
    public async Task EveryKindOfMessage_CrossesNodes_ToTheOfficialJsClient(string protocol, bool sentAtIsDate)
    {
        var output = await NodeScript.RunAsync("cross-node.mjs", NodeA.HubUrl.ToString(), NodeB.HubUrl.ToString(), protocol);
        using var result = JsonDocument.Parse(output);
        var root = result.RootElement;
        var bob = root.GetProperty("bobConnectionId").GetString();
        var received = root.GetProperty("received").EnumerateArray().ToList();
        var sent = root.GetProperty("sent");

        string[] kinds = ["all", "connection", "user", "group"];
        string[] streams = ["all", $"connection:{bob}", "user:bob", "group:room"];
        for (var i = 0; i < kinds.Length; i++)
        {
            var id = sent.GetProperty(kinds[i]).GetProperty("id").GetString();
            var message = received.SingleOrDefault(m => m.GetProperty("id").GetString() == id);
            Assert.That(message.ValueKind, Is.EqualTo(JsonValueKind.Object), $"bob on node B received the {kinds[i]} message");
            Assert.Multiple(() =>
            {
                Assert.That(message.GetProperty("stream").GetString(), Is.EqualTo(streams[i]));
                Assert.That(message.GetProperty("user").GetString(), Is.EqualTo("alice"));
                Assert.That(message.GetProperty("from").GetString(), Is.EqualTo(root.GetProperty("aliceConnectionId").GetString()));
                Assert.That(message.GetProperty("offset").GetInt64(), Is.EqualTo(sent.GetProperty(kinds[i]).GetProperty("offset").GetInt64()));
                Assert.That(message.GetProperty("sentAtIsDate").GetBoolean(), Is.EqualTo(sentAtIsDate));
            });
        }

        Assert.That(root.GetProperty("badCall").GetString(), Does.Contain("group name is empty"));
        Assert.That(root.GetProperty("afterBadCall").GetProperty("stream").GetString(), Is.EqualTo("all"));
        Assert.That(root.GetProperty("aliceJoined").EnumerateArray().Select(e => e.GetProperty("user").GetString()), Is.EqualTo(new[] { "bob" }));
        Assert.That(root.GetProperty("presence").GetProperty("connections").GetInt64(), Is.EqualTo(2));
        Assert.That(root.GetProperty("joinResult").GetProperty("group").GetString(), Is.EqualTo("room"));
    }
}
