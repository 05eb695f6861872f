using System.Net;
using System.Text.Json;
using Hub.Client;
using Hub.Tests.Data;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
[TestFixture(Topology.RedisCluster)]
public sealed class MessagesApiTests(Topology topology) : ApiTest(topology)
{
    [Test]
    public async Task PostMessages_Broadcasts_ToClientsOnEveryNode_FromApi()
    {
        var onA = await ConnectAsync(NodeA, "alice");
        var onB = await ConnectAsync(NodeB, "bob");

        var result = await Api.SendTextAsync("/api/v1/messages", "hello from a backend");

        Assert.That(result.Stream, Is.EqualTo("all"));
        foreach (var client in new[] { onA, onB })
        {
            var message = await client.Messages.WaitForAsync(m => m.Id == result.Id, "the API broadcast");
            Assert.Multiple(() =>
            {
                Assert.That(message.Text, Is.EqualTo("hello from a backend"));
                Assert.That(message.From, Is.EqualTo("api"));
                Assert.That(message.User, Is.Null);
                Assert.That(message.Stream, Is.EqualTo("all"));
                Assert.That(message.Offset, Is.EqualTo(result.Offset));
            });
        }
    }

    [Test]
    public async Task PostToConnection_ReachesThatConnectionOnly_OnAnotherNode()
    {
        var target = await ConnectAsync(NodeB);
        var bystander = await ConnectAsync(NodeB);

        var result = await Api.SendTextAsync($"/api/v1/connections/{target.ConnectionId}/messages", "just you");

        Assert.That(result.Stream, Is.EqualTo($"connection:{target.ConnectionId}"));
        var message = await target.Messages.WaitForAsync(m => m.Id == result.Id, "the direct message");
        Assert.That(message.From, Is.EqualTo("api"));
        await DrainAsync(bystander, bystander);
        Assert.That(bystander.Messages.Items.Any(m => m.Id == result.Id), Is.False);
    }

    [Test]
    public async Task PostToUser_ReachesEveryConnectionOfTheUser_OnEveryNode()
    {
        var bobOnA = await ConnectAsync(NodeA, "bob");
        var bobOnB = await ConnectAsync(NodeB, "bob");
        var carol = await ConnectAsync(NodeB, "carol");

        var result = await Api.SendTextAsync("/api/v1/users/bob/messages", "hi bob");

        Assert.That(result.Stream, Is.EqualTo("user:bob"));
        await bobOnA.Messages.WaitForAsync(m => m.Id == result.Id, "the user message on node A");
        await bobOnB.Messages.WaitForAsync(m => m.Id == result.Id, "the user message on node B");
        await DrainAsync(carol, carol);
        Assert.That(carol.Messages.Items.Any(m => m.Id == result.Id), Is.False);
    }

    [Test]
    public async Task PostToGroup_ReachesTheMembers_Only()
    {
        var member = await ConnectAsync(NodeB);
        var outsider = await ConnectAsync(NodeB);
        await member.Client.JoinAsync("room").Within();

        var result = await Api.SendTextAsync("/api/v1/groups/room/messages", "hi room");

        Assert.That(result.Stream, Is.EqualTo("group:room"));
        var message = await member.Messages.WaitForAsync(m => m.Id == result.Id, "the group message");
        Assert.That(message.Offset, Is.EqualTo(result.Offset));
        await DrainAsync(outsider, outsider);
        Assert.That(outsider.Messages.Items.Any(m => m.Id == result.Id), Is.False);
    }

    [Test]
    public async Task PostOfATextOfExactlyTheLimit_IsAccepted()
    {
        var receiver = await ConnectAsync(NodeB);

        // 16383 two-byte characters and the two quotes of a JSON string.
        var result = await Api.SendTextAsync("/api/v1/messages", new string('é', 16383));

        await receiver.Messages.WaitForAsync(m => m.Id == result.Id, "the text at the limit");
    }

