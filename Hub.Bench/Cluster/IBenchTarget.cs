using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>What the load runs against for one round: nodes the bench starts itself, or given URLs.</summary>
internal interface IBenchTarget : IAsyncDisposable
{
    /// <summary>Whether the target can run each variant's settings; given URLs run as they are.</summary>
    bool AppliesVariants { get; }

    /// <summary>The Redis servers to read command counts from (every master of a cluster); empty when the bench cannot reach Redis.</summary>
    IReadOnlyList<RedisAdmin> Redis { get; }

    /// <summary>The processes whose CPU time counts as the server's, when the bench owns them.</summary>
    IReadOnlyList<ChildProcess> ServerProcesses { get; }

    /// <summary>Gets the target ready for a round with <paramref name="variant"/>; returns each node's endpoint.</summary>
    Task<IReadOnlyList<Endpoint>> StartRoundAsync(Variant variant);

    Task EndRoundAsync();

    /// <summary>SIGKILL to node <paramref name="node"/> (0-based) of this round: it dies at once, no drain; the others go on.</summary>
    Task KillNodeAsync(int node) => throw new InvalidOperationException("The bench can only kill nodes it started itself (not with --url).");
}
