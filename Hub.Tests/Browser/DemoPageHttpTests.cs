using System.Net;
using System.Net.Http.Json;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Browser;

/// <summary>What the node serves for the demo page, seen over plain HTTP.</summary>
public sealed class DemoPageHttpTests() : ClusterTest(Topology.InMemory)
{
    [Test]
    public async Task NodeRoute_NamesTheNode_AndIsNeverCached()
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };

        using var response = await http.GetAsync("/node").Within();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>().Within();
        Assert.That(body, Is.EqualTo(new Dictionary<string, string> { ["node"] = NodeA.NodeId }));
    }

    [TestCase("/", "text/html")]
    [TestCase("/app.js", "text/javascript")]
    [TestCase("/app.css", "text/css")]
    [TestCase("/lib/signalr.min.js", "text/javascript")]
    [TestCase("/lib/signalr-protocol-msgpack.min.js", "text/javascript")]
    public async Task DemoFiles_AreServedByTheNode_AndRevalidatedOnEveryLoad(string path, string contentType)
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };

        using var response = await http.GetAsync(path).Within();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(contentType));
            Assert.That(response.Headers.CacheControl?.NoCache, Is.True);
            Assert.That(response.Headers.ETag, Is.Not.Null, "revalidation needs a validator");
        });
    }
}