    [Test]
    public async Task PostOfEventAndData_OfEveryShape_ArrivesIdentical_OverBothProtocols_OnTheOtherNode_AndInHistory()
    {
        var receivers = new[] { await ConnectAsync(NodeB, "bob", HubProtocolKind.Json), await ConnectAsync(NodeB, "cy", HubProtocolKind.MessagePack) };
        var sent = new List<(string Name, JsonElement Data, SendResult Result)>();
        foreach (var (name, json) in DataShapes.All)
        {
            sent.Add((name, DataShapes.Parse(json), await Api.PublishAsync("/api/v1/messages", "shape", json)));
        }

        foreach (var (receiver, protocol) in receivers.Zip([HubProtocolKind.Json, HubProtocolKind.MessagePack]))
        {
            foreach (var (name, data, result) in sent)
            {
                var message = await receiver.Messages.WaitForAsync(m => m.Id == result.Id, name);
                DataShapes.AssertSame(data, message.Data, $"{name}, to {protocol}");
                Assert.That((message.Event, message.From, message.Offset), Is.EqualTo(("shape", "api", result.Offset)), name);
            }
        }

        var page = await Api.GetAsync<JsonElement>($"/api/v1/streams/all/messages?after={sent[0].Result.Offset - 1}");
        var history = page.GetProperty("messages").EnumerateArray().ToList();
        Assert.That(history.Select(m => m.GetProperty("id").GetString()), Is.EqualTo(sent.Select(s => s.Result.Id)));
        for (var i = 0; i < sent.Count; i++)
        {
            DataShapes.AssertSame(sent[i].Data, history[i].GetProperty("data"), $"{sent[i].Name}, from the history route");
            Assert.That(history[i].GetProperty("event").GetString(), Is.EqualTo("shape"));
            var text = history[i].GetProperty("text");
            Assert.That(text.ValueKind == JsonValueKind.Null ? null : text.GetString(),
                Is.EqualTo(sent[i].Data.ValueKind == JsonValueKind.String ? sent[i].Data.GetString() : null), $"{sent[i].Name}: text is data when a string");
        }
    }

    [TestCase("/api/v1/users/bob/messages")]
    [TestCase("/api/v1/groups/room/messages")]
    [TestCase("/api/v1/connections/{id}/messages")]
    public async Task EveryMessageRoute_TakesEventAndData_AndText_AndDataWithoutAnEventIsTheMessageEvent(string route)
    {
        var bob = await ConnectAsync(NodeB, "bob", HubProtocolKind.MessagePack);
        await bob.Client.JoinAsync("room").Within();
        var path = route.Replace("{id}", bob.ConnectionId, StringComparison.Ordinal);

        var typing = await Api.PublishAsync(path, "typing", """{"user":"ada","typing":true}""");
        var plain = await Api.PublishAsync(path, null, "[1,2]");
        var text = await Api.SendTextAsync(path, "hi");
        using var namedText = await Api.SendAsync(HttpMethod.Post, path, """{"event":"note","text":"a note"}""");
        var note = await ApiClient.ReadAsync<SendResult>(namedText, HttpStatusCode.Accepted);

        var asTyping = await bob.Messages.WaitForAsync(m => m.Id == typing.Id, "the typing event");
        var asPlain = await bob.Messages.WaitForAsync(m => m.Id == plain.Id, "the data without an event");
        var asText = await bob.Messages.WaitForAsync(m => m.Id == text.Id, "the text");
        var asNote = await bob.Messages.WaitForAsync(m => m.Id == note.Id, "the text with an event");
        Assert.Multiple(() =>
        {
            Assert.That((asTyping.Event, asTyping.Data.GetRawText(), asTyping.Text), Is.EqualTo(("typing", """{"user":"ada","typing":true}""", (string?)null)));
            Assert.That((asPlain.Event, asPlain.Data.GetRawText()), Is.EqualTo(("message", "[1,2]")));
            Assert.That((asText.Event, asText.Data.GetString(), asText.Text), Is.EqualTo(("message", "hi", "hi")));
            Assert.That((asNote.Event, asNote.Text), Is.EqualTo(("note", "a note")));
        });
    }

    [Test]
    public async Task PostOfDataOfExactlyTheLimit_IsAccepted()
    {
        var receiver = await ConnectAsync(NodeB);

        // {"k":"…"} with 32760 characters: 32768 bytes as JSON.
        var result = await Api.PublishAsync("/api/v1/messages", "big", $"{{\"k\":\"{new string('x', 32760)}\"}}");

        var message = await receiver.Messages.WaitForAsync(m => m.Id == result.Id, "the data at the limit");
        Assert.That(message.Data.GetProperty("k").GetString(), Has.Length.EqualTo(32760));
    }

