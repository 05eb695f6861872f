using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Limits;

/// <summary>Hub:Limits:MessagesPerSecond = 5 per connection, so bursts of 10.</summary>
public sealed class RateLimitTests() : ClusterTest(Topology.InMemory)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Limits:MessagesPerSecond"] = "5",
    };

    // The bucket refills on the node's clock, which the test moves instead of waiting.
    protected override bool OnFakeTime(string nodeId) => true;

    [Test]
    public async Task CallsOverTheBurst_FailWithAClearError_TheConnectionSurvives_AndOthersAreServed()
    {
        var noisy = await ConnectAsync(NodeA);
        var quiet = await ConnectAsync(NodeA);
        // StartAsync used one call (its Resume); nine more fit in the burst of ten.
        for (var i = 0; i < 9; i++)
        {
            await noisy.Client.SendAsync($"within the burst {i}").Within();
        }

        var refused = Assert.ThrowsAsync<HubException>(() => noisy.Client.SendAsync("one too many").Within());
        var refusedUnknown = Assert.ThrowsAsync<HubException>(() => noisy.Client.ResumeAsync(null!).Within());
        var othersServed = await quiet.Client.SendAsync("the quiet client is served").Within();

        Assert.That(refused!.Message, Does.Contain("Rate limit exceeded").And.Contain("Hub:Limits:MessagesPerSecond"));
        Assert.That(refusedUnknown!.Message, Does.Contain("Rate limit exceeded"), "a call that would fail anyway is counted too");
        Assert.That(othersServed.Offset, Is.GreaterThan(0));

        Clock.Advance(TimeSpan.FromSeconds(1));
        var later = await noisy.Client.SendAsync("after a second the bucket has refilled").Within();
        Assert.That(later.Offset, Is.GreaterThan(othersServed.Offset), "the same connection is served again");
    }

    [Test]
    public async Task UnknownMethods_CountAgainstTheLimit()
    {
        await using var raw = new HubConnectionBuilder().WithUrl(NodeA.HubUrl).Build();
        await raw.StartAsync().Within();
        for (var i = 0; i < 10; i++)
        {
            var unknown = Assert.ThrowsAsync<HubException>(() => raw.InvokeAsync("NoSuchMethod").Within());
            Assert.That(unknown!.Message, Does.Contain("Method does not exist"));
        }

        var refused = Assert.ThrowsAsync<HubException>(() => raw.InvokeAsync<object>("Send", "text").Within());
        Assert.That(refused!.Message, Does.Contain("Rate limit exceeded"));
    }

    [Test]
    public async Task AFloodThatKeepsGoing_ClosesThatConnection_WithTheReason()
    {
        var bystander = await ConnectAsync(NodeA);
        await using var flooder = new HubConnectionBuilder().WithUrl(NodeA.HubUrl).Build();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        flooder.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        await flooder.StartAsync().Within();

        // Fire and forget, as fast as the socket takes them: 10 fit the burst, 20 in a row are refused, then it is closed.
        for (var i = 0; i < 100 && flooder.State == HubConnectionState.Connected; i++)
        {
            try
            {
                await flooder.SendAsync("Send", $"flood {i}").Within();
            }
            catch (Exception) when (flooder.State != HubConnectionState.Connected)
            {
                break;
            }
        }

        var reason = await closed.Task.Within();
        Assert.That(reason?.Message, Does.Contain("refused over the rate limit"));
        var served = await bystander.Client.SendAsync("still served").Within();
        Assert.That(served.Offset, Is.GreaterThan(0));
    }
}
