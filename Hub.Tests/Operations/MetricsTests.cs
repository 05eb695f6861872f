using Hub.Client;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

/// <summary>
/// One node only: the metrics pipeline listens to meters by name, process-wide, so two nodes in
/// one test process would count into each other's /metrics.
/// </summary>
public sealed class MetricsTests() : ClusterTest(Topology.InMemory)
{
    [Test]
    public async Task Metrics_ServesHubsInstrumentsAndTheFrameworksOwn_InPrometheusText()
    {
        var client = await ConnectAsync(NodeA, "alice");
        // WebSockets are served by Hub itself; SignalR's meter counts the transports SignalR serves.
        await using var polling = new HubConnectionBuilder().WithUrl(NodeA.HubUrl, HttpTransportType.LongPolling).Build();
        await polling.StartAsync().Within();
        var sent = await client.Client.SendAsync("counted").Within();
        await client.Client.SendToUserAsync("alice", "counted too").Within();
        await client.Messages.WaitForCountAsync(2, "both messages");
        Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => client.Client.JoinAsync("").Within());
        var epoch = client.Messages.Items.Single(m => m.Id == sent.Id).Epoch;
        await client.Client.ResumeAsync(new ResumeRequest { Streams = [new StreamPosition { Stream = "all", Epoch = epoch, Offset = 0 }] }).Within();

        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };
        // The exporter caches a scrape briefly; poll until the values above show.
        string text = "";
        await Bounded.UntilAsync(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            return text.Contains("hub_recovery_total");
        }, "the recovery counter in /metrics");

        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Match(@"hub_connections\{[^}]*transport=""web_sockets""[^}]*\} 1\b"), "one WebSocket open on this node");
            Assert.That(text, Does.Match(@"hub_connections\{[^}]*transport=""long_polling""[^}]*\} 1\b"), "one long polling connection");
            Assert.That(text, Does.Match(@"hub_messages_published_total\{[^}]*kind=""all""[^}]*\} 1\b"));
            Assert.That(text, Does.Match(@"hub_messages_published_total\{[^}]*kind=""user""[^}]*\} 1\b"));
            Assert.That(text, Does.Match(@"hub_messages_delivered_total\{[^}]*kind=""all""[^}]*\} 1\b"));
            Assert.That(text, Does.Contain("hub_backplane_publish_duration_seconds_bucket"));
            Assert.That(text, Does.Match(@"hub_backplane_lag_seconds_count\{[^}]*kind=""all""[^}]*\} 1\b"), "the broadcast's lag, once");
            Assert.That(text, Does.Match(@"hub_calls_rejected_total\{[^}]*reason=""invalid""[^}]*\} 1\b"));
            Assert.That(text, Does.Match(@"hub_recovery_total\{[^}]*result=""recovered""[^}]*\} 1\b"));
            Assert.That(text, Does.Contain("hub_presence_connections"));
            Assert.That(text, Does.Contain("kestrel_active_connections"), "Kestrel's meter");
            Assert.That(text, Does.Contain("aspnetcore_memory_pool_pooled_bytes"), "Kestrel's memory pool, where send buffers go");
            Assert.That(text, Does.Match(@"signalr_server_active_connections\{[^}]*signalr_transport=""long_polling""[^}]*\} 1\b"), "SignalR's meter");
        });
    }
}