    [Test]
    public async Task PostToAnUnknownConnection_Is404()
    {
        using var response = await Api.PostTextAsync("/api/v1/connections/no-such-connection/messages", "hello?");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "No connection with id 'no-such-connection'");
    }

    private static IEnumerable<TestCaseData> BadBodies()
    {
        yield return Case("malformed JSON", "{\"text\":", "application/json", HttpStatusCode.BadRequest, "not valid JSON");
        yield return Case("an empty body", "", "application/json", HttpStatusCode.BadRequest, "not valid JSON");
        yield return Case("a JSON null", "null", "application/json", HttpStatusCode.BadRequest, "has neither \"data\" nor \"text\"");
        yield return Case("no text", "{}", "application/json", HttpStatusCode.BadRequest, "has neither \"data\" nor \"text\"");
        yield return Case("a null text", "{\"text\":null}", "application/json", HttpStatusCode.BadRequest, "has neither \"data\" nor \"text\"");
        yield return Case("an event alone", "{\"event\":\"typing\"}", "application/json", HttpStatusCode.BadRequest, "has neither \"data\" nor \"text\"");
        yield return Case("both data and text", "{\"data\":{\"a\":1},\"text\":\"hi\"}", "application/json", HttpStatusCode.BadRequest, "has both \"data\" and \"text\"");
        yield return Case("a null data", "{\"data\":null}", "application/json", HttpStatusCode.BadRequest, "The data is null");
        yield return Case("an event name too long", $"{{\"event\":\"{new string('e', 129)}\",\"data\":1}}", "application/json",
            HttpStatusCode.BadRequest, "The event name is 129 characters; it must be 1 to 128");
        yield return Case("an empty event name", "{\"event\":\"\",\"data\":1}", "application/json", HttpStatusCode.BadRequest, "The event name is 0 characters");
        yield return Case("an event name with a control character", "{\"event\":\"a\\u0007b\",\"data\":1}", "application/json",
            HttpStatusCode.BadRequest, "contains a control character");
        yield return Case("a number for an event", "{\"event\":5,\"data\":1}", "application/json", HttpStatusCode.BadRequest, "could not be converted to System.String");
        yield return Case("data nested too deep", $"{{\"data\":{DataShapes.Nested(33)}}}", "application/json", HttpStatusCode.BadRequest, "deep");
        yield return Case("data over the limit", $"{{\"data\":{{\"k\":\"{new string('x', 32761)}\"}}}}", "application/json",
            HttpStatusCode.BadRequest, "The message's data is 32769 bytes as UTF-8 JSON; the limit is 32768 (Hub:Limits:MaxMessageBytes)");
        yield return Case("a number for text", "{\"text\":5}", "application/json", HttpStatusCode.BadRequest, "could not be converted to System.String");
        yield return Case("an array for a body", "[\"hi\"]", "application/json", HttpStatusCode.BadRequest, "not valid JSON");
        yield return Case("a text over the limit", $"{{\"text\":\"{new string('x', 32769)}\"}}", "application/json",
            HttpStatusCode.BadRequest, "32771 bytes as UTF-8 JSON; the limit is 32768 (Hub:Limits:MaxMessageBytes)");
        yield return Case("no content type", "{\"text\":\"hi\"}", null, HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json");
        yield return Case("a form", "text=hi", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json");
        yield return Case("JSON as text/plain", "{\"text\":\"hi\"}", "text/plain", HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json");
        yield return Case("an unknown charset", "{\"text\":\"hi\"}", "application/json; charset=bogus", HttpStatusCode.UnsupportedMediaType, "charset 'bogus'");
        yield return Case("a disabled charset", "{\"text\":\"hi\"}", "application/json; charset=utf-7", HttpStatusCode.UnsupportedMediaType, "charset 'utf-7'");
        yield return Case("an empty charset", "{\"text\":\"hi\"}", "application/json; charset=", HttpStatusCode.UnsupportedMediaType, "send UTF-8");
    }

    private static TestCaseData Case(string name, string body, string? contentType, HttpStatusCode status, string detail) =>
        new TestCaseData(body, contentType, status, detail).SetArgDisplayNames(name);

    [TestCaseSource(nameof(BadBodies))]
    public async Task ABadBody_IsAProblemThatSaysWhatWasWrong(string body, string? contentType, HttpStatusCode status, string detail)
    {
        using var response = await Api.SendAsync(HttpMethod.Post, "/api/v1/groups/room/messages", body, contentType);

        await ApiClient.AssertProblemAsync(response, status, detail);
    }

    [TestCase("application/json; charset=utf-8")]
    [TestCase("Application/JSON; Charset=UTF-8")]
    [TestCase("application/json; charset=iso-8859-1")]
    [TestCase("application/merge-patch+json")]
    public async Task AJsonContentType_TheFrameworkReads_IsAccepted(string contentType)
    {
        using var response = await Api.SendAsync(HttpMethod.Post, "/api/v1/groups/room/messages", "{\"text\":\"hi\"}", contentType);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync().Within());
    }

    private static IEnumerable<TestCaseData> BadNames()
    {
        yield return new TestCaseData("/api/v1/groups/%07bell/messages", "control character or '/'").SetArgDisplayNames("a group with a control character");
        yield return new TestCaseData("/api/v1/users/%07bell/messages", "control character or '/'").SetArgDisplayNames("a user with a control character");
        yield return new TestCaseData($"/api/v1/groups/{new string('g', 129)}/messages", "129 characters; the limit is 128").SetArgDisplayNames("a group of 129 characters");
        yield return new TestCaseData($"/api/v1/users/{new string('u', 129)}/messages", "129 characters; the limit is 128").SetArgDisplayNames("a user of 129 characters");
    }

    [TestCaseSource(nameof(BadNames))]
    public async Task ABadName_Is400(string path, string detail)
    {
        using var response = await Api.PostTextAsync(path, "hi");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }
}
