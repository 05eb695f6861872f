using System.Net;
using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class StreamsApiTests(Topology topology) : ApiTest(topology)
{
    private sealed record Page(string Epoch, List<Message> Messages);

    [Test]
    public async Task GetMessages_ReturnsTheStreamOldestFirst_AfterAnOffset_UpToALimit()
    {
        var sender = await ConnectAsync(NodeB);
        var sent = new List<SendResult>();
        foreach (var text in new[] { "one", "two", "three" })
        {
            sent.Add(await sender.Client.SendToGroupAsync("room", text).Within());
        }

        var all = await Api.GetAsync<Page>("/api/v1/streams/group:room/messages");
        var middle = await Api.GetAsync<Page>($"/api/v1/streams/group%3Aroom/messages?after={sent[0].Offset}&limit=1");

        Assert.That(all.Messages.Select(m => m.Text), Is.EqualTo(new[] { "one", "two", "three" }));
        Assert.That(all.Messages.Select(m => m.Offset), Is.EqualTo(sent.Select(s => s.Offset)));
        Assert.That(all.Messages.Select(m => m.Id), Is.EqualTo(sent.Select(s => s.Id)));
        Assert.That(all.Epoch, Is.Not.Empty);
        Assert.That(all.Messages.All(m => m.Epoch == all.Epoch && m.Stream == "group:room" && m.From == sender.ConnectionId));
        Assert.That(middle.Messages.Select(m => m.Text), Is.EqualTo(new[] { "two" }));
        Assert.That(middle.Epoch, Is.EqualTo(all.Epoch));
    }

    [Test]
    public async Task GetMessages_OfTheBroadcastStream_IncludesWhatTheApiSent()
    {
        var result = await Api.SendTextAsync("/api/v1/messages", "from a backend");

        var page = await Api.GetAsync<Page>($"/api/v1/streams/all/messages?after={result.Offset - 1}");

        var message = page.Messages.Single();
        Assert.That((message.Id, message.From, message.Text), Is.EqualTo((result.Id, "api", "from a backend")));
    }

    [Test]
    public async Task GetMessages_AfterTheLargestOffset_IsEmpty()
    {
        await Api.SendTextAsync("/api/v1/messages", "one");

        var page = await Api.GetAsync<Page>($"/api/v1/streams/all/messages?after={long.MaxValue}");

        Assert.That(page.Messages, Is.Empty);
    }

    [TestCase("group:room", "limit=0", "'limit' must be a whole number from 1 to 1000")]
    [TestCase("group:room", "limit=1001", "'limit' must be a whole number from 1 to 1000")]
    [TestCase("group:room", "limit=-1", "'limit' must be a whole number from 1 to 1000")]
    [TestCase("group:room", "limit=ten", "'limit' must be a whole number from 1 to 1000")]
    [TestCase("group:room", "after=-1", "'after' must be an offset")]
    [TestCase("group:room", "after=x", "'after' must be an offset")]
    [TestCase("room", "", "'room' is not a stream")]
    [TestCase("group:", "", "'group:' is not a stream")]
    [TestCase("planet:earth", "", "'planet:earth' is not a stream")]
    public async Task GetMessages_WithABadStreamOrParameter_Is400(string stream, string query, string detail)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"/api/v1/streams/{stream}/messages?{query}");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
    }
}
