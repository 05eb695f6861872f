using Hub.Server.Core;
using Hub.Server.Redis;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Tests.Redis;

/// <summary>Which Redis errors count as Redis being away for a moment (the send is refused as unavailable, the node not ready) rather than as a bug.</summary>
public sealed class RedisCallsTests
{
    [TestCase("READONLY You can't write against a read only replica.")]
    [TestCase("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")]
    [TestCase("LOADING Redis is loading the dataset in memory")]
    [TestCase("MOVED 3999 127.0.0.1:6381")]
    [TestCase("ASK 3999 127.0.0.1:6381")]
    [TestCase("CLUSTERDOWN The cluster is down")]
    [TestCase("CLUSTERDOWN Hash slot not served")]
    [TestCase("TRYAGAIN Multiple keys request during rehashing of slot")]
    public void FailoverAndClusterTopologyErrors_AreMomentary(string error) =>
        Assert.That(RedisCalls.IsMomentary(new RedisServerException(error)), Is.True);

    [TestCase("ERR Error running script (call to f_1234): @user_script:10: WRONGTYPE Operation against a key holding the wrong kind of value")]
    [TestCase("NOSCRIPT No matching script. Please use EVAL.")]
    [TestCase("CROSSSLOT Keys in request don't hash to the same slot")]
    [TestCase("ASKING is not a reply")]
    [TestCase("ERR unknown command 'MOVED'")]
    public void OtherErrors_AreNotMomentary(string error) =>
        Assert.That(RedisCalls.IsMomentary(new RedisServerException(error)), Is.False);

    [Test]
    public void ACommandThatFailsWithAClusterError_IsReportedAsUnavailable()
    {
        Task<int> call() => Task.FromException<int>(new RedisServerException("CLUSTERDOWN The cluster is down"));
        var redis = new RedisConnection(Options.Create(new ClusterOptions()), NullLogger<RedisConnection>.Instance);

        Assert.ThrowsAsync<BackplaneUnavailableException>(() => RedisCalls.RunAsync(redis, call, CancellationToken.None).Within());
    }
}
