using Hub.Client.Internal;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Client;

/// <summary>
/// When a node dies, all its clients lose their connections in the same instant: how Hub.Client
/// spreads their return, over time (the first retry's delay) and over the other nodes.
/// </summary>
public sealed class ReconnectSpreadTests
{
    private const int Clients = 1000;
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);

    [Test]
    public void TheFirstRetry_IsDrawnBetweenZeroAndTheInitialDelay_SoANodesClientsDoNotReturnAtOnce()
    {
        var policy = new JitteredBackoffPolicy(Initial, TimeSpan.FromSeconds(30));

        var delays = Enumerable.Range(0, Clients).Select(_ => policy.NextRetryDelay(Retry(0))!.Value).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(delays.Min(), Is.GreaterThanOrEqualTo(TimeSpan.Zero));
            Assert.That(delays.Max(), Is.LessThan(Initial));
            // Spread over the whole first step, not bunched at one end of it.
            Assert.That(delays.Count(d => d < Initial / 4), Is.GreaterThan(Clients / 8));
            Assert.That(delays.Count(d => d >= Initial * 3 / 4), Is.GreaterThan(Clients / 8));
        });
    }

    [Test]
    public void LaterRetries_DoubleTheirStep_EachDrawnBetweenHalfAndAllOfIt()
    {
        var policy = new JitteredBackoffPolicy(Initial, TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(policy.NextRetryDelay(Retry(1)), Is.InRange(Initial / 2, Initial));
            Assert.That(policy.NextRetryDelay(Retry(3)), Is.InRange(Initial * 2, Initial * 4));
            Assert.That(policy.NextRetryDelay(Retry(20)), Is.InRange(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)));
        });
    }

    [Test]
    public void ARefusalThatAsksToWait_IsWaitedFor_ARandomTimeBetweenTheWaitAndTwiceIt()
    {
        var policy = new JitteredBackoffPolicy(Initial, TimeSpan.FromSeconds(30));
        var wait = TimeSpan.FromSeconds(1);
        var refused = RetryHint.Attach(new HttpRequestException("past the node's connects per second"), wait);

        var delays = Enumerable.Range(0, Clients).Select(_ => policy.NextRetryDelay(Retry(1, refused))!.Value).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(delays.Min(), Is.GreaterThanOrEqualTo(wait));
            Assert.That(delays.Max(), Is.LessThan(wait * 2));
            Assert.That(delays.Count(d => d < wait * 1.25), Is.GreaterThan(Clients / 8), "spread over the whole window");
            Assert.That(delays.Count(d => d >= wait * 1.75), Is.GreaterThan(Clients / 8), "spread over the whole window");
            Assert.That(policy.NextRetryDelay(Retry(1, new HttpRequestException("no wait asked"))), Is.LessThanOrEqualTo(Initial), "a failure that asked nothing keeps the backoff");
        });
    }

    [Test]
    public void ABackoffLongerThanTheWaitAskedFor_IsKept()
    {
        var policy = new JitteredBackoffPolicy(Initial, TimeSpan.FromSeconds(30));
        var refused = RetryHint.Attach(new HubException("full"), TimeSpan.FromSeconds(1));

        Assert.That(policy.NextRetryDelay(Retry(20, refused)), Is.InRange(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void WhenItsNodeIsGone_EachClientTriesItFirst_ThenEveryOtherNodeOnce()
    {
        foreach (var current in new[] { 0, 2, 4 })
        {
            var order = FailoverConnectionFactory.Order(current, 5).ToList();

            Assert.That(order[0], Is.EqualTo(current));
            Assert.That(order, Is.EquivalentTo(Enumerable.Range(0, 5)));
        }
    }

    [Test]
    public void TheClientsOfANodeThatDied_SpreadOverTheOtherNodes_NotAllOntoTheNext()
    {
        // Three nodes, the third gone: where each of its clients tries first after it.
        var next = Enumerable.Range(0, Clients).Select(_ => FailoverConnectionFactory.Order(2, 3).ElementAt(1)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(next.Count(n => n == 0), Is.GreaterThan(Clients / 3), "node 1's share");
            Assert.That(next.Count(n => n == 1), Is.GreaterThan(Clients / 3), "node 2's share");
        });
    }

    [Test]
    public void WithOneUrl_ThatUrlIsAllThereIsToTry()
    {
        Assert.That(FailoverConnectionFactory.Order(0, 1), Is.EqualTo(new[] { 0 }));
    }

    private static RetryContext Retry(long previous, Exception? reason = null) =>
        new() { PreviousRetryCount = previous, ElapsedTime = TimeSpan.Zero, RetryReason = reason };
}
