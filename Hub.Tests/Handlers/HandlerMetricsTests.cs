using System.Text.Json;
using ChatApp;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Handlers;

/// <summary>
/// What the application's handler refused, and where it failed, is counted in
/// <c>hub.calls.rejected</c>. One node only: the metrics pipeline listens process-wide.
/// </summary>
public sealed class HandlerMetricsTests() : ClusterTest(Topology.InMemory)
{
    protected override AppBuilder? App => ChatServer.Build;

    [Test]
    public async Task Refusals_AndHandlerFailures_AreCountedByReason()
    {
        using var http = new HttpClient { BaseAddress = NodeA.BaseUrl, Timeout = Bounded.Default };
        using var refusedConnect = await http.PostAsync($"/hub/negotiate?negotiateVersion=1&name=mallory", null).Within();
        var bob = Own(new TestClient(new HubClientOptions { Url = new Uri($"{NodeA.HubUrl}?name=bob") }));
        await bob.Client.StartAsync().Within();
        Assert.ThrowsAsync<HubException>(() => bob.Client.SendAsync("spam").Within());
        Assert.ThrowsAsync<HubException>(() => bob.Client.CallAsync<JsonElement>("crash", null).Within());

        string text = "";
        await Bounded.UntilAsync(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            return text.Contains("reason=\"handler_failed\"");
        }, "the handler's failure in /metrics");

        Assert.That(text, Does.Match(@"hub_calls_rejected_total\{[^}]*reason=""handler_refused""[^}]*\} 2\b"), "a connect and a message refused");
        Assert.That(text, Does.Match(@"hub_calls_rejected_total\{[^}]*reason=""handler_failed""[^}]*\} 1\b"), "a call whose handler threw");
    }
}
