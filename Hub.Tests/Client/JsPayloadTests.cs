using System.Text.Json;
using Hub.Tests.Data;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Client;

/// <summary>Events and data with the official JavaScript client and hub-recovery.js, JSON on one node and MessagePack on the other.</summary>
public sealed class JsPayloadTests() : ClusterTest(Topology.Redis)
{
    // JavaScript numbers are doubles, and JSON.stringify writes -0 as 0: what JS cannot hold is not asked of it.
    private static readonly string[] NotForJavaScript = ["2^53 + 1", "the 64-bit integer extremes", "negative zero"];

    [Test]
    public async Task EveryShapeOfData_PublishedFromJs_ArrivesIdentical_JsonToMessagePack_AndBack_ThroughOn()
    {
        var shapes = DataShapes.All.Where(s => !NotForJavaScript.Contains(s.Name)).ToList();

        var output = await NodeScript.RunAsync("payloads.mjs", NodeA.HubUrl.ToString(), NodeB.HubUrl.ToString(),
            JsonSerializer.Serialize(shapes.Select(s => new[] { s.Name, s.Json })));
        using var result = JsonDocument.Parse(output);
        var root = result.RootElement;

        foreach (var (sender, receiver, what) in new[] { ("alice", "bobGot", "JSON to MessagePack"), ("bob", "aliceGot", "MessagePack to JSON") })
        {
            var sent = root.GetProperty("sent").GetProperty(sender).EnumerateArray().ToList();
            var got = root.GetProperty(receiver).EnumerateArray().ToList();
            Assert.That(got.Select(m => m.GetProperty("id").GetString()), Is.EqualTo(sent.Select(s => s.GetProperty("id").GetString())), $"{what}: every shape, in order");
            for (var i = 0; i < shapes.Count; i++)
            {
                DataShapes.AssertSame(DataShapes.Parse(shapes[i].Json), got[i].GetProperty("data"), $"{shapes[i].Name}, {what}");
            }
        }

        var text = root.GetProperty("text");
        Assert.That((text.GetProperty("event").GetString(), text.GetProperty("data").GetString(), text.GetProperty("text").GetString()),
            Is.EqualTo(("message", "plain text", "plain text")));
        Assert.That(root.GetProperty("stopped").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 1 }), "nothing after the handler was taken off");
    }
}
